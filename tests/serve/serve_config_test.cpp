// tests/serve/serve_config_test.cpp
#include <doctest/doctest.h>

#include "native/serve/serve_config.h"

using namespace confab::serve;

namespace {

std::variant<ServeConfig, std::string> parse(std::vector<std::string_view> args)
{
    return parse_serve_args(args, "/default/dist");
}

} // namespace

TEST_CASE("serve_config: no flags is the demo on loopback with the web build")
{
    const auto config = std::get<ServeConfig>(parse({}));
    CHECK(config.host == "127.0.0.1");
    CHECK(config.port == 8080);
    CHECK(config.static_dir == "/default/dist");
    CHECK(config.upstream.empty());
    CHECK(config.models.resolve("confab-demo") == "confab-demo");
    CHECK(config.models.resolve("chat") == "confab-demo");
    CHECK(config.models.resolve("confab-demo-reasoner") == "confab-demo-reasoner");
    CHECK_FALSE(config.models.resolve("gpt-4o"));
}

TEST_CASE("serve_config: an upstream base URL gets /chat/completions; replay takes several files")
{
    auto config = std::get<ServeConfig>(parse({"--upstream", "https://api.example/v1/", "--port", "0", "--models", "chat=m1"}));
    CHECK(config.upstream == "https://api.example/v1/chat/completions");
    CHECK(config.port == 0);
    CHECK(config.models.resolve("chat") == "m1");
    config = std::get<ServeConfig>(parse({"--upstream", "http://h/v1/chat/completions"}));
    CHECK(config.upstream == "http://h/v1/chat/completions");
    CHECK(config.models.is_open());
    config = std::get<ServeConfig>(parse({"--replay", "a.sse", "b.sse", "--replay-chunk", "7", "--faults"}));
    CHECK(config.replay_files == std::vector<std::string>{"a.sse", "b.sse"});
    CHECK(config.replay_chunk == 7);
    CHECK(config.faults);
}

TEST_CASE("serve_config: bad flags are refused with a reason")
{
    CHECK(std::get<std::string>(parse({"--port", "70000"})).starts_with("--port"));
    CHECK(std::get<std::string>(parse({"--upstream", "ftp://x"})).starts_with("--upstream"));
    CHECK(std::get<std::string>(parse({"--rate-limit", "fast"})).starts_with("--rate-limit"));
    CHECK(std::get<std::string>(parse({"--models", "chat=gpt-4o"})).find("without --upstream") != std::string::npos);
    CHECK(std::get<std::string>(parse({"--bogus"})) == "unknown option \"--bogus\"");
    CHECK(std::get<std::string>(parse({"--port"})) == "--port needs a value");
    CHECK(std::get<std::string>(parse({"--help"})) == "help");
}
