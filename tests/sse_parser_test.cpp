// tests/sse_parser_test.cpp
// WHATWG HTML 9.2.6 "Interpreting an event stream", rule by rule, fed in every split.
#include <doctest/doctest.h>

#include "core/sse_parser.h"
#include "tests/test_util.h"

using confab::SseEvent;
using confab::SseParser;
using confab::test::append;
using confab::test::for_each_split;

namespace {

std::vector<SseEvent> parse_pieces(const std::vector<std::string_view>& pieces, SseParser& parser)
{
    std::vector<SseEvent> events;
    for (auto piece : pieces) append(events, parser.feed(piece));
    append(events, parser.finish());
    return events;
}


SseEvent event(std::string data, std::string type = "message", std::string id = "")
{
    return SseEvent{std::move(type), std::move(data), std::move(id)};
}

// Every split of `text` must give exactly `expected`.
void check_every_split(std::string_view text, const std::vector<SseEvent>& expected)
{
    for_each_split(text, [&](const std::vector<std::string_view>& pieces) {
        SseParser parser;
        const auto events = parse_pieces(pieces, parser);
        REQUIRE(events == expected);
    });
}

} // namespace

TEST_CASE("sse_parser: LF, CR and CRLF all end lines, in every split")
{
    const std::vector<SseEvent> expected{event("A\nB"), event("C")};
    check_every_split("data: A\ndata: B\n\ndata: C\n\n", expected);
    check_every_split("data: A\rdata: B\r\rdata: C\r\r", expected);
    check_every_split("data: A\r\ndata: B\r\n\r\ndata: C\r\n\r\n", expected);
    check_every_split("data: A\r\ndata: B\n\rdata: C\r\n\n", expected);
}

TEST_CASE("sse_parser: a CRLF split across feeds ends one line, not two")
{
    for_each_split("data: A\r\ndata: B\r\n\r\n", [](const std::vector<std::string_view>& pieces) {
        SseParser parser;
        const auto events = parse_pieces(pieces, parser);
        REQUIRE(events.size() == 1);
        CHECK(events[0].data == "A\nB");
    });
}

TEST_CASE("sse_parser: comment lines are ignored")
{
    check_every_split(": OPENROUTER PROCESSING\n\n:\ndata: x\n: keep-alive\n\n", {event("x")});
}

TEST_CASE("sse_parser: one leading space after the colon is removed, and only one")
{
    check_every_split("data:x\n\ndata: x\n\ndata:  x\n\n", {event("x"), event("x"), event(" x")});
}

TEST_CASE("sse_parser: a line without a colon is a field with an empty value")
{
    // "data" alone appends an empty line to the data buffer.
    check_every_split("data\ndata\n\n", {event("\n")});
    check_every_split("data\n\n", {event("")});
}

TEST_CASE("sse_parser: event types apply to one event and reset after it")
{
    check_every_split("event: error\ndata: {}\n\ndata: next\n\n", {event("{}", "error"), event("next")});
}

TEST_CASE("sse_parser: a blank line without data dispatches nothing and resets the type")
{
    check_every_split("event: ping\n\ndata: x\n\n", {event("x")});
    check_every_split("\n\n\r\n\r\r", {});
}

TEST_CASE("sse_parser: id persists across events, and an id with NUL is ignored")
{
    using namespace std::string_literals;
    const std::string text = "id: 7\ndata: a\n\ndata: b\n\nid: 8\0x\ndata: c\n\nid\ndata: d\n\n"s;
    check_every_split(text, {event("a", "message", "7"), event("b", "message", "7"), event("c", "message", "7"),
                             event("d", "message", "")});
}

TEST_CASE("sse_parser: retry is kept only when it is all digits")
{
    SseParser parser;
    parser.feed("retry: 3000\n\n");
    CHECK(parser.retry_ms() == 3000);
    parser.feed("retry: 12x\n\nretry: -5\n\nretry:\n\n");
    CHECK(parser.retry_ms() == 3000);
}

