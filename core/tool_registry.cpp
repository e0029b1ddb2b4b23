// core/tool_registry.cpp
// Registering tools, and turning each way a tool call can go wrong into a tool result a
// model can act on. Every result is one small JSON object, {"error": "..."}; the wording is
// specified in docs/tools.md.
#include "core/tool_registry.h"

#include <algorithm>

#include "core/json_util.h"

namespace confab {

namespace {

using nlohmann::json;

// How much of a model's text is quoted back: enough to recognise it.
constexpr std::size_t max_quoted_bytes = 48;
// How many tool names an "unknown tool" result lists.
constexpr std::size_t max_listed_tools = 20;

// `text` cut to at most `max_bytes` without splitting a UTF-8 sequence, with "…" when cut.
std::string shortened(std::string_view text, std::size_t max_bytes = max_quoted_bytes)
{
    if (text.size() <= max_bytes) return std::string(text);
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return std::string(text.substr(0, end)) + "…";
}

// A name as a JSON string literal, shortened: `"get_weather"`.
std::string literal(std::string_view text) { return dump_safely(json(shortened(text))); }

std::string described(const json& value)
{
    if (value.is_object()) return "an object";
    if (value.is_array()) return "an array";
    if (value.is_string()) return literal(value.get_ref<const std::string&>());
    return shortened(dump_safely(value));
}

std::string error_result(std::string message) { return dump_safely(json{{"error", std::move(message)}}); }

bool is_blank(std::string_view text)
{
    // RFC 8259's whitespace: the only bytes JSON allows around a value.
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// OpenAI requires "type": "object" at the top of parameters; a schema that can never accept
// an object would refuse every call anyway.
bool can_be_object(const json& parameters)
{
    const json* type = find_member(parameters, "type");
    if (type == nullptr) return true;
    if (type->is_string()) return *type == "object";
    return type->is_array() && std::find(type->begin(), type->end(), json("object")) != type->end();
}

} // namespace

std::optional<std::string> ToolRegistry::add(ToolSpec tool)
{
    const std::string label = "tool " + literal(tool.name);
    if (!is_valid_name(tool.name)) return label + ": the name does not match ^[a-zA-Z0-9_-]{1,64}$";
    const bool taken = std::any_of(tools_.begin(), tools_.end(), [&](const ToolSpec& t) { return t.name == tool.name; });
    if (taken) return label + ": a tool with this name is already registered";
    if (!tool.parameters.is_null() && !tool.parameters.is_object())
        return label + ": parameters must be a JSON Schema object or null, got " + described(tool.parameters);

    // No parameters: any object will do, as check_call requires an object before the schema.
    CompiledSchema compiled = JsonSchema::compile(tool.parameters.is_null() ? json(true) : tool.parameters);
    if (compiled.error) {
        const std::string& where = compiled.error->where;
        return label + ": parameters" + (where.empty() ? "" : where) + ": " + compiled.error->message;
    }
    if (!can_be_object(tool.parameters))
        return label + ": parameters must describe an object (\"type\": \"object\"), got \"type\": "
               + shortened(dump_safely(*find_member(tool.parameters, "type")));

    tools_.push_back(std::move(tool));
    schemas_.push_back(std::move(*compiled.schema));
    return std::nullopt;
}

ToolCallCheck ToolRegistry::check_call(std::string_view name, std::string_view arguments) const
{
    ToolCallCheck check;
    const auto it = std::find_if(tools_.begin(), tools_.end(), [&](const ToolSpec& t) { return t.name == name; });
    if (it == tools_.end()) {
        std::string message = "unknown tool " + literal(name);
        if (tools_.empty()) {
            message += "; no tools are available";
        } else {
            message += "; the available tools are ";
            for (std::size_t i = 0; i < tools_.size() && i < max_listed_tools; ++i)
                message += (i == 0 ? "" : ", ") + literal(tools_[i].name);
            if (tools_.size() > max_listed_tools)
                message += " and " + std::to_string(tools_.size() - max_listed_tools) + " more";
        }
        check.result = error_result(std::move(message));
        return check;
    }
    const std::string label = "arguments for " + literal(name);

    // Providers that relay a call without parameters as "" (OpenRouter, some llama.cpp
    // templates) mean {}.
    json parsed = is_blank(arguments) ? json::object() : parse_json(arguments);
    if (parsed.is_discarded()) {
        check.result = error_result(nests_deeper_than(arguments, max_json_depth)
                                        ? label + " nest deeper than " + std::to_string(max_json_depth) + " levels"
                                        : label + " are not valid JSON; they begin: " + shortened(arguments));
        return check;
    }
    if (!parsed.is_object()) {
        check.result = error_result(label + " must be a JSON object, got " + described(parsed));
        return check;
    }
    const SchemaVerdict verdict = schemas_[static_cast<std::size_t>(it - tools_.begin())].validate(parsed);
    if (!verdict.valid()) {
        check.result = error_result(label + " do not match its parameters schema:\n" + verdict.text());
        return check;
    }
    check.arguments = std::move(parsed);
    return check;
}

std::string tool_error_result(std::string_view name, std::string_view error_text)
{
    std::string message = "tool " + literal(name) + " failed";
    if (!error_text.empty()) message += ": " + std::string(error_text);
    return error_result(std::move(message));
}

std::string tool_timeout_result(std::string_view name, std::int64_t timeout_ms)
{
    return error_result("tool " + literal(name) + " did not answer within " + std::to_string(timeout_ms) + " ms");
}

} // namespace confab
