// native/serve/relay_server.cpp
#include "native/serve/relay_server.h"

#include <httplib.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "core/json_util.h"
#include "core/provider_error.h"
#include "core/retry_policy.h"
#include "native/serve/client_connection.h"
#include "native/serve/demo_model.h"
#include "native/serve/fault_plan.h"
#include "native/serve/log_line.h"
#include "native/serve/origin_policy.h"
#include "native/serve/redis_rate_limiter.h"
#include "native/serve/static_files.h"
#include "native/serve/upstream_transfer.h"

namespace confab::serve {

namespace {

using nlohmann::json;

std::int64_t steady_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::int64_t unix_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// What the log line of the request this thread is serving will say. A server thread serves
// one request at a time, from routing to the last byte of its body, so a thread_local is
// that request's record; the logger (called after the body is written) prints and clears it.
struct RequestRecord {
    std::int64_t start_ms = 0;
    std::string model;
    std::string source;        // demo, replay, upstream, static, fault
    std::string error;         // why it failed, in plain words (never content)
    int attempts = 0;
    std::size_t bytes_out = 0;
    bool streamed = false;     // bytes_out counted as written
    std::int64_t first_byte_ms = -1;
};
thread_local RequestRecord current;

// The client of the request this thread serves closed its end or reset the connection.
bool client_gone()
{
    const ClientConnection* connection = ClientConnection::current();
    return connection != nullptr && connection->gone();
}

// Sends what the client's connection still holds (a response head) before the relay waits on
// anything: the client learns at once that its reply has begun.
void flush_client()
{
    if (ClientConnection* connection = ClientConnection::current()) connection->flush();
}

std::string error_event(std::string_view message)
{
    return "data: " + dump_safely(json{{"error", {{"message", message}, {"type", "relay_error"}}}}) + "\n\n";
}

void send_error(httplib::Response& res, const RelayError& error)
{
    res.status = error.status;
    res.set_content(dump_safely(error.body()), "application/json");
    if (current.error.empty()) current.error = error.message;
}

} // namespace

struct RelayServer::State {
    ServeConfig config;
    Listener http;
    StaticFiles files;
    std::unique_ptr<RateLimiter> limiter;
    std::vector<std::string> recordings;
    std::atomic<std::size_t> next_recording{0};
    std::string api_key;
    std::atomic<bool> draining{false};
    std::atomic<bool> ending{false};  // the drain deadline passed: streams stop now
    std::atomic<std::uint64_t> seed{0};

    explicit State(ServeConfig c) : config(std::move(c)), files(config.static_dir) {}

    // Where a reply's bytes go: the client's sink, through the request's faults, counting.
    struct Outlet {
        State& state;
        httplib::DataSink& sink;
        std::optional<FaultyBody> faults;
        int slow_ms = 0;
        char tail[2] = {'\n', '\n'};  // the last two bytes written: nothing yet ends an event

        // Waits `ms` in short steps; false when the client leaves or the relay is ending.
        bool wait(int ms)
        {
            flush_client();
            const std::int64_t until = steady_ms() + ms;
            while (true) {
                if (state.ending || client_gone()) return false;
                const std::int64_t left = until - steady_ms();
                if (left <= 0) return true;
                std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(left, 50)));
            }
        }

        // False: stop sending (the client is gone, or a fault ended the body).
        bool write(std::string_view bytes)
        {
            if (bytes.empty()) return true;
            if (slow_ms > 0 && !wait(slow_ms)) return false;
            FaultyBody::Piece piece;
            if (faults) {
                piece = faults->pass(bytes);
                bytes = piece.bytes;
            }
            if (!bytes.empty()) {
                if (!sink.write(bytes.data(), bytes.size())) {
                    current.error = "client left";
                    return false;
                }
                if (current.first_byte_ms < 0) current.first_byte_ms = steady_ms() - current.start_ms;
                current.bytes_out += bytes.size();
                tail[0] = bytes.size() >= 2 ? bytes[bytes.size() - 2] : tail[1];
                tail[1] = bytes.back();
            }
            if (piece.then == FaultyBody::Then::drop) {
                current.error = "fault: dropped";
                return false;
            }
            if (piece.then == FaultyBody::Then::stall) {
                current.error = "fault: stalled";
                while (wait(100)) {
                }
                return false;
            }
            return true;
        }

