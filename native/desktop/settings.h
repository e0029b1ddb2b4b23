// native/desktop/settings.h
// The harness's settings (the Settings window) and their config file: which endpoint and
// model to talk to, where the API key comes from, the context budget, sampling, pricing, the
// retry policy and timeouts, and where sessions and tools live. Also how they become the
// core's ConversationConfig and SessionSettings: the harness decides nothing itself.
//
// The file is JSON (`"format": "confab.desktop-settings"`), written pretty-printed. Loading is
// lenient: a member of the wrong type is reported and its default kept, so one typo never
// locks a developer out of the harness. The API key itself is never stored: only the name of
// the environment variable that holds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/conversation.h"
#include "core/pricing.h"
#include "core/retry_policy.h"
#include "core/session.h"

namespace confab::desktop {

struct DesktopSettings {
    std::string endpoint;                       // an OpenAI-compatible base URL (…/v1) or its /chat/completions URL
    std::string model;
    std::string summary_model;                  // "" = no summaries of dropped turns
    std::string api_key_env = "OPENAI_API_KEY"; // the environment variable holding the key
    std::string system_prompt;
    std::optional<std::int64_t> context_window;
    std::optional<std::int64_t> reserved_output;
    std::optional<std::int64_t> max_tokens;
    std::optional<double> temperature;
    std::optional<double> top_p;
    Pricing pricing;
    std::optional<double> session_cap_usd;
    RetryPolicy retry;
    std::int64_t first_byte_timeout_ms = 60'000;
    std::int64_t idle_timeout_ms = 30'000;
    // A developer answers tool calls by hand in the Tools window: five minutes, not the
    // engine's 30 s meant for programs.
    std::int64_t tool_timeout_ms = 300'000;
    std::string tools_file;                     // "" = no tools
    std::string sessions_dir;                   // "" = the default (see default_sessions_dir)
};

// Equal when every stored member is (RetryPolicy has no == of its own).
bool operator==(const DesktopSettings& a, const DesktopSettings& b);

// The settings as they are stored: every member, defaults included, so the file documents them.
nlohmann::json settings_to_json(const DesktopSettings& settings);
std::string save_settings(const DesktopSettings& settings);

struct SettingsLoad {
    DesktopSettings settings;           // defaults where the file had nothing usable
    std::vector<std::string> problems;  // "pricing.input_per_million: expected a number"; empty when clean
    bool usable = true;                 // false when the bytes were not a JSON object at all
};
SettingsLoad load_settings(std::string_view bytes);

// The chat-completions URL for an endpoint: "/chat/completions" is added to a base URL, and
// kept when it is already there.
std::string chat_completions_url(std::string_view endpoint);

// The engine's configuration for these settings. `api_key` (read by the driver from
// api_key_env) goes into an Authorization header only; it is never stored.
ConversationConfig conversation_config(const DesktopSettings& settings, const std::string& api_key,
                                       const std::string& session_key, std::uint64_t seed);

// Writes what the settings choose into a session's own settings (endpoint, model, system
// prompt, window, sampling); members the settings leave unset keep the session's value.
void apply_to_session(const DesktopSettings& settings, SessionSettings& session);

// $XDG_CONFIG_HOME/confab/desktop.json (or ~/.config/...), and the sessions folder beside it.
std::string default_config_path();
std::string default_sessions_dir();

} // namespace confab::desktop
