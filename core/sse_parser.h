// core/sse_parser.h
// Incremental parser for text/event-stream, following WHATWG HTML, section 9.2.6
// "Interpreting an event stream". Bytes in, events out, in any slices. It knows nothing
// about OpenAI; chunk_assembler.h gives meaning to the events.
//
// Deliberately not done: reconnection (the driver owns the connection; `retry:` is only
// reported), and decoding anything but UTF-8 (the spec allows no other encoding).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace confab {

struct SseEvent {
    std::string type = "message";  // the "event:" field; "message" when none was given
    std::string data;              // the "data:" lines joined with '\n'
    std::string id;                // the last "id:" seen, as the spec's "last event ID buffer"

    bool operator==(const SseEvent&) const = default;
};

struct SseError {
    std::string message;           // plain words, e.g. "an SSE line is longer than 1048576 bytes"
};

struct SseLimits {
    // One data line carries one JSON chunk (a few KiB); 1 MiB leaves room for a whole
    // tool call's arguments sent in one line (Groq, Mistral do that).
    std::size_t max_line_bytes = std::size_t{1} << 20;
    // An event may span many data lines; 8 MiB bounds what one event can hold.
    std::size_t max_event_bytes = std::size_t{8} << 20;
};

// Receives events as the parser completes them. The event is valid during the call only;
// the parser reuses its buffers for the next one.
class SseSink {
public:
    virtual void on_event(const SseEvent& event) = 0;

protected:
    ~SseSink() = default;
};

class SseParser {
public:
    explicit SseParser(SseLimits limits = SseLimits());

    // Takes the next slice of the stream: any size, split anywhere, even inside a UTF-8
    // sequence or between the CR and LF of a CRLF. Returns the events it completed, in order.
    std::vector<SseEvent> feed(std::string_view bytes);

    // The same, handing each event to `sink` as it completes, without copying it: the form
    // for hot paths (a stream is thousands of events).
    void feed(std::string_view bytes, SseSink& sink);

    // End of stream. An event missing its closing blank line is dropped, as the spec says
    // ("If the file ends in the middle of an event, before the final empty line, the
    // incomplete event is not dispatched."); `truncated()` then tells that it happened.
    std::vector<SseEvent> finish();

    // The latest "retry:" value in milliseconds, if the server sent one.
    std::optional<long long> retry_ms() const { return retry_ms_; }

    // True after finish() when bytes of an unfinished event were dropped.
    bool truncated() const { return truncated_; }

    // Set once a limit is exceeded; from then on feed() returns nothing.
    const std::optional<SseError>& error() const { return error_; }

private:
    void take_line(std::string_view line, SseSink& sink);
    void dispatch(SseSink& sink);
    void fail(std::string message);

    SseLimits limits_;
    std::string line_;             // bytes of the current, unfinished line
    std::string data_;             // the data buffer of the event being built
    std::string type_;             // the event type buffer
    std::string last_id_;          // the last event ID buffer
    SseEvent event_;               // the event being dispatched; its buffers are reused
    bool has_data_ = false;        // a data: field was seen for this event
    bool event_started_ = false;   // any field line was seen since the last dispatch
    bool after_cr_ = false;        // the previous slice ended with CR: a leading LF is its pair
    bool at_start_ = true;         // nothing read yet: a leading BOM is skipped
    bool truncated_ = false;
    std::optional<long long> retry_ms_;
    std::optional<SseError> error_;
};

} // namespace confab
