// native/serve/chat_request.h
// What the relay checks in a POST /v1/chat/completions body before anything goes upstream,
// and the body it sends instead. The checks are limits, not a second request builder: the
// relay forwards what the page built (core/request_builder.h), minus what it refuses to pay
// for.
//
// Decisions, documented in docs/relay.md:
// - the body must be one JSON object, at most max_body_bytes, nested at most 128 levels
//   (core/json_util.h parse_json) — otherwise 400 (413 for size, which the server checks first);
// - `model` must be allowed by the ModelTable and is replaced by its upstream name; a
//   missing model means the table's first entry;
// - `messages`: 1..max_messages objects with a known role and string, null or text-part
//   content, each at most max_content_chars code points of text;
// - `max_tokens` / `max_completion_tokens` above the cap are lowered to it, and when neither
//   is given the cap is sent under `max_tokens_field`;
// - `n` is forced to 1 (the widget assembles one choice; more would cost more for nothing);
// - unknown top-level members are dropped, not refused, and named in `dropped` (the
//   relay answers with them in X-Confab-Dropped-Fields): a page built against a newer API
//   keeps working, and nothing the operator did not expect reaches the bill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/message.h"
#include "core/request_builder.h"
#include "native/serve/model_table.h"
#include "native/serve/relay_error.h"

namespace confab::serve {

struct RequestLimits {
    std::size_t max_body_bytes = std::size_t{1} << 20;  // a long conversation is some 100 KiB
    std::size_t max_messages = 256;
    std::size_t max_content_chars = 100'000;            // per message, in code points
    std::int64_t max_tokens = 4096;                     // the most a reply may cost
    MaxTokensField max_tokens_field = MaxTokensField::max_tokens;
    std::size_t max_tools = 64;
};

struct ChatCall {
    nlohmann::json body;                  // what goes upstream
    std::string requested_model;          // as the page asked ("chat")
    std::string model;                    // as the provider is asked ("llama-3.3-70b")
    bool stream = false;
    std::vector<std::string> dropped;     // unknown top-level members, in the order seen
    std::vector<Message> messages;        // the messages in Confab's model (for estimates and the demo)
};

// Checks `bytes` and builds the upstream body. Never throws.
std::variant<ChatCall, RelayError> check_chat_request(std::string_view bytes, const RequestLimits& limits,
                                                      const ModelTable& models);

// Text of a wire `content`: a string, null, or an array of parts whose "text" members count.
std::string content_text(const nlohmann::json& content);

} // namespace confab::serve
