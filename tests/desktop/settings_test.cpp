// tests/desktop/settings_test.cpp
#include <doctest/doctest.h>

#include "native/desktop/settings.h"

using namespace confab;
using namespace confab::desktop;

TEST_CASE("settings: what is saved loads back the same")
{
    DesktopSettings settings;
    settings.endpoint = "https://api.example.com/v1";
    settings.model = "gpt-4o-mini";
    settings.summary_model = "gpt-4o-nano";
    settings.context_window = 16000;
    settings.temperature = 0.5;
    settings.pricing.input_per_million = 0.15;
    settings.pricing.output_per_million = 0.6;
    settings.pricing.per_request = 0.002;
    settings.retry.max_attempts = 2;
    settings.tools_file = "/tmp/tools.json";
    const auto load = load_settings(save_settings(settings));
    CHECK(load.usable);
    CHECK(load.problems.empty());
    CHECK(load.settings == settings);
}

TEST_CASE("settings: a member of the wrong type is reported and keeps its default")
{
    const auto load = load_settings(R"({"model": 5, "endpoint": "http://x/v1", "pricing": {"input_per_million": "cheap"},
                                        "context_window": 1.5, "retry": {"max_attempts": 3}})");
    CHECK(load.usable);
    CHECK(load.settings.model.empty());
    CHECK(load.settings.endpoint == "http://x/v1");
    CHECK(load.settings.retry.max_attempts == 3);
    CHECK_FALSE(load.settings.context_window);
    REQUIRE(load.problems.size() == 3);
    CHECK(load.problems[0] == "model: expected a string");
    CHECK(load.problems[1] == "context_window: expected an integer");
    CHECK(load.problems[2] == "pricing.input_per_million: expected a number");

    const auto broken = load_settings("{not json");
    CHECK_FALSE(broken.usable);
    CHECK(broken.settings == DesktopSettings{});
}

TEST_CASE("settings: the chat-completions URL of an endpoint")
{
    CHECK(chat_completions_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1/chat/completions");
    CHECK(chat_completions_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1/chat/completions");
    CHECK(chat_completions_url("https://x/v1/chat/completions") == "https://x/v1/chat/completions");
    CHECK(chat_completions_url("") == "");
}

TEST_CASE("settings: the engine's config carries the key in a header only, and the session gets the model")
{
    DesktopSettings settings;
    settings.endpoint = "http://h/v1";
    settings.model = "m";
    settings.summary_model = "small";
    settings.session_cap_usd = 0.5;
    settings.max_tokens = 256;
    const auto config = conversation_config(settings, "sk-secret", "/tmp/s.json", 42);
    REQUIRE(config.headers.size() == 1);
    CHECK(config.headers[0].second == "Bearer sk-secret");
    CHECK(config.summaries);
    CHECK(config.summary_model == "small");
    CHECK(config.session_cap_usd == 0.5);
    CHECK(config.session_key == "/tmp/s.json");
    CHECK(conversation_config(settings, "", "", 1).headers.empty());
    CHECK(save_settings(settings).find("sk-secret") == std::string::npos);

    SessionSettings session;
    session.temperature = 0.9;
    apply_to_session(settings, session);
    CHECK(session.endpoint == "http://h/v1/chat/completions");
    CHECK(session.model == "m");
    CHECK(session.max_tokens == 256);
    CHECK(session.temperature == 0.9);  // not set in the harness: the session's own stays
}
