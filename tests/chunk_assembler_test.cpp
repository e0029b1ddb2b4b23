// tests/chunk_assembler_test.cpp
// The recorded provider streams (tests/fixtures, see SOURCES.md) assembled at every chunk
// size, then each provider behaviour on its own.
#include <doctest/doctest.h>

#include "core/chunk_assembler.h"
#include "core/json_util.h"
#include "tests/test_util.h"

using confab::ChunkAssembler;
using confab::OpenAiStream;
using confab::StreamDelta;
using confab::test::append;
using Kind = confab::StreamDelta::Kind;

namespace {

struct Replayed {
    nlohmann::json message;        // the replay JSON
    std::string content_deltas;    // the content deltas joined: what a view would show
    std::string reasoning_deltas;
    std::vector<std::string> arguments_deltas;
};

Replayed replay(const std::vector<std::string_view>& pieces)
{
    OpenAiStream stream;
    std::vector<StreamDelta> deltas;
    for (auto piece : pieces) append(deltas, stream.feed(piece));
    append(deltas, stream.finish());
    Replayed out;
    out.message = stream.reply().to_replay_json();
    for (const auto& d : deltas) {
        if (d.kind == Kind::content) out.content_deltas += d.text;
        if (d.kind == Kind::reasoning) out.reasoning_deltas += d.text;
        if (d.kind == Kind::tool_call) {
            if (out.arguments_deltas.size() <= std::size_t(d.tool_index)) out.arguments_deltas.resize(std::size_t(d.tool_index) + 1);
            out.arguments_deltas[std::size_t(d.tool_index)] += d.text;
        }
    }
    return out;
}

Replayed replay_text(std::string_view text) { return replay({text}); }

std::string chunk(const std::string& delta_json, const std::string& extra = "")
{
    return "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":" + delta_json + "}]" + extra +
           "}\n\n";
}

} // namespace

TEST_CASE("chunk_assembler: every recorded stream assembles as the reference, at every chunk size")
{
    const auto names = confab::test::fixture_streams();
    REQUIRE(names.size() == 56);
    for (const auto& name : names) {
        CAPTURE(name);
        const auto bytes = confab::test::read_fixture(name + ".sse");
        const auto expected = confab::parse_json(confab::test::read_fixture(name + ".expected.json"));
        REQUIRE(!bytes.empty());
        REQUIRE(expected.is_object());

        const auto whole = replay({bytes});
        for (const char* key : {"content", "reasoning", "refusal", "tool_calls", "finish_reason", "usage", "errors"}) {
            CAPTURE(key);
            CHECK(whole.message[key] == expected[key]);
        }
        CHECK_FALSE(whole.message.contains("problems"));
        // What a view renders from the deltas is what the message holds.
        CHECK(whole.content_deltas == whole.message["content"]);
        CHECK(whole.reasoning_deltas == whole.message["reasoning"]);
        for (std::size_t i = 0; i < whole.message["tool_calls"].size(); ++i)
            CHECK(whole.arguments_deltas.at(std::size_t(whole.message["tool_calls"][i]["index"].get<int>())) ==
                  whole.message["tool_calls"][i]["function"]["arguments"]);

        for (std::size_t size = 1; size <= 64; ++size) {
            CAPTURE(size);
            REQUIRE(replay(confab::test::pieces_of(bytes, size)).message == whole.message);
        }
        for (std::uint32_t seed = 1; seed <= 16; ++seed) {
            CAPTURE(seed);
            REQUIRE(replay(confab::test::random_pieces(bytes, seed, 257)).message == whole.message);
        }
    }
}

TEST_CASE("chunk_assembler: only choice 0 is assembled; other choices never leak in")
{
    const auto got = replay_text(
        "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"one\"}},{\"index\":0,\"delta\":{\"content\":\"zero\"}}]}\n\n"
        "data: {\"choices\":[{\"index\":2,\"delta\":{\"content\":\"two\"},\"finish_reason\":\"stop\"}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"!\"}}]}\n\n");
    CHECK(got.message["content"] == "zero!");
    CHECK(got.message["finish_reason"].is_null());
}

TEST_CASE("chunk_assembler: content as typed parts: text to content, thinking to reasoning")
{
    const auto got = replay_text(chunk(R"({"content":[{"type":"thinking","thinking":[{"type":"text","text":"hmm"}]}]})") +
                                 chunk(R"({"content":[{"type":"text","text":"Hi"},{"type":"image_url"}]})"));
    CHECK(got.message["content"] == "Hi");
    CHECK(got.message["reasoning"] == "hmm");
}

TEST_CASE("chunk_assembler: <think> at the start of content moves to reasoning, split anywhere")
{
    const std::string text = "\n<think>\nLet me see.</think>\n\nThe answer is 4.";
    for (std::size_t i = 0; i <= text.size(); ++i)
        for (std::size_t j = i; j <= text.size(); ++j) {
            CAPTURE(i);
            CAPTURE(j);
            const auto a = nlohmann::json(text.substr(0, i)).dump();
            const auto b = nlohmann::json(text.substr(i, j - i)).dump();
            const auto c = nlohmann::json(text.substr(j)).dump();
            const auto got = replay_text(chunk("{\"content\":" + a + "}") + chunk("{\"content\":" + b + "}") +
                                         chunk("{\"content\":" + c + "}"));
            REQUIRE(got.message["reasoning"] == "\nLet me see.");
            REQUIRE(got.message["content"] == "The answer is 4.");
            REQUIRE(got.content_deltas == "The answer is 4.");
        }
}

