// native/serve/log_line.cpp
#include "native/serve/log_line.h"

#include <charconv>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace confab::serve {

namespace {

// Printable ASCII but the two characters JSON escapes: written as they are.
bool plain(std::string_view text)
{
    for (const char c : text)
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
    return true;
}

void append_string(std::string& out, std::string_view value)
{
    if (plain(value)) {
        out += '"';
        out += value;
        out += '"';
        return;
    }
    out += nlohmann::json(std::string(value)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

void LogLine::key(std::string_view name)
{
    if (text_.size() > 1) text_ += ',';
    append_string(text_, name);
    text_ += ':';
}

LogLine& LogLine::add(std::string_view name, std::string_view value)
{
    key(name);
    append_string(text_, value);
    return *this;
}

LogLine& LogLine::add(std::string_view name, std::int64_t value)
{
    key(name);
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    text_.append(digits, end);
    return *this;
}

std::string LogLine::finish()
{
    text_ += '}';
    return std::move(text_);
}

std::string iso_time(std::int64_t unix_ms)
{
    // gmtime_r and the formatting cost more than the rest of a log line, and every line of
    // the same second shares them: each thread keeps its last second's text.
    thread_local std::int64_t cached_second = -1;
    thread_local char cached[96] = {};
    const std::int64_t second = unix_ms / 1000;
    if (second != cached_second) {
        const std::time_t seconds = std::time_t(second);
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        // Room for any int the format could print, as -Wformat-truncation counts.
        std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", utc.tm_year + 1900, utc.tm_mon + 1,
                      utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
        cached_second = second;
    }
    const int ms = int(unix_ms % 1000);
    std::string text = cached;
    text += char('0' + ms / 100);
    text += char('0' + ms / 10 % 10);
    text += char('0' + ms % 10);
    text += 'Z';
    return text;
}

} // namespace confab::serve
