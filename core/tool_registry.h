// core/tool_registry.h
// The tools a conversation offers the model, and the gate every tool call passes before a
// tool runs: the call names a registered tool, its arguments are a JSON object, and they
// satisfy the tool's parameters schema (json_schema.h). A call that fails any of these never
// reaches the tool; instead the caller gets the text of the tool result to send back, which
// tells the model what was wrong so that it can call again. The wording of tool errors and
// timeouts lives here too, so that every failure reads the same (docs/tools.md).
//
// Deliberately not done: running tools, timing them, or limiting rounds (the conversation
// engine); filling in schema defaults (arguments reach the tool as the model wrote them);
// enforcing what `strict` mode asks of a schema (the provider does that).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_schema.h"
#include "core/request_builder.h"

namespace confab {

// The outcome of ToolRegistry::check_call: exactly one of the two is set.
struct ToolCallCheck {
    std::optional<nlohmann::json> arguments;  // a JSON object that satisfies the schema: run the tool
    std::optional<std::string> result;        // the tool result to send back instead, e.g.
                                              // {"error":"unknown tool \"foo\"; ..."}
};

class ToolRegistry {
public:
    // Adds a tool. Refuses, leaving the registry unchanged, and says why in one line that
    // names the tool: a name that does not match ^[a-zA-Z0-9_-]{1,64}$ (OpenAI's rule), a name
    // already registered, parameters that are neither null nor a JSON object, and a schema
    // JsonSchema::compile refuses (`tool "get_weather": parameters/properties/city/type:
    // unknown type "strin"; ...`). Null parameters mean the tool takes no arguments beyond an
    // object, as OpenAI reads an omitted "parameters".
    std::optional<std::string> add(ToolSpec tool);

    // Every registered tool, in the order added: the "tools" of a ChatRequest.
    const std::vector<ToolSpec>& tools() const { return tools_; }

    // Checks one call the model made, `arguments` being the raw text it produced. Arguments
    // that are empty or only whitespace count as {}: some providers send "" for a call
    // without parameters. Refusals, as the result text: an unknown tool (listing the tools
    // there are), arguments that are not JSON (quoting how they start) or nest deeper than
    // max_json_depth, arguments that are not an object, and schema violations (the
    // validator's words, up to its cap). Never throws.
    ToolCallCheck check_call(std::string_view name, std::string_view arguments) const;

private:
    std::vector<ToolSpec> tools_;
    std::vector<JsonSchema> schemas_;  // schemas_[i] checks tools_[i]'s arguments
};

// The tool result to send back when a tool ran and failed: {"error":"tool \"get_weather\"
// failed: <error_text>"}. Serialised with dump_safely, so any bytes are safe to pass.
std::string tool_error_result(std::string_view name, std::string_view error_text);

// The tool result to send back when a tool did not answer in time: {"error":"tool
// \"get_weather\" did not answer within 30000 ms"}.
std::string tool_timeout_result(std::string_view name, std::int64_t timeout_ms);

} // namespace confab