TEST_CASE("sse_parser: unknown fields such as a bare error: line are ignored")
{
    check_every_split("error: {\"message\":\"boom\"}\n\ndata: x\n\n", {event("x")});
}

TEST_CASE("sse_parser: a leading byte order mark is skipped, split or not")
{
    check_every_split("\xEF\xBB\xBF" "data: x\n\n", {event("x")});
    // Only at the very start: later it is part of a field name, which is unknown.
    check_every_split("data: x\n\n\xEF\xBB\xBF" "data: y\n\n", {event("x")});
}

TEST_CASE("sse_parser: an event cut before its blank line is not dispatched, and that is reported")
{
    SseParser parser;
    auto events = parser.feed("data: whole\n\ndata: half");
    append(events, parser.finish());
    REQUIRE(events == std::vector<SseEvent>{event("whole")});
    CHECK(parser.truncated());

    SseParser clean;
    clean.feed("data: whole\n\n");
    clean.finish();
    CHECK_FALSE(clean.truncated());

    SseParser cut_after_line;
    cut_after_line.feed("data: whole\n");
    CHECK(cut_after_line.finish().empty());
    CHECK(cut_after_line.truncated());
}

TEST_CASE("sse_parser: multi-byte UTF-8 split anywhere comes out whole")
{
    const std::string text = "data: h\xC3\xA9llo \xF0\x9F\x98\x80 \xE4\xBD\xA0\xE5\xA5\xBD\n\n";
    check_every_split(text, {event("h\xC3\xA9llo \xF0\x9F\x98\x80 \xE4\xBD\xA0\xE5\xA5\xBD")});
}

TEST_CASE("sse_parser: NUL bytes and invalid UTF-8 pass through as bytes")
{
    const std::string data("a\0b\xFF\xC3", 5);
    check_every_split("data: " + data + "\n\n", {event(data)});
}

TEST_CASE("sse_parser: a line past the limit is an error, and nothing more is parsed")
{
    SseParser parser(confab::SseLimits{.max_line_bytes = 16, .max_event_bytes = 1024});
    CHECK(parser.feed("data: short\n\n").size() == 1);
    CHECK(parser.feed("data: 0123456789").empty());
    CHECK_FALSE(parser.error());
    CHECK(parser.feed("abcdef").empty());
    REQUIRE(parser.error());
    CHECK(parser.error()->message == "an SSE line is longer than 16 bytes");
    CHECK(parser.feed("\n\ndata: x\n\n").empty());
}

TEST_CASE("sse_parser: an event past the limit is an error")
{
    SseParser parser(confab::SseLimits{.max_line_bytes = 64, .max_event_bytes = 20});
    CHECK(parser.feed("data: 0123456789\ndata: 0123456789\n").empty());
    REQUIRE(parser.error());
    CHECK(parser.error()->message == "an SSE event is larger than 20 bytes");
}

TEST_CASE("sse_parser: a 100 MB data line is refused with bounded memory")
{
    SseParser parser;  // default limits: 1 MiB per line
    const std::string block(1 << 20, 'x');
    CHECK(parser.feed("data: ").empty());
    for (int i = 0; i < 100 && !parser.error(); ++i) CHECK(parser.feed(block).empty());
    REQUIRE(parser.error());
    CHECK(parser.error()->message == "an SSE line is longer than 1048576 bytes");
}

TEST_CASE("sse_parser: a million tiny events, fed whole and byte by byte")
{
    std::string stream;
    for (int i = 0; i < 1'000'000; ++i) stream += "data:x\n\n";
    SseParser whole;
    CHECK(whole.feed(stream).size() == 1'000'000);

    SseParser bytewise;
    std::size_t count = 0;
    for (char c : std::string_view(stream).substr(0, 80'000)) count += bytewise.feed(std::string_view(&c, 1)).size();
    CHECK(count == 10'000);
}
