// core/utf8.h
// UTF-8 encoding (RFC 3629, section 3), for the readers that turn "\\uXXXX" escapes and
// character references into text.
#pragma once

#include <string>

namespace confab {

// Appends the UTF-8 encoding of `code`, which must be a Unicode scalar value (at most
// U+10FFFF and not a surrogate): callers check that first, since what to do with a bad
// one is theirs to decide.
inline void append_utf8(std::string& out, char32_t code)
{
    if (code < 0x80) {
        out += char(code);
    } else if (code < 0x800) {
        out += char(0xC0 | (code >> 6));
        out += char(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += char(0xE0 | (code >> 12));
        out += char(0x80 | ((code >> 6) & 0x3F));
        out += char(0x80 | (code & 0x3F));
    } else {
        out += char(0xF0 | (code >> 18));
        out += char(0x80 | ((code >> 12) & 0x3F));
        out += char(0x80 | ((code >> 6) & 0x3F));
        out += char(0x80 | (code & 0x3F));
    }
}

} // namespace confab
