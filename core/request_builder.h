// core/request_builder.h
// Builds the JSON body of an OpenAI-compatible chat completions request (OpenAI API
// reference, "Create chat completion") from Confab's message model, and refuses, as a
// value, what a provider would reject with a 400.
//
// Only what the wire has is sent: reasoning, usage, refusal, ids, times, pins and every
// other Confab-only field stay at home, and unset settings are omitted rather than sent as
// null. Deliberately not done here: choosing which messages fit (the trimmer), the URL and
// headers (the driver), and checking tool arguments against their schema (the dispatcher).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/message.h"

namespace confab {

// A function the model may call: one entry of "tools".
struct ToolSpec {
    std::string name;            // ^[a-zA-Z0-9_-]{1,64}$, as OpenAI requires
    std::string description;     // omitted when empty
    nlohmann::json parameters;   // a JSON Schema object; omitted when null
    std::optional<bool> strict;  // structured outputs for the arguments; omitted when unset
};

// "tool_choice". `automatic` is "auto" on the wire: `auto` is a C++ keyword.
struct ToolChoice {
    enum class Mode { automatic, none, required, function };
    Mode mode = Mode::automatic;
    std::string function;        // Mode::function: the tool the model must call
};

// "response_format": plain text, JSON mode, or structured outputs with a schema.
struct ResponseFormat {
    enum class Type { text, json_object, json_schema };
    Type type = Type::text;
    std::string name;            // json_schema: ^[a-zA-Z0-9_-]{1,64}$
    std::string description;     // json_schema: omitted when empty
    nlohmann::json schema;       // json_schema: a JSON Schema object
    std::optional<bool> strict;  // json_schema: omitted when unset
};

// OpenAI deprecated "max_tokens" for "max_completion_tokens", and its reasoning models
// reject the old name; DeepSeek, Ollama, older vLLM and llama.cpp know only the old one.
enum class MaxTokensField { max_tokens, max_completion_tokens };

struct ChatRequest {
    std::string model;
    std::vector<Message> messages;                // exactly what is sent, already trimmed
    bool stream = false;                          // always sent, so no proxy default applies
    bool include_usage = false;                   // stream_options.include_usage, only when streaming
    std::vector<ToolSpec> tools;                  // omitted when empty
    std::optional<ToolChoice> tool_choice;
    std::optional<ResponseFormat> response_format;
    std::optional<double> temperature;            // [0, 2]
    std::optional<double> top_p;                  // [0, 1]
    std::optional<std::int64_t> max_tokens;       // at least 1, sent under `max_tokens_field`
    MaxTokensField max_tokens_field = MaxTokensField::max_tokens;
    std::vector<std::string> stop;                // omitted when empty
    std::optional<std::int64_t> seed;
    std::optional<std::string> user;
    // Provider-specific knobs, merged into the body last as a JSON Merge Patch (RFC 7396):
    // objects merge member by member, and a null removes a member the builder wrote.
    nlohmann::json extra_body = nlohmann::json::object();
};

struct BuiltRequest {
    nlohmann::json body;                // null when `error` is set
    std::optional<std::string> error;   // the first reason a provider would reject the request
};

// Validates `request` and builds its body. Never throws; serialise the body with
// dump_safely (json_util.h), since message text may hold invalid UTF-8.
BuiltRequest build_request(const ChatRequest& request);

// Writes request bodies as dump_safely does, byte for byte, keeping the text of each element
// of `messages` from the last body: every request of a conversation sends all its messages
// again, escaped anew each time (see SessionWriter, session.h, for what that cost). An
// element is written again when it differs from the one last written at its position
// (compared whole). Keeps a copy of the elements it wrote, and their text.
class RequestWriter {
public:
    std::string write(const nlohmann::json& body);

private:
    struct Written {
        nlohmann::json value;
        std::string text;
    };
    std::vector<Written> written_;
};

// One message exactly as it goes on the wire. The token estimator counts this, so what it
// counts is what is sent:
//   system, user  {"role", "content", "name" when not empty}
//   assistant     {"role", "content", "tool_calls" when any}; content is null when there are
//                 tool calls and no text; arguments "" (what models behind OpenRouter send
//                 for a call without parameters) go as "{}", because servers that parse
//                 them for a chat template fail on "" (sgl-project/sglang#28035)
//   tool          {"role", "tool_call_id", "content"}
// A missing content goes as "" except where null is allowed. Nothing is validated here.
nlohmann::json wire_message(const Message& message);

// A tool definition as a host or a file writes it: {"name", "description", "parameters",
// "strict"}, or the same inside the wire's {"type": "function", "function": {...}}. Members
// missing or of another type are left empty; ToolRegistry::add says what is wrong with it.
ToolSpec tool_spec_from_json(const nlohmann::json& definition);

// The rule OpenAI documents for function and response_format names: "Must be a-z, A-Z,
// 0-9, or contain underscores and dashes, with a maximum length of 64."
bool is_valid_name(std::string_view name);

} // namespace confab
