// The request body as it goes on the wire, and every request refused before it is sent.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/json_util.h"
#include "core/request_builder.h"
#include "tests/test_util.h"

using confab::test::text_message;
using nlohmann::json;

namespace {

confab::ToolCall call(std::string id, std::string name, std::string arguments)
{
    confab::ToolCall tool_call;
    tool_call.id = std::move(id);
    tool_call.name = std::move(name);
    tool_call.arguments = std::move(arguments);
    return tool_call;
}

confab::Message assistant_calling(std::vector<confab::ToolCall> calls)
{
    confab::Message message;
    message.role = confab::Role::assistant;
    message.tool_calls = std::move(calls);
    return message;
}

confab::Message tool_result(std::string call_id, std::string text)
{
    confab::Message message = text_message(confab::Role::tool, std::move(text));
    message.tool_call_id = std::move(call_id);
    message.name = "get_weather";  // Confab keeps it; the wire has no place for it
    return message;
}

confab::ChatRequest basic_request()
{
    confab::ChatRequest request;
    request.model = "gpt-4o-mini";
    request.messages = {text_message(confab::Role::user, "Hi")};
    return request;
}

confab::ToolSpec weather_tool()
{
    return {"get_weather", "Current weather for a city",
            {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}},
            std::nullopt};
}

std::string error_of(const confab::ChatRequest& request)
{
    const auto built = confab::build_request(request);
    CHECK(built.body.is_null());
    return built.error.value_or("(no error)");
}

} // namespace

