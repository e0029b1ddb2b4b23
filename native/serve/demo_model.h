// native/serve/demo_model.h
// The offline demo model behind `confab serve` when no provider is configured: ids
// `confab-demo` and `confab-demo-reasoner`. It is not a language model and says so in every
// reply. It answers deterministically (the same request gives the same reply) in markdown
// that explains what the visitor is looking at, with headings, a list, a table and a code
// block, so every part of the widget's rendering shows. The reasoner streams a short
// `reasoning_content` first. `usage` comes from the core's TokenEstimator.
//
// The tool loop without a real model: when the request offers tools and the newest user
// message names some of them, the reply calls each (in the order named) with arguments built
// from the tool's JSON-Schema parameters and the user's words; when the newest messages are
// tool results, the reply shows and uses them.
//
// Deliberately not done here: pacing and HTTP (the server does both).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/message.h"

namespace confab::serve {

inline constexpr std::string_view demo_model_id = "confab-demo";
inline constexpr std::string_view demo_reasoner_id = "confab-demo-reasoner";

struct DemoRequest {
    std::string model;                 // demo_model_id or demo_reasoner_id
    std::vector<Message> messages;     // as sent (already checked by check_chat_request)
    nlohmann::json tools;              // the request's "tools", or null
    nlohmann::json tool_choice;        // the request's "tool_choice", or null
};

struct DemoReply {
    std::string id;                    // "chatcmpl-demo-" and a hash of the request
    std::string reasoning;
    std::string content;
    std::vector<ToolCall> tool_calls;
    std::string finish_reason = "stop";
    nlohmann::json usage;              // {prompt_tokens, completion_tokens, total_tokens, ...}
};

DemoReply demo_reply(const DemoRequest& request);

// The reply as the `data:` events of a chat.completion.chunk stream, ending with the usage
// chunk and "data: [DONE]". Text is cut into pieces of a few words, never inside a UTF-8
// sequence, so a client sees it arrive the way a real model's does.
std::vector<std::string> demo_events(const DemoReply& reply, std::string_view model, std::int64_t created);

// The reply as one non-streamed chat.completion object.
nlohmann::json demo_completion(const DemoReply& reply, std::string_view model, std::int64_t created);

// Arguments for a tool with these JSON-Schema `parameters`, taken from `text` where it can:
// an enum value the text mentions (else the first), numbers in the text for numbers (within
// minimum/maximum), quoted phrases, capitalised words and words with digits for strings (an
// id-like property prefers words with digits), a schema's default or const when given.
// Required properties are filled, or every property when the schema lists none as required.
nlohmann::json demo_arguments(const nlohmann::json& parameters, std::string_view text);

} // namespace confab::serve
