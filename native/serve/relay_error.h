// native/serve/relay_error.h
// An error the relay answers with before any byte of a reply: an HTTP status and the
// OpenAI-shaped body {"error": {"message", "type", "code"}} that the core's provider_error
// parser reads (core/provider_error.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace confab::serve {

struct RelayError {
    int status = 400;
    std::string message;                      // plain words, never request content or a key
    std::string type = "invalid_request_error";
    std::string code;                         // a stable word ("model_not_allowed"), or ""
    nlohmann::json extra;                     // more members of "error" (e.g. allowed models), or null

    // {"error": {"message", "type", "code" (null when empty), ...extra}}
    nlohmann::json body() const
    {
        nlohmann::json error = {{"message", message}, {"type", type},
                                {"code", code.empty() ? nlohmann::json() : nlohmann::json(code)}};
        if (extra.is_object()) error.update(extra);
        return {{"error", std::move(error)}};
    }
};

} // namespace confab::serve
