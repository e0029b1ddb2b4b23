// native/net/response_head.h
// The two headers the drivers act on, read from a response's head line by line as libcurl's
// header callback hands the lines over. RFC 9110, section 5.1: "Field names are
// case-insensitive"; section 5.5: whitespace around a field value is not part of it.
#pragma once

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

namespace confab::native {

struct ResponseHead {
    std::string content_type;
    std::string retry_after;  // as sent; core/provider_error.h's parse_retry_after_ms reads it

    // Takes one line of the head, line break included. A status line starts a new head (after
    // a 100 Continue or a redirect, libcurl hands over every head). Returns true for the
    // blank line that ends a head.
    bool take(std::string_view line)
    {
        if (line.starts_with("HTTP/")) {
            content_type.clear();
            retry_after.clear();
        } else if (auto value = field(line, "content-type")) {
            content_type = std::string(*value);
        } else if (auto value = field(line, "retry-after")) {
            retry_after = std::string(*value);
        }
        return trim(line).empty();
    }

private:
    static std::string_view trim(std::string_view text)
    {
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
        return text;
    }

    // The value of `line` when it is the field `name` (given in lower case).
    static std::optional<std::string_view> field(std::string_view line, std::string_view name)
    {
        if (line.size() <= name.size() || line[name.size()] != ':') return std::nullopt;
        for (std::size_t i = 0; i < name.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return std::nullopt;
        return trim(line.substr(name.size() + 1));
    }
};

} // namespace confab::native