        // Ends the body with an error event the widget understands, starting a new event if
        // the last one was cut off.
        void fail(std::string_view message)
        {
            if (current.error.empty()) current.error = std::string(message);
            std::string bytes = (tail[0] == '\n' && tail[1] == '\n') ? "" : "\n\n";
            bytes += error_event(message);
            if (sink.write(bytes.data(), bytes.size())) current.bytes_out += bytes.size();
        }
    };

    void routes();
    void chat(const httplib::Request& req, httplib::Response& res);
    void models(const httplib::Request& req, httplib::Response& res);
    void static_file(const httplib::Request& req, httplib::Response& res);
    void send_pieces(httplib::Response& res, std::string content_type,
                     std::vector<std::string> pieces, int pace_ms, const std::optional<FaultPlan>& plan);
    void relay(httplib::Response& res, const ChatCall& call,
               const std::optional<FaultPlan>& plan);
    void log(const httplib::Request& req, const httplib::Response& res);
};

RelayServer::RelayServer(ServeConfig config) : state_(std::make_unique<State>(std::move(config))) {}

RelayServer::~RelayServer() = default;

void RelayServer::log_line(std::string line)
{
    // One write(2) per line and no lock: server threads never wait on each other to log, and
    // a line (far below PIPE_BUF, 4 KiB) reaches a pipe whole. A longer line is finished by
    // further writes, which another thread's line could then split; only a lock would
    // prevent that, and no line the relay writes comes near it.
    std::string bytes = std::move(line);
    bytes += '\n';
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // stdout is gone: the log is lost, the relay goes on
        written += std::size_t(n);
    }
}

int RelayServer::bind(std::string& error)
{
    auto& s = *state_;
    const auto& config = s.config;
    if (const char* key = config.upstream.empty() ? nullptr : std::getenv(config.api_key_env.c_str())) s.api_key = key;
    if (!config.upstream.empty() && s.api_key.empty())
        std::fprintf(stderr, "confab serve: $%s is empty; requests go upstream without a key\n", config.api_key_env.c_str());
    if (!config.upstream.empty() && !config.models_given)
        std::fprintf(stderr, "confab serve: no --models: the page may ask the provider for any model\n");
    for (const auto& path : config.replay_files) {
        std::ifstream file(path, std::ios::binary);
        if (!file) {
            error = "--replay: cannot read " + path;
            return -1;
        }
        std::ostringstream bytes;
        bytes << file.rdbuf();
        s.recordings.push_back(bytes.str());
    }
    if (!config.redis_url.empty()) {
        const auto address = RedisAddress::parse(config.redis_url);
        if (!address) {
            error = "--redis: expected redis://host:port[/db], got \"" + config.redis_url + "\"";
            return -1;
        }
        auto redis = std::make_unique<RedisRateLimiter>(*address);
        if (auto problem = redis->check(); !problem.empty()) {
            error = "--redis: " + problem;
            return -1;
        }
        s.limiter = std::move(redis);
    } else {
        s.limiter = std::make_unique<MemoryRateLimiter>();
    }
    if (!s.files.usable())
        std::fprintf(stderr, "confab serve: no static folder at %s; only the API is served\n", config.static_dir.c_str());
    s.seed = std::uint64_t(unix_ms()) * 0x9E3779B97F4A7C15ull;

    const int threads = config.threads;
    s.http.new_task_queue = [threads] { return new httplib::ThreadPool(std::size_t(threads)); };
    s.http.set_payload_max_length(config.limits.max_body_bytes);
    s.http.set_keep_alive_max_count(10'000);
    s.http.set_keep_alive_timeout(3);
    s.http.set_tcp_nodelay(true);
    s.routes();

    int port = config.port;
    if (port == 0) {
        port = s.http.bind_to_any_port(config.host);
    } else if (!s.http.bind_to_port(config.host, port)) {
        port = -1;
    }
    if (port < 0) {
        error = "cannot listen on " + config.host + ":" + std::to_string(config.port);
        return -1;
    }
    s.http.widen_backlog(1024);
    return port;
}

void RelayServer::run() { state_->http.listen_after_bind(); }

void RelayServer::drain()
{
    auto& s = *state_;
    if (s.draining.exchange(true)) return;
    log_line(dump_safely(json{{"event", "draining"}, {"time", iso_time(unix_ms())}, {"seconds", s.config.drain_seconds}}));
    s.http.stop();
    std::thread([&s] {
        std::this_thread::sleep_for(std::chrono::seconds(s.config.drain_seconds));
        s.ending = true;
        // Streams notice within a poll (50-100 ms) and end with an error event; a connection
        // that cannot even be written to does not hold the exit up for long.
        std::this_thread::sleep_for(std::chrono::seconds(3));
        log_line(dump_safely(json{{"event", "stopped"}, {"time", iso_time(unix_ms())}, {"forced", true}}));
        std::_Exit(0);
    }).detach();
}

void RelayServer::State::routes()
{
    // CORS and the log record, before any route.
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        current = RequestRecord{};
        current.start_ms = steady_ms();
        const auto origin = req.get_header_value("Origin");
        const auto verdict = judge_origin(origin, req.get_header_value("Host"), config.allow_origins);
        if (verdict == OriginVerdict::allowed) {
            res.set_header("Access-Control-Allow-Origin", origin);
            res.set_header("Vary", "Origin");
            res.set_header("Access-Control-Expose-Headers", std::string(cors_expose_headers));
        }
        if (req.method == "OPTIONS") {
            if (verdict != OriginVerdict::allowed && verdict != OriginVerdict::same_origin) {
                send_error(res, {403, "this origin may not call the relay", "invalid_request_error", "origin_not_allowed", nullptr});
                return httplib::Server::HandlerResponse::Handled;
            }
            res.status = 204;
            res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            res.set_header("Access-Control-Allow-Headers", std::string(cors_allow_headers));
            res.set_header("Access-Control-Max-Age", "600");
            return httplib::Server::HandlerResponse::Handled;
        }
        // A page from elsewhere may not spend the operator's tokens, even with a "simple"
        // request that skips the preflight.
        if (verdict == OriginVerdict::refused && req.method == "POST") {
            send_error(res, {403, "this origin may not call the relay", "invalid_request_error", "origin_not_allowed", nullptr});
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });

    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) { chat(req, res); });
    http.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) { models(req, res); });
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
        res.status = draining ? 503 : 200;
        res.set_content(draining ? R"({"status":"draining"})" : R"({"status":"ok"})", "application/json");
    });
    http.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) { static_file(req, res); });

    // Errors httplib answers itself (no route, body too large, a bad request line) get the
    // same JSON body as the relay's own; responses the relay wrote are left alone.
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&, httplib::Response& res) {
            if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
            const std::string code = res.status == 404 ? "not_found" : res.status == 413 ? "body_too_large" : "";
            RelayError error{res.status, status_text(res.status), "invalid_request_error", code, nullptr};
            send_error(res, error);
            return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log(req, res); });
}

