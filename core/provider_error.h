// core/provider_error.h
// What went wrong, in plain words, from the body of a failed chat completions response,
// whatever shape the provider or a proxy in front of it chose; and when to try again, from
// the status and the Retry-After header (RFC 9110 §10.2.3).
//
// Shapes understood, each from a real response (sources in tests/provider_error_test.cpp):
// OpenAI's {"error": {message, type, param, code}}, vLLM's unwrapped {"object": "error",
// message, ...}, {"error": "text"} (Ollama), {"message": ...} (proxies), FastAPI's
// {"detail": "..." | [{loc, msg}, ...]}, OpenRouter's error.metadata.raw, Gemini's
// [{"error": {...}}], Cloudflare's {"errors": [{message}]}, plain text, and HTML pages
// from nginx or Cloudflare. Deliberately not done here: deciding whether and when to retry
// (`retryable` is advice; the engine also retries only before the first byte), and wording
// for the view beyond the provider's own message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace confab {

struct ProviderError {
    int status = 0;                    // the HTTP status; 0 for an error sent inside a stream
    std::string message;               // one line of valid UTF-8 for a person, never empty; an HTML
                                       // page is reduced to its words, never passed on as markup
    std::string type;                  // error.type ("invalid_request_error"), Gemini's status, or ""
    std::string code;                  // error.code as text ("rate_limit_exceeded", "429"), or ""
    std::optional<std::string> param;  // error.param, when the provider named one
    nlohmann::json raw;                // the body as parsed; null when not JSON or nested past 64 levels
    bool retryable = false;            // trying the same request later may succeed

    bool operator==(const ProviderError&) const = default;
};

// Parses the body of a response with status `status`: any bytes, including none, invalid
// UTF-8, JSON of any shape, plain text or an HTML page. A 2xx status (an error object in a
// successful response) takes its retryability from a numeric error code, if there is one.
ProviderError parse_provider_error(int status, std::string_view body);

// The same for a body already parsed, such as the `error` value of a stream chunk
// (StreamDelta::Kind::error); `status` is 0 when there is no HTTP status to go by.
ProviderError provider_error_from_json(int status, const nlohmann::json& body);

// 408 Request Timeout, 409 Conflict, 425 Too Early, 429 Too Many Requests and every 5xx may
// succeed when repeated; any other status will fail the same way again.
bool is_retryable_status(int status);

// "HTTP 503 Service Unavailable", or "HTTP 599" for a status without a known reason phrase.
std::string status_text(int status);

// The delay a Retry-After value asks for, in milliseconds from `now_unix_ms`: delay-seconds
// or an HTTP-date in any of the three forms RFC 9110 §5.6.7 makes recipients accept. A date
// already past gives 0. Anything else, including a negative or fractional number, gives
// nullopt. Reads no clock.
std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_unix_ms);

} // namespace confab
