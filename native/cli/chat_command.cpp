// native/cli/chat_command.cpp
// `confab chat`: a terminal client driving the core's conversation engine against any
// OpenAI-compatible endpoint. This file is a driver: it reads lines, runs the network
// (native/net/curl_transport), timers, tools and the session file, and shows what the
// engine says. Every decision (trimming, retries, tool validation, costs) is the core's.
//
// Implements: StartRequest, CancelRequest, StartTimer, CancelTimer, RunTool (a command per
// tool, arguments on stdin), SaveSession (the --session file, written atomically),
// ShowMessage, ShowDelta, ShowError, TurnFinished.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "core/conversation.h"
#include "core/json_util.h"
#include "native/cli/commands.h"
#include "native/net/curl_transport.h"

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

// Runs `command` through /bin/sh with `input` on stdin; its stdout is the result. Killed
// after `timeout_ms`. Non-zero exit: not ok, stderr (or stdout) is the error.
std::pair<bool, std::string> run_command(const std::string& command, const std::string& input, std::int64_t timeout_ms)
{
    int to_child[2], from_child[2], err_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0 || pipe(err_child) != 0) return {false, std::strerror(errno)};
    const pid_t pid = fork();
    if (pid < 0) return {false, std::strerror(errno)};
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        dup2(err_child[1], 2);
        for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1], err_child[0], err_child[1]}) close(fd);
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    close(err_child[1]);
    (void)!write(to_child[1], input.data(), input.size());
    close(to_child[1]);

    std::string out, err;
    const auto deadline = now_ms() + timeout_ms;
    pollfd fds[2] = {{from_child[0], POLLIN, 0}, {err_child[0], POLLIN, 0}};
    int open_fds = 2;
    bool timed_out = false;
    while (open_fds > 0) {
        const auto left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        if (::poll(fds, 2, int(left)) <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char buffer[4096];
            const auto n = read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            } else {
                (i == 0 ? out : err).append(buffer, std::size_t(n));
            }
        }
    }
    if (timed_out) kill(pid, SIGKILL);
    for (auto& fd : fds)
        if (fd.fd >= 0) close(fd.fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (timed_out) return {false, "timed out"};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, out};
    return {false, !err.empty() ? err : !out.empty() ? out : "exited with status " + std::to_string(WEXITSTATUS(status))};
}

bool write_atomically(const std::string& path, const std::string& bytes, std::string& error)
{
    const std::string temporary = path + ".tmp";
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    if (file == nullptr) {
        error = temporary + ": " + std::strerror(errno);
        return false;
    }
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    const bool flushed = std::fflush(file) == 0 && fsync(fileno(file)) == 0;
    std::fclose(file);
    if (!written || !flushed || std::rename(temporary.c_str(), path.c_str()) != 0) {
        error = path + ": " + std::strerror(errno);
        std::remove(temporary.c_str());
        return false;
    }
    return true;
}

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
    config.message_id_prefix = "c" + std::to_string(now_ms() % 100000) + "-";
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
            ToolSpec spec;
            spec.name = get_string(entry, "name").value_or("");
            spec.description = get_string(entry, "description").value_or("");
            if (const auto* parameters = find_member(entry, "parameters")) spec.parameters = *parameters;
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
                        if (!e.key.empty() && !write_atomically(e.key, e.bytes, error) && !save_failed) {
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
                        if (e.status != TurnStatus::done) out.note("[" + std::string(to_string(e.status)) + "]\n");
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
            else if (write_atomically(path, save_session(conversation.session()), error)) out.note("[saved to " + path + "]\n");
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
                                        : run_command(command->second.command, dump_safely(call.arguments), config.tool_timeout_ms);
                apply(conversation.handle(ToolFinished{call.call_id, ok, result}, now_ms()));
            }
        }
        std::signal(SIGINT, SIG_DFL);
    }
    return 0;
}

} // namespace confab::cli
