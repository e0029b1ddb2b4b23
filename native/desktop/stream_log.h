// native/desktop/stream_log.h
// The Stream window's state: for each request (or each replayed .sse file), the raw bytes as
// they arrived with their arrival times, the events the core's SSE parser made of them, and
// the deltas the core's chunk assembler made of those. The bytes are run through the same
// parser and assembler the engine uses (core/sse_parser.h, core/chunk_assembler.h), so what
// the window shows is what the engine saw; a replay shows what it would see.
//
// Times are milliseconds since the capture began, from the `now` the driver passes in.
// Deliberately not done: keeping every capture forever (the newest `max_captures` stay).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/boundary.h"
#include "core/chunk_assembler.h"
#include "core/sse_parser.h"

namespace confab::desktop {

struct StreamChunk {
    std::int64_t at_ms = 0;
    std::string bytes;
};
struct StreamEventRow {
    std::int64_t at_ms = 0;
    SseEvent event;
};
struct StreamDeltaRow {
    std::int64_t at_ms = 0;
    StreamDelta delta;
};

struct StreamCapture {
    std::uint64_t serial = 0;       // unique within the log, in the order captures began
    std::uint64_t request = 0;      // 0 for a replay
    bool summary = false;           // a summary request, not the user's reply
    std::string source;             // the URL, or the replayed file's name
    std::string request_body;       // the JSON sent (empty for a replay)
    std::int64_t started_ms = 0;    // the driver's clock when it began
    int status = 0;                 // HTTP status, once known
    std::string content_type;
    std::vector<StreamChunk> chunks;
    std::vector<StreamEventRow> events;
    std::vector<StreamDeltaRow> deltas;
    std::size_t total_bytes = 0;
    std::optional<std::string> outcome;  // "ended", "failed: …", "cancelled"; nothing while open

    const AssembledReply& reply() const;

    // Internal: the parser and assembler this capture's bytes go through.
    struct Pipeline;
    std::shared_ptr<Pipeline> pipeline;
};

class StreamLog {
public:
    // 20 requests: a few turns with tool rounds and retries.
    explicit StreamLog(std::size_t max_captures = 20) : max_captures_(max_captures) {}

    // The engine's request lifecycle, as the driver carries it out.
    void started(const StartRequest& request, std::int64_t now);
    void head(const HttpHead& head, std::int64_t now);
    void body(std::uint64_t request, std::string_view bytes, std::int64_t now);
    void ended(std::uint64_t request, std::int64_t now);
    void failed(std::uint64_t request, const std::string& reason, std::int64_t now);
    void cancelled(std::uint64_t request, std::int64_t now);

    // A replay of recorded bytes: opens a capture that replay_bytes/replay_end fill, named by
    // its serial (a replay outlived by max_captures newer captures is gone, and its bytes with it).
    std::uint64_t begin_replay(const std::string& name, std::int64_t now);
    void replay_bytes(std::uint64_t serial, std::string_view bytes, std::int64_t now);
    void replay_end(std::uint64_t serial, std::int64_t now);

    const std::deque<StreamCapture>& captures() const { return captures_; }
    // The newest capture of the user's reply (not a summary or replay), if any.
    const StreamCapture* last_reply() const;
    void clear() { captures_.clear(); }

private:
    StreamCapture* find(std::uint64_t request);
    StreamCapture* find_serial(std::uint64_t serial);
    StreamCapture& open(StreamCapture capture);
    static void feed(StreamCapture& capture, std::string_view bytes, std::int64_t now);
    static void finish(StreamCapture& capture, std::string outcome, std::int64_t now);

    std::size_t max_captures_;
    std::deque<StreamCapture> captures_;
    std::uint64_t next_serial_ = 1;
};

// Feeds a recorded stream into a StreamLog replay capture at a chosen pace: `chunk_bytes`
// per piece, `bytes_per_second` (0 = as fast as asked). The driver calls advance() with its
// clock; the pieces due by then are fed. Deterministic for the same times.
class StreamReplay {
public:
    StreamReplay(std::string name, std::string bytes, std::size_t chunk_bytes, double bytes_per_second);

    // Feeds what is due at `now` (everything, when the pace is 0). Returns true once done.
    bool advance(StreamLog& log, std::int64_t now);
    bool done() const { return done_; }
    std::size_t fed() const { return fed_; }
    std::size_t size() const { return bytes_.size(); }

private:
    std::string name_;
    std::string bytes_;
    std::size_t chunk_bytes_;
    double bytes_per_second_;
    std::optional<std::int64_t> started_ms_;
    std::size_t fed_ = 0;
    bool done_ = false;
    std::uint64_t serial_ = 0;       // the log's capture being filled
};

} // namespace confab::desktop
