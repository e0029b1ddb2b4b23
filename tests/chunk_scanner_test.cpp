// tests/chunk_scanner_test.cpp
// The fast scanner must read exactly what nlohmann's tree says, or decline.
#include <doctest/doctest.h>

#include "core/chunk_scanner.h"
#include "core/json_util.h"
#include "core/sse_parser.h"
#include "tests/test_util.h"

namespace {

// Scans `text`; if the scanner reads it, its fields must equal the tree reader's.
// Returns whether the scanner read it.
bool scanned_as_tree_reads(std::string_view text)
{
    confab::ChunkFields fast;
    const bool read = confab::scan_chunk(text, fast);
    const auto tree = confab::parse_json(text);
    if (read) {
        REQUIRE_FALSE(tree.is_discarded());
        REQUIRE(fast == confab::fields_from_json(tree));
    }
    return read;
}

} // namespace

TEST_CASE("chunk_scanner: reads every chunk of the recorded streams as the tree reader does")
{
    std::size_t events = 0;
    std::size_t scanned = 0;
    for (const auto& name : confab::test::fixture_streams()) {
        CAPTURE(name);
        confab::SseParser parser;
        for (const auto& event : parser.feed(confab::test::read_fixture(name + ".sse"))) {
            if (event.data == "[DONE]") continue;
            ++events;
            scanned += scanned_as_tree_reads(event.data);
        }
    }
    // Nearly every real chunk takes the fast path (Mistral's content parts and numbers with
    // exponents do not); if this falls, the benchmark will say so too.
    CHECK(events > 4000);
    CHECK(scanned * 100 >= events * 95);
}

TEST_CASE("chunk_scanner: escapes, surrogate pairs and UTF-8 decode as nlohmann decodes them")
{
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":0,"delta":{"content":"a\"b\\c\/d\b\f\n\r\t\u00e9\u4f60\ud83d\ude00"}}]})"));
    CHECK(scanned_as_tree_reads("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\xC3\xA9 \xE4\xBD\xA0 \xF0\x9F\x98\x80\"}}]}"));
    CHECK(scanned_as_tree_reads(R"({"ch\u006fices":[{"index":0,"delta":{"content":"escaped key"}}]})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":0,"delta":{"content":"nul \u0000 inside"}}]})"));
}

TEST_CASE("chunk_scanner: declines what is not valid JSON, so the tree reader reports it")
{
    for (const char* bad : {
             R"({"choices":[{"index":0,"delta":{"content":"\ud800"}}]})",     // lone high surrogate
             R"({"choices":[{"index":0,"delta":{"content":"\udc00"}}]})",     // lone low surrogate
             R"({"choices":[{"index":0,"delta":{"content":"\x"}}]})",         // unknown escape
             R"({"choices":[{"index":0,"delta":{"content":"a"}}]} trailing)",
             R"({"choices":[{"index":01}]})",
             R"({"choices":[{"index":0,}]})",
             R"({"choices":[1 2]})",
             R"({"a":tru})",
             R"({"a":-})",
             R"({"a":1.})",
             R"({"a":"unterminated)",
             "{\"a\":\"\x01\"}",                                  // raw control character
             "{\"a\":\"\xC0\xAF\"}",                              // overlong UTF-8
             "{\"a\":\"\xED\xA0\x80\"}",                          // a surrogate in UTF-8
             "{\"a\":\"\xF4\x90\x80\x80\"}",                      // past U+10FFFF
             "{\"a\":\"\xE4\xBD\"}",                              // truncated sequence
         }) {
        CAPTURE(bad);
        confab::ChunkFields fields;
        CHECK_FALSE(confab::scan_chunk(bad, fields));
        CHECK(confab::parse_json(bad).is_discarded());
    }
}

TEST_CASE("chunk_scanner: declines valid shapes it leaves to the tree reader")
{
    for (const char* rare : {
             R"({"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"parts"}]}}]})",
             R"({"usage":{"cost":1.5e-05}})",
             R"({"choices":[{"index":0,"finish_reason":7}]})",
             R"({"choices":[{"index":1234567890123456789012}]})",
             R"([1,2,3])",
             R"("text")",
         }) {
        CAPTURE(rare);
        confab::ChunkFields fields;
        CHECK_FALSE(confab::scan_chunk(rare, fields));
        CHECK_FALSE(confab::parse_json(rare).is_discarded());
    }
}

TEST_CASE("chunk_scanner: repeated members: the last one wins, as in a parsed tree")
{
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":0,"delta":{"content":"a","content":"b"}}],"choices":[{"index":0,"delta":{"content":"c"}}]})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":0,"delta":{"content":"a"},"delta":{"refusal":"r"}}]})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":0,"index":1,"delta":{"content":"a"}}]})"));
    CHECK(scanned_as_tree_reads(R"({"id":"x","id":"","model":"m","usage":{"a":1},"usage":null})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[{"delta":{"tool_calls":[{"index":2,"function":{"name":"f"},"function":{"arguments":"{}"}}]}}]})"));
}

TEST_CASE("chunk_scanner: wrong types are ignored the same way")
{
    CHECK(scanned_as_tree_reads(R"({"id":5,"model":null,"choices":{"index":0}})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[null,7,{"index":0,"delta":"text","finish_reason":null}]})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":0,"delta":{"content":5,"reasoning":true,"refusal":null,"tool_calls":{}}}]})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":0,"delta":{"tool_calls":[1,{"index":null,"id":3,"function":"f"},{"index":0.5}]}}]})"));
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":"0","delta":{"content":"not choice 0"}}]})") == false);
    CHECK(scanned_as_tree_reads(R"({"choices":[{"index":-0,"delta":{"content":"zero"}},{"index":0.0,"delta":{"content":"not"}}]})"));
    CHECK(scanned_as_tree_reads(R"({"error":{"message":"boom","code":429},"choices":[]})"));
}

TEST_CASE("chunk_scanner: deep nesting in a skipped member is left to the tree reader")
{
    const std::string deep = "{\"x\":" + std::string(100, '[') + std::string(100, ']') + ",\"choices\":[]}";
    confab::ChunkFields fields;
    CHECK_FALSE(confab::scan_chunk(deep, fields));
    CHECK_FALSE(confab::parse_json(deep).is_discarded());
    const std::string shallow = "{\"x\":" + std::string(40, '[') + std::string(40, ']') + ",\"choices\":[]}";
    CHECK(scanned_as_tree_reads(shallow));
}
