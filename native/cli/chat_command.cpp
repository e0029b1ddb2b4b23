// native/cli/chat_command.cpp
// `confab chat`: a terminal client driving the core's conversation engine against any
// OpenAI-compatible endpoint. This file is a driver: it reads lines, runs the network
// (native/net/curl_transport), timers, tools and the session file, and shows what the
// engine says. Every decision (trimming, retries, tool validation, costs) is the core's.
//
// Implements: StartRequest, CancelRequest, StartTimer, CancelTimer, RunTool (a command per
// tool, arguments on stdin), SaveSession (the --session file, written atomically),
// ShowMessage, ShowDelta, ShowError, TurnFinished.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <unistd.h>

#include "core/conversation.h"
#include "core/json_util.h"
#include "native/cli/commands.h"
#include "native/net/curl_transport.h"
#include "native/system/files.h"
#include "native/system/run_command.h"

namespace confab::cli {

namespace {

constexpr const char* chat_usage =
    "usage: confab chat --endpoint URL --model M [options]\n"
    "  --endpoint URL        an OpenAI-compatible base URL (…/v1) or its /chat/completions URL\n"
    "  --model M             the model to ask\n"
    "  --session FILE        load and keep the conversation in FILE (the widget's session format)\n"
    "  --system TEXT         the system prompt (stored in the session's settings)\n"
    "  --api-key-env NAME    read the API key from this environment variable (default OPENAI_API_KEY;\n"
    "                        never pass a key as a flag)\n"
    "  --tools FILE          JSON array of tools: {name, description, parameters, command}; each call\n"
    "                        runs `command` with the arguments as JSON on stdin, its stdout the result\n"
    "  --context N           the model's context window in tokens\n"
    "  --summary-model M     condense dropped turns with this (cheaper) model\n"
    "  --price-input P --price-output P   USD per million tokens; --price-request P   USD per request\n"
    "  --session-cap USD     refuse requests past this cost for the session\n"
    "In the chat: /cost, /trim, /save [FILE], /quit. Ctrl-C stops a reply and keeps what arrived.\n";

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

std::int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct ToolCommand {
    std::string command;
};

std::string chat_url(std::string endpoint)
{
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    if (endpoint.ends_with("/chat/completions")) return endpoint;
    return endpoint + "/chat/completions";
}

class Terminal {
public:
    Terminal() : color_(isatty(1) != 0) {}
    void text(std::string_view s) { write(s); }
    void dim(std::string_view s) { styled("\x1b[2m", s); }
    void note(std::string_view s) { styled("\x1b[36m", s); }
    void error(std::string_view s) { styled("\x1b[31m", s); }
    void flush() { std::fflush(stdout); }

private:
    void styled(const char* style, std::string_view s)
    {
        if (color_) write(style);
        write(s);
        if (color_) write("\x1b[0m");
    }
    void write(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }
    bool color_;
};

} // namespace

int chat(const std::vector<std::string_view>& args)
{
    std::string endpoint, model, session_path, system_prompt, key_env = "OPENAI_API_KEY", tools_path, summary_model;
    ConversationConfig config;
    std::optional<std::int64_t> context;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto arg = args[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) return {};
            return std::string(args[++i]);
        };
        const auto number = [&](double& out) {
            const auto text = value();
            char* end = nullptr;
            out = std::strtod(text.c_str(), &end);
            return !text.empty() && end && *end == '\0';
        };
        double parsed = 0;
        if (arg == "--help" || arg == "-h") {
            std::fputs(chat_usage, stdout);
            return 0;
        } else if (arg == "--endpoint") endpoint = value();
        else if (arg == "--model") model = value();
        else if (arg == "--session") session_path = value();
        else if (arg == "--system") system_prompt = value();
        else if (arg == "--api-key-env") key_env = value();
        else if (arg == "--tools") tools_path = value();
        else if (arg == "--summary-model") summary_model = value();
        else if (arg == "--context" && number(parsed)) context = std::int64_t(parsed);
        else if (arg == "--price-input" && number(parsed)) config.pricing.input_per_million = parsed;
        else if (arg == "--price-output" && number(parsed)) config.pricing.output_per_million = parsed;
        else if (arg == "--price-request" && number(parsed)) {
            config.pricing.per_request = parsed;
            config.pricing.per_request_billing = true;
        } else if (arg == "--session-cap" && number(parsed)) config.session_cap_usd = parsed;
        else {
            std::fprintf(stderr, "confab chat: unexpected or incomplete argument \"%.*s\"\n%s", int(arg.size()), arg.data(),
                         chat_usage);
            return 2;
        }
    }
    if (endpoint.empty() || model.empty()) {
        std::fputs(chat_usage, stderr);
        return 2;
    }

    // The session: loaded from --session when the file exists, else new.
    Session session;
    if (!session_path.empty()) {
        std::string error;
        if (access(session_path.c_str(), F_OK) == 0) {
            const auto bytes = read_input(session_path, error);
            if (!bytes) {
                std::fprintf(stderr, "confab chat: %s\n", error.c_str());
                return 1;
            }
            auto loaded = load_session(*bytes);
            if (loaded.error) {
                std::fprintf(stderr, "confab chat: %s: %s\n", session_path.c_str(), loaded.error->text().c_str());
                return 1;
            }
            session = std::move(*loaded.session);
        }
    }
    if (session.id.empty()) {
        session.id = "cli-" + std::to_string(now_ms());
        session.created_ms = now_ms();
    }
    session.settings.endpoint = chat_url(endpoint);
    session.settings.model = model;
    if (!system_prompt.empty()) session.settings.system_prompt = system_prompt;
    if (context) session.settings.context_window = *context;

    if (const char* key = std::getenv(key_env.c_str()); key != nullptr && *key != '\0')
        config.headers.emplace_back("Authorization", std::string("Bearer ") + key);
    config.session_key = session_path;
    config.seed = std::uint64_t(now_ms());
    config.message_id_prefix = std::string("c").append(std::to_string(now_ms() % 100000)).append("-");
    if (!summary_model.empty()) {
        config.summaries = true;
        config.summary_model = summary_model;
    }

    Conversation conversation(config, std::move(session));

    // Tools: definitions for the registry, commands for this driver.
    std::map<std::string, ToolCommand> commands;
    if (!tools_path.empty()) {
        std::string error;
        const auto bytes = read_input(tools_path, error);
        const auto json = bytes ? parse_json(*bytes) : nlohmann::json();
        if (!bytes || !json.is_array()) {
            std::fprintf(stderr, "confab chat: %s\n", bytes ? (tools_path + ": expected a JSON array of tools").c_str() : error.c_str());
            return 1;
        }
        for (const auto& entry : json) {
            const ToolSpec spec = tool_spec_from_json(entry);
            if (auto problem = conversation.tools().add(spec)) {
                std::fprintf(stderr, "confab chat: %s: tool \"%s\": %s\n", tools_path.c_str(), spec.name.c_str(), problem->c_str());
                return 1;
            }
            commands[spec.name] = ToolCommand{get_string(entry, "command").value_or("")};
        }
    }

    Terminal out;
    std::map<std::uint64_t, std::int64_t> timers;  // id -> when it fires
    std::vector<RunTool> tool_queue;
    bool turn_over = true;
    bool save_failed = false;
    StreamDelta::Kind last_kind = StreamDelta::Kind::content;

    std::function<void(std::vector<Effect>)> apply;
    native::CurlTransport net([&](const Input& input) { apply(conversation.handle(input, now_ms())); });

    apply = [&](std::vector<Effect> effects) {
        for (auto& effect : effects) {
            std::visit(
                [&](auto& e) {
                    using E = std::decay_t<decltype(e)>;
                    if constexpr (std::is_same_v<E, StartRequest>) net.start(e);
                    else if constexpr (std::is_same_v<E, CancelRequest>) net.cancel(e.id);
                    else if constexpr (std::is_same_v<E, StartTimer>) timers[e.id] = now_ms() + e.delay_ms;
                    else if constexpr (std::is_same_v<E, CancelTimer>) timers.erase(e.id);
                    else if constexpr (std::is_same_v<E, RunTool>) tool_queue.push_back(std::move(e));
                    else if constexpr (std::is_same_v<E, SaveSession>) {
                        std::string error;
                        if (!e.key.empty() && !native::write_atomically(e.key, e.bytes, error) && !save_failed) {
                            save_failed = true;  // said once; the chat goes on in memory
                            out.error("\n[could not save the session: " + error + "]\n");
                        }
                    } else if constexpr (std::is_same_v<E, ShowDelta>) {
                        const auto kind = e.delta.kind;
                        if (kind == StreamDelta::Kind::reasoning) out.dim(e.delta.text);
                        else if (kind == StreamDelta::Kind::content || kind == StreamDelta::Kind::refusal) {
                            if (last_kind == StreamDelta::Kind::reasoning) out.text("\n\n");
                            out.text(e.delta.text);
                        }
                        if (kind != StreamDelta::Kind::tool_call) last_kind = kind;
                        out.flush();
                    } else if constexpr (std::is_same_v<E, ShowMessage>) {
                        if (e.message.role == Role::tool)
                            out.note("\n← " + e.message.name + ": " + e.message.content.value_or("").substr(0, 400) + "\n");
                        else if (e.message.role == Role::assistant)
                            for (const auto& call : e.message.tool_calls)
                                out.note("\n→ " + call.name + " " + call.arguments + "\n");
                    } else if constexpr (std::is_same_v<E, ShowError>) {
                        out.error("\n[" + e.text + "]\n");
                    } else if constexpr (std::is_same_v<E, TurnFinished>) {
                        turn_over = true;
                        out.text("\n");
                        if (e.status != TurnStatus::done) out.note(std::string("[").append(to_string(e.status)).append("]\n"));
                        out.flush();
                    }
                },
                effect);
        }
    };

    const bool interactive = isatty(0) != 0;
    std::string line;
    for (;;) {
        if (interactive) {
            out.text("> ");
            out.flush();
        }
        if (!std::getline(std::cin, line)) break;
        if (line.empty()) continue;
        if (line == "/quit" || line == "/exit") break;
        if (line == "/cost") {
            const auto cost = conversation.session_cost();
            const auto next = conversation.preview("");
            char text[256];
            std::snprintf(text, sizeof text,
                          "session: $%.6f per-token pricing, $%.6f per-request pricing (charged $%.6f); "
                          "next request about %lld input tokens, $%.6f\n",
                          cost.per_token, cost.per_request, cost.charged, (long long)next.estimated_input_tokens,
                          next.estimated_cost.charged);
            out.note(text);
            continue;
        }
        if (line == "/trim") {
            const auto next = conversation.preview("");
            nlohmann::json report = {{"kept", next.plan.kept}, {"dropped", next.plan.dropped},
                                     {"estimated_tokens", next.plan.estimated_tokens}, {"budget", next.plan.budget.tokens}};
            out.note(dump_safely(report) + "\n");
            continue;
        }
        if (line.starts_with("/save")) {
            std::string path = line.size() > 6 ? line.substr(6) : session_path;
            std::string error;
            if (path.empty()) out.error("[/save needs a file name: /save FILE]\n");
            else if (native::write_atomically(path, save_session(conversation.session()), error)) out.note("[saved to " + path + "]\n");
            else out.error("[" + error + "]\n");
            continue;
        }

        turn_over = false;
        interrupted = 0;
        std::signal(SIGINT, on_interrupt);
        apply(conversation.handle(UserSent{line}, now_ms()));
        while (!turn_over) {
            if (interrupted) {
                interrupted = 0;
                apply(conversation.handle(UserStopped{}, now_ms()));
                continue;
            }
            std::int64_t wait = 100;  // also how quickly Ctrl-C is noticed
            for (const auto& [id, when] : timers) wait = std::min(wait, std::max<std::int64_t>(0, when - now_ms()));
            net.poll(int(wait));
            for (auto it = timers.begin(); it != timers.end();) {
                if (it->second <= now_ms()) {
                    const auto id = it->first;
                    timers.erase(it);
                    apply(conversation.handle(TimerFired{id}, now_ms()));
                    it = timers.begin();
                } else {
                    ++it;
                }
            }
            auto queue = std::move(tool_queue);
            tool_queue.clear();
            for (const auto& call : queue) {
                const auto command = commands.find(call.name);
                auto [ok, result] = command == commands.end() || command->second.command.empty()
                                        ? std::pair<bool, std::string>{false, "this tool has no command"}
                                        : native::run_command(command->second.command, dump_safely(call.arguments), config.tool_timeout_ms);
                apply(conversation.handle(ToolFinished{call.call_id, ok, result}, now_ms()));
            }
        }
        std::signal(SIGINT, SIG_DFL);
    }
    return 0;
}

} // namespace confab::cli
