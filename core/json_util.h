// core/json_util.h
// Small helpers for reading JSON that came from outside (network bytes, stored sessions,
// model output) without ever throwing: nlohmann's value("k", 0) and get<T>() throw on a
// type mismatch, and the WebAssembly build cannot catch exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace confab {

// Whether arrays and objects in `text` nest deeper than `limit`, counting as a JSON parser
// would (brackets inside strings do not count). Exact for valid JSON, which is all that
// matters: what is not valid JSON is refused by the parser anyway.
inline bool nests_deeper_than(std::string_view text, int limit)
{
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

// nlohmann parses any depth without recursion, but copying, comparing and dumping a value
// recurse: a hostile document 100,000 levels deep would exhaust the stack (64 KiB in the
// browser build). Nothing Confab reads from outside needs more than a few dozen levels.
inline constexpr int max_json_depth = 128;

// Parses without exceptions; a result that is_discarded() means the text was not JSON, or
// nested deeper than `max_depth`, or held a NUL byte (nlohmann takes one for the end of
// input, so `{}\0garbage` would otherwise pass as `{}`).
inline nlohmann::json parse_json(std::string_view text, int max_depth = max_json_depth)
{
    if (text.find('\0') != std::string_view::npos || nests_deeper_than(text, max_depth))
        return nlohmann::json(nlohmann::json::value_t::discarded);
    return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

// The member `key` of `object` if `object` is an object that has it; nullptr otherwise.
inline const nlohmann::json* find_member(const nlohmann::json& object, std::string_view key)
{
    if (!object.is_object()) return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

inline std::optional<std::string> get_string(const nlohmann::json& object, std::string_view key)
{
    const auto* value = find_member(object, key);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return value->get<std::string>();
}

// A view of the string member `key`, valid while `object` is alive and unchanged.
inline std::optional<std::string_view> get_string_view(const nlohmann::json& object, std::string_view key)
{
    const auto* value = find_member(object, key);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return std::string_view(value->get_ref<const std::string&>());
}

inline std::optional<std::int64_t> get_int(const nlohmann::json& object, std::string_view key)
{
    const auto* value = find_member(object, key);
    if (value == nullptr || !value->is_number_integer()) return std::nullopt;
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > std::uint64_t(INT64_MAX)) return std::nullopt;
    return value->get<std::int64_t>();
}

inline std::optional<double> get_number(const nlohmann::json& object, std::string_view key)
{
    const auto* value = find_member(object, key);
    if (value == nullptr || !value->is_number()) return std::nullopt;
    return value->get<double>();
}

inline std::optional<bool> get_bool(const nlohmann::json& object, std::string_view key)
{
    const auto* value = find_member(object, key);
    if (value == nullptr || !value->is_boolean()) return std::nullopt;
    return value->get<bool>();
}

// Serialises without throwing: invalid UTF-8 inside strings becomes U+FFFD.
inline std::string dump_safely(const nlohmann::json& value, int indent = -1)
{
    return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// What dump_safely(object) writes for a JSON object, its members in key order as
// `"key":value` separated by commas, except that the value of member `key` is written by
// `put(out)` where key order places it, whether `object` holds that member or not: for writers
// that keep the text of a large member's parts from one write to the next.
template <typename Put>
std::string dump_object_with(const nlohmann::json& object, std::string_view key, std::size_t reserve, Put put)
{
    std::string out;
    out.reserve(reserve);
    out += '{';
    const auto member = [&out](std::string_view name) {
        if (out.size() > 1) out += ',';
        out += dump_safely(nlohmann::json(name));
        out += ':';
    };
    bool placed = false;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const int order = std::string_view(it.key()).compare(key);  // as std::map orders the keys
        if (!placed && order >= 0) {
            member(key);
            put(out);
            placed = true;
            if (order == 0) continue;
        }
        member(it.key());
        out += dump_safely(it.value());
    }
    if (!placed) {
        member(key);
        put(out);
    }
    out += '}';
    return out;
}

} // namespace confab