void RelayServer::State::log(const httplib::Request& req, const httplib::Response& res)
{
    const std::int64_t now = steady_ms();
    // In this order, so a person reading the log finds the time and the status first.
    LogLine line;
    line.add("time", iso_time(unix_ms())).add("client", req.remote_addr).add("method", req.method).add("path", req.path);
    line.add("status", res.status);
    if (!current.model.empty()) line.add("model", current.model);
    if (!current.source.empty()) line.add("source", current.source);
    if (current.attempts > 0) line.add("attempts", current.attempts);
    line.add("bytes_in", std::int64_t(req.body.size()));
    line.add("bytes_out", std::int64_t(current.streamed || current.bytes_out > 0 ? current.bytes_out : res.body.size()));
    if (current.first_byte_ms >= 0) line.add("first_byte_ms", current.first_byte_ms);
    if (current.start_ms > 0) line.add("total_ms", now - current.start_ms);
    if (!current.error.empty()) line.add("error", current.error);
    RelayServer::log_line(line.finish());
    current = RequestRecord{};
}

void RelayServer::State::models(const httplib::Request&, httplib::Response& res)
{
    json data = json::array();
    for (const auto& name : config.models.names())
        data.push_back({{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "confab"}});
    res.set_content(dump_safely(json{{"object", "list"}, {"data", std::move(data)}}), "application/json");
}

