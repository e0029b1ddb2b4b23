// core/message.h
// The message model shared by the stream assembler, the session format, the request
// builder and (later) the conversation engine. Field names follow the OpenAI chat
// completions wire format where the wire has the concept (role, content, tool_calls,
// tool_call_id, name); everything else is Confab's own. The JSON mapping lives in
// session.h; this file only declares the types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace confab {

enum class Role { system, user, assistant, tool };

std::string_view to_string(Role role);
std::optional<Role> role_from_string(std::string_view text);

// One function call requested by the model. `arguments` is the raw JSON text exactly as
// the model produced it: it may be invalid JSON, and validating it is the tool
// dispatcher's job, not the model's.
struct ToolCall {
    int index = 0;                    // position in the model's tool_calls array
    std::optional<std::string> id;    // null only if the provider never sent one
    std::string type = "function";
    std::string name;
    std::string arguments;
    // Members this version does not know, kept on re-save: e.g. Gemini's `extra_content`
    // (a thought signature the provider wants back). Unknown members of `function` sit under
    // extra["function"].
    nlohmann::json extra = nlohmann::json::object();

    bool operator==(const ToolCall&) const = default;
};

struct Message {
    std::string id;                         // Confab's own id, unique within a session
    Role role = Role::user;
    std::optional<std::string> content;     // null where the wire allows it (assistant tool calls)
    std::string reasoning;                  // thinking text, never sent back to the model
    std::optional<std::string> refusal;
    std::vector<ToolCall> tool_calls;       // assistant only
    std::string tool_call_id;               // tool only: which call this result answers
    std::string name;                       // tool: the tool's name; user: optional participant name
    std::int64_t created_ms = 0;            // passed in by the driver, never read from a clock
    std::string model;                      // assistant: the model that answered
    std::optional<std::string> finish_reason;
    nlohmann::json usage;                   // null, or the provider's usage object as sent
    bool incomplete = false;                // the reply stopped before the model finished it
    std::string incomplete_reason;          // why ("stopped", "connection dropped", ...)
    bool pinned = false;                    // never trimmed from the context
    nlohmann::json extra = nlohmann::json::object();  // fields this version does not know, kept on re-save

    bool operator==(const Message&) const = default;
};

// The incomplete_reason of a reply saved while it still streams (Conversation marks it so
// until it ends, so a crash leaves it marked): what a session merge and a view read to tell a
// reply in progress from one that was cut off.
inline constexpr std::string_view still_streaming_reason = "still streaming";

} // namespace confab
