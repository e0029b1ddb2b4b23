// core/provider_error.cpp
// Error bodies as providers and proxies really send them, and Retry-After as RFC 9110 has
// recipients read it.
#include "core/provider_error.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core/json_util.h"
#include "core/utf8.h"

namespace confab {

namespace {

// A proxy's page or text body: past its first few sentences come navigation and footers.
constexpr std::size_t max_text_chars = 300;
// Messages providers write to be read run to a few hundred characters (a context-length
// error with its token counts, an upstream reason behind OpenRouter); this only stops a
// message that echoes a whole request.
constexpr std::size_t max_json_chars = 1000;
// Gemini wraps its error in an array and OpenRouter its upstream's error in a string; no
// real body nests deeper than that a few times over.
constexpr int max_depth = 4;
// Real error bodies nest four or five levels. One nested far deeper is not an error object,
// and copying or printing it as JSON would recurse once per level.
constexpr int max_json_nesting = 64;

// ---- text ---------------------------------------------------------------------------

// Copies `bytes` with each ill-formed sequence replaced by U+FFFD, one per maximal subpart
// (Unicode 15, §3.9 "U+FFFD Substitution of Maximal Subparts").
std::string valid_utf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto lead = static_cast<unsigned char>(bytes[i]);
        if (lead < 0x80) {
            out += char(lead);
            ++i;
            continue;
        }
        // Table 3-7, "Well-Formed UTF-8 Byte Sequences": the length a lead byte announces,
        // and the range its second byte must fall in.
        std::size_t length = 0;
        if (lead >= 0xC2 && lead <= 0xDF) length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) length = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) length = 4;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (lead == 0xE0) low = 0xA0;   // no overlong forms
        if (lead == 0xED) high = 0x9F;  // no surrogates
        if (lead == 0xF0) low = 0x90;   // no overlong forms
        if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
        std::size_t good = 1;  // bytes of the sequence known to be well formed
        while (good < length && i + good < bytes.size()) {
            const auto next = static_cast<unsigned char>(bytes[i + good]);
            const bool in_range = good == 1 ? (next >= low && next <= high) : (next >= 0x80 && next <= 0xBF);
            if (!in_range) break;
            ++good;
        }
        if (good == length) {
            out.append(bytes.substr(i, length));
        } else {
            out += "\xEF\xBF\xBD";
        }
        i += good;
    }
    return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// Where `needle` (lower case) occurs in `text`, ignoring ASCII case.
std::size_t find_nocase(std::string_view text, std::string_view needle, std::size_t from = 0)
{
    if (needle.size() > text.size()) return std::string_view::npos;
    for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
        std::size_t k = 0;
        while (k < needle.size() && lower(text[i + k]) == needle[k]) ++k;
        if (k == needle.size()) return i;
    }
    return std::string_view::npos;
}

// One line of valid UTF-8: whitespace runs become one space, other control characters go,
// and past `max_chars` code points the text is cut with an ellipsis.
std::string one_line(std::string_view utf8, std::size_t max_chars)
{
    std::string out;
    std::size_t chars = 0;
    bool pending_space = false;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const char c = utf8[i];
        if (is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) continue;
        const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (starts_char) {
            if (chars + (pending_space ? 1 : 0) >= max_chars) {
                out += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
                return out;
            }
            if (pending_space) {
                out += ' ';
                ++chars;
                pending_space = false;
            }
            ++chars;
        }
        out += c;
    }
    return out;
}

// The character a character reference stands for, when it is one worth decoding. "<" and
// ">" stay encoded so that decoding can never make markup again.
std::optional<std::uint32_t> decode_reference(std::string_view name)
{
    if (name == "amp") return '&';
    if (name == "quot") return '"';
    if (name == "apos") return '\'';
    if (name == "nbsp") return ' ';
    if (name.size() < 2 || name[0] != '#') return std::nullopt;
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 6) return std::nullopt;
    std::uint32_t code = 0;
    for (char c : digits) {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (hex && lower(c) >= 'a' && lower(c) <= 'f') digit = lower(c) - 'a' + 10;
        if (digit < 0) return std::nullopt;
        code = code * (hex ? 16 : 10) + std::uint32_t(digit);
    }
    if (code < 0x20 || code == '<' || code == '>' || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF)
        return std::nullopt;
    return code;
}

