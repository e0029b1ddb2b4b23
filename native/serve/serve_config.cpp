// native/serve/serve_config.cpp
#include "native/serve/serve_config.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <cstdint>

#include "native/serve/demo_model.h"

namespace confab::serve {

const char* const serve_usage =
    "usage: confab serve [options]\n"
    "Serves the widget and relays chat requests to a provider, keeping the API key here.\n"
    "With neither --upstream nor --replay it answers with the offline demo model.\n"
    "\n"
    "  --host ADDR             listen on ADDR (default 127.0.0.1)\n"
    "  --port N                listen on port N (default 8080; 0 picks a free one)\n"
    "  --static DIR            serve the widget and the demo page from DIR (default: the web build)\n"
    "  --upstream URL          an OpenAI-compatible base URL (…/v1) or its /chat/completions URL\n"
    "  --api-key-env NAME      read the provider's key from $NAME (default OPENAI_API_KEY)\n"
    "  --models LIST           allowed models: name=upstream-model or model, comma-separated\n"
    "  --allow-origin ORIGIN   let pages from ORIGIN call the relay (repeatable; * for any)\n"
    "  --rate-limit R          per client address, R = N/s, N/min, N/h or off (default 120/min)\n"
    "  --session-rate-limit R  per X-Confab-Session id (default 60/min)\n"
    "  --redis URL             keep rate-limit buckets in Redis (redis://host:port[/db])\n"
    "  --max-body-bytes N      (default 1048576)   --max-messages N   (default 256)\n"
    "  --max-content-chars N   per message (default 100000)\n"
    "  --max-tokens N          cap on max_tokens (default 4096)\n"
    "  --max-tokens-field F    max_tokens or max_completion_tokens: where the cap goes when unset\n"
    "  --retries N             attempts in all before the first byte (default 3)\n"
    "  --retry-base-ms N       the first retry waits up to N ms (default 250)\n"
    "  --first-byte-timeout-ms N  --idle-timeout-ms N   (default 60000 each)\n"
    "  --drain-seconds N       on SIGTERM, let streams finish for N s (default 10)\n"
    "  --threads N             connections served at once (default 64)\n"
    "  --replay FILE.sse...    answer each request with the next recorded stream, byte for byte\n"
    "  --replay-chunk N        bytes per write (default 64)   --replay-pace MS  between writes (default 0)\n"
    "  --demo-pace MS          between chunks of the demo model (default 20; 0 = at once)\n"
    "  --faults                honour the X-Confab-Fault request header (see docs/relay.md)\n";

namespace {

bool read_number(std::string_view text, std::int64_t low, std::int64_t high, std::int64_t& out)
{
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) return false;
    out = value;
    return true;
}

} // namespace