TEST_CASE("request_builder: a minimal request sends model, messages and stream, and nothing unset")
{
    const auto built = confab::build_request(basic_request());
    REQUIRE_FALSE(built.error);
    CHECK(built.body == json{{"model", "gpt-4o-mini"},
                             {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                             {"stream", false}});
}

TEST_CASE("request_builder: system and user messages carry role, content and an optional name")
{
    confab::Message system = text_message(confab::Role::system, "Be brief.");
    confab::Message user = text_message(confab::Role::user, "Hello");
    user.name = "alice";
    CHECK(confab::wire_message(system) == json{{"role", "system"}, {"content", "Be brief."}});
    CHECK(confab::wire_message(user) == json{{"role", "user"}, {"content", "Hello"}, {"name", "alice"}});

    confab::Message empty;
    empty.role = confab::Role::user;
    CHECK(confab::wire_message(empty) == json{{"role", "user"}, {"content", ""}});
}

TEST_CASE("request_builder: an assistant message never sends Confab's own fields")
{
    confab::Message message = text_message(confab::Role::assistant, "It is sunny.");
    message.id = "m7";
    message.reasoning = "The user wants the weather...";
    message.refusal = "";
    message.created_ms = 1700000000000;
    message.model = "gpt-4o-mini-2024-07-18";
    message.finish_reason = "stop";
    message.usage = {{"prompt_tokens", 12}, {"completion_tokens", 5}};
    message.incomplete = true;
    message.incomplete_reason = "stopped";
    message.pinned = true;
    message.extra = {{"rating", 5}};
    CHECK(confab::wire_message(message) == json{{"role", "assistant"}, {"content", "It is sunny."}});
}

TEST_CASE("request_builder: an assistant's tool calls go with null content when it wrote no text")
{
    confab::Message message = assistant_calling({call("call_1", "get_weather", R"({"city":"Paris"})"),
                                                 call("call_2", "get_time", R"({"tz":"Europe/Paris"})")});
    message.reasoning = "Two lookups.";
    CHECK(confab::wire_message(message) == json::parse(R"({
        "role": "assistant", "content": null,
        "tool_calls": [
          {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
          {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{\"tz\":\"Europe/Paris\"}"}}
        ]})"));

    message.content = "";
    CHECK(confab::wire_message(message)["content"].is_null());
    message.content = "Let me check.";
    CHECK(confab::wire_message(message)["content"] == "Let me check.");
}

TEST_CASE("request_builder: arguments are sent exactly as the model wrote them, and \"\" as \"{}\"")
{
    const auto invalid = confab::wire_message(assistant_calling({call("call_1", "f", R"({"a": 1,)")}));
    CHECK(invalid["tool_calls"][0]["function"]["arguments"] == R"({"a": 1,)");
    const auto empty = confab::wire_message(assistant_calling({call("call_1", "list_files", "")}));
    CHECK(empty["tool_calls"][0]["function"]["arguments"] == "{}");
}

TEST_CASE("request_builder: a tool result carries its call id and content, not the tool's name")
{
    CHECK(confab::wire_message(tool_result("call_1", R"({"temp_c":21})"))
          == json{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", R"({"temp_c":21})"}});
}

TEST_CASE("request_builder: a whole tool round is accepted and sent in order")
{
    confab::ChatRequest request = basic_request();
    request.tools = {weather_tool()};
    request.messages = {
        text_message(confab::Role::system, "You are a weather bot."),
        text_message(confab::Role::user, "Weather in Paris and Rome?"),
        assistant_calling({call("call_1", "get_weather", R"({"city":"Paris"})"),
                           call("call_2", "get_weather", R"({"city":"Rome"})")}),
        tool_result("call_2", "25C"),
        tool_result("call_1", "21C"),
        text_message(confab::Role::assistant, "Paris 21C, Rome 25C."),
        text_message(confab::Role::user, "Thanks"),
    };
    const auto built = confab::build_request(request);
    REQUIRE_FALSE(built.error);
    REQUIRE(built.body["messages"].size() == 7);
    for (std::size_t i = 0; i < 7; ++i) CHECK(built.body["messages"][i] == confab::wire_message(request.messages[i]));
}

TEST_CASE("request_builder: usage is asked for only when streaming")
{
    confab::ChatRequest request = basic_request();
    request.include_usage = true;
    CHECK_FALSE(confab::build_request(request).body.contains("stream_options"));

    request.stream = true;
    const auto body = confab::build_request(request).body;
    CHECK(body["stream"] == true);
    CHECK(body["stream_options"] == json{{"include_usage", true}});

    request.include_usage = false;
    CHECK_FALSE(confab::build_request(request).body.contains("stream_options"));
}

TEST_CASE("request_builder: tools are function definitions, with description, parameters and strict only when set")
{
    confab::ChatRequest request = basic_request();
    confab::ToolSpec strict_tool = weather_tool();
    strict_tool.strict = true;
    request.tools = {strict_tool, {"ping", "", nullptr, std::nullopt}};
    const auto body = confab::build_request(request).body;
    CHECK(body["tools"] == json::parse(R"([
        {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
          "strict": true}},
        {"type": "function", "function": {"name": "ping"}}
      ])"));
    CHECK_FALSE(body.contains("tool_choice"));
}

TEST_CASE("request_builder: a tool definition reads the same written flat or in the wire shape")
{
    const json flat = json::parse(R"({"name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, "strict": true})");
    const confab::ToolSpec tool = confab::tool_spec_from_json(flat);
    CHECK(tool.name == "get_weather");
    CHECK(tool.description == "Current weather for a city");
    CHECK(tool.parameters == flat["parameters"]);
    CHECK(tool.strict == true);
    // What build_request sends reads back as itself.
    confab::ChatRequest request = basic_request();
    request.tools = {tool};
    const json wire = confab::build_request(request).body["tools"][0];
    const confab::ToolSpec again = confab::tool_spec_from_json(wire);
    CHECK(again.name == tool.name);
    CHECK(again.description == tool.description);
    CHECK(again.parameters == tool.parameters);
    CHECK(again.strict == tool.strict);
    // Members missing or of another type are left empty, for ToolRegistry::add to judge.
    const confab::ToolSpec odd = confab::tool_spec_from_json(json::parse(R"({"name": 7, "strict": "yes", "function": "x"})"));
    CHECK(odd.name.empty());
    CHECK(odd.description.empty());
    CHECK(odd.parameters.is_null());
    CHECK_FALSE(odd.strict);
    CHECK(confab::tool_spec_from_json(json::array()).name.empty());
}

TEST_CASE("request_builder: tool_choice is a word or a named function")
{
    using Mode = confab::ToolChoice::Mode;
    confab::ChatRequest request = basic_request();
    request.tools = {weather_tool()};
    request.tool_choice = confab::ToolChoice{Mode::automatic, ""};
    CHECK(confab::build_request(request).body["tool_choice"] == "auto");
    request.tool_choice = confab::ToolChoice{Mode::none, ""};
    CHECK(confab::build_request(request).body["tool_choice"] == "none");
    request.tool_choice = confab::ToolChoice{Mode::required, ""};
    CHECK(confab::build_request(request).body["tool_choice"] == "required");
    request.tool_choice = confab::ToolChoice{Mode::function, "get_weather"};
    CHECK(confab::build_request(request).body["tool_choice"]
          == json{{"type", "function"}, {"function", {{"name", "get_weather"}}}});
}

TEST_CASE("request_builder: without tools, tool_choice auto or none is left out, since it changes nothing")
{
    confab::ChatRequest request = basic_request();
    request.tool_choice = confab::ToolChoice{confab::ToolChoice::Mode::none, ""};
    const auto built = confab::build_request(request);
    REQUIRE_FALSE(built.error);
    CHECK_FALSE(built.body.contains("tool_choice"));
    CHECK_FALSE(built.body.contains("tools"));
}

TEST_CASE("request_builder: response_format for text, JSON mode and a JSON schema")
{
    using Type = confab::ResponseFormat::Type;
    confab::ChatRequest request = basic_request();
    request.response_format = confab::ResponseFormat{Type::text, "", "", nullptr, std::nullopt};
    CHECK(confab::build_request(request).body["response_format"] == json{{"type", "text"}});

    request.response_format = confab::ResponseFormat{Type::json_object, "", "", nullptr, std::nullopt};
    CHECK(confab::build_request(request).body["response_format"] == json{{"type", "json_object"}});

    const json schema = json::parse(R"({"type": "object", "properties": {"answer": {"type": "string"}},
                                        "required": ["answer"], "additionalProperties": false})");
    request.response_format = confab::ResponseFormat{Type::json_schema, "final_answer", "", schema, std::nullopt};
    CHECK(confab::build_request(request).body["response_format"]
          == json{{"type", "json_schema"}, {"json_schema", {{"name", "final_answer"}, {"schema", schema}}}});

    request.response_format = confab::ResponseFormat{Type::json_schema, "final_answer", "The reply", schema, true};
    CHECK(confab::build_request(request).body["response_format"]
          == json{{"type", "json_schema"},
                  {"json_schema", {{"name", "final_answer"}, {"description", "The reply"}, {"schema", schema}, {"strict", true}}}});
}

TEST_CASE("request_builder: the output limit goes under whichever name the provider accepts")
{
    confab::ChatRequest request = basic_request();
    request.max_tokens = 256;
    auto body = confab::build_request(request).body;
    CHECK(body["max_tokens"] == 256);
    CHECK_FALSE(body.contains("max_completion_tokens"));

    request.max_tokens_field = confab::MaxTokensField::max_completion_tokens;
    body = confab::build_request(request).body;
    CHECK(body["max_completion_tokens"] == 256);
    CHECK_FALSE(body.contains("max_tokens"));
}

TEST_CASE("request_builder: sampling settings, stop, seed and user are sent when set")
{
    confab::ChatRequest request = basic_request();
    request.temperature = 0.7;
    request.top_p = 0.9;
    request.stop = {"\n\n", "END"};
    request.seed = 42;
    request.user = "visitor-8f3a";
    const auto body = confab::build_request(request).body;
    CHECK(body["temperature"] == 0.7);
    CHECK(body["top_p"] == 0.9);
    CHECK(body["stop"] == json{"\n\n", "END"});
    CHECK(body["seed"] == 42);
    CHECK(body["user"] == "visitor-8f3a");
    CHECK(confab::dump_safely(body).find("0.7") != std::string::npos);
}

TEST_CASE("request_builder: extra body fields merge last, deep, and null removes a field")
{
    confab::ChatRequest request = basic_request();
    request.stream = true;
    request.include_usage = true;
    request.temperature = 0.5;
    request.extra_body = json::parse(R"({
        "top_k": 40,
        "stream_options": {"continuous_usage_stats": true},
        "temperature": null,
        "chat_template_kwargs": {"enable_thinking": false}})");
    const auto body = confab::build_request(request).body;
    CHECK(body["top_k"] == 40);
    CHECK(body["stream_options"] == json{{"include_usage", true}, {"continuous_usage_stats", true}});
    CHECK_FALSE(body.contains("temperature"));
    CHECK(body["chat_template_kwargs"] == json{{"enable_thinking", false}});
}

