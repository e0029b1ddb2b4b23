// native/serve/serve_config.h
// Everything `confab serve` is told on its command line, with the defaults that make
// `confab serve` alone a working demo: the demo model, the web build's folder, loopback.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/retry_policy.h"
#include "native/serve/chat_request.h"
#include "native/serve/model_table.h"
#include "native/serve/rate_limiter.h"

namespace confab::serve {

struct ServeConfig {
    std::string host = "127.0.0.1";
    int port = 8080;                        // 0: any free port (the listening line says which)
    std::string static_dir;                 // the widget build and the demo page

    // Where replies come from: the provider, else recordings, else the demo model.
    std::string upstream;                   // the chat-completions URL (built from --upstream)
    std::string api_key_env = "OPENAI_API_KEY";
    std::vector<std::string> replay_files;
    std::size_t replay_chunk = 64;          // bytes per write
    int replay_pace_ms = 0;                 // between writes
    int demo_pace_ms = 20;                  // between chunks: ~4 tokens a chunk, ~200 tokens/s
    ModelTable models;
    bool models_given = false;

    std::vector<std::string> allow_origins;
    RateRule client_rate = *RateRule::parse("120/min");
    RateRule session_rate = *RateRule::parse("60/min");
    std::string redis_url;
    RequestLimits limits;

    // The relay's own retries, before the first byte only. The page's core retries too, so
    // this stays short: a blip upstream is hidden, an outage is reported quickly.
    RetryPolicy retry = {3, 250, 4000, 10'000};
    int connect_timeout_ms = 10'000;
    int first_byte_timeout_ms = 60'000;     // request sent, no status yet
    int idle_timeout_ms = 60'000;           // between bytes of a reply that has started
    int drain_seconds = 10;                 // SIGTERM: how long streams may go on
    int threads = 64;                       // connections served at once
    bool faults = false;
};

// The help text of `confab serve`.
extern const char* const serve_usage;

// Reads the arguments after `serve`. The reason, as one line, when they are not usable;
// "--help" gives the string "help".
std::variant<ServeConfig, std::string> parse_serve_args(const std::vector<std::string_view>& args,
                                                        std::string default_static_dir);

} // namespace confab::serve
