// native/desktop/stream_log.cpp
#include "native/desktop/stream_log.h"

#include <algorithm>

namespace confab::desktop {

// The engine's OpenAiStream, taken apart so that the events between parser and assembler can
// be shown: the same two classes, fed the same way (core/chunk_assembler.cpp).
struct StreamCapture::Pipeline {
    SseParser parser;
    ChunkAssembler assembler;
    bool limit_reported = false;
};

namespace {

const AssembledReply& empty_reply()
{
    static const AssembledReply reply;
    return reply;
}

} // namespace

const AssembledReply& StreamCapture::reply() const
{
    return pipeline ? pipeline->assembler.reply() : empty_reply();
}

StreamCapture* StreamLog::find(std::uint64_t request)
{
    for (auto it = captures_.rbegin(); it != captures_.rend(); ++it)
        if (it->request == request && request != 0) return &*it;
    return nullptr;
}

StreamCapture* StreamLog::find_serial(std::uint64_t serial)
{
    for (auto it = captures_.rbegin(); it != captures_.rend(); ++it)
        if (it->serial == serial) return &*it;
    return nullptr;
}

StreamCapture& StreamLog::open(StreamCapture capture)
{
    capture.serial = next_serial_++;
    capture.pipeline = std::make_shared<StreamCapture::Pipeline>();
    captures_.push_back(std::move(capture));
    while (captures_.size() > max_captures_) captures_.pop_front();
    return captures_.back();
}

void StreamLog::feed(StreamCapture& capture, std::string_view bytes, std::int64_t now)
{
    const auto at = now - capture.started_ms;
    capture.chunks.push_back(StreamChunk{at, std::string(bytes)});
    capture.total_bytes += bytes.size();
    auto& pipe = *capture.pipeline;
    for (auto& event : pipe.parser.feed(bytes)) {
        std::vector<StreamDelta> deltas;
        pipe.assembler.take(event, deltas);
        capture.events.push_back(StreamEventRow{at, std::move(event)});
        for (auto& delta : deltas) capture.deltas.push_back(StreamDeltaRow{at, std::move(delta)});
    }
    if (pipe.parser.error() && !pipe.limit_reported) {
        pipe.limit_reported = true;
        capture.deltas.push_back(StreamDeltaRow{at, pipe.assembler.add_problem(pipe.parser.error()->message)});
    }
}

void StreamLog::finish(StreamCapture& capture, std::string outcome, std::int64_t now)
{
    if (capture.outcome) return;
    const auto at = now - capture.started_ms;
    auto& pipe = *capture.pipeline;
    pipe.parser.finish();
    if (pipe.parser.truncated())
        capture.deltas.push_back(StreamDeltaRow{at, pipe.assembler.add_problem("the stream ended in the middle of an event")});
    for (auto& delta : pipe.assembler.finish()) capture.deltas.push_back(StreamDeltaRow{at, std::move(delta)});
    capture.outcome = std::move(outcome);
}

void StreamLog::started(const StartRequest& request, std::int64_t now)
{
    StreamCapture capture;
    capture.request = request.id;
    capture.summary = request.summary;
    capture.source = request.url;
    capture.request_body = request.body;
    capture.started_ms = now;
    open(std::move(capture));
}

void StreamLog::head(const HttpHead& head, std::int64_t)
{
    if (auto* capture = find(head.request)) {
        capture->status = head.status;
        capture->content_type = head.content_type;
    }
}

void StreamLog::body(std::uint64_t request, std::string_view bytes, std::int64_t now)
{
    if (auto* capture = find(request); capture != nullptr && !capture->outcome) feed(*capture, bytes, now);
}

void StreamLog::ended(std::uint64_t request, std::int64_t now)
{
    if (auto* capture = find(request)) finish(*capture, "ended", now);
}

void StreamLog::failed(std::uint64_t request, const std::string& reason, std::int64_t now)
{
    if (auto* capture = find(request)) finish(*capture, "failed: " + reason, now);
}

void StreamLog::cancelled(std::uint64_t request, std::int64_t now)
{
    if (auto* capture = find(request)) finish(*capture, "cancelled", now);
}

std::uint64_t StreamLog::begin_replay(const std::string& name, std::int64_t now)
{
    StreamCapture capture;
    capture.source = name;
    capture.started_ms = now;
    capture.status = 200;
    capture.content_type = "text/event-stream (replay)";
    return open(std::move(capture)).serial;
}

void StreamLog::replay_bytes(std::uint64_t serial, std::string_view bytes, std::int64_t now)
{
    if (auto* capture = find_serial(serial); capture != nullptr && !capture->outcome) feed(*capture, bytes, now);
}

void StreamLog::replay_end(std::uint64_t serial, std::int64_t now)
{
    if (auto* capture = find_serial(serial)) finish(*capture, "ended", now);
}

const StreamCapture* StreamLog::last_reply() const
{
    for (auto it = captures_.rbegin(); it != captures_.rend(); ++it)
        if (it->request != 0 && !it->summary) return &*it;
    return nullptr;
}

StreamReplay::StreamReplay(std::string name, std::string bytes, std::size_t chunk_bytes, double bytes_per_second)
    : name_(std::move(name)), bytes_(std::move(bytes)), chunk_bytes_(std::max<std::size_t>(1, chunk_bytes)),
      bytes_per_second_(std::max(0.0, bytes_per_second))
{
}

bool StreamReplay::advance(StreamLog& log, std::int64_t now)
{
    if (done_) return true;
    if (!started_ms_) {
        started_ms_ = now;
        serial_ = log.begin_replay(name_, now);
    }
    // Bytes due by now at the chosen pace, rounded up to whole pieces; everything at pace 0.
    std::size_t due = bytes_.size();
    if (bytes_per_second_ > 0) {
        const double elapsed_s = double(now - *started_ms_) / 1000.0;
        due = std::min(bytes_.size(), std::size_t(elapsed_s * bytes_per_second_) + chunk_bytes_);
    }
    while (fed_ < due) {
        const auto size = std::min(chunk_bytes_, bytes_.size() - fed_);
        log.replay_bytes(serial_, std::string_view(bytes_).substr(fed_, size), now);
        fed_ += size;
    }
    if (fed_ >= bytes_.size()) {
        log.replay_end(serial_, now);
        done_ = true;
    }
    return done_;
}

} // namespace confab::desktop
