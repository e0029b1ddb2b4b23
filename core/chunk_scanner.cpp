// core/chunk_scanner.cpp
// JSON grammar from RFC 8259; UTF-8 well-formedness from RFC 3629, section 4 (the same
// table nlohmann's lexer applies, so both readers refuse the same bytes).
#include "core/chunk_scanner.h"

#include <array>
#include <cstdint>

#include "core/json_util.h"
#include "core/utf8.h"

namespace confab {

namespace {

// Containers nested deeper than this are left to nlohmann (which handles any depth);
// real chunks nest five or six levels.
constexpr int max_depth = 64;
// Integers with more digits may not fit in int64; numbers this long may overflow a
// double, which nlohmann refuses. Either way the scanner declines.
constexpr int max_int_digits = 18;
constexpr int max_number_chars = 300;

// Bytes that stand for themselves inside a JSON string: printable ASCII but '"' and '\\'.
constexpr auto plain_string_byte = [] {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x80; ++c) table[std::size_t(c)] = c != '"' && c != '\\';
    return table;
}();

class Scanner {
public:
    Scanner(std::string_view text, ChunkFields& fields)
        : p_(text.data()), end_(text.data() + text.size()), fields_(fields) {}

    bool chunk()
    {
        skip_space();
        if (!top_object(fields_)) return false;
        skip_space();
        return p_ == end_;
    }

private:
    // ---- the chunk's shape -------------------------------------------------------------

    bool top_object(ChunkFields& fields)
    {
        return object([&](std::string_view key) {
            if (key == "id") return optional_string(fields.id, true);
            if (key == "model") return optional_string(fields.model, true);
            if (key == "usage") return raw_value(fields.usage);
            if (key == "error") return raw_value(fields.error);
            if (key == "choices") return choices(fields.choices);
            return skip_value();
        });
    }

    bool choices(std::vector<ChunkFields::Choice>& out)
    {
        out.clear();
        if (peek() != '[') return skip_value();
        std::size_t position = 0;
        return array([&] {
            const std::size_t here = position++;
            if (peek() != '{') return skip_value();
            ChunkFields::Choice choice;
            enum { absent, zero, other } index = absent;
            const bool ok = object([&](std::string_view key) {
                if (key == "index") {
                    if (peek() == 'n') { index = absent; return literal("null"); }
                    std::int64_t value = 0;
                    bool is_int = false;
                    if (!number(value, is_int)) return false;
                    index = (is_int && value == 0) ? zero : other;
                    return true;
                }
                if (key == "delta") return delta(choice);
                if (key == "finish_reason") {
                    if (peek() == 'n') { choice.finish_reason.reset(); return literal("null"); }
                    if (peek() != '"') return false;  // a number or object: nlohmann's reader dumps it
                    std::string_view text;
                    if (!string_value(text)) return false;
                    choice.finish_reason = text;
                    return true;
                }
                return skip_value();
            });
            if (!ok) return false;
            if (index == zero || (index == absent && here == 0)) out.push_back(std::move(choice));
            return true;
        });
    }

    bool delta(ChunkFields::Choice& choice)
    {
        // A repeated "delta" member replaces the earlier one, as in a parsed tree.
        choice.content.clear();
        choice.reasoning_content.reset();
        choice.reasoning.reset();
        choice.refusal.reset();
        choice.tool_calls.clear();
        if (peek() != '{') return skip_value();
        return object([&](std::string_view key) {
            if (key == "content") {
                choice.content.clear();
                if (peek() == '[') return false;  // typed parts (Mistral): left to nlohmann
                if (peek() != '"') return skip_value();
                ChunkFields::Piece piece;
                if (!string_value(piece.text)) return false;
                choice.content.push_back(piece);
                return true;
            }
            if (key == "reasoning_content") return optional_string(choice.reasoning_content, false);
            if (key == "reasoning") return optional_string(choice.reasoning, false);
            if (key == "refusal") return optional_string(choice.refusal, false);
            if (key == "tool_calls") return tool_calls(choice.tool_calls);
            return skip_value();
        });
    }

    bool tool_calls(std::vector<ChunkFields::ToolFragment>& out)
    {
        out.clear();
        if (peek() != '[') return skip_value();
        std::size_t position = 0;
        return array([&] {
            const std::size_t here = position++;
            if (peek() != '{') return skip_value();
            ChunkFields::ToolFragment fragment;
            fragment.index = std::int64_t(here);
            const bool ok = object([&](std::string_view key) {
                if (key == "index") {
                    fragment.index = std::int64_t(here);
                    if (peek() != '-' && !is_digit(peek())) return skip_value();
                    std::int64_t value = 0;
                    bool is_int = false;
                    if (!number(value, is_int)) return false;
                    if (is_int) fragment.index = value;
                    return true;
                }
                if (key == "id") return optional_string(fragment.id, false);
                if (key == "type") return optional_string(fragment.type, false);
                if (key == "function") {
                    fragment.name.reset();
                    fragment.arguments.reset();
                    if (peek() != '{') return skip_value();
                    return object([&](std::string_view inner) {
                        if (inner == "name") return optional_string(fragment.name, false);
                        if (inner == "arguments") return optional_string(fragment.arguments, false);
                        return skip_value();
                    });
                }
                return skip_value();
            });
            if (ok) out.push_back(std::move(fragment));
            return ok;
        });
    }

