// native/serve/relay_server.h
// `confab serve`: the HTTP server (cpp-httplib) that serves the widget's files and relays
// POST /v1/chat/completions to the provider, the recordings or the demo model. This file is
// a driver: each decision it applies is made elsewhere — request limits (chat_request.h),
// models (model_table.h), origins (origin_policy.h), rate limits (rate_limiter.h), faults
// (fault_plan.h), the demo's replies (demo_model.h), files (static_files.h), and retries by
// the core's RetryPolicy with Retry-After read by the core's parse_retry_after_ms.
//
// Routes: POST /v1/chat/completions, GET /v1/models, GET /healthz, OPTIONS * (preflight),
// GET anything else from the static folder. One JSON line per request on stdout; no
// message content and no key, ever.
#pragma once

#include <memory>
#include <string>

#include "native/serve/serve_config.h"

namespace confab::serve {

class RelayServer {
public:
    explicit RelayServer(ServeConfig config);
    ~RelayServer();
    RelayServer(const RelayServer&) = delete;
    RelayServer& operator=(const RelayServer&) = delete;

    // Checks what must work before serving (recordings readable, Redis reachable) and binds.
    // Returns the bound port, or -1 with the reason in `error`.
    int bind(std::string& error);

    // Serves until drain() has stopped the listener and every request has finished.
    void run();

    // Stops accepting; streams in flight may go on for drain_seconds, then are ended with an
    // error event. Safe to call from another thread, once.
    void drain();

    // Writes one JSON line to stdout (whole lines from any thread, flushed).
    static void log_line(std::string line);

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace confab::serve
