// tests/serve/demo_model_test.cpp
#include <doctest/doctest.h>

#include "core/chunk_assembler.h"
#include "core/json_schema.h"
#include "core/json_util.h"
#include "core/token_estimator.h"
#include "native/serve/demo_model.h"

using namespace confab::serve;
using nlohmann::json;

namespace {

confab::Message user(std::string text)
{
    confab::Message message;
    message.role = confab::Role::user;
    message.content = std::move(text);
    return message;
}

const json tools = json::parse(R"([
  {"type":"function","function":{"name":"get_time","description":"The time in a city",
    "parameters":{"type":"object","properties":{"city":{"type":"string"},"format":{"type":"string","enum":["24h","12h"]}},"required":["city"]}}},
  {"type":"function","function":{"name":"lookup_order","description":"An order's status",
    "parameters":{"type":"object","properties":{"order_id":{"type":"string","minLength":3},"include_items":{"type":"boolean"}},"required":["order_id"]}}}
])");

// Feeds the events through the core's own stream assembler, as the widget will.
confab::AssembledReply assemble(const std::vector<std::string>& events)
{
    confab::OpenAiStream stream;
    for (const auto& event : events) stream.feed(event);
    stream.finish();
    return stream.reply();
}

} // namespace

TEST_CASE("demo_model: a markdown answer that says it is a demo, with usage from the estimator")
{
    DemoRequest request{"confab-demo", {user("What can you do?")}, nullptr, nullptr};
    const auto reply = demo_reply(request);
    CHECK(reply.content.find("demo model") != std::string::npos);
    CHECK(reply.content.find("## ") != std::string::npos);      // headings
    CHECK(reply.content.find("\n- ") != std::string::npos);     // a list
    CHECK(reply.content.find("|---|") != std::string::npos);    // a table
    CHECK(reply.content.find("```sh") != std::string::npos);    // a code block
    CHECK(reply.reasoning.empty());
    CHECK(reply.finish_reason == "stop");
    const confab::TokenEstimator estimator;
    CHECK(reply.usage["prompt_tokens"] == estimator.estimate_messages(request.messages));
    CHECK(reply.usage["completion_tokens"] == confab::TokenEstimator::estimate_text(reply.content));
    CHECK(demo_reply(request).content == reply.content);  // deterministic
    CHECK(demo_reply(request).id == reply.id);
}

TEST_CASE("demo_model: the stream assembles to the same reply, and the reasoner thinks first")
{
    DemoRequest request{"confab-demo-reasoner", {user("Hello")}, nullptr, nullptr};
    const auto reply = demo_reply(request);
    CHECK_FALSE(reply.reasoning.empty());
    const auto events = demo_events(reply, request.model, 1700000000);
    CHECK(events.size() > 20);
    CHECK(events.back() == "data: [DONE]\n\n");
    CHECK(events[1].find("reasoning_content") != std::string::npos);
    const auto assembled = assemble(events);
    CHECK(assembled.reasoning == reply.reasoning);
    CHECK(assembled.content == reply.content);
    CHECK(assembled.finish_reason == "stop");
    CHECK(assembled.usage == reply.usage);
    CHECK(assembled.problems.empty());
}

TEST_CASE("demo_model: naming a tool gets a call with arguments valid for its schema")
{
    DemoRequest request{"confab-demo", {user("Please use get_time for Paris in 12h")}, tools, nullptr};
    const auto reply = demo_reply(request);
    REQUIRE(reply.tool_calls.size() == 1);
    CHECK(reply.finish_reason == "tool_calls");
    CHECK(reply.tool_calls[0].name == "get_time");
    CHECK(reply.tool_calls[0].id == "call_demo_1_1");
    const auto arguments = json::parse(reply.tool_calls[0].arguments);
    CHECK(arguments == json({{"city", "Paris"}}));  // only the required property
    const auto assembled = assemble(demo_events(reply, request.model, 0));
    REQUIRE(assembled.tool_calls.size() == 1);
    CHECK(assembled.tool_calls[0].arguments == reply.tool_calls[0].arguments);
    CHECK(assembled.finish_reason == "tool_calls");
}

TEST_CASE("demo_model: two tools named are called in the order named; an id-like field takes the word with digits")
{
    DemoRequest request{"confab-demo", {user("lookup order A-1042 and then get time in Oslo")}, tools, nullptr};
    const auto reply = demo_reply(request);
    REQUIRE(reply.tool_calls.size() == 2);
    CHECK(reply.tool_calls[0].name == "lookup_order");
    CHECK(json::parse(reply.tool_calls[0].arguments) == json({{"order_id", "A-1042"}}));
    CHECK(reply.tool_calls[1].name == "get_time");
    CHECK(json::parse(reply.tool_calls[1].arguments)["city"] == "Oslo");
}

TEST_CASE("demo_model: tool_choice none and no tool named give a plain answer; required calls the first tool")
{
    DemoRequest request{"confab-demo", {user("use get_time")}, tools, "none"};
    CHECK(demo_reply(request).tool_calls.empty());
    request = {"confab-demo", {user("hello")}, tools, nullptr};
    CHECK(demo_reply(request).tool_calls.empty());
    request = {"confab-demo", {user("hello")}, tools, "required"};
    REQUIRE(demo_reply(request).tool_calls.size() == 1);
    CHECK(demo_reply(request).tool_calls[0].name == "get_time");
}