TEST_CASE("chunk_assembler: <think> later in the text, or a lone '<', stays content")
{
    CHECK(replay_text(chunk(R"({"content":"Use <think> tags"})")).message["content"] == "Use <think> tags");
    CHECK(replay_text(chunk(R"({"content":"<"})")).message["content"] == "<");
    CHECK(replay_text(chunk(R"({"content":"<thi"})") + chunk(R"({"content":"s>"})")).message["content"] == "<this>");
    const auto unclosed = replay_text(chunk(R"({"content":"<think>still thinking</thi"})"));
    CHECK(unclosed.message["reasoning"] == "still thinking</thi");
    CHECK(unclosed.message["content"] == "");
}

TEST_CASE("chunk_assembler: refusal stays null until a non-empty fragment arrives")
{
    CHECK(replay_text(chunk(R"({"content":"x","refusal":""})")).message["refusal"].is_null());
    CHECK(replay_text(chunk(R"({"refusal":""})") + chunk(R"({"refusal":"I can't"})") + chunk(R"({"refusal":""})"))
              .message["refusal"] == "I can't");
}

TEST_CASE("chunk_assembler: tool calls merge by index; explicit nulls change nothing")
{
    const auto got = replay_text(
        chunk(R"({"tool_calls":[{"index":1,"id":"b","type":"function","function":{"name":"two","arguments":null}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"one","arguments":"{\"x\""}}]})") +
        chunk(R"({"tool_calls":[{"index":0,"id":null,"type":null,"function":{"name":null,"arguments":":1}"}}]})") +
        chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]})", R"(,"usage":null)"));
    const auto& calls = got.message["tool_calls"];
    REQUIRE(calls.size() == 2);
    CHECK(calls[0] == nlohmann::json::parse(R"({"index":0,"id":"a","type":"function","function":{"name":"one","arguments":"{\"x\":1}"}})"));
    CHECK(calls[1] == nlohmann::json::parse(R"({"index":1,"id":"b","type":"function","function":{"name":"two","arguments":"{}"}})"));
}

TEST_CASE("chunk_assembler: a tool call with no index takes its array position; a missing id stays null")
{
    const auto got = replay_text(chunk(R"({"tool_calls":[{"function":{"name":"f","arguments":"{}"}},{"function":{"name":"g"}}]})"));
    REQUIRE(got.message["tool_calls"].size() == 2);
    CHECK(got.message["tool_calls"][0]["id"].is_null());
    CHECK(got.message["tool_calls"][1]["function"]["name"] == "g");
    CHECK(got.message["tool_calls"][1]["type"] == "function");
}

TEST_CASE("chunk_assembler: the last non-null usage wins, wherever it comes")
{
    const auto got = replay_text(chunk(R"({"content":"a"})", R"(,"usage":{"prompt_tokens":1}})") +
                                 "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2}}\n\n" +
                                 "data: {\"choices\":[],\"usage\":null}\n\n" + "data: [DONE]\n\n");
    CHECK(got.message["usage"] == nlohmann::json{{"prompt_tokens", 2}});
}

TEST_CASE("chunk_assembler: integers beyond int64 are kept exactly")
{
    const auto got = replay_text(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"seed\":14687020407684524000,"
        "\"usage\":{\"prompt_tokens\":18446744073709551615,\"big\":123456789012345678901234567890}}\n\n");
    CHECK(got.message["usage"]["prompt_tokens"].get<std::uint64_t>() == 18446744073709551615ull);
    CHECK(got.message["usage"]["big"].is_number_float());
}

