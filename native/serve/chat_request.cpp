// native/serve/chat_request.cpp
#include "native/serve/chat_request.h"

#include <algorithm>
#include <array>

#include "core/json_util.h"

namespace confab::serve {

namespace {

// The members of "Create chat completion" (OpenAI API reference) that a chat widget has a
// use for. Everything else is dropped: `store`, `metadata`, `service_tier`, `audio`,
// `prediction`, `web_search_options` and the like change what the operator pays or keeps.
constexpr std::array<std::string_view, 22> known_members = {
    "model", "messages", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
    "response_format", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
    "user", "frequency_penalty", "presence_penalty", "logprobs", "top_logprobs", "logit_bias", "n",
    "reasoning_effort",
};

RelayError invalid(std::string message, std::string code = "invalid_request")
{
    return RelayError{400, std::move(message), "invalid_request_error", std::move(code), nullptr};
}

std::size_t code_points(std::string_view text)
{
    return std::size_t(std::count_if(text.begin(), text.end(),
                                     [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Reads one wire message into `out`; returns what is wrong with it, or "".
std::string read_message(const nlohmann::json& wire, const RequestLimits& limits, Message& out)
{
    if (!wire.is_object()) return "is not an object";
    const auto role_text = get_string(wire, "role");
    if (!role_text) return "has no role";
    // "developer" is OpenAI's newer name for the system role of reasoning models.
    const auto role = *role_text == "developer" ? std::optional<Role>(Role::system) : role_from_string(*role_text);
    if (!role) return "has an unknown role \"" + *role_text + "\"";
    out.role = *role;

    const auto* content = find_member(wire, "content");
    if (content != nullptr && !content->is_null() && !content->is_string() && !content->is_array())
        return "content must be a string, an array of parts or null";
    if (content != nullptr && content->is_array()) {
        for (const auto& part : *content)
            if (!part.is_object()) return "content parts must be objects";
    }
    if (content != nullptr && !content->is_null()) {
        const std::string text = content_text(*content);
        if (code_points(text) > limits.max_content_chars)
            return "content is longer than " + std::to_string(limits.max_content_chars) + " characters";
        out.content = text;
    }
    if (auto name = get_string(wire, "name")) out.name = *name;
    if (auto id = get_string(wire, "tool_call_id")) out.tool_call_id = *id;
    if (const auto* calls = find_member(wire, "tool_calls"); calls != nullptr && !calls->is_null()) {
        if (!calls->is_array()) return "tool_calls must be an array";
        int index = 0;
        for (const auto& call : *calls) {
            const auto* function = find_member(call, "function");
            if (function == nullptr || !function->is_object()) return "a tool call has no function";
            ToolCall tool_call;
            tool_call.index = index++;
            tool_call.id = get_string(call, "id");
            tool_call.name = get_string(*function, "name").value_or("");
            tool_call.arguments = get_string(*function, "arguments").value_or("");
            if (code_points(tool_call.arguments) > limits.max_content_chars)
                return "tool call arguments are longer than " + std::to_string(limits.max_content_chars) +
                       " characters";
            out.tool_calls.push_back(std::move(tool_call));
        }
    }
    return "";
}

std::optional<RelayError> check_tools(const nlohmann::json& tools, const RequestLimits& limits)
{
    if (!tools.is_array()) return invalid("tools must be an array");
    if (tools.size() > limits.max_tools)
        return invalid("at most " + std::to_string(limits.max_tools) + " tools are allowed", "too_many_tools");
    for (std::size_t i = 0; i < tools.size(); ++i) {
        const auto* function = find_member(tools[i], "function");
        const auto name = function != nullptr ? get_string(*function, "name") : std::nullopt;
        if (!name || !is_valid_name(*name))
            return invalid("tools[" + std::to_string(i) + "].function.name must match ^[a-zA-Z0-9_-]{1,64}$");
    }
    return std::nullopt;
}

} // namespace

std::string content_text(const nlohmann::json& content)
{
    if (content.is_string()) return content.get<std::string>();
    std::string text;
    if (!content.is_array()) return text;
    for (const auto& part : content) {
        if (auto piece = get_string(part, "text")) text += *piece;
    }
    return text;
}

std::variant<ChatCall, RelayError> check_chat_request(std::string_view bytes, const RequestLimits& limits,
                                                      const ModelTable& models)
{
    if (bytes.size() > limits.max_body_bytes)
        return RelayError{413, "the request body is larger than " + std::to_string(limits.max_body_bytes) + " bytes",
                          "invalid_request_error", "body_too_large", nullptr};
    nlohmann::json body = parse_json(bytes);
    if (body.is_discarded())
        return invalid("the request body is not JSON, or nests deeper than " + std::to_string(max_json_depth) +
                       " levels", "invalid_json");
    if (!body.is_object()) return invalid("the request body must be a JSON object", "invalid_json");

    ChatCall call;
    for (auto it = body.begin(); it != body.end();) {
        if (std::find(known_members.begin(), known_members.end(), it.key()) == known_members.end()) {
            call.dropped.push_back(it.key());
            it = body.erase(it);
        } else {
            ++it;
        }
    }

    const auto* model = find_member(body, "model");
    if (model != nullptr && !model->is_string()) return invalid("model must be a string");
    call.requested_model = model != nullptr ? model->get<std::string>() : "";
    const auto resolved = models.resolve(call.requested_model);
    if (!resolved) {
        RelayError error = invalid("the model \"" + call.requested_model + "\" is not offered here", "model_not_allowed");
        error.extra = {{"allowed_models", models.names()}};
        return error;
    }
    call.model = *resolved;
    body["model"] = call.model;

    const auto* messages = find_member(body, "messages");
    if (messages == nullptr || !messages->is_array() || messages->empty())
        return invalid("messages must be a non-empty array");
    if (messages->size() > limits.max_messages)
        return invalid("at most " + std::to_string(limits.max_messages) + " messages are allowed", "too_many_messages");
    for (std::size_t i = 0; i < messages->size(); ++i) {
        Message message;
        const std::string problem = read_message((*messages)[i], limits, message);
        if (!problem.empty()) return invalid("messages[" + std::to_string(i) + "] " + problem);
        call.messages.push_back(std::move(message));
    }

    if (const auto* stream = find_member(body, "stream"); stream != nullptr && !stream->is_null()) {
        if (!stream->is_boolean()) return invalid("stream must be true or false");
        call.stream = stream->get<bool>();
    }
    if (const auto* tools = find_member(body, "tools"); tools != nullptr && !tools->is_null()) {
        if (auto error = check_tools(*tools, limits)) return *error;
    }

    bool capped = false;
    for (const char* field : {"max_tokens", "max_completion_tokens"}) {
        const auto* value = find_member(body, field);
        if (value == nullptr || value->is_null()) continue;
        const auto tokens = get_int(body, field);
        if (!tokens || *tokens < 1) return invalid(std::string(field) + " must be a positive integer");
        body[field] = std::min(*tokens, limits.max_tokens);
        capped = true;
    }
    if (!capped) {
        const char* field = limits.max_tokens_field == MaxTokensField::max_tokens ? "max_tokens" : "max_completion_tokens";
        body[field] = limits.max_tokens;
    }
    if (body.contains("n")) body["n"] = 1;

    call.body = std::move(body);
    return call;
}

} // namespace confab::serve
