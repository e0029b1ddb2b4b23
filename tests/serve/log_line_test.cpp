// tests/serve/log_line_test.cpp
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "native/serve/log_line.h"

using namespace confab::serve;

namespace {

std::string as_nlohmann_writes(const nlohmann::ordered_json& object)
{
    return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

} // namespace

TEST_CASE("log_line: members in the order given, as nlohmann::ordered_json writes them")
{
    const std::string line = LogLine{}
                                 .add("time", "2025-01-01T12:00:00.000Z")
                                 .add("client", "127.0.0.1")
                                 .add("status", 200)
                                 .add("bytes_out", std::int64_t{8761})
                                 .add("total_ms", std::int64_t{-3})
                                 .finish();
    CHECK(line == as_nlohmann_writes({{"time", "2025-01-01T12:00:00.000Z"},
                                      {"client", "127.0.0.1"},
                                      {"status", 200},
                                      {"bytes_out", 8761},
                                      {"total_ms", -3}}));
    CHECK(LogLine{}.finish() == "{}");
}

TEST_CASE("log_line: quotes, backslashes, control characters, UTF-8 and broken UTF-8 read as nlohmann writes them")
{
    for (const std::string& value : {std::string("/a\"b\\c"), std::string("tab\there\nnl"), std::string("caf\xC3\xA9"),
                                    std::string("cut \xE2\x82"), std::string("\x7F del"), std::string("nul\0x", 5)}) {
        CAPTURE(value);
        CHECK(LogLine{}.add("path", value).finish() == as_nlohmann_writes({{"path", value}}));
    }
}

TEST_CASE("log_line: iso_time is UTC with milliseconds, whatever second came before")
{
    CHECK(iso_time(0) == "1970-01-01T00:00:00.000Z");
    CHECK(iso_time(1735732800007) == "2025-01-01T12:00:00.007Z");
    CHECK(iso_time(1735732800999) == "2025-01-01T12:00:00.999Z");
    CHECK(iso_time(1735732801050) == "2025-01-01T12:00:01.050Z");
    CHECK(iso_time(1735732800120) == "2025-01-01T12:00:00.120Z");
}