std::string decode_references(std::string_view text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '&') {
            const std::size_t end = text.find(';', i + 1);
            if (end != std::string_view::npos && end - i <= 10) {
                if (auto code = decode_reference(text.substr(i + 1, end - i - 1))) {
                    append_utf8(out, *code);
                    i = end;
                    continue;
                }
            }
        }
        out += text[i];
    }
    return out;
}

bool looks_like_html(std::string_view text)
{
    const auto first = std::find_if_not(text.begin(), text.end(), is_space);
    return (first != text.end() && *first == '<') || find_nocase(text, "<html") != std::string_view::npos;
}

// The text between the tags, with comments, scripts and styles gone and each tag read as
// a space ("<h1>502</h1><p>Bad" reads "502 Bad"). Every '<' starts something skipped and an
// unterminated tag ends the text, so no '<' is left: the result can never be markup.
std::string strip_tags(std::string_view html)
{
    std::string text;
    std::size_t i = 0;
    while (i < html.size()) {
        if (html[i] != '<') {
            text += html[i++];
            continue;
        }
        std::size_t resume = std::string_view::npos;
        if (html.substr(i, 4) == "<!--") {
            const auto end = html.find("-->", i + 4);
            if (end != std::string_view::npos) resume = end + 3;
        } else if (find_nocase(html.substr(i, 7), "<script") == 0 || find_nocase(html.substr(i, 6), "<style") == 0) {
            const bool script = lower(html[i + 2]) == 'c';
            const auto end = find_nocase(html, script ? "</script" : "</style", i + 1);
            if (end != std::string_view::npos) resume = html.find('>', end);
            if (resume != std::string_view::npos) ++resume;
        } else {
            resume = html.find('>', i);
            if (resume != std::string_view::npos) ++resume;
        }
        if (resume == std::string_view::npos) break;
        text += ' ';
        i = resume;
    }
    return text;
}

// The words of an HTML page: its <title> when it has one (nginx: "502 Bad Gateway",
// Cloudflare: "api.openai.com | 502: Bad gateway"), else its visible text. Character
// references are decoded once the tags are gone, and never into '<' or '>'.
std::string html_text(std::string_view html, std::size_t max_chars)
{
    if (const auto open = find_nocase(html, "<title"); open != std::string_view::npos) {
        const auto start = html.find('>', open);
        const auto close = find_nocase(html, "</title", open);
        if (start != std::string_view::npos && close != std::string_view::npos && start < close) {
            std::string title = one_line(decode_references(strip_tags(html.substr(start + 1, close - start - 1))), max_chars);
            if (!title.empty()) return title;
        }
    }
    return one_line(decode_references(strip_tags(html)), max_chars);
}

// Plain words from text a provider wrote: markup becomes its text, the rest one line.
std::string readable(std::string_view text, std::size_t max_chars)
{
    return looks_like_html(text) ? html_text(text, max_chars) : one_line(text, max_chars);
}

// ---- JSON bodies --------------------------------------------------------------------

// error.code is a string at OpenAI, a number at OpenRouter, Gemini and vLLM, often null.
std::string code_text(const nlohmann::json* code)
{
    if (code == nullptr) return "";
    if (code->is_string()) return code->get<std::string>();
    if (code->is_number_integer() || code->is_number_float()) return dump_safely(*code);
    return "";
}

void read_error(const nlohmann::json& value, ProviderError& out, int depth);

// The members of one error object: {message, type, param, code}, Gemini's status, and
// OpenRouter's metadata.raw, the upstream provider's own words behind its generic
// "Provider returned error".
void read_fields(const nlohmann::json& error, ProviderError& out, int depth)
{
    if (auto message = get_string(error, "message")) out.message = *message;
    if (auto type = get_string(error, "type")) out.type = *type;
    else if (auto status = get_string(error, "status")) out.type = *status;
    out.code = code_text(find_member(error, "code"));
    if (auto param = get_string(error, "param")) out.param = *param;

    const auto* metadata = find_member(error, "metadata");
    const auto* raw = metadata == nullptr ? nullptr : find_member(*metadata, "raw");
    if (raw == nullptr || depth >= max_depth) return;
    ProviderError upstream;
    if (raw->is_string()) {
        const std::string text = raw->get<std::string>();
        const nlohmann::json parsed = parse_json(text);
        if (!parsed.is_discarded()) read_error(parsed, upstream, depth + 1);
        if (upstream.message.empty()) upstream.message = text;
    } else {
        read_error(*raw, upstream, depth + 1);
    }
    if (upstream.message.empty()) return;
    std::string prefix = out.message;
    if (auto provider = get_string(*metadata, "provider_name"); provider && !provider->empty()) {
        if (!prefix.empty()) prefix += ' ';
        prefix.append("(").append(*provider).append(")");
    }
    out.message = prefix.empty() ? upstream.message : prefix + ": " + upstream.message;
}

