// tests/tool_registry_test.cpp
// Registering tools, and the exact tool result a model gets back for each way a call can be
// wrong: every refusal is {"error": "..."} with words the model can act on.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "core/json_util.h"
#include "core/tool_registry.h"

using confab::ToolCallCheck;
using confab::ToolRegistry;
using confab::ToolSpec;
using nlohmann::json;

namespace {

ToolSpec tool(std::string name, json parameters = nullptr)
{
    ToolSpec spec;
    spec.name = std::move(name);
    spec.parameters = std::move(parameters);
    return spec;
}

const json weather_parameters = {
    {"type", "object"},
    {"properties", {{"city", {{"type", "string"}, {"description", "City name"}}},
                    {"units", {{"enum", {"celsius", "fahrenheit"}}}}}},
    {"required", {"city"}},
    {"additionalProperties", false},
};

ToolRegistry weather_registry()
{
    ToolRegistry registry;
    REQUIRE(registry.add(tool("get_weather", weather_parameters)) == std::nullopt);
    REQUIRE(registry.add(tool("get_time", {{"type", "object"}, {"properties", json::object()}})) == std::nullopt);
    return registry;
}

// The message inside a refusal's {"error": "..."}, after checking that shape; or the
// arguments, dumped, when the call passed.
std::string outcome(const ToolRegistry& registry, std::string_view name, std::string_view arguments)
{
    const ToolCallCheck check = registry.check_call(name, arguments);
    CHECK(check.arguments.has_value() != check.result.has_value());
    if (check.arguments) return "run " + confab::dump_safely(*check.arguments);
    const json result = confab::parse_json(*check.result);
    REQUIRE(result.is_object());
    CHECK(result.size() == 1);
    const auto error = confab::get_string(result, "error");
    REQUIRE(error);
    return *error;
}

} // namespace

TEST_CASE("tool_registry: tools are kept in the order added, exactly as given")
{
    ToolRegistry registry;
    ToolSpec weather = tool("get_weather", weather_parameters);
    weather.description = "Current weather";
    weather.strict = true;
    CHECK(registry.add(weather) == std::nullopt);
    CHECK(registry.add(tool("get_time")) == std::nullopt);
    REQUIRE(registry.tools().size() == 2);
    CHECK(registry.tools()[0].name == "get_weather");
    CHECK(registry.tools()[0].description == "Current weather");
    CHECK(registry.tools()[0].parameters == weather_parameters);
    CHECK(registry.tools()[0].strict == true);
    CHECK(registry.tools()[1].name == "get_time");
    CHECK(registry.tools()[1].parameters.is_null());
}

TEST_CASE("tool_registry: names must match ^[a-zA-Z0-9_-]{1,64}$ and be unique")
{
    ToolRegistry registry;
    CHECK(registry.add(tool("")) == "tool \"\": the name does not match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK(registry.add(tool("get weather")) == "tool \"get weather\": the name does not match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK(registry.add(tool("météo")) == "tool \"météo\": the name does not match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK(registry.add(tool(std::string(65, 'a')))
          == "tool \"" + std::string(48, 'a') + "…\": the name does not match ^[a-zA-Z0-9_-]{1,64}$");
    CHECK(registry.add(tool(std::string(64, 'a'))) == std::nullopt);
    CHECK(registry.add(tool("Get-Time_2")) == std::nullopt);
    CHECK(registry.add(tool("Get-Time_2", {{"type", "object"}}))
          == "tool \"Get-Time_2\": a tool with this name is already registered");
    CHECK(registry.tools().size() == 2);
}

TEST_CASE("tool_registry: parameters must be a schema of the right shape, describing an object")
{
    ToolRegistry registry;
    CHECK(registry.add(tool("a", true)) == "tool \"a\": parameters must be a JSON Schema object or null, got true");
    CHECK(registry.add(tool("a", "object")) == "tool \"a\": parameters must be a JSON Schema object or null, got \"object\"");
    CHECK(registry.add(tool("a", {{"type", "object"}, {"properties", {{"city", {{"type", "strin"}}}}}}))
          == "tool \"a\": parameters/properties/city/type: unknown type \"strin\"; the types are null, boolean, object, "
             "array, number, string and integer");
    CHECK(registry.add(tool("a", {{"type", "object"}, {"required", "city"}}))
          == "tool \"a\": parameters/required: expected an array of property names, got \"city\"");
    CHECK(registry.add(tool("a", {{"$ref", "#"}}))
          == "tool \"a\": parameters: $ref loops back here without moving into the value, so checking it would never "
             "end: # -> #");
    CHECK(registry.add(tool("a", {{"type", "string"}})) == "tool \"a\": parameters must describe an object (\"type\": \"object\"), got \"type\": \"string\"");
    CHECK(registry.add(tool("a", {{"type", {"string", "null"}}}))
          == "tool \"a\": parameters must describe an object (\"type\": \"object\"), got \"type\": [\"string\",\"null\"]");
    CHECK(registry.tools().empty());
    CHECK(registry.add(tool("a", {{"type", {"object", "null"}}})) == std::nullopt);
    CHECK(registry.add(tool("b", json::object())) == std::nullopt);
}

TEST_CASE("tool_registry: valid arguments come back parsed, ready to run")
{
    const ToolRegistry registry = weather_registry();
    CHECK(outcome(registry, "get_weather", R"({"city": "Paris", "units": "celsius"})")
          == R"(run {"city":"Paris","units":"celsius"})");
    CHECK(outcome(registry, "get_weather", " \n{\"city\":\"Zürich\"}\t") == R"(run {"city":"Zürich"})");
}

