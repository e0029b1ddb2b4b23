// native/desktop/settings.cpp
#include "native/desktop/settings.h"

#include <cstdlib>

#include "core/json_util.h"

namespace confab::desktop {

namespace {

template <class T>
nlohmann::json optional_json(const std::optional<T>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Reads members into a settings struct, noting each one that has the wrong type.
struct Reader {
    const nlohmann::json& object;
    std::string prefix;
    std::vector<std::string>& problems;

    const nlohmann::json* member(std::string_view key, bool (nlohmann::json::*is)() const noexcept, const char* expected)
    {
        const auto* value = find_member(object, key);
        if (value == nullptr || value->is_null()) return nullptr;
        if (!((*value).*is)()) {
            problems.push_back(prefix + std::string(key) + ": expected " + expected);
            return nullptr;
        }
        return value;
    }
    void text(std::string_view key, std::string& out)
    {
        if (const auto* v = member(key, &nlohmann::json::is_string, "a string")) out = v->get<std::string>();
    }
    void number(std::string_view key, double& out)
    {
        if (const auto* v = member(key, &nlohmann::json::is_number, "a number")) out = v->get<double>();
    }
    void number(std::string_view key, std::optional<double>& out)
    {
        if (const auto* v = member(key, &nlohmann::json::is_number, "a number")) out = v->get<double>();
    }
    void integer(std::string_view key, std::int64_t& out)
    {
        if (member(key, &nlohmann::json::is_number_integer, "an integer"))
            if (const auto value = get_int(object, key)) out = *value;
    }
    void integer(std::string_view key, std::optional<std::int64_t>& out)
    {
        if (member(key, &nlohmann::json::is_number_integer, "an integer"))
            if (const auto value = get_int(object, key)) out = *value;
    }
    void integer(std::string_view key, int& out)
    {
        std::int64_t wide = out;
        integer(key, wide);
        out = int(wide);
    }
    void flag(std::string_view key, bool& out)
    {
        if (const auto* v = member(key, &nlohmann::json::is_boolean, "true or false")) out = v->get<bool>();
    }
};

} // namespace

nlohmann::json settings_to_json(const DesktopSettings& s)
{
    return {
        {"format", "confab.desktop-settings"},
        {"version", 1},
        {"endpoint", s.endpoint},
        {"model", s.model},
        {"summary_model", s.summary_model},
        {"api_key_env", s.api_key_env},
        {"system_prompt", s.system_prompt},
        {"context_window", optional_json(s.context_window)},
        {"reserved_output", optional_json(s.reserved_output)},
        {"max_tokens", optional_json(s.max_tokens)},
        {"temperature", optional_json(s.temperature)},
        {"top_p", optional_json(s.top_p)},
        {"pricing",
         {{"input_per_million", s.pricing.input_per_million},
          {"cached_input_per_million", s.pricing.cached_input_per_million},
          {"output_per_million", s.pricing.output_per_million},
          {"per_request", s.pricing.per_request},
          {"per_request_billing", s.pricing.per_request_billing}}},
        {"session_cap_usd", optional_json(s.session_cap_usd)},
        {"retry",
         {{"max_attempts", s.retry.max_attempts},
          {"base_ms", s.retry.base_ms},
          {"cap_ms", s.retry.cap_ms},
          {"max_retry_after_ms", s.retry.max_retry_after_ms}}},
        {"first_byte_timeout_ms", s.first_byte_timeout_ms},
        {"idle_timeout_ms", s.idle_timeout_ms},
        {"tool_timeout_ms", s.tool_timeout_ms},
        {"tools_file", s.tools_file},
        {"sessions_dir", s.sessions_dir},
    };
}

bool operator==(const DesktopSettings& a, const DesktopSettings& b)
{
    return settings_to_json(a) == settings_to_json(b);
}

std::string save_settings(const DesktopSettings& settings)
{
    return dump_safely(settings_to_json(settings), 2) + "\n";
}

SettingsLoad load_settings(std::string_view bytes)
{
    SettingsLoad load;
    const auto json = parse_json(bytes);
    if (json.is_discarded() || !json.is_object()) {
        load.usable = false;
        load.problems.push_back("(root): the settings file is not a JSON object");
        return load;
    }
    auto& s = load.settings;
    Reader top{json, "", load.problems};
    top.text("endpoint", s.endpoint);
    top.text("model", s.model);
    top.text("summary_model", s.summary_model);
    top.text("api_key_env", s.api_key_env);
    top.text("system_prompt", s.system_prompt);
    top.integer("context_window", s.context_window);
    top.integer("reserved_output", s.reserved_output);
    top.integer("max_tokens", s.max_tokens);
    top.number("temperature", s.temperature);
    top.number("top_p", s.top_p);
    top.number("session_cap_usd", s.session_cap_usd);
    top.integer("first_byte_timeout_ms", s.first_byte_timeout_ms);
    top.integer("idle_timeout_ms", s.idle_timeout_ms);
    top.integer("tool_timeout_ms", s.tool_timeout_ms);
    top.text("tools_file", s.tools_file);
    top.text("sessions_dir", s.sessions_dir);
    if (const auto* pricing = top.member("pricing", &nlohmann::json::is_object, "an object")) {
        Reader r{*pricing, "pricing.", load.problems};
        r.number("input_per_million", s.pricing.input_per_million);
        r.number("cached_input_per_million", s.pricing.cached_input_per_million);
        r.number("output_per_million", s.pricing.output_per_million);
        r.number("per_request", s.pricing.per_request);
        r.flag("per_request_billing", s.pricing.per_request_billing);
    }
    if (const auto* retry = top.member("retry", &nlohmann::json::is_object, "an object")) {
        Reader r{*retry, "retry.", load.problems};
        r.integer("max_attempts", s.retry.max_attempts);
        r.integer("base_ms", s.retry.base_ms);
        r.integer("cap_ms", s.retry.cap_ms);
        r.integer("max_retry_after_ms", s.retry.max_retry_after_ms);
    }
    return load;
}

std::string chat_completions_url(std::string_view endpoint)
{
    std::string url(endpoint);
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.empty() || url.ends_with("/chat/completions")) return url;
    return url + "/chat/completions";
}

ConversationConfig conversation_config(const DesktopSettings& settings, const std::string& api_key,
                                       const std::string& session_key, std::uint64_t seed)
{
    ConversationConfig config;
    config.session_key = session_key;
    config.seed = seed;
    config.message_id_prefix = "d" + std::to_string(seed % 100000) + "-";
    if (!api_key.empty()) config.headers.emplace_back("Authorization", "Bearer " + api_key);
    config.retry = settings.retry;
    config.first_byte_timeout_ms = settings.first_byte_timeout_ms;
    config.idle_timeout_ms = settings.idle_timeout_ms;
    config.tool_timeout_ms = settings.tool_timeout_ms;
    config.pricing = settings.pricing;
    config.session_cap_usd = settings.session_cap_usd;
    if (!settings.summary_model.empty()) {
        config.summaries = true;
        config.summary_model = settings.summary_model;
    }
    return config;
}

void apply_to_session(const DesktopSettings& settings, SessionSettings& session)
{
    if (!settings.endpoint.empty()) session.endpoint = chat_completions_url(settings.endpoint);
    if (!settings.model.empty()) session.model = settings.model;
    if (!settings.system_prompt.empty()) session.system_prompt = settings.system_prompt;
    if (settings.context_window) session.context_window = settings.context_window;
    if (settings.reserved_output) session.reserved_output = settings.reserved_output;
    if (settings.max_tokens) session.max_tokens = settings.max_tokens;
    if (settings.temperature) session.temperature = settings.temperature;
    if (settings.top_p) session.top_p = settings.top_p;
}

std::string default_config_path()
{
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0')
        return std::string(xdg) + "/confab/desktop.json";
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        return std::string(home) + "/.config/confab/desktop.json";
    return "confab-desktop.json";
}

std::string default_sessions_dir()
{
    const auto config = default_config_path();
    const auto slash = config.rfind('/');
    return (slash == std::string::npos ? std::string(".") : config.substr(0, slash)) + "/sessions";
}

} // namespace confab::desktop