// FastAPI's validation errors (vLLM, many self-hosted servers): [{"loc": ["body",
// "messages", 0, "content"], "msg": "Field required", ...}] reads
// "body.messages.0.content: Field required", one per item, joined with "; ".
std::string detail_text(const nlohmann::json& detail)
{
    std::string out;
    for (const auto& item : detail) {
        std::string part;
        if (item.is_string()) {
            part = item.get<std::string>();
        } else if (auto msg = get_string(item, "msg")) {
            std::string where;
            if (const auto* loc = find_member(item, "loc"); loc != nullptr && loc->is_array()) {
                for (const auto& step : *loc) {
                    if (!where.empty()) where += '.';
                    where += step.is_string() ? step.get<std::string>() : dump_safely(step);
                }
            }
            part = where.empty() ? *msg : where + ": " + *msg;
        }
        if (part.empty()) continue;
        if (!out.empty()) out += "; ";
        out += part;
    }
    return out;
}

void read_error(const nlohmann::json& value, ProviderError& out, int depth)
{
    if (depth > max_depth) return;
    if (value.is_string()) {
        out.message = value.get<std::string>();
        return;
    }
    if (value.is_array()) {  // Gemini: [{"error": {...}}]
        for (const auto& item : value) {
            if (item.is_object()) return read_error(item, out, depth + 1);
        }
        return;
    }
    if (!value.is_object()) return;

    if (const auto* error = find_member(value, "error"); error != nullptr && !error->is_null()) {
        if (error->is_string()) {
            out.message = error->get<std::string>();  // Ollama
            return;
        }
        if (error->is_object()) return read_fields(*error, out, depth);
    }
    if (const auto* detail = find_member(value, "detail")) {
        if (detail->is_string()) out.message = detail->get<std::string>();
        else if (detail->is_array()) out.message = detail_text(*detail);
        else if (detail->is_object()) read_fields(*detail, out, depth);
        if (!out.message.empty()) return;
    }
    // Cloudflare's API envelope: {"success": false, "errors": [{"code": 7003, "message": ...}]}
    if (const auto* errors = find_member(value, "errors"); errors != nullptr && errors->is_array()) {
        for (const auto& item : *errors) {
            if (!item.is_object()) continue;
            read_fields(item, out, depth);
            if (!out.message.empty()) return;
        }
    }
    // vLLM ({"object": "error", "message", "type", "param", "code"}) and proxies ({"message"}).
    read_fields(value, out, depth);
}

bool is_success(int status) { return status >= 200 && status <= 299; }

void finish(ProviderError& out)
{
    if (out.message.empty()) {
        out.message = out.status >= 100 && out.status <= 599 ? status_text(out.status)
                                                             : "The provider reported an error without a message";
    }
    // A status from outside HTTP (0, in a stream) or a success carrying an error leaves the
    // decision to a numeric error code, as OpenRouter and Gemini send.
    int decisive = out.status;
    if (decisive == 0 || is_success(decisive)) {
        decisive = 0;
        for (char c : out.code) {
            if (c < '0' || c > '9' || decisive > 999) {
                decisive = 0;
                break;
            }
            decisive = decisive * 10 + (c - '0');
        }
    }
    out.retryable = is_retryable_status(decisive);
    // OpenAI answers an exhausted balance with 429 too; retrying only delays the bad news
    // (langchain-ai/langchainjs#1929).
    if (out.code == "insufficient_quota" || out.type == "insufficient_quota") out.retryable = false;
}

// ---- HTTP dates (RFC 9110 §5.6.7) -----------------------------------------------------