void RelayServer::State::static_file(const httplib::Request& req, httplib::Response& res)
{
    current.source = "static";
    if (req.path.starts_with("/v1/")) {
        send_error(res, {404, "no such endpoint: " + req.path, "invalid_request_error", "not_found", nullptr});
        return;
    }
    if (!files.usable() && req.path == "/") {
        res.set_content("confab serve: the widget is not built. Build it (cmake --workflow --preset wasm) "
                        "or pass --static DIR. The API is at /v1/chat/completions.\n",
                        "text/plain; charset=utf-8");
        return;
    }
    const auto file = files.find(req.path, req.get_header_value("Accept-Encoding"));
    if (!file) {
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
    }
    // Static files are public: any page may read them (the widget's wasm is fetched by pages
    // on other origins), unless an allowed origin already got its own header.
    if (!res.has_header("Access-Control-Allow-Origin")) res.set_header("Access-Control-Allow-Origin", "*");
    res.set_header("Cache-Control", file->cache_control);
    res.set_header("ETag", file->etag);
    res.set_header("X-Content-Type-Options", "nosniff");
    if (file->compressible) res.set_header("Vary", "Accept-Encoding");
    if (!file->encoding.empty()) res.set_header("Content-Encoding", file->encoding);
    if (req.get_header_value("If-None-Match") == file->etag) {
        res.status = 304;
        return;
    }
    // A content provider with a length: httplib sends it as it is (it compresses only
    // bodies and chunked providers), so a precompressed file is never compressed twice.
    const std::string path = file->path;
    res.set_content_provider(std::size_t(file->size), file->content_type,
                             [path](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                 const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                                 if (fd < 0) return false;
                                 char buffer[1 << 16];
                                 bool ok = true;
                                 while (ok && length > 0) {
                                     const ssize_t n = ::pread(fd, buffer, std::min(length, sizeof buffer), off_t(offset));
                                     if (n <= 0) {
                                         ok = false;
                                         break;
                                     }
                                     ok = sink.write(buffer, std::size_t(n));
                                     offset += std::size_t(n);
                                     length -= std::size_t(n);
                                 }
                                 ::close(fd);
                                 return ok;
                             });
    current.bytes_out = std::size_t(file->size);
}

void RelayServer::State::chat(const httplib::Request& req, httplib::Response& res)
{
    res.set_header("Cache-Control", "no-store");

    std::optional<FaultPlan> plan;
    if (config.faults && req.has_header("X-Confab-Fault")) {
        auto parsed = parse_fault_plan(req.get_header_value("X-Confab-Fault"));
        if (auto* reason = std::get_if<std::string>(&parsed)) {
            send_error(res, {400, *reason, "invalid_request_error", "invalid_fault", nullptr});
            return;
        }
        plan = std::get<FaultPlan>(parsed);
    }

    // Rate limits: the client's address, and the page's session when it names one.
    std::vector<RateKey> keys;
    if (config.client_rate.enabled()) keys.push_back({"client:" + req.remote_addr, config.client_rate});
    if (const auto session = req.get_header_value("X-Confab-Session"); !session.empty()) {
        const bool printable = session.size() <= 128 && std::all_of(session.begin(), session.end(), [](char c) {
                                   return c > ' ' && c < 0x7F;
                               });
        if (!printable) {
            send_error(res, {400, "X-Confab-Session must be 1-128 printable ASCII characters", "invalid_request_error",
                             "invalid_session", nullptr});
            return;
        }
        if (config.session_rate.enabled()) keys.push_back({"session:" + session, config.session_rate});
    }
    if (!keys.empty()) {
        const auto decision = limiter->take(keys, steady_ms());
        if (!decision.problem.empty()) current.error = "rate limiter: " + decision.problem;
        if (!decision.allowed) {
            const std::int64_t seconds = std::max<std::int64_t>(1, (decision.retry_after_ms + 999) / 1000);
            res.set_header("Retry-After", std::to_string(seconds));
            send_error(res, {429, "too many requests from this " + decision.limited_by + "; try again in " +
                                      std::to_string(seconds) + " s",
                             "rate_limit_error", "rate_limited", nullptr});
            return;
        }
    }

    auto checked = check_chat_request(req.body, config.limits, config.models);
    if (auto* error = std::get_if<RelayError>(&checked)) {
        send_error(res, *error);
        return;
    }
    auto& call = std::get<ChatCall>(checked);
    current.model = call.requested_model == call.model ? call.model : call.requested_model + "=" + call.model;
    if (!call.dropped.empty()) {
        std::string names;
        for (const auto& name : call.dropped) names += (names.empty() ? "" : ", ") + name;
        res.set_header("X-Confab-Dropped-Fields", names);
    }

    if (plan && plan->status) {
        current.source = "fault";
        if (plan->retry_after_s) res.set_header("Retry-After", std::to_string(*plan->retry_after_s));
        send_error(res, {*plan->status, "fault injected by X-Confab-Fault: " + status_text(*plan->status), "relay_fault",
                         "fault", nullptr});
        return;
    }

    if (!recordings.empty()) {
        current.source = "replay";
        const std::string& bytes = recordings[next_recording++ % recordings.size()];
        std::vector<std::string> pieces;
        for (std::size_t at = 0; at < bytes.size(); at += config.replay_chunk)
            pieces.push_back(bytes.substr(at, config.replay_chunk));
        send_pieces(res, "text/event-stream", std::move(pieces), config.replay_pace_ms, plan);
        return;
    }
    if (!config.upstream.empty()) {
        current.source = "upstream";
        relay(res, call, plan);
        return;
    }

    current.source = "demo";
    DemoRequest demo{call.model, std::move(call.messages), nullptr, nullptr};
    if (const auto* tools = find_member(call.body, "tools")) demo.tools = *tools;
    if (const auto* choice = find_member(call.body, "tool_choice")) demo.tool_choice = *choice;
    const DemoReply reply = demo_reply(demo);
    const std::int64_t created = unix_ms() / 1000;
    if (call.stream) {
        send_pieces(res, "text/event-stream", demo_events(reply, call.model, created), config.demo_pace_ms, plan);
    } else {
        send_pieces(res, "application/json", {dump_safely(demo_completion(reply, call.model, created))}, 0, plan);
    }
}

