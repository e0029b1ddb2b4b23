// native/serve/ascii_lower.h
// ASCII lower case, for the parts of HTTP that compare case-insensitively: header names
// and tokens (RFC 9110 §5.1, §8.4.1), and origins' scheme and host (RFC 6454 §4).
// Other bytes are left as they are, so UTF-8 passes through unchanged.
#pragma once

#include <string>
#include <string_view>

namespace confab::serve {

inline std::string ascii_lower(std::string_view text)
{
    std::string out(text);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

} // namespace confab::serve