constexpr std::array<std::string_view, 7> day_names = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_day_names = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                            "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Reads the grammar left to right; every step fails on anything unexpected.
class Cursor {
public:
    explicit Cursor(std::string_view text) : rest_(text) {}

    bool literal(std::string_view expected)
    {
        if (!rest_.starts_with(expected)) return false;
        rest_.remove_prefix(expected.size());
        return true;
    }

    std::optional<int> digits(std::size_t count)
    {
        if (rest_.size() < count) return std::nullopt;
        int value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            if (rest_[i] < '0' || rest_[i] > '9') return std::nullopt;
            value = value * 10 + (rest_[i] - '0');
        }
        rest_.remove_prefix(count);
        return value;
    }

    // The position in `names` of the name that comes next. "HTTP-date is case sensitive."
    template <std::size_t N>
    std::optional<int> one_of(const std::array<std::string_view, N>& names)
    {
        for (std::size_t i = 0; i < N; ++i)
            if (literal(names[i])) return int(i);
        return std::nullopt;
    }

    bool at_end() const { return rest_.empty(); }

private:
    std::string_view rest_;
};

struct DateTime {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// time-of-day = hour ":" minute ":" second
bool read_time(Cursor& in, DateTime& t)
{
    auto hour = in.digits(2);
    if (!hour || !in.literal(":")) return false;
    auto minute = in.digits(2);
    if (!minute || !in.literal(":")) return false;
    auto second = in.digits(2);
    if (!second) return false;
    t.hour = *hour;
    t.minute = *minute;
    t.second = *second;
    return true;
}

// IMF-fixdate = day-name "," SP day SP month SP year SP time-of-day SP "GMT"
//   e.g. "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<DateTime> read_imf_fixdate(std::string_view text)
{
    Cursor in(text);
    DateTime t;
    if (!in.one_of(day_names) || !in.literal(", ")) return std::nullopt;
    auto day = in.digits(2);
    if (!day || !in.literal(" ")) return std::nullopt;
    auto month = in.one_of(month_names);
    if (!month || !in.literal(" ")) return std::nullopt;
    auto year = in.digits(4);
    if (!year || !in.literal(" ") || !read_time(in, t) || !in.literal(" GMT") || !in.at_end()) return std::nullopt;
    t.year = *year;
    t.month = *month + 1;
    t.day = *day;
    return t;
}

// rfc850-date = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"
//   e.g. "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<DateTime> read_rfc850_date(std::string_view text, int current_year)
{
    Cursor in(text);
    DateTime t;
    if (!in.one_of(long_day_names) || !in.literal(", ")) return std::nullopt;
    auto day = in.digits(2);
    if (!day || !in.literal("-")) return std::nullopt;
    auto month = in.one_of(month_names);
    if (!month || !in.literal("-")) return std::nullopt;
    auto year = in.digits(2);
    if (!year || !in.literal(" ") || !read_time(in, t) || !in.literal(" GMT") || !in.at_end()) return std::nullopt;
    // "Recipients of a timestamp value in rfc850-date format, which uses a two-digit year,
    // MUST interpret a timestamp that appears to be more than 50 years in the future as
    // representing the most recent year in the past that had the same last two digits."
    t.year = current_year - current_year % 100 + *year;
    if (t.year > current_year + 50) t.year -= 100;
    t.month = *month + 1;
    t.day = *day;
    return t;
}

// asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year
//   e.g. "Sun Nov  6 08:49:37 1994"
std::optional<DateTime> read_asctime_date(std::string_view text)
{
    Cursor in(text);
    DateTime t;
    if (!in.one_of(day_names) || !in.literal(" ")) return std::nullopt;
    auto month = in.one_of(month_names);
    if (!month || !in.literal(" ")) return std::nullopt;
    auto day = in.literal(" ") ? in.digits(1) : in.digits(2);
    if (!day || !in.literal(" ") || !read_time(in, t) || !in.literal(" ")) return std::nullopt;
    auto year = in.digits(4);
    if (!year || !in.at_end()) return std::nullopt;
    t.year = *year;
    t.month = *month + 1;
    t.day = *day;
    return t;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
// Low-Level Date Algorithms", days_from_civil).
std::int64_t days_from_civil(int year, int month, int day)
{
    const std::int64_t y = year - (month <= 2 ? 1 : 0);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t year_of_era = y - era * 400;
    const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

std::optional<std::int64_t> unix_ms(const DateTime& t)
{
    constexpr std::array<int, 12> month_days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int days_in_month = month_days[std::size_t(t.month - 1)] + (t.month == 2 && is_leap(t.year) ? 1 : 0);
    // second: "00:00:00 - 23:59:60 (leap second)"
    if (t.day < 1 || t.day > days_in_month || t.hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
    const std::int64_t seconds = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
    return seconds * 1000;
}

int year_of(std::int64_t unix_ms)
{
    // civil_from_days, reduced to the year.
    const std::int64_t ms_per_day = 86400000;
    const std::int64_t days = unix_ms / ms_per_day - (unix_ms % ms_per_day < 0 ? 1 : 0) + 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t day_of_era = days - era * 146097;
    const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
    return int(year_of_era + era * 400 + (month_index >= 10 ? 1 : 0));
}

} // namespace

bool is_retryable_status(int status)
{
    return status == 408 || status == 409 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

std::string status_text(int status)
{
    // Reason phrases of RFC 9110 §15, plus 429 (RFC 6585 §4).
    static constexpr std::pair<int, std::string_view> reasons[] = {
        {400, "Bad Request"},          {401, "Unauthorized"},       {402, "Payment Required"},
        {403, "Forbidden"},            {404, "Not Found"},          {405, "Method Not Allowed"},
        {408, "Request Timeout"},      {409, "Conflict"},           {413, "Content Too Large"},
        {415, "Unsupported Media Type"}, {422, "Unprocessable Content"}, {425, "Too Early"},
        {429, "Too Many Requests"},    {500, "Internal Server Error"}, {501, "Not Implemented"},
        {502, "Bad Gateway"},          {503, "Service Unavailable"}, {504, "Gateway Timeout"},
    };
    std::string text = "HTTP " + std::to_string(status);
    for (const auto& [code, reason] : reasons)
        if (code == status) return text + " " + std::string(reason);
    return text;
}

ProviderError provider_error_from_json(int status, const nlohmann::json& body)
{
    ProviderError out;
    out.status = status;
    out.raw = body;
    read_error(body, out, 0);
    out.message = readable(valid_utf8(out.message), max_json_chars);
    out.type = valid_utf8(out.type);
    out.code = valid_utf8(out.code);
    if (out.param) out.param = valid_utf8(*out.param);
    finish(out);
    return out;
}

ProviderError parse_provider_error(int status, std::string_view body)
{
    // Repaired first, so that a JSON body with one bad byte in a string still parses.
    const std::string text = valid_utf8(body);
    {
        const nlohmann::json parsed = parse_json(text, max_json_nesting);
        if (!parsed.is_discarded()) return provider_error_from_json(status, parsed);
    }

    ProviderError out;
    out.status = status;
    out.message = readable(text, max_text_chars);
    finish(out);
    return out;
}

std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_unix_ms)
{
    // A field value carries no leading or trailing whitespace (RFC 9110 §5.5).
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;

    // Beyond what any server means, a delay saturates at 2^31 seconds, the value RFC 9111
    // §1.2.2 has caches use for delta-seconds too large to represent.
    constexpr std::int64_t max_seconds = std::int64_t{1} << 31;

    // Retry-After = HTTP-date / delay-seconds; delay-seconds = 1*DIGIT (RFC 9110 §10.2.3)
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::int64_t seconds = 0;
        for (char c : value) seconds = std::min(seconds * 10 + (c - '0'), max_seconds);
        return seconds * 1000;
    }

    // "A recipient that parses a timestamp value in an HTTP header field MUST accept all
    // three HTTP-date formats." (RFC 9110 §5.6.7)
    std::optional<DateTime> date = read_imf_fixdate(value);
    if (!date) date = read_rfc850_date(value, year_of(now_unix_ms));
    if (!date) date = read_asctime_date(value);
    if (!date) return std::nullopt;
    const auto at = unix_ms(*date);
    if (!at) return std::nullopt;
    if (*at <= now_unix_ms) return 0;
    if (now_unix_ms < *at - max_seconds * 1000) return max_seconds * 1000;
    return *at - now_unix_ms;
}

} // namespace confab
