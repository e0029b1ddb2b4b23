// tests/desktop/stream_log_test.cpp
#include <doctest/doctest.h>

#include "core/chunk_assembler.h"
#include "native/desktop/stream_log.h"
#include "tests/test_util.h"

using namespace confab;
using namespace confab::desktop;

namespace {

std::vector<StreamDelta> core_deltas(const std::string& bytes)
{
    OpenAiStream stream;
    auto deltas = stream.feed(bytes);
    for (auto& d : stream.finish()) deltas.push_back(std::move(d));
    return deltas;
}

std::vector<StreamDelta> logged_deltas(const StreamCapture& capture)
{
    std::vector<StreamDelta> deltas;
    for (const auto& row : capture.deltas) deltas.push_back(row.delta);
    return deltas;
}

} // namespace

TEST_CASE("stream_log: a request's bytes are kept with their arrival times, events and deltas")
{
    const auto bytes = test::read_fixture("openai-text-plain.sse");
    REQUIRE_FALSE(bytes.empty());
    StreamLog log;
    log.started(StartRequest{7, "http://127.0.0.1/v1/chat/completions", {}, "{\"model\":\"m\"}", false}, 1000);
    log.head(HttpHead{7, 200, "text/event-stream", ""}, 1010);
    const auto half = bytes.size() / 2;
    log.body(7, std::string_view(bytes).substr(0, half), 1020);
    log.body(7, std::string_view(bytes).substr(half), 1050);
    log.ended(7, 1060);

    REQUIRE(log.captures().size() == 1);
    const auto& capture = log.captures().front();
    CHECK(capture.status == 200);
    CHECK(capture.request_body == "{\"model\":\"m\"}");
    REQUIRE(capture.chunks.size() == 2);
    CHECK(capture.chunks[0].at_ms == 20);
    CHECK(capture.chunks[1].at_ms == 50);
    CHECK(capture.total_bytes == bytes.size());
    CHECK(capture.outcome == "ended");
    CHECK_FALSE(capture.events.empty());
    CHECK(capture.events.back().event.data == "[DONE]");
    CHECK(log.last_reply() == &capture);
    // What the window shows is what the engine's own stream reader makes of the bytes.
    CHECK(logged_deltas(capture) == core_deltas(bytes));
}

TEST_CASE("stream_log: every recorded stream gives the engine's deltas whatever the chunk size")
{
    for (const auto& name : std::vector<std::string>{"deepseek-reasoner-reasoning-content", "groq-event-error-after-text",
                                                     "cerebras-no-done", "deepseek-tool-call"}) {
        const auto bytes = test::read_fixture(name + ".sse");
        REQUIRE_FALSE(bytes.empty());
        const auto expected = core_deltas(bytes);
        for (std::size_t chunk : {1u, 7u, 64u, 4096u}) {
            CAPTURE(name);
            CAPTURE(chunk);
            StreamLog log;
            StreamReplay replay(name, bytes, chunk, 0);
            CHECK(replay.advance(log, 0));
            REQUIRE(log.captures().size() == 1);
            CHECK(log.captures().front().chunks.size() == (bytes.size() + chunk - 1) / chunk);
            CHECK(logged_deltas(log.captures().front()) == expected);
            CHECK(log.last_reply() == nullptr);  // a replay is not a reply
        }
    }
}

TEST_CASE("stream_log: a replay at a pace feeds what is due by the clock")
{
    const std::string bytes(1000, ':');  // comments only: no events
    StreamLog log;
    StreamReplay replay("comments.sse", bytes, 100, 500);  // 500 bytes a second, 100 a piece
    CHECK_FALSE(replay.advance(log, 10'000));               // the first piece at once
    CHECK(replay.fed() == 100);
    CHECK_FALSE(replay.advance(log, 10'500));               // 250 due: rounded up to whole pieces
    CHECK(replay.fed() == 400);
    CHECK_FALSE(replay.advance(log, 11'000));
    CHECK(replay.fed() == 600);
    CHECK(replay.advance(log, 12'000));
    CHECK(replay.fed() == 1000);
    const auto& capture = log.captures().front();
    CHECK(capture.chunks.size() == 10);
    CHECK(capture.chunks.back().at_ms == 2000);
    CHECK(capture.outcome == "ended");
}

TEST_CASE("stream_log: a stream cut inside an event says so; a cancelled one is marked")
{
    StreamLog log;
    log.started(StartRequest{1, "u", {}, "{}", false}, 0);
    log.body(1, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {\"cho", 5);
    log.failed(1, "connection reset", 9);
    const auto& capture = log.captures().front();
    CHECK(capture.outcome == "failed: connection reset");
    CHECK(capture.reply().content == "Hi");
    REQUIRE_FALSE(capture.deltas.empty());
    CHECK(capture.deltas.back().delta.kind == StreamDelta::Kind::malformed);

    log.started(StartRequest{2, "u", {}, "{}", false}, 10);
    log.cancelled(2, 11);
    log.body(2, "data: late\n\n", 12);  // after the end: not shown
    CHECK(log.captures().back().outcome == "cancelled");
    CHECK(log.captures().back().chunks.empty());
}

TEST_CASE("stream_log: only the newest captures are kept")
{
    StreamLog log(3);
    for (std::uint64_t id = 1; id <= 5; ++id) log.started(StartRequest{id, "u", {}, "{}", id == 5}, std::int64_t(id));
    REQUIRE(log.captures().size() == 3);
    CHECK(log.captures().front().request == 3);
    CHECK(log.last_reply()->request == 4);  // 5 is a summary request
}
