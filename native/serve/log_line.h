// native/serve/log_line.h
// One JSON object on one line, built member by member in the order given: the relay writes
// one per request, so this is on every request's path and costs a few hundred instructions
// where building an nlohmann::ordered_json and dumping it cost tens of thousands.
//
// The text is what nlohmann::ordered_json::dump() (error_handler_t::replace) would give for
// the same members: strings that need escaping, or that are not valid UTF-8, are written by
// nlohmann itself, so an odd path or error message reads the same as before.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace confab::serve {

class LogLine {
public:
    LogLine& add(std::string_view key, std::string_view value);
    LogLine& add(std::string_view key, std::int64_t value);

    // The object so far, closed: `{"time":"…","status":200}`. Call it once, last.
    std::string finish();

private:
    void key(std::string_view name);
    std::string text_ = "{";
};

// `ms` since the Unix epoch as ISO 8601 in UTC with milliseconds: 2025-01-01T12:00:00.000Z.
std::string iso_time(std::int64_t unix_ms);

} // namespace confab::serve
