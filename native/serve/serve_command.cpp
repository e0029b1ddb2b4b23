// native/serve/serve_command.cpp
// `confab serve`: reads the flags, binds, prints where it listens, and serves until SIGTERM
// (or Ctrl-C) has drained it. The first line on stdout is {"event":"listening","url":...},
// so a program that started it with --port 0 learns the port; every line after is JSON.
#include <pthread.h>
#include <signal.h>

#include <csignal>

#include <cstdio>
#include <thread>

#include "core/json_util.h"
#include "native/cli/commands.h"
#include "native/serve/relay_server.h"
#include "native/serve/serve_config.h"

#ifndef CONFAB_WEB_DIST
#define CONFAB_WEB_DIST ""
#endif

namespace confab::cli {

int serve(const std::vector<std::string_view>& args)
{
    auto parsed = serve::parse_serve_args(args, CONFAB_WEB_DIST);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
        if (*problem == "help") {
            std::fputs(serve::serve_usage, stdout);
            return 0;
        }
        std::fprintf(stderr, "confab serve: %s\n\n%s", problem->c_str(), serve::serve_usage);
        return 2;
    }
    auto& config = std::get<serve::ServeConfig>(parsed);
    const std::string host = config.host;

    // Signals go to one thread that waits for them; every other thread (the server's pool
    // included, which inherits this mask) never sees them. A write to a client that has
    // left must fail with EPIPE, not kill the relay.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    serve::RelayServer server(std::move(config));
    std::string error;
    const int port = server.bind(error);
    if (port < 0) {
        std::fprintf(stderr, "confab serve: %s\n", error.c_str());
        return 1;
    }
    const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    serve::RelayServer::log_line(
        dump_safely(nlohmann::json{{"event", "listening"}, {"url", "http://" + shown_host + ":" + std::to_string(port)}}));

    std::thread([&server, signals] {
        int received = 0;
        sigwait(&signals, &received);
        server.drain();
    }).detach();

    server.run();
    serve::RelayServer::log_line(R"({"event":"stopped"})");
    return 0;
}

} // namespace confab::cli