TEST_CASE("chunk_assembler: finish_reason in its own chunk, with content, or never; any string is kept")
{
    CHECK(replay_text(chunk(R"({"content":"<"})", "") +
                      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"eos_token\"}]}\n\n")
              .message["finish_reason"] == "eos_token");
    CHECK(replay_text("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<\"},\"finish_reason\":\"length\"}]}\n\n")
              .message == replay_text(chunk(R"({"content":"<"})") +
                                      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n")
                              .message);
    CHECK(replay_text(chunk(R"({"content":"x"})")).message["finish_reason"].is_null());
}

TEST_CASE("chunk_assembler: errors: event: error, an error member beside choices, an error alone")
{
    const auto got = replay_text(
        chunk(R"({"content":"partial"})") +
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":null}],\"error\":{\"code\":400,\"message\":\"Token limit\"}}\n\n"
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"
        "event: error\ndata: {\"message\":\"tool_use_failed\"}\n\n"
        "data: {\"choices\":[],\"error\":null}\n\n");
    REQUIRE(got.message["errors"].size() == 3);
    CHECK(got.message["errors"][0]["message"] == "Token limit");
    CHECK(got.message["errors"][1]["type"] == "server_error");
    CHECK(got.message["errors"][2] == nlohmann::json{{"message", "tool_use_failed"}});
    CHECK(got.message["content"] == "partial");

    OpenAiStream stream;
    const auto deltas = stream.feed("event: error\ndata: {\"error\":{\"message\":\"Rate limited\"}}\n\n");
    REQUIRE(deltas.size() == 1);
    CHECK(deltas[0].kind == Kind::error);
    CHECK(deltas[0].text == "Rate limited");
}

TEST_CASE("chunk_assembler: invalid JSON in one event is reported and the rest still assembles")
{
    const auto got = replay_text(chunk(R"({"content":"a"})") + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\n\n" +
                                 chunk(R"({"content":"c"})"));
    CHECK(got.message["content"] == "ac");
    CHECK(got.message["problems"] == nlohmann::json::array({"an event's data is not JSON"}));
}

TEST_CASE("chunk_assembler: a stream cut mid-event keeps what came before it")
{
    const auto got = replay_text(chunk(R"({"content":"kept"})") + "data: {\"choices\":[{\"index\":0,\"del");
    CHECK(got.message["content"] == "kept");
    CHECK(got.message["problems"] == nlohmann::json::array({"the stream ended in the middle of an event"}));
}

TEST_CASE("chunk_assembler: hostile input: not objects, wrong types, deep nesting")
{
    std::string deep(100'000, '[');
    const auto got = replay_text("data: 42\n\ndata: null\n\ndata: \"text\"\n\ndata: []\n\n"
                                 "data: {\"choices\":{\"index\":0}}\n\n"
                                 "data: {\"choices\":[7,null,{\"index\":\"0\",\"delta\":{\"content\":\"no\"}}]}\n\n"
                                 "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":5,\"tool_calls\":[1,{\"index\":-3},{\"index\":99999999999}]}}]}\n\n"
                                 "data: " + deep + "\n\n" + chunk(R"({"content":"ok"})"));
    CHECK(got.message["content"] == "ok");
    CHECK(got.message["tool_calls"].empty());
    CHECK(got.message["problems"] == nlohmann::json::array({"an event's data nests deeper than 128 levels"}));
}

TEST_CASE("chunk_assembler: a valid but deeply nested value is refused before anything recurses into it")
{
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    const auto got = replay_text(chunk(R"({"content":"a"})") + "data: {\"usage\":" + deep + "}\n\n" +
                                 "event: error\ndata: " + deep + "\n\n" + chunk(R"({"content":"b"})"));
    CHECK(got.message["content"] == "ab");
    CHECK(got.message["usage"].is_null());
    CHECK(got.message["problems"] == nlohmann::json::array({"an event's data nests deeper than 128 levels",
                                                            "an event's data nests deeper than 128 levels (event: error)"}));
}

TEST_CASE("chunk_assembler: invalid UTF-8 in content is kept as bytes and serialised safely")
{
    OpenAiStream stream;
    stream.feed(chunk(R"({"content":"ok"})"));
    CHECK(stream.reply().content == "ok");
    // nlohmann rejects invalid UTF-8 inside JSON strings, so such an event is malformed.
    stream.feed("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xFF\"}}]}\n\n");
    CHECK(stream.reply().problems.size() == 1);
}

TEST_CASE("chunk_assembler: a non-streamed completion assembles into the same reply")
{
    ChunkAssembler assembler;
    assembler.take_completion(nlohmann::json::parse(R"({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null, "reasoning_content": "think",
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}})"));
    assembler.finish();
    const auto& reply = assembler.reply();
    CHECK(reply.id == "chatcmpl-1");
    CHECK(reply.model == "gpt-4o");
    CHECK(reply.reasoning == "think");
    REQUIRE(reply.tool_calls.size() == 1);
    CHECK(reply.tool_calls[0].id == "call_1");
    CHECK(reply.finish_reason == "tool_calls");
    CHECK(reply.usage["total_tokens"] == 12);
    const auto message = reply.to_message();
    CHECK(message.role == confab::Role::assistant);
    CHECK_FALSE(message.content.has_value());
}

TEST_CASE("chunk_assembler: [DONE] is noted and is not an error")
{
    const auto got = replay_text(chunk(R"({"content":"a"})") + "data: [DONE]\n\n");
    CHECK(got.message["errors"].empty());
    OpenAiStream stream;
    stream.feed("data: [DONE]\n\n");
    CHECK(stream.reply().done);
}

TEST_CASE("chunk_assembler: a line over the limit ends the stream with a problem, keeping the text")
{
    OpenAiStream stream(confab::SseLimits{.max_line_bytes = 128, .max_event_bytes = 1024});
    stream.feed(chunk(R"({"content":"before"})"));
    const auto deltas = stream.feed("data: " + std::string(500, 'x'));
    REQUIRE(deltas.size() == 1);
    CHECK(deltas[0].kind == Kind::malformed);
    CHECK(stream.reply().content == "before");
    CHECK(stream.reply().problems == std::vector<std::string>{"an SSE line is longer than 128 bytes"});
}
