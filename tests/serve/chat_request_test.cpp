// tests/serve/chat_request_test.cpp
#include <doctest/doctest.h>

#include <string>

#include "native/serve/chat_request.h"

using confab::serve::ChatCall;
using confab::serve::check_chat_request;
using confab::serve::ModelTable;
using confab::serve::RelayError;
using confab::serve::RequestLimits;

namespace {

ModelTable table()
{
    std::string error;
    return *ModelTable::parse("chat=llama-3.3-70b,summary=qwen-3-32b,gpt-4o-mini", error);
}

ChatCall accepted(const std::string& body, const RequestLimits& limits = {})
{
    auto result = check_chat_request(body, limits, table());
    if (auto* error = std::get_if<RelayError>(&result)) FAIL("refused: " << error->message);
    return std::get<ChatCall>(result);
}

RelayError refused(const std::string& body, const RequestLimits& limits = {})
{
    auto result = check_chat_request(body, limits, table());
    REQUIRE(std::holds_alternative<RelayError>(result));
    return std::get<RelayError>(result);
}

} // namespace

TEST_CASE("chat_request: an alias is replaced by the upstream model, and the cap is added")
{
    const auto call = accepted(R"({"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]})");
    CHECK(call.requested_model == "chat");
    CHECK(call.model == "llama-3.3-70b");
    CHECK(call.body["model"] == "llama-3.3-70b");
    CHECK(call.stream);
    CHECK(call.body["max_tokens"] == 4096);
    REQUIRE(call.messages.size() == 1);
    CHECK(call.messages[0].content == "hi");
}

TEST_CASE("chat_request: a model not in the table is refused with the allowed list")
{
    const auto error = refused(R"({"model":"gpt-5-pro","messages":[{"role":"user","content":"hi"}]})");
    CHECK(error.status == 400);
    CHECK(error.code == "model_not_allowed");
    const auto body = error.body();
    CHECK(body["error"]["allowed_models"] == nlohmann::json({"chat", "summary", "gpt-4o-mini"}));
    CHECK(body["error"]["type"] == "invalid_request_error");
}

TEST_CASE("chat_request: no model means the first entry")
{
    CHECK(accepted(R"({"messages":[{"role":"user","content":"hi"}]})").model == "llama-3.3-70b");
}

TEST_CASE("chat_request: max_tokens above the cap is lowered, n is forced to 1, unknown members are dropped")
{
    RequestLimits limits;
    limits.max_tokens = 100;
    const auto call = accepted(R"({"model":"chat","max_completion_tokens":5000,"n":3,"store":true,"service_tier":"priority",
                                  "messages":[{"role":"user","content":"hi"}],"temperature":0.2})",
                               limits);
    CHECK(call.body["max_completion_tokens"] == 100);
    CHECK_FALSE(call.body.contains("max_tokens"));
    CHECK(call.body["n"] == 1);
    CHECK_FALSE(call.body.contains("store"));
    CHECK_FALSE(call.body.contains("service_tier"));
    CHECK(call.body["temperature"] == 0.2);
    CHECK(call.dropped == std::vector<std::string>{"service_tier", "store"});
}

TEST_CASE("chat_request: a small max_tokens is kept")
{
    CHECK(accepted(R"({"model":"chat","max_tokens":20,"messages":[{"role":"user","content":"hi"}]})").body["max_tokens"] == 20);
}

TEST_CASE("chat_request: bodies that are not JSON, not objects or too deep are refused with 400")
{
    CHECK(refused("not json").status == 400);
    CHECK(refused("[1,2]").status == 400);
    CHECK(refused(std::string(200, '[') + std::string(200, ']')).code == "invalid_json");
    CHECK(refused(std::string("{\"model\":\"chat\"}\0{", 18)).status == 400);
}

TEST_CASE("chat_request: size, message count and content length are limited")
{
    RequestLimits limits;
    limits.max_body_bytes = 100;
    CHECK(refused(R"({"model":"chat","messages":[{"role":"user","content":")" + std::string(100, 'x') + "\"}]}", limits)
              .status == 413);
    limits = {};
    limits.max_messages = 2;
    CHECK(refused(R"({"model":"chat","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]})",
                  limits)
              .code == "too_many_messages");
    limits = {};
    limits.max_content_chars = 3;
    CHECK(accepted(R"({"model":"chat","messages":[{"role":"user","content":"été"}]})", limits).messages.size() == 1);
    CHECK(refused(R"({"model":"chat","messages":[{"role":"user","content":"abcd"}]})", limits).status == 400);
    CHECK(refused(R"({"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"ab"},{"type":"text","text":"cd"}]}]})",
                  limits)
              .status == 400);
}

TEST_CASE("chat_request: messages must be well formed")
{
    CHECK(refused(R"({"model":"chat","messages":[]})").status == 400);
    CHECK(refused(R"({"model":"chat"})").status == 400);
    const auto robot = refused(R"({"model":"chat","messages":[{"role":"robot","content":"x"}]})");
    CHECK(robot.message == "messages[0] has an unknown role \"robot\"");
    CHECK(refused(R"({"model":"chat","messages":[{"role":"user","content":5}]})").status == 400);
    CHECK(refused(R"({"model":"chat","stream":"yes","messages":[{"role":"user","content":"x"}]})").status == 400);
    CHECK(refused(R"({"model":"chat","max_tokens":0,"messages":[{"role":"user","content":"x"}]})").status == 400);
    CHECK(refused(R"({"model":7,"messages":[{"role":"user","content":"x"}]})").status == 400);
}

TEST_CASE("chat_request: tools need valid names; tool calls and results are read")
{
    CHECK(refused(R"({"model":"chat","tools":[{"type":"function","function":{"name":"bad name"}}],"messages":[{"role":"user","content":"x"}]})")
              .status == 400);
    const auto call = accepted(R"({"model":"chat","tools":[{"type":"function","function":{"name":"get_time"}}],
        "messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"time?"},
                    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
                    {"role":"tool","tool_call_id":"c1","content":"12:00"}]})");
    REQUIRE(call.messages.size() == 4);
    CHECK(call.messages[0].role == confab::Role::system);
    CHECK_FALSE(call.messages[2].content.has_value());
    REQUIRE(call.messages[2].tool_calls.size() == 1);
    CHECK(call.messages[2].tool_calls[0].name == "get_time");
    CHECK(call.messages[3].tool_call_id == "c1");
}