TEST_CASE("tool_registry: empty arguments mean {}, as some providers send them for a call without parameters")
{
    const ToolRegistry registry = weather_registry();
    CHECK(outcome(registry, "get_time", "") == "run {}");
    CHECK(outcome(registry, "get_time", " \r\n\t") == "run {}");
    CHECK(outcome(registry, "get_weather", "")
          == "arguments for \"get_weather\" do not match its parameters schema:\n(root): missing required property \"city\"");
}

TEST_CASE("tool_registry: an unknown tool is named, with the tools there are")
{
    const ToolRegistry registry = weather_registry();
    CHECK(outcome(registry, "get_wether", "{}")
          == "unknown tool \"get_wether\"; the available tools are \"get_weather\", \"get_time\"");
    CHECK(outcome(ToolRegistry(), "get_weather", "{}") == "unknown tool \"get_weather\"; no tools are available");
    CHECK(outcome(registry, std::string(1000, 'x'), "{}")
          == "unknown tool \"" + std::string(48, 'x') + "…\"; the available tools are \"get_weather\", \"get_time\"");
    CHECK(outcome(registry, "\xff", "{}") == "unknown tool \"\xEF\xBF\xBD\"; the available tools are \"get_weather\", \"get_time\"");

    ToolRegistry many;
    for (int i = 0; i < 25; ++i) REQUIRE(many.add(tool("t" + std::to_string(i))) == std::nullopt);
    CHECK(outcome(many, "x", "{}").ends_with("\"t18\", \"t19\" and 5 more"));
}

TEST_CASE("tool_registry: arguments that are not JSON are quoted from their start")
{
    const ToolRegistry registry = weather_registry();
    CHECK(outcome(registry, "get_weather", R"({"city": "Par)")
          == R"(arguments for "get_weather" are not valid JSON; they begin: {"city": "Par)");
    CHECK(outcome(registry, "get_weather", "{\"city\": \"Paris\"} {}")
          == R"(arguments for "get_weather" are not valid JSON; they begin: {"city": "Paris"} {})");
    CHECK(outcome(registry, "get_weather", std::string("{}\0x", 4))
          == "arguments for \"get_weather\" are not valid JSON; they begin: " + std::string("{}\0x", 4));
    const std::string long_arguments = "{\"city\": \"" + std::string(1000, 'P');
    CHECK(outcome(registry, "get_weather", long_arguments)
          == "arguments for \"get_weather\" are not valid JSON; they begin: {\"city\": \"" + std::string(38, 'P') + "…");
    CHECK(outcome(registry, "get_weather", "\xff\xfe") == "arguments for \"get_weather\" are not valid JSON; they begin: "
                                                          "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("tool_registry: arguments nested too deep are refused as such")
{
    const ToolRegistry registry = weather_registry();
    CHECK(outcome(registry, "get_weather", std::string(100000, '[') + std::string(100000, ']'))
          == "arguments for \"get_weather\" nest deeper than 128 levels");
}

TEST_CASE("tool_registry: arguments must be a JSON object")
{
    const ToolRegistry registry = weather_registry();
    CHECK(outcome(registry, "get_weather", R"(["Paris"])") == "arguments for \"get_weather\" must be a JSON object, got an array");
    CHECK(outcome(registry, "get_weather", R"("Paris")") == "arguments for \"get_weather\" must be a JSON object, got \"Paris\"");
    CHECK(outcome(registry, "get_weather", "42") == "arguments for \"get_weather\" must be a JSON object, got 42");
    CHECK(outcome(registry, "get_weather", "null") == "arguments for \"get_weather\" must be a JSON object, got null");
    // A double-encoded object is still a string.
    CHECK(outcome(registry, "get_weather", R"("{\"city\":\"Paris\"}")")
          == R"(arguments for "get_weather" must be a JSON object, got "{\"city\":\"Paris\"}")");
}

TEST_CASE("tool_registry: schema violations are listed one per line, in the validator's words")
{
    const ToolRegistry registry = weather_registry();
    CHECK(outcome(registry, "get_weather", R"({"city": 42, "units": "kelvin", "days": 3})")
          == "arguments for \"get_weather\" do not match its parameters schema:\n"
             "/city: expected a string, got 42\n"
             "/units: \"kelvin\" is not one of \"celsius\", \"fahrenheit\"\n"
             "(root): unexpected property \"days\"; the allowed properties are \"city\" and \"units\"");
}

TEST_CASE("tool_registry: a tool without parameters takes any object")
{
    ToolRegistry registry;
    REQUIRE(registry.add(tool("ping")) == std::nullopt);
    CHECK(outcome(registry, "ping", R"({"anything": [1]})") == R"(run {"anything":[1]})");
    CHECK(outcome(registry, "ping", "[]") == "arguments for \"ping\" must be a JSON object, got an array");
}

TEST_CASE("tool_registry: the result text of a failed tool and of a timeout")
{
    CHECK(confab::tool_error_result("get_weather", "city not found") == R"({"error":"tool \"get_weather\" failed: city not found"})");
    CHECK(confab::tool_error_result("get_weather", "") == R"({"error":"tool \"get_weather\" failed"})");
    CHECK(confab::tool_error_result("t", "line 1\n\"quoted\"\x01") == R"({"error":"tool \"t\" failed: line 1\n\"quoted\"\u0001"})");
    CHECK(confab::tool_error_result("t", "bad \xff byte") == "{\"error\":\"tool \\\"t\\\" failed: bad \xEF\xBF\xBD byte\"}");
    CHECK(confab::tool_timeout_result("get_weather", 30000) == R"({"error":"tool \"get_weather\" did not answer within 30000 ms"})");
}
