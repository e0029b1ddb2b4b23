// tests/desktop/tools_view_test.cpp
#include <doctest/doctest.h>

#include "native/desktop/tools_view.h"

using namespace confab;
using namespace confab::desktop;

namespace {

const char* tools_file = R"([
  {"name": "get_time", "description": "Time in a city",
   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
   "answer": "{\"time\":\"12:00\"}"},
  {"name": "shell", "command": "cat"},
  {"name": "ask_me"},
  {"name": "forced", "command": "true", "mode": "manual"}
])";

// The tools file registered, and shown.
void load_into(ToolRegistry& registry, ToolsView& view)
{
    const auto load = load_tools(tools_file);
    for (const auto& tool : load.tools) REQUIRE_FALSE(registry.add(tool.spec));
    view.set_tools(load.tools);
}

} // namespace

TEST_CASE("tools_view: a tools file loads with each tool's answer mode")
{
    const auto load = load_tools(tools_file);
    REQUIRE_FALSE(load.error);
    REQUIRE(load.tools.size() == 4);
    CHECK(load.tools[0].mode == ToolDefinition::Mode::scripted);
    CHECK(load.tools[0].answer == "{\"time\":\"12:00\"}");
    CHECK(load.tools[0].spec.parameters["required"][0] == "city");
    CHECK(load.tools[1].mode == ToolDefinition::Mode::command);
    CHECK(load.tools[2].mode == ToolDefinition::Mode::manual);
    CHECK(load.tools[3].mode == ToolDefinition::Mode::manual);
}

TEST_CASE("tools_view: a tools file the registry would refuse is refused whole, naming the place")
{
    CHECK(load_tools("{}").error == "expected a JSON array of tools");
    CHECK(load_tools("[1]").error == "tools[0]: expected an object");
    const auto bad_schema = load_tools(R"([{"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "strin"}}}}])");
    REQUIRE(bad_schema.error);
    CHECK(bad_schema.error->starts_with("tools[0]: tool \"a\": parameters/properties/x/type"));
    CHECK(bad_schema.tools.empty());
    CHECK(load_tools(R"([{"name": "a"}, {"name": "a"}])").error->find("already registered") != std::string::npos);
    CHECK(load_tools(R"([{"name": "a", "mode": "auto"}])").error->find(".mode") != std::string::npos);
}

TEST_CASE("tools_view: calls show their validation, their waiting and their answer")
{
    ToolRegistry registry;
    ToolsView view;
    load_into(registry, view);

    Message assistant;
    assistant.role = Role::assistant;
    assistant.tool_calls.push_back(ToolCall{0, "call_1", "function", "get_time", R"({"city":"Paris"})", {}});
    assistant.tool_calls.push_back(ToolCall{1, "call_2", "function", "get_time", R"({"town":"Paris"})", {}});
    assistant.tool_calls.push_back(ToolCall{2, "call_3", "function", "nope", "{}", {}});
    view.apply(ShowMessage{1, assistant}, registry);
    REQUIRE(view.calls().size() == 3);
    CHECK(view.calls()[0].validation == "valid");
    CHECK(view.calls()[1].validation.find("city") != std::string::npos);
    CHECK(view.calls()[2].validation.find("unknown tool") != std::string::npos);

    view.apply(RunTool{"call_1", "get_time", {{"city", "Paris"}}});
    CHECK(view.waiting() == std::vector<std::string>{"call_1"});
    view.running("call_1");
    CHECK(view.waiting().empty());
    view.answered("call_1", true, "{\"time\":\"12:00\"}");

    // The engine answered call_2 itself (invalid arguments): it never ran.
    Message refused;
    refused.role = Role::tool;
    refused.tool_call_id = "call_2";
    refused.content = "{\"error\":\"...\"}";
    view.apply(ShowMessage{3, refused}, registry);
    CHECK(view.calls()[0].state == ToolCallRow::State::answered);
    CHECK(view.calls()[0].result == "{\"time\":\"12:00\"}");
    CHECK(view.calls()[1].state == ToolCallRow::State::refused);
    CHECK(view.calls()[1].result == "{\"error\":\"...\"}");
    CHECK(view.find("shell")->command == "cat");
    CHECK(view.find("missing") == nullptr);
}

TEST_CASE("tools_view: a call the engine closes while it waits or runs is not shown as answered")
{
    ToolRegistry registry;
    ToolsView view;
    load_into(registry, view);

    Message assistant;
    assistant.role = Role::assistant;
    assistant.tool_calls.push_back(ToolCall{0, "call_1", "function", "shell", "{}", {}});
    assistant.tool_calls.push_back(ToolCall{1, "call_2", "function", "ask_me", "{}", {}});
    view.apply(ShowMessage{1, assistant}, registry);
    view.apply(RunTool{"call_1", "shell", nlohmann::json::object()});
    view.apply(RunTool{"call_2", "ask_me", nlohmann::json::object()});
    view.running("call_1");

    // The tool round timed out: the engine answers both calls itself.
    for (const char* id : {"call_1", "call_2"}) {
        Message timed_out;
        timed_out.role = Role::tool;
        timed_out.tool_call_id = id;
        timed_out.content = tool_timeout_result("shell", 30'000);
        view.apply(ShowMessage{2, timed_out}, registry);
    }
    CHECK(view.calls()[0].state == ToolCallRow::State::closed);
    CHECK(view.calls()[1].state == ToolCallRow::State::closed);
    CHECK(view.calls()[0].result.find("did not answer within 30000 ms") != std::string::npos);
    CHECK(to_string(view.calls()[0].state) == "closed by the engine, unanswered");
    CHECK(view.waiting().empty());

    // A late answer from the command does not turn it into an answer the model never got.
    view.answered("call_1", true, "{\"late\":true}");
    CHECK(view.calls()[0].state == ToolCallRow::State::closed);
}
