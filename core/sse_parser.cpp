// core/sse_parser.cpp
// WHATWG HTML 9.2.6 "Interpreting an event stream", quoted beside the lines that follow it.
#include "core/sse_parser.h"

#include <charconv>
#include <cstring>
#include <string>
#include <utility>

namespace confab {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// The first CR or LF in [p, end), or end. Two memchr calls beat a byte loop: LF is the
// common line end and memchr is vectorised.
const char* find_line_end(const char* p, const char* end)
{
    const void* lf = std::memchr(p, '\n', std::size_t(end - p));
    const char* limit = lf ? static_cast<const char*>(lf) : end;
    const void* cr = std::memchr(p, '\r', std::size_t(limit - p));
    return cr ? static_cast<const char*>(cr) : limit;
}

bool all_ascii_digits(std::string_view text)
{
    if (text.empty()) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

} // namespace

SseParser::SseParser(SseLimits limits) : limits_(limits) {}

std::vector<SseEvent> SseParser::feed(std::string_view bytes)
{
    struct Collect final : SseSink {
        std::vector<SseEvent> events;
        void on_event(const SseEvent& event) override { events.push_back(event); }
    } collect;
    feed(bytes, collect);
    return std::move(collect.events);
}

void SseParser::feed(std::string_view bytes, SseSink& sink)
{
    if (error_ || bytes.empty()) return;

    const char* p = bytes.data();
    const char* const end = p + bytes.size();

    // "end-of-line = ( cr lf / cr / lf )": a CR that ended the previous slice may be
    // followed by the LF of the same pair at the start of this one.
    if (after_cr_ && p < end && *p == '\n') ++p;
    after_cr_ = false;

    while (p < end) {
        const char* line_end = find_line_end(p, end);

        if (line_end == end) {  // the line goes on in the next slice
            if (line_.size() + std::size_t(end - p) > limits_.max_line_bytes) {
                fail("an SSE line is longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
                return;
            }
            line_.append(p, end);
            break;
        }

        if (line_.empty()) {
            if (std::size_t(line_end - p) > limits_.max_line_bytes) {
                fail("an SSE line is longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
                return;
            }
            take_line(std::string_view(p, std::size_t(line_end - p)), sink);
        } else {
            if (line_.size() + std::size_t(line_end - p) > limits_.max_line_bytes) {
                fail("an SSE line is longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
                return;
            }
            line_.append(p, line_end);
            std::string line = std::move(line_);
            line_.clear();
            take_line(line, sink);
        }
        if (error_) return;

        if (*line_end == '\r') {
            if (line_end + 1 == end) {
                after_cr_ = true;
                p = end;
                break;
            }
            if (line_end[1] == '\n') ++line_end;
        }
        p = line_end + 1;
    }
    return;
}

std::vector<SseEvent> SseParser::finish()
{
    // "Once the end of the file is reached, any pending data must be discarded. (If the
    // file ends in the middle of an event, before the final empty line, the incomplete
    // event is not dispatched.)"
    if (!error_ && (!line_.empty() || event_started_)) truncated_ = true;
    line_.clear();
    data_.clear();
    type_.clear();
    has_data_ = false;
    event_started_ = false;
    after_cr_ = false;
    return {};
}

void SseParser::take_line(std::string_view line, SseSink& sink)
{
    // "The stream must then be parsed by ... one leading U+FEFF BYTE ORDER MARK character,
    // if present, must be ignored."
    if (at_start_) {
        at_start_ = false;
        if (line.substr(0, utf8_bom.size()) == utf8_bom) line.remove_prefix(utf8_bom.size());
    }

    // "If the line is empty (a blank line) -> Dispatch the event."
    if (line.empty()) {
        dispatch(sink);
        return;
    }
    // "If the line starts with a U+003A COLON character (:) -> Ignore the line."
    if (line.front() == ':') return;

    // "If the line contains a U+003A COLON character (:) -> Collect the characters on the
    // line before the first U+003A COLON character (:), and let field be that string.
    // Collect the characters on the line after the first U+003A COLON character (:), and
    // let value be that string. If value starts with a U+0020 SPACE character, remove it
    // from value." Otherwise the whole line is the field and the value is empty.
    std::string_view field = line;
    std::string_view value;
    if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    event_started_ = true;

    if (field == "data") {
        // "Append the field value to the data buffer, then append a single U+000A LINE
        // FEED (LF) character to the data buffer."
        if (data_.size() + value.size() + 1 > limits_.max_event_bytes) {
            fail("an SSE event is larger than " + std::to_string(limits_.max_event_bytes) + " bytes");
            return;
        }
        data_.append(value);
        data_.push_back('\n');
        has_data_ = true;
    } else if (field == "event") {
        // "Set the event type buffer to the field value."
        type_.assign(value);
    } else if (field == "id") {
        // "If the field value does not contain U+0000 NULL, then set the last event ID
        // buffer to the field value. Otherwise, ignore the field."
        if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
    } else if (field == "retry") {
        // "If the field value consists of only ASCII digits, then interpret the field value
        // as an integer in base ten, and set the event stream's reconnection time to that
        // integer. Otherwise, ignore the field." (Values past 10^15 ms are ignored too.)
        if (all_ascii_digits(value) && value.size() <= 15) {
            long long ms = 0;
            std::from_chars(value.data(), value.data() + value.size(), ms);
            retry_ms_ = ms;
        }
    }
    // "Otherwise -> The field is ignored." (e.g. GPUStack's bare "error: {...}" line)
}

void SseParser::dispatch(SseSink& sink)
{
    event_started_ = false;
    // "If the data buffer is an empty string, set the data buffer and the event type buffer
    // to the empty string and return."
    if (!has_data_) {
        type_.clear();
        return;
    }
    // "If the data buffer's last character is a U+000A LINE FEED (LF) character, then
    // remove the last character from the data buffer."
    data_.pop_back();

    // The event borrows the buffers and gives them back, so no event allocates.
    event_.type.assign(type_.empty() ? std::string_view("message") : std::string_view(type_));
    event_.data.swap(data_);
    event_.id.assign(last_id_);
    sink.on_event(event_);
    data_.swap(event_.data);

    data_.clear();
    type_.clear();
    has_data_ = false;
}

void SseParser::fail(std::string message)
{
    error_ = SseError{std::move(message)};
    line_.clear();
    line_.shrink_to_fit();
    data_.clear();
    data_.shrink_to_fit();
}

} // namespace confab