TEST_CASE("request_builder: invalid UTF-8 in a message is built and serialises with U+FFFD")
{
    confab::ChatRequest request = basic_request();
    request.messages[0].content = std::string("caf\xC3", 4);
    const auto built = confab::build_request(request);
    REQUIRE_FALSE(built.error);
    CHECK(confab::dump_safely(built.body).find("caf\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("request_builder: settings a provider would reject are refused with a clear reason")
{
    confab::ChatRequest request = basic_request();
    request.model = "";
    CHECK(error_of(request) == "model is empty");

    request = basic_request();
    request.messages.clear();
    CHECK(error_of(request) == "messages is empty");

    request = basic_request();
    request.temperature = 2.5;
    CHECK(error_of(request) == "temperature 2.5 is outside [0, 2]");
    request.temperature = -0.1;
    CHECK(error_of(request) == "temperature -0.1 is outside [0, 2]");
    request.temperature = std::numeric_limits<double>::quiet_NaN();
    CHECK(error_of(request) == "temperature nan is outside [0, 2]");
    request.temperature = 0.0;
    CHECK_FALSE(confab::build_request(request).error);
    request.temperature = 2.0;
    CHECK_FALSE(confab::build_request(request).error);

    request = basic_request();
    request.top_p = 1.5;
    CHECK(error_of(request) == "top_p 1.5 is outside [0, 1]");

    request = basic_request();
    request.max_tokens = 0;
    CHECK(error_of(request) == "max_tokens 0 is less than 1");
    request.max_tokens_field = confab::MaxTokensField::max_completion_tokens;
    request.max_tokens = -2815;
    CHECK(error_of(request) == "max_completion_tokens -2815 is less than 1");

    request = basic_request();
    request.extra_body = json::array({1});
    CHECK(error_of(request) == "extra_body is not a JSON object");
}

TEST_CASE("request_builder: tool names must match ^[a-zA-Z0-9_-]{1,64}$")
{
    confab::ChatRequest request = basic_request();
    request.tools = {{"get weather", "", nullptr, std::nullopt}};
    CHECK(error_of(request) == R"(tool name "get weather" does not match ^[a-zA-Z0-9_-]{1,64}$)");
    request.tools = {{"", "", nullptr, std::nullopt}};
    CHECK(error_of(request) == R"(tool name "" does not match ^[a-zA-Z0-9_-]{1,64}$)");
    request.tools = {{"ns.tool", "", nullptr, std::nullopt}};
    CHECK(error_of(request) == R"(tool name "ns.tool" does not match ^[a-zA-Z0-9_-]{1,64}$)");
    request.tools = {{std::string(65, 'a'), "", nullptr, std::nullopt}};
    CHECK(error_of(request) == "tool name \"" + std::string(65, 'a') + "\" does not match ^[a-zA-Z0-9_-]{1,64}$");
    request.tools = {{std::string(64, 'a'), "", nullptr, std::nullopt}, {"Get_Weather-2", "", nullptr, std::nullopt}};
    CHECK_FALSE(confab::build_request(request).error);

    request.tools = {{"get_weather", "", json::array(), std::nullopt}};
    CHECK(error_of(request) == R"(tool "get_weather": parameters is not a JSON object)");
}

TEST_CASE("request_builder: tool_choice must name a declared tool, and required needs tools")
{
    confab::ChatRequest request = basic_request();
    request.tool_choice = confab::ToolChoice{confab::ToolChoice::Mode::required, ""};
    CHECK(error_of(request) == R"(tool_choice "required" without tools)");

    request.tools = {weather_tool()};
    request.tool_choice = confab::ToolChoice{confab::ToolChoice::Mode::function, "get_time"};
    CHECK(error_of(request) == R"(tool_choice names "get_time", which is not in tools)");
}

TEST_CASE("request_builder: a JSON schema response format needs a valid name and an object schema")
{
    using Type = confab::ResponseFormat::Type;
    confab::ChatRequest request = basic_request();
    request.response_format = confab::ResponseFormat{Type::json_schema, "final answer", "", json::object(), std::nullopt};
    CHECK(error_of(request) == R"(response_format name "final answer" does not match ^[a-zA-Z0-9_-]{1,64}$)");
    request.response_format = confab::ResponseFormat{Type::json_schema, "final_answer", "", nullptr, std::nullopt};
    CHECK(error_of(request) == "response_format schema is not a JSON object");
}

TEST_CASE("request_builder: an assistant tool call needs an id and a name")
{
    confab::ChatRequest request = basic_request();
    confab::ToolCall no_id = call("", "get_weather", "{}");
    no_id.id.reset();
    request.messages = {text_message(confab::Role::user, "Weather?"), assistant_calling({no_id})};
    CHECK(error_of(request) == "message 1 (assistant): tool call 0 has no id");

    request.messages[1] = assistant_calling({call("call_1", "get_weather", "{}"), call("", "get_weather", "{}")});
    CHECK(error_of(request) == "message 1 (assistant): tool call 1 has no id");

    request.messages[1] = assistant_calling({call("call_1", "", "{}")});
    CHECK(error_of(request) == "message 1 (assistant): tool call 0 has no name");
}

TEST_CASE("request_builder: a tool result must answer a call of the assistant message right before it")
{
    confab::ChatRequest request = basic_request();
    request.messages = {text_message(confab::Role::user, "Weather?"),
                        assistant_calling({call("call_1", "get_weather", "{}")}),
                        tool_result("call_9", "21C")};
    CHECK(error_of(request) == R"(message 2 (tool): tool_call_id "call_9" answers no tool call of the assistant message before it)");

    request.messages = {text_message(confab::Role::user, "Weather?"), tool_result("call_1", "21C")};
    CHECK(error_of(request) == R"(message 1 (tool): tool_call_id "call_1" answers no tool call of the assistant message before it)");

    // The answer exists, but a user message separates it from the call.
    request.messages = {text_message(confab::Role::user, "Weather?"),
                        assistant_calling({call("call_1", "get_weather", "{}")}),
                        text_message(confab::Role::user, "Hurry"),
                        tool_result("call_1", "21C")};
    CHECK(error_of(request) == R"(message 1 (assistant): tool call "call_1" has no tool result)");
}

TEST_CASE("request_builder: every tool call needs its result before the conversation goes on")
{
    confab::ChatRequest request = basic_request();
    request.messages = {text_message(confab::Role::user, "Paris and Rome?"),
                        assistant_calling({call("call_1", "get_weather", "{}"), call("call_2", "get_weather", "{}")}),
                        tool_result("call_1", "21C"),
                        text_message(confab::Role::user, "And?")};
    CHECK(error_of(request) == R"(message 1 (assistant): tool call "call_2" has no tool result)");

    request.messages.pop_back();
    CHECK(error_of(request) == R"(message 1 (assistant): tool call "call_2" has no tool result)");

    request.messages.push_back(tool_result("call_2", "25C"));
    CHECK_FALSE(confab::build_request(request).error);
}

TEST_CASE("request_builder: RequestWriter writes what dump_safely writes, byte for byte, as the conversation changes")
{
    confab::RequestWriter writer;
    confab::ChatRequest request;
    request.model = "gpt-test";
    request.stream = true;
    request.include_usage = true;
    request.max_tokens = 100;  // "max_tokens" sorts before "messages", "model" after
    request.messages = {text_message(confab::Role::system, "Be brief."), text_message(confab::Role::user, "Hi \xff there")};
    const auto same = [&](const char* step) {
        CAPTURE(step);
        const auto built = confab::build_request(request);
        REQUIRE_FALSE(built.error);
        CHECK(writer.write(built.body) == confab::dump_safely(built.body));
    };
    same("first");
    same("unchanged");
    request.messages.push_back(text_message(confab::Role::assistant, "Hello! How can I help?"));
    request.messages.push_back(text_message(confab::Role::user, "Tell me more."));
    same("grown");
    request.messages.erase(request.messages.begin() + 1);  // trimmed: every later element moves
    same("trimmed");
    request.messages[1].content = std::string("Edited");
    same("edited");
    request.extra_body = json{{"aaa", 1}, {"zzz", {{"k", "v"}}}};
    same("members on both sides");
    request.messages.clear();
    request.messages.push_back(text_message(confab::Role::user, "Only this."));
    same("shorter");
    CHECK(writer.write(json::array({1, 2})) == "[1,2]");
    CHECK(writer.write(json{{"messages", "not an array"}}) == R"({"messages":"not an array"})");
}