TEST_CASE("demo_model: tool results are shown and used")
{
    confab::Message call;
    call.role = confab::Role::assistant;
    confab::ToolCall tool_call;
    tool_call.id = "call_demo_1_1";
    tool_call.name = "lookup_order";
    tool_call.arguments = R"({"order_id":"A-1042"})";
    call.tool_calls.push_back(tool_call);
    confab::Message result;
    result.role = confab::Role::tool;
    result.tool_call_id = "call_demo_1_1";
    result.content = R"({"status":"shipped","eta":"2025-06-01"})";
    DemoRequest request{"confab-demo", {user("lookup_order A-1042"), call, result}, tools, nullptr};
    const auto reply = demo_reply(request);
    CHECK(reply.tool_calls.empty());
    CHECK(reply.content.find("`lookup_order`") != std::string::npos);
    CHECK(reply.content.find("shipped") != std::string::npos);
    CHECK(reply.content.find("| status | shipped |") != std::string::npos);
}

TEST_CASE("demo_model: arguments for schemas of every shape validate against them")
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"type":"object","properties":{"n":{"type":"integer","minimum":5,"maximum":9}},"required":["n"]})", "give me 42"},
        {R"({"type":"object","properties":{"n":{"type":"number"}},"required":["n"]})", "about 2.5 please"},
        {R"({"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"},"minItems":2}},"required":["tags"]})", "x"},
        {R"({"type":"object","properties":{"when":{"type":"string","format":"date-time"},"code":{"type":"string","maxLength":2}},"required":["when","code"]})", "code 12345"},
        {R"({"type":"object","$defs":{"unit":{"enum":["c","f"]}},"properties":{"unit":{"$ref":"#/$defs/unit"}},"required":["unit"]})", "in f please"},
        {R"({"type":"object","properties":{"a":{"anyOf":[{"type":"integer"},{"type":"null"}]},"b":{"type":["string","null"]}},"required":["a","b"]})", "x"},
        {R"({"type":"object","properties":{"inner":{"type":"object","properties":{"flag":{"type":"boolean"}},"required":["flag"]}},"required":["inner"]})", "x"},
        {R"({"type":"object","properties":{"k":{"const":"fixed"}},"required":["k"]})", "x"},
        {R"({"type":"object"})", "x"},
    };
    for (const auto& [schema_text, text] : cases) {
        CAPTURE(schema_text);
        const auto schema = json::parse(schema_text);
        const auto compiled = confab::JsonSchema::compile(schema);
        REQUIRE(compiled.schema);
        const auto arguments = demo_arguments(schema, text);
        CAPTURE(arguments.dump());
        CHECK(compiled.schema->validate(arguments).valid());
    }
    CHECK(demo_arguments(json::parse(R"({"type":"object","properties":{"n":{"type":"integer","minimum":5,"maximum":9}},"required":["n"]})"),
                         "give me 42")["n"] == 9);
    CHECK(demo_arguments(json::parse(R"({"type":"object","properties":{"x":{"$ref":"#/nowhere"}},"required":["x"]})"), "x").is_object());
    CHECK(demo_arguments(json::parse(R"({"type":"object","properties":{"x":{"$ref":"#bad"}},"required":["x"]})"), "x").is_object());
}

TEST_CASE("demo_model: a non-streamed completion carries the same reply")
{
    DemoRequest request{"confab-demo", {user("hi")}, nullptr, nullptr};
    const auto reply = demo_reply(request);
    const auto completion = demo_completion(reply, request.model, 5);
    confab::ChunkAssembler assembler;
    assembler.take_completion(completion);
    CHECK(assembler.reply().content == reply.content);
    CHECK(completion["object"] == "chat.completion");
    CHECK(completion["usage"] == reply.usage);
}

TEST_CASE("demo_model: the demo page's own tools get arguments their code accepts")
{
    // As web/demo.js defines them: get_time takes an IANA zone, lookup_order an NW-1234 number.
    const json page_tools = json::parse(R"([
      {"type":"function","function":{"name":"get_time","parameters":{"type":"object",
        "properties":{"timezone":{"type":"string"}},"required":["timezone"],"additionalProperties":false}}},
      {"type":"function","function":{"name":"lookup_order","parameters":{"type":"object",
        "properties":{"order_id":{"type":"string","pattern":"^NW-[0-9]{4}$"}},"required":["order_id"],"additionalProperties":false}}}
    ])");
    auto arguments_for = [&](std::string text) {
        const auto reply = demo_reply({"confab-demo", {user(std::move(text))}, page_tools, nullptr});
        REQUIRE(reply.tool_calls.size() == 1);
        return json::parse(reply.tool_calls[0].arguments);
    };
    CHECK(arguments_for("What time is it in Tokyo? Use get_time")["timezone"] == "Asia/Tokyo");
    CHECK(arguments_for("get_time for America/Chicago please")["timezone"] == "America/Chicago");
    CHECK(arguments_for("use get time")["timezone"] == "UTC");
    CHECK(arguments_for("Where is my order NW-1001? lookup_order")["order_id"] == "NW-1001");
}