    // A string member kept only when it is a string (and, if `non_empty`, not ""); any
    // other value resets it, as a repeated member in a parsed tree would.
    bool optional_string(std::optional<std::string_view>& out, bool non_empty)
    {
        out.reset();
        if (peek() != '"') return skip_value();
        std::string_view text;
        if (!string_value(text)) return false;
        if (!non_empty || !text.empty()) out = text;
        return true;
    }

    // A value kept as JSON (usage, error: about once per stream, so nlohmann may parse it).
    bool raw_value(nlohmann::json& out)
    {
        if (peek() == 'n') {
            out = nullptr;
            return literal("null");
        }
        const char* start = p_;
        if (!skip_value()) return false;
        out = parse_json(std::string_view(start, std::size_t(p_ - start)));
        return !out.is_discarded();
    }

    // ---- JSON grammar ------------------------------------------------------------------

    template <class Member>
    bool object(Member&& member)
    {
        if (!take('{')) return false;
        skip_space();
        if (take('}')) return true;
        for (;;) {
            skip_space();
            std::string_view key;
            if (peek() != '"' || !string_text(key, key_)) return false;
            skip_space();
            if (!take(':')) return false;
            skip_space();
            // `member` compares the key before it reads the value, which may reuse key_.
            if (!member(key)) return false;
            skip_space();
            if (take(',')) continue;
            return take('}');
        }
    }

    template <class Element>
    bool array(Element&& element)
    {
        if (!take('[')) return false;
        skip_space();
        if (take(']')) return true;
        for (;;) {
            skip_space();
            if (!element()) return false;
            skip_space();
            if (take(',')) continue;
            return take(']');
        }
    }

    // Any value, validated and not kept. Iterative, with a depth limit.
    bool skip_value()
    {
        char stack[max_depth];
        int depth = 0;
        for (;;) {
            skip_space();
            // A value.
            const char c = peek();
            if (c == '{' || c == '[') {
                ++p_;
                skip_space();
                if (take(c == '{' ? '}' : ']')) goto after_value;
                if (depth == max_depth) return false;
                stack[depth++] = c;
                if (c == '{' && !member_key()) return false;
                continue;
            }
            if (c == '"') {
                bool escaped = false;
                if (!string_extent(escaped)) return false;
            } else if (c == '-' || is_digit(c)) {
                std::int64_t ignored = 0;
                bool is_int = false;
                if (!number(ignored, is_int)) return false;
            } else if (c == 't') {
                if (!literal("true")) return false;
            } else if (c == 'f') {
                if (!literal("false")) return false;
            } else if (c == 'n') {
                if (!literal("null")) return false;
            } else {
                return false;
            }
        after_value:
            for (;;) {
                if (depth == 0) return true;
                skip_space();
                const char open = stack[depth - 1];
                if (take(',')) {
                    if (open == '{' && !member_key()) return false;
                    break;
                }
                if (!take(open == '{' ? '}' : ']')) return false;
                --depth;
            }
        }
    }

    bool member_key()
    {
        skip_space();
        bool escaped = false;
        if (peek() != '"' || !string_extent(escaped)) return false;
        skip_space();
        return take(':');
    }

    // A string value at p_, as a view: of the text itself when it holds no escapes (the
    // common case), else of its decoded copy kept in fields_.decoded.
    bool string_value(std::string_view& out)
    {
        const char* start = p_ + 1;
        bool escaped = false;
        if (!string_extent(escaped)) return false;
        if (!escaped) {
            out = std::string_view(start, std::size_t(p_ - 1 - start));
            return true;
        }
        fields_.decoded.emplace_front();
        decode(start, p_ - 1, fields_.decoded.front());
        out = fields_.decoded.front();
        return true;
    }

    // The same for a member name, decoded (rarely) into `buffer`.
    bool string_text(std::string_view& out, std::string& buffer)
    {
        const char* start = p_ + 1;
        bool escaped = false;
        if (!string_extent(escaped)) return false;
        if (!escaped) {
            out = std::string_view(start, std::size_t(p_ - 1 - start));
            return true;
        }
        buffer.clear();
        decode(start, p_ - 1, buffer);
        out = buffer;
        return true;
    }