void RelayServer::State::send_pieces(httplib::Response& res, std::string content_type,
                                     std::vector<std::string> pieces, int pace_ms, const std::optional<FaultPlan>& plan)
{
    if (!plan && content_type == "application/json" && pieces.size() == 1) {
        res.set_content(pieces[0], content_type);
        return;
    }
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        content_type, [this, pieces = std::move(pieces), pace_ms, plan](std::size_t, httplib::DataSink& sink) {
            current.streamed = true;
            Outlet out{*this, sink, std::nullopt, plan ? plan->slow_ms.value_or(0) : 0};
            if (plan) out.faults.emplace(*plan);
            for (std::size_t i = 0; i < pieces.size(); ++i) {
                if (i > 0 && pace_ms > 0 && !out.wait(pace_ms)) {
                    if (!ending) return false;
                    out.fail("the relay is shutting down");
                    sink.done();
                    return true;
                }
                if (!out.write(pieces[i])) return false;
            }
            sink.done();
            return true;
        });
}

void RelayServer::State::relay(httplib::Response& res, const ChatCall& call,
                               const std::optional<FaultPlan>& plan)
{
    const UpstreamRequest request{config.upstream, api_key, dump_safely(call.body), config.connect_timeout_ms};
    Jitter jitter(seed.fetch_add(0x9E3779B97F4A7C15ull));

    // Scrubs the key from what a provider says back, in case it quotes it.
    auto scrub = [this](std::string text) {
        if (api_key.size() < 8) return text;
        for (std::size_t at = 0; (at = text.find(api_key, at)) != std::string::npos;) text.replace(at, api_key.size(), "[redacted]");
        return text;
    };

    for (int attempt = 1;; ++attempt) {
        current.attempts = attempt;
        auto transfer = std::make_unique<UpstreamTransfer>(request);
        const std::int64_t deadline = steady_ms() + config.first_byte_timeout_ms;
        std::string failure;
        while (!transfer->head_done() && !transfer->finished()) {
            transfer->pump(50);
            if (transfer->head_done() || transfer->finished()) break;
            if (client_gone()) {
                current.error = "client left before the reply";
                res.status = 499;  // nginx's word for it; nobody is there to read it
                return;
            }
            if (ending) {
                send_error(res, {503, "the relay is shutting down", "relay_error", "shutting_down", nullptr});
                return;
            }
            if (steady_ms() > deadline) {
                failure = "the provider sent nothing for " + std::to_string(config.first_byte_timeout_ms) + " ms";
                break;
            }
        }
        if (failure.empty() && transfer->finished() && !transfer->failure().empty()) failure = transfer->failure();

        std::optional<std::int64_t> retry_after_ms;
        int status = 0;
        std::string body;
        if (failure.empty()) {
            status = transfer->status();
            if (status >= 200 && status < 300) {
                // The reply has begun: from here on it is passed through as it arrives.
                std::string type = transfer->content_type();
                // httplib compresses chunked bodies of every text/ type but exactly
                // "text/event-stream"; a stream must never wait in a compressor.
                if (type.starts_with("text/event-stream")) type = "text/event-stream";
                if (type.empty()) type = call.stream ? "text/event-stream" : "application/json";
                res.status = status;
                res.set_header("X-Accel-Buffering", "no");
                if (!plan && transfer->finished() && transfer->failure().empty()) {
                    // The whole reply is here already (a short reply from a quick provider,
                    // most non-streamed ones): it goes out as one body with its length, as
                    // nginx would send it, which saves the client a chunked frame per piece.
                    // Nothing arrives later, so nothing waits on this.
                    current.first_byte_ms = steady_ms() - current.start_ms;
                    res.set_content(transfer->take_body(), type);
                    return;
                }
                auto shared = std::shared_ptr<UpstreamTransfer>(std::move(transfer));
                const bool sse = type == "text/event-stream";
                res.set_chunked_content_provider(type, [this, shared, plan, sse](std::size_t, httplib::DataSink& sink) {
                    current.streamed = true;
                    Outlet out{*this, sink, std::nullopt, plan ? plan->slow_ms.value_or(0) : 0};
                    if (plan) out.faults.emplace(*plan);
                    std::int64_t last_activity = steady_ms();
                    while (true) {
                        if (shared->buffered() > 0) {
                            if (!out.write(shared->take_body())) return false;
                            last_activity = steady_ms();
                            continue;
                        }
                        if (shared->finished()) {
                            if (!shared->failure().empty()) {
                                if (!sse) return false;  // a cut JSON body: closing says it best
                                out.fail("the provider's connection failed: " + shared->failure());
                            }
                            sink.done();
                            return true;
                        }
                        if (ending) {
                            if (sse) out.fail("the relay is shutting down");
                            sink.done();
                            return sse;
                        }
                        if (steady_ms() - last_activity > config.idle_timeout_ms) {
                            if (!sse) return false;
                            out.fail("the provider sent nothing for " + std::to_string(config.idle_timeout_ms) + " ms");
                            sink.done();
                            return true;
                        }
                        if (client_gone()) {
                            current.error = "client left";
                            return false;
                        }
                        flush_client();
                        shared->pump(50);
                    }
                });
                return;
            }
            // An error status: its whole body (bounded), to pass on or to retry past.
            while (!transfer->finished() && steady_ms() < deadline && body.size() < config.limits.max_body_bytes) {
                transfer->pump(50);
                body += transfer->take_body();
                if (!transfer->finished() && client_gone()) {
                    current.error = "client left before the reply";
                    res.status = 499;
                    return;
                }
            }
            body += transfer->take_body();
            if (!transfer->retry_after().empty())
                retry_after_ms = parse_retry_after_ms(transfer->retry_after(), unix_ms());
        }

        const bool retryable = !failure.empty() || is_retryable_status(status);
        if (retryable) {
            if (const auto delay = retry_delay_ms(config.retry, attempt + 1, retry_after_ms, jitter)) {
                const std::int64_t until = steady_ms() + *delay;
                bool gone = false;
                while (steady_ms() < until && !(gone = client_gone()) && !ending)
                    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(20, until - steady_ms())));
                if (!gone && !ending) continue;
                if (gone) {
                    current.error = "client left before the reply";
                    res.status = 499;
                    return;
                }
            }
        }

        // Given up: say why, in the shape the widget's core reads.
        if (!failure.empty()) {
            const bool timed_out = failure.find("sent nothing") != std::string::npos;
            send_error(res, {timed_out ? 504 : 502, "the provider could not be reached: " + scrub(failure), "relay_error",
                             timed_out ? "upstream_timeout" : "upstream_unreachable", nullptr});
            return;
        }
        current.error = "provider answered " + std::to_string(status);
        if (status == 401 || status == 403) {
            // The page holds no credentials: the relay's own were refused, which the visitor
            // cannot fix. The provider's words go to the operator's log only as a status.
            send_error(res, {502, "the provider refused the relay's credentials (" + status_text(status) + ")",
                             "relay_error", "upstream_auth", nullptr});
            return;
        }
        res.status = status;
        if (!transfer->retry_after().empty()) res.set_header("Retry-After", transfer->retry_after());
        const std::string type = transfer->content_type().empty() ? "application/json" : transfer->content_type();
        res.set_content(scrub(std::move(body)), type);
        return;
    }
}

} // namespace confab::serve
