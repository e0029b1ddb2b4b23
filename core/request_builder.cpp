// core/request_builder.cpp
// The body of POST /chat/completions, field by field, and the checks that spare a round
// trip ending in a 400.
#include "core/request_builder.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "core/json_util.h"

namespace confab {

bool is_valid_name(std::string_view name)
{
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

namespace {

std::string format_number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

std::string in_quotes(std::string_view text)
{
    std::string quoted = "\"";
    return quoted.append(text).append("\"");
}

std::string message_label(std::size_t position, Role role)
{
    return "message " + std::to_string(position) + " (" + std::string(to_string(role)) + ")";
}

std::string_view max_tokens_name(MaxTokensField field)
{
    return field == MaxTokensField::max_tokens ? "max_tokens" : "max_completion_tokens";
}

// OpenAI's rules for a tool round: every call of an assistant message is answered by a
// tool message, and the answers come right after it, before any other message ("An
// assistant message with 'tool_calls' must be followed by tool messages responding to each
// 'tool_call_id'"; "messages with role 'tool' must be a response to a preceeding message
// with 'tool_calls'").
std::optional<std::string> check_messages(const std::vector<Message>& messages)
{
    if (messages.empty()) return "messages is empty";

    std::size_t caller = 0;                   // the assistant message whose answers may follow
    std::vector<std::string> calls;           // its call ids
    std::unordered_set<std::string> answered;
    auto first_unanswered = [&]() -> std::optional<std::string> {
        for (const auto& id : calls)
            if (!answered.contains(id))
                return message_label(caller, Role::assistant) + ": tool call " + in_quotes(id) + " has no tool result";
        return std::nullopt;
    };

    for (std::size_t i = 0; i < messages.size(); ++i) {
        const Message& message = messages[i];
        if (message.role == Role::tool) {
            if (std::find(calls.begin(), calls.end(), message.tool_call_id) == calls.end())
                return message_label(i, Role::tool) + ": tool_call_id " + in_quotes(message.tool_call_id)
                       + " answers no tool call of the assistant message before it";
            answered.insert(message.tool_call_id);
            continue;
        }
        if (auto error = first_unanswered()) return error;
        caller = i;
        calls.clear();
        answered.clear();
        if (message.role != Role::assistant) continue;
        for (std::size_t k = 0; k < message.tool_calls.size(); ++k) {
            const ToolCall& call = message.tool_calls[k];
            const std::string label = message_label(i, Role::assistant) + ": tool call " + std::to_string(k);
            if (!call.id || call.id->empty()) return label + " has no id";
            if (call.name.empty()) return label + " has no name";
            calls.push_back(*call.id);
        }
    }
    return first_unanswered();
}

std::optional<std::string> check_settings(const ChatRequest& request)
{
    if (request.model.empty()) return "model is empty";
    // Bounds from the API reference; NaN fails both comparisons and is caught too.
    if (request.temperature && !(*request.temperature >= 0.0 && *request.temperature <= 2.0))
        return "temperature " + format_number(*request.temperature) + " is outside [0, 2]";
    if (request.top_p && !(*request.top_p >= 0.0 && *request.top_p <= 1.0))
        return "top_p " + format_number(*request.top_p) + " is outside [0, 1]";
    // vLLM: "max_tokens must be at least 1, got -2815." (QwenLM/Qwen3#241)
    if (request.max_tokens && *request.max_tokens < 1)
        return std::string(max_tokens_name(request.max_tokens_field)) + " "
               + std::to_string(*request.max_tokens) + " is less than 1";

    for (const ToolSpec& tool : request.tools) {
        if (!is_valid_name(tool.name))
            return "tool name " + in_quotes(tool.name) + " does not match ^[a-zA-Z0-9_-]{1,64}$";
        if (!tool.parameters.is_null() && !tool.parameters.is_object())
            return "tool " + in_quotes(tool.name) + ": parameters is not a JSON object";
    }
    if (const auto& choice = request.tool_choice) {
        if (choice->mode == ToolChoice::Mode::required && request.tools.empty())
            return "tool_choice \"required\" without tools";
        if (choice->mode == ToolChoice::Mode::function) {
            const bool declared = std::any_of(request.tools.begin(), request.tools.end(),
                                              [&](const ToolSpec& tool) { return tool.name == choice->function; });
            if (!declared) return "tool_choice names " + in_quotes(choice->function) + ", which is not in tools";
        }
    }
    if (const auto& format = request.response_format; format && format->type == ResponseFormat::Type::json_schema) {
        if (!is_valid_name(format->name))
            return "response_format name " + in_quotes(format->name) + " does not match ^[a-zA-Z0-9_-]{1,64}$";
        if (!format->schema.is_object()) return "response_format schema is not a JSON object";
    }
    if (!request.extra_body.is_object() && !request.extra_body.is_null()) return "extra_body is not a JSON object";
    return std::nullopt;
}

nlohmann::json wire_tool(const ToolSpec& tool)
{
    nlohmann::json function = {{"name", tool.name}};
    if (!tool.description.empty()) function["description"] = tool.description;
    if (!tool.parameters.is_null()) function["parameters"] = tool.parameters;
    if (tool.strict) function["strict"] = *tool.strict;
    return {{"type", "function"}, {"function", std::move(function)}};
}

nlohmann::json wire_tool_choice(const ToolChoice& choice)
{
    switch (choice.mode) {
    case ToolChoice::Mode::automatic: return "auto";
    case ToolChoice::Mode::none: return "none";
    case ToolChoice::Mode::required: return "required";
    case ToolChoice::Mode::function: break;
    }
    return {{"type", "function"}, {"function", {{"name", choice.function}}}};
}

nlohmann::json wire_response_format(const ResponseFormat& format)
{
    switch (format.type) {
    case ResponseFormat::Type::text: return {{"type", "text"}};
    case ResponseFormat::Type::json_object: return {{"type", "json_object"}};
    case ResponseFormat::Type::json_schema: break;
    }
    nlohmann::json schema = {{"name", format.name}, {"schema", format.schema}};
    if (!format.description.empty()) schema["description"] = format.description;
    if (format.strict) schema["strict"] = *format.strict;
    return {{"type", "json_schema"}, {"json_schema", std::move(schema)}};
}

} // namespace

ToolSpec tool_spec_from_json(const nlohmann::json& definition)
{
    const nlohmann::json* function = find_member(definition, "function");
    const nlohmann::json& source = function != nullptr && function->is_object() ? *function : definition;
    ToolSpec tool;
    tool.name = get_string(source, "name").value_or("");
    tool.description = get_string(source, "description").value_or("");
    if (const nlohmann::json* parameters = find_member(source, "parameters")) tool.parameters = *parameters;
    tool.strict = get_bool(source, "strict");
    return tool;
}

nlohmann::json wire_message(const Message& message)
{
    nlohmann::json out = nlohmann::json::object();
    out["role"] = to_string(message.role);
    switch (message.role) {
    case Role::system:
    case Role::user:
        out["content"] = message.content.value_or("");
        if (!message.name.empty()) out["name"] = message.name;
        break;
    case Role::assistant: {
        const bool has_text = message.content && !message.content->empty();
        if (message.tool_calls.empty()) {
            out["content"] = message.content.value_or("");
            break;
        }
        // "Required unless tool_calls or function_call is specified": no text goes as null.
        out["content"] = has_text ? nlohmann::json(*message.content) : nlohmann::json(nullptr);
        nlohmann::json calls = nlohmann::json::array();
        for (const ToolCall& call : message.tool_calls) {
            calls.push_back({
                {"id", call.id.value_or("")},
                {"type", call.type.empty() ? std::string("function") : call.type},
                {"function", {{"name", call.name}, {"arguments", call.arguments.empty() ? "{}" : call.arguments}}},
            });
        }
        out["tool_calls"] = std::move(calls);
        break;
    }
    case Role::tool:
        out["tool_call_id"] = message.tool_call_id;
        out["content"] = message.content.value_or("");
        break;
    }
    return out;
}

BuiltRequest build_request(const ChatRequest& request)
{
    if (auto error = check_settings(request)) return {nullptr, std::move(error)};
    if (auto error = check_messages(request.messages)) return {nullptr, std::move(error)};

    nlohmann::json body = nlohmann::json::object();
    body["model"] = request.model;
    nlohmann::json messages = nlohmann::json::array();
    for (const Message& message : request.messages) messages.push_back(wire_message(message));
    body["messages"] = std::move(messages);
    body["stream"] = request.stream;
    // "Options for streaming response. Only set this when you set stream: true."
    if (request.stream && request.include_usage) body["stream_options"] = {{"include_usage", true}};

    if (!request.tools.empty()) {
        nlohmann::json tools = nlohmann::json::array();
        for (const ToolSpec& tool : request.tools) tools.push_back(wire_tool(tool));
        body["tools"] = std::move(tools);
    }
    // Providers reject tool_choice without tools; with none declared, "auto" and "none"
    // both mean what omitting it means, so they are left out (the others were refused above).
    if (request.tool_choice && !request.tools.empty()) body["tool_choice"] = wire_tool_choice(*request.tool_choice);
    if (request.response_format) body["response_format"] = wire_response_format(*request.response_format);
    if (request.temperature) body["temperature"] = *request.temperature;
    if (request.top_p) body["top_p"] = *request.top_p;
    if (request.max_tokens) body[std::string(max_tokens_name(request.max_tokens_field))] = *request.max_tokens;
    if (!request.stop.empty()) body["stop"] = request.stop;
    if (request.seed) body["seed"] = *request.seed;
    if (request.user) body["user"] = *request.user;

    // RFC 7396 §2: members of the patch replace or merge into the target; null removes.
    if (request.extra_body.is_object()) body.merge_patch(request.extra_body);
    return {std::move(body), std::nullopt};
}

std::string RequestWriter::write(const nlohmann::json& body)
{
    const nlohmann::json* messages = body.is_object() ? find_member(body, "messages") : nullptr;
    if (messages == nullptr || !messages->is_array()) return dump_safely(body);
    written_.resize(messages->size());
    std::size_t size = 4096;
    for (std::size_t i = 0; i < messages->size(); ++i) {
        Written& written = written_[i];
        if (written.text.empty() || written.value != (*messages)[i]) {
            written.value = (*messages)[i];
            written.text = dump_safely(written.value);
        }
        size += written.text.size() + 1;
    }
    return dump_object_with(body, "messages", size, [&](std::string& out) {
        out += '[';
        for (std::size_t i = 0; i < messages->size(); ++i) {
            if (i > 0) out += ',';
            out += written_[i].text;
        }
        out += ']';
    });
}

} // namespace confab