    // Checks the string at p_ (RFC 8259, section 7, and well-formed UTF-8) and moves past
    // its closing quote. `escaped` tells whether it holds any escape.
    bool string_extent(bool& escaped)
    {
        ++p_;  // the opening quote
        for (;;) {
            while (p_ < end_ && plain_string_byte[static_cast<unsigned char>(*p_)]) ++p_;
            if (p_ == end_) return false;
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c < 0x20) return false;  // control characters must be escaped
            if (c == '\\') {
                escaped = true;
                ++p_;
                if (!escape(nullptr)) return false;
                continue;
            }
            const int length = utf8_sequence(p_, end_);
            if (length == 0) return false;
            p_ += length;
        }
    }

    // Decodes a checked string body [from, to) into `out`.
    void decode(const char* from, const char* to, std::string& out)
    {
        const char* saved = p_;
        p_ = from;
        while (p_ < to) {
            const char* run = p_;
            while (p_ < to && *p_ != '\\') ++p_;
            out.append(run, p_);
            if (p_ < to) {
                ++p_;
                escape(&out);
            }
        }
        p_ = saved;
    }

    // The escape after a backslash at p_; appended to `out` unless it is null.
    bool escape(std::string* out)
    {
        if (p_ == end_) return false;
        const char c = *p_++;
        char plain = 0;
        switch (c) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
            std::uint32_t code = 0;
            if (!hex4(code)) return false;
            // RFC 8259, section 7: characters outside the BMP are a surrogate pair.
            if (code >= 0xDC00 && code <= 0xDFFF) return false;
            if (code >= 0xD800 && code <= 0xDBFF) {
                std::uint32_t low = 0;
                if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
                p_ += 2;
                if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
            if (out) append_utf8(*out, code);
            return true;
        }
        default: return false;
        }
        if (out) out->push_back(plain);
        return true;
    }

    bool hex4(std::uint32_t& code)
    {
        if (end_ - p_ < 4) return false;
        for (int i = 0; i < 4; ++i) {
            const char c = *p_++;
            code <<= 4;
            if (c >= '0' && c <= '9') code |= std::uint32_t(c - '0');
            else if (c >= 'a' && c <= 'f') code |= std::uint32_t(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') code |= std::uint32_t(c - 'A' + 10);
            else return false;
        }
        return true;
    }

    // The length of the well-formed UTF-8 sequence at `p` (RFC 3629, section 4), or 0.
    static int utf8_sequence(const char* p, const char* end)
    {
        const auto byte = [&](int i) { return static_cast<unsigned char>(p[i]); };
        const auto in = [&](int i, unsigned lo, unsigned hi) { return p + i < end && byte(i) >= lo && byte(i) <= hi; };
        const unsigned lead = byte(0);
        if (lead >= 0xC2 && lead <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
        if (lead == 0xE0) return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
        if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF)
            return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
        if (lead == 0xED) return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
        if (lead == 0xF0) return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
        if (lead >= 0xF1 && lead <= 0xF3) return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
        if (lead == 0xF4) return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
        return 0;
    }

    // RFC 8259, section 6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    // `is_int` is set for an integer of at most max_int_digits digits, with its value.
    // Exponents and very long numbers are declined (nlohmann refuses doubles that overflow).
    bool number(std::int64_t& value, bool& is_int)
    {
        const char* start = p_;
        const bool negative = take('-');
        if (!is_digit(peek())) return false;
        int digits = 0;
        std::int64_t magnitude = 0;
        if (take('0')) {
            digits = 1;
        } else {
            while (is_digit(peek())) {
                if (++digits <= max_int_digits) magnitude = magnitude * 10 + (*p_ - '0');
                ++p_;
            }
        }
        bool fraction = false;
        if (take('.')) {
            fraction = true;
            if (!is_digit(peek())) return false;
            while (is_digit(peek())) ++p_;
        }
        if (peek() == 'e' || peek() == 'E') return false;
        if (p_ - start > max_number_chars) return false;
        if (!fraction && digits > max_int_digits) return false;
        is_int = !fraction;
        value = negative ? -magnitude : magnitude;
        return true;
    }

    bool literal(std::string_view word)
    {
        if (std::size_t(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
        p_ += word.size();
        return true;
    }

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    char peek() const { return p_ < end_ ? *p_ : '\0'; }
    bool take(char c)
    {
        if (p_ < end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }
    void skip_space()
    {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    const char* p_;
    const char* end_;
    ChunkFields& fields_;
    std::string key_;  // a member name that held escapes, decoded
};

} // namespace

bool scan_chunk(std::string_view text, ChunkFields& fields)
{
    fields.id.reset();
    fields.model.reset();
    fields.usage = nullptr;
    fields.error = nullptr;
    fields.choices.clear();
    fields.decoded.clear();
    return Scanner(text, fields).chunk();
}

} // namespace confab