std::variant<ServeConfig, std::string> parse_serve_args(const std::vector<std::string_view>& args,
                                                        std::string default_static_dir)
{
    ServeConfig config;
    config.static_dir = std::move(default_static_dir);
    std::string models_spec;
    std::string upstream;

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view flag = args[i];
        if (flag == "--help" || flag == "-h") return std::string("help");
        if (flag == "--faults") {
            config.faults = true;
            continue;
        }
        if (flag == "--replay") {
            // Every argument up to the next flag is a recording.
            while (i + 1 < args.size() && !args[i + 1].starts_with("--")) config.replay_files.emplace_back(args[++i]);
            continue;
        }
        static constexpr std::string_view value_flags[] = {
            "--host", "--port", "--static", "--upstream", "--api-key-env", "--models", "--allow-origin",
            "--rate-limit", "--session-rate-limit", "--redis", "--max-body-bytes", "--max-messages",
            "--max-content-chars", "--max-tokens", "--max-tokens-field", "--retries", "--retry-base-ms",
            "--first-byte-timeout-ms", "--idle-timeout-ms", "--drain-seconds", "--threads", "--replay-chunk",
            "--replay-pace", "--demo-pace"};
        if (std::find(std::begin(value_flags), std::end(value_flags), flag) == std::end(value_flags))
            return "unknown option \"" + std::string(flag) + "\"";
        if (i + 1 >= args.size()) return std::string(flag) + " needs a value";
        const std::string_view value = args[++i];
        std::int64_t number = 0;
        auto number_flag = [&](std::int64_t low, std::int64_t high) {
            return read_number(value, low, high, number);
        };
        if (flag == "--host") {
            config.host = std::string(value);
        } else if (flag == "--port") {
            if (!number_flag(0, 65535)) return "--port: expected 0-65535, got \"" + std::string(value) + "\"";
            config.port = int(number);
        } else if (flag == "--static") {
            config.static_dir = std::string(value);
        } else if (flag == "--upstream") {
            upstream = std::string(value);
        } else if (flag == "--api-key-env") {
            config.api_key_env = std::string(value);
        } else if (flag == "--models") {
            models_spec = std::string(value);
        } else if (flag == "--allow-origin") {
            std::string origin(value);
            while (origin.size() > 1 && origin.back() == '/') origin.pop_back();
            config.allow_origins.push_back(std::move(origin));
        } else if (flag == "--rate-limit" || flag == "--session-rate-limit") {
            const auto rule = RateRule::parse(value);
            if (!rule) return std::string(flag) + ": expected N/s, N/min, N/h or off, got \"" + std::string(value) + "\"";
            (flag == "--rate-limit" ? config.client_rate : config.session_rate) = *rule;
        } else if (flag == "--redis") {
            config.redis_url = std::string(value);
        } else if (flag == "--max-body-bytes") {
            if (!number_flag(64, std::int64_t{1} << 30)) return "--max-body-bytes: expected 64 to 2^30";
            config.limits.max_body_bytes = std::size_t(number);
        } else if (flag == "--max-messages") {
            if (!number_flag(1, 100'000)) return "--max-messages: expected 1-100000";
            config.limits.max_messages = std::size_t(number);
        } else if (flag == "--max-content-chars") {
            if (!number_flag(1, std::int64_t{1} << 30)) return "--max-content-chars: expected a positive number";
            config.limits.max_content_chars = std::size_t(number);
        } else if (flag == "--max-tokens") {
            if (!number_flag(1, 10'000'000)) return "--max-tokens: expected 1-10000000";
            config.limits.max_tokens = number;
        } else if (flag == "--max-tokens-field") {
            if (value == "max_tokens") config.limits.max_tokens_field = MaxTokensField::max_tokens;
            else if (value == "max_completion_tokens") config.limits.max_tokens_field = MaxTokensField::max_completion_tokens;
            else return std::string("--max-tokens-field: expected max_tokens or max_completion_tokens");
        } else if (flag == "--retries") {
            if (!number_flag(1, 10)) return "--retries: expected 1-10 attempts";
            config.retry.max_attempts = int(number);
        } else if (flag == "--retry-base-ms") {
            if (!number_flag(0, 60'000)) return "--retry-base-ms: expected 0-60000";
            config.retry.base_ms = number;
        } else if (flag == "--first-byte-timeout-ms" || flag == "--idle-timeout-ms") {
            if (!number_flag(100, 3'600'000)) return std::string(flag) + ": expected 100-3600000";
            (flag == "--idle-timeout-ms" ? config.idle_timeout_ms : config.first_byte_timeout_ms) = int(number);
        } else if (flag == "--drain-seconds") {
            if (!number_flag(0, 3600)) return "--drain-seconds: expected 0-3600";
            config.drain_seconds = int(number);
        } else if (flag == "--threads") {
            if (!number_flag(2, 4096)) return "--threads: expected 2-4096";
            config.threads = int(number);
        } else if (flag == "--replay-chunk") {
            if (!number_flag(1, std::int64_t{1} << 24)) return "--replay-chunk: expected a positive number of bytes";
            config.replay_chunk = std::size_t(number);
        } else if (flag == "--replay-pace" || flag == "--demo-pace") {
            if (!number_flag(0, 60'000)) return std::string(flag) + ": expected 0-60000 ms";
            (flag == "--demo-pace" ? config.demo_pace_ms : config.replay_pace_ms) = int(number);
        }
    }

    if (!upstream.empty()) {
        if (!upstream.starts_with("http://") && !upstream.starts_with("https://"))
            return "--upstream: expected an http:// or https:// URL";
        if (!config.replay_files.empty()) return std::string("--upstream and --replay cannot be used together");
        while (upstream.ends_with('/')) upstream.pop_back();
        config.upstream = upstream.ends_with("/chat/completions") ? upstream : upstream + "/chat/completions";
    }
    if (!models_spec.empty()) {
        std::string error;
        auto table = ModelTable::parse(models_spec, error);
        if (!table) return error;
        config.models = std::move(*table);
        config.models_given = true;
    }
    const bool demo = config.upstream.empty() && config.replay_files.empty();
    if (demo) {
        if (config.models_given) {
            for (const auto& name : config.models.names()) {
                const auto target = config.models.resolve(name);
                if (target != std::string(demo_model_id) && target != std::string(demo_reasoner_id))
                    return "--models: without --upstream only " + std::string(demo_model_id) + " and " +
                           std::string(demo_reasoner_id) + " can answer";
            }
        } else {
            // The page may ask for the demo models by name, or for the usual aliases.
            std::string error;
            config.models = *ModelTable::parse("confab-demo,confab-demo-reasoner,chat=confab-demo,"
                                               "summary=confab-demo,reasoner=confab-demo-reasoner",
                                               error);
        }
    } else if (!config.models_given) {
        config.models = ModelTable::open_table();
    }
    return config;
}

} // namespace confab::serve
