// core/json_schema.cpp
// Compiling a schema into a graph of nodes (one per subschema, $ref as an edge), then walking
// that graph beside the instance. Section numbers are those of JSON Schema draft 2020-12:
// "Validation" is draft-bhutton-json-schema-validation-01, "Core" is
// draft-bhutton-json-schema-01; "draft 7" is draft-handrews-json-schema-validation-01.
#include "core/json_schema.h"

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

namespace confab {

namespace {

using nlohmann::json;

// Longest member name, string value or schema value quoted in a message: enough to recognise
// it, short enough that a hostile 1 MB string does not come back to the model whole.
constexpr std::size_t max_quoted_bytes = 48;
// How many enum values, allowed property names or anyOf alternatives a message lists.
constexpr std::size_t max_listed = 10;

// `text` cut to at most `max_bytes` without splitting a UTF-8 sequence, with "…" when cut.
std::string shortened(std::string_view text, std::size_t max_bytes)
{
    if (text.size() <= max_bytes) return std::string(text);
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return std::string(text.substr(0, end)) + "…";
}

// A string as a JSON string literal, shortened: `"kelvin"`.
std::string literal(std::string_view text) { return dump_safely(json(shortened(text, max_quoted_bytes))); }

// A value from the schema (enum, const, a bound) as JSON text, shortened.
std::string shown(const json& value)
{
    if (value.is_string()) return literal(value.get_ref<const std::string&>());
    return shortened(dump_safely(value), max_quoted_bytes);
}

// A value from the instance, as the model will recognise it: scalars as written, containers
// by kind only, since a model does not need its whole object quoted back.
std::string described(const json& value)
{
    if (value.is_object()) return "an object";
    if (value.is_array()) return "an array";
    return shown(value);
}

std::string plural(std::uint64_t count, std::string_view noun)
{
    return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

// "a", "a or b", "a, b or c"; with "," as the last word, "a, b, c".
std::string joined(const std::vector<std::string>& items, std::string_view last_word = "or")
{
    std::string text;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) text += i + 1 < items.size() || last_word == "," ? ", " : " " + std::string(last_word) + " ";
        text += items[i];
    }
    return text;
}

// RFC 6901, section 3: "~" is written "~0" and "/" is written "~1" inside a reference token.
std::string pointer_token(std::string_view name)
{
    std::string token;
    for (const char c : name) {
        if (c == '~') token += "~0";
        else if (c == '/') token += "~1";
        else token += c;
    }
    return token;
}

std::string or_root(const std::string& pointer) { return pointer.empty() ? "(root)" : pointer; }

// Whether arrays and objects inside `value` nest deeper than `limit`, counted as parse_json
// counts them. Iterative: the value may be a hostile one, too deep for recursion.
bool deeper_than(const json& value, int limit)
{
    std::vector<std::pair<const json*, int>> stack{{&value, 0}};
    while (!stack.empty()) {
        const auto [at, depth] = stack.back();
        stack.pop_back();
        if (!at->is_structured()) continue;
        if (depth + 1 > limit) return true;
        for (const auto& child : *at) stack.emplace_back(&child, depth + 1);
    }
    return false;
}

// Validation 6.1.1: the six primitive types, plus "integer", "which matches any number with a
// zero fractional part". One bit each, in the spec's order.
constexpr std::string_view type_names[] = {"null", "boolean", "object", "array", "number", "string", "integer"};
constexpr std::string_view type_words[] = {"null", "a boolean", "an object", "an array", "a number", "a string", "an integer"};
enum TypeBit : std::uint8_t { null_bit = 1, boolean_bit = 2, object_bit = 4, array_bit = 8, number_bit = 16,
                              string_bit = 32, integer_bit = 64 };

bool is_integral(const json& value)
{
    if (value.is_number_integer()) return true;
    if (!value.is_number_float()) return false;
    const double number = value.get<double>();
    return std::isfinite(number) && std::floor(number) == number;
}

bool has_type(std::uint8_t types, const json& value)
{
    switch (value.type()) {
    case json::value_t::null: return types & null_bit;
    case json::value_t::boolean: return types & boolean_bit;
    case json::value_t::object: return types & object_bit;
    case json::value_t::array: return types & array_bit;
    case json::value_t::string: return types & string_bit;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return (types & number_bit) || ((types & integer_bit) && is_integral(value));
    default: return false;
    }
}

// "a string or null": in the order people list them, null last.
std::string type_list(std::uint8_t types)
{
    if (types & number_bit) types &= ~integer_bit;  // every integer is a number
    constexpr std::size_t order[] = {2, 3, 5, 4, 6, 1, 0};
    std::vector<std::string> words;
    for (const std::size_t bit : order)
        if (types & (1u << bit)) words.emplace_back(type_words[bit]);
    return joined(words);
}

// A non-negative count ("minLength": 2); Validation 6.3 and 6.4 say "MUST be a non-negative
// integer", and 2.0 is one (Core 4.2.1 counts numbers by value, not by spelling).
std::optional<std::uint64_t> count_of(const json& value)
{
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer()) {
        const auto number = value.get<std::int64_t>();
        if (number < 0) return std::nullopt;
        return static_cast<std::uint64_t>(number);
    }
    if (value.is_number_float()) {
        const double number = value.get<double>();
        if (!(number >= 0) || number >= 18446744073709551616.0 || std::floor(number) != number) return std::nullopt;
        return static_cast<std::uint64_t>(number);
    }
    return std::nullopt;
}

// An integer as its sign and magnitude, so that any two compare exactly, INT64_MIN included.
struct Magnitude {
    bool negative;
    std::uint64_t value;
};

Magnitude magnitude_of(const json& integer)
{
    if (integer.is_number_unsigned()) return {false, integer.get<std::uint64_t>()};
    const auto number = integer.get<std::int64_t>();
    if (number >= 0) return {false, static_cast<std::uint64_t>(number)};
    return {true, static_cast<std::uint64_t>(-(number + 1)) + 1};
}

// -1, 0 or 1 as a < b, a == b, a > b, by mathematical value (Core 4.2.2). Integers compare
// exactly; anything with a fraction compares as doubles.
int compare_numbers(const json& a, const json& b)
{
    if (a.is_number_integer() && b.is_number_integer()) {
        const Magnitude x = magnitude_of(a);
        const Magnitude y = magnitude_of(b);
        if (x.negative != y.negative) return x.negative ? -1 : 1;
        if (x.value == y.value) return 0;
        return (x.value < y.value) != x.negative ? -1 : 1;
    }
    const double x = a.get<double>();
    const double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
}

// Validation 6.2.1: "A numeric instance is valid only if division by this keyword's value
// results in an integer." Integers divide exactly; otherwise the quotient may carry a few
// ulps of rounding error (0.0075 / 0.0001 is 74.99999999999999), which is forgiven.
bool is_multiple_of(const json& value, const json& divisor)
{
    if (value.is_number_integer() && divisor.is_number_integer())
        return magnitude_of(value).value % magnitude_of(divisor).value == 0;
    const double quotient = value.get<double>() / divisor.get<double>();
    // The quotient overflowed (1e308 / 0.5): it is far beyond 2^53, where every double is an
    // integer, so the value is a multiple as far as doubles can tell.
    if (!std::isfinite(quotient)) return true;
    return std::fabs(quotient - std::round(quotient)) <= 4 * DBL_EPSILON * std::fabs(quotient);
}

// Validation 6.3.1: "The length of a string instance is defined as the number of its
// characters as defined by RFC 8259", that is code points: every byte but UTF-8's
// continuation bytes starts one.
std::uint64_t code_points(std::string_view text)
{
    std::uint64_t count = 0;
    for (const char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    return count;
}

// Equal values hash equally, where equal is Core 4.2.2's: 1 and 1.0 are the same number.
// Recursion is bounded by the instance's depth, checked before validation starts.
std::uint64_t hash_of(const json& value)
{
    auto mix = [](std::uint64_t h, std::uint64_t x) {
        h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
        return h * 0xFF51AFD7ED558CCDull;
    };
    auto bytes = [](std::string_view text) {
        std::uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a
        for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
        return h;
    };
    switch (value.type()) {
    case json::value_t::boolean: return value.get<bool>() ? 3 : 2;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: {
        double number = value.get<double>();
        if (number == 0) number = 0;  // -0.0 == 0
        std::uint64_t bits = 0;
        static_assert(sizeof bits == sizeof number);
        std::memcpy(&bits, &number, sizeof bits);
        return mix(4, bits);
    }
    case json::value_t::string: return mix(5, bytes(value.get_ref<const std::string&>()));
    case json::value_t::array: {
        std::uint64_t h = 6;
        for (const auto& item : value) h = mix(h, hash_of(item));
        return h;
    }
    case json::value_t::object: {
        std::uint64_t h = 7;
        for (const auto& [key, item] : value.items()) h = mix(mix(h, bytes(key)), hash_of(item));
        return h;
    }
    default: return 1;
    }
}

} // namespace

std::string SchemaError::text() const { return or_root(where) + ": " + message; }

std::string SchemaViolation::text() const { return or_root(path) + ": " + message; }

std::string SchemaVerdict::text() const
{
    std::string text;
    for (const auto& violation : violations) {
        if (!text.empty()) text += '\n';
        text += violation.text();
    }
    if (more) text += "\n(more problems not shown)";
    return text;
}

// One subschema, compiled. Every keyword is optional; a default-constructed node is the
// schema `true`. Subschemas are indices into JsonSchema::nodes_, -1 for "absent".
struct JsonSchema::Node {
    bool never = false;                           // the schema `false` (Core 4.3.2)
    std::uint8_t types = 0;                       // TypeBits; 0 means any type
    std::optional<json> constant;
    std::optional<json> enumeration;              // an array
    std::optional<json> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
    std::optional<std::uint64_t> min_length, max_length, min_items, max_items;
    bool unique_items = false;
    std::vector<int> prefix_items;                // prefixItems, or draft 7's array form of items
    int rest_items = -1;                          // the schema for items after the prefix
    std::vector<std::pair<std::string, int>> properties;  // sorted by name
    std::vector<std::string> required;
    int additional_properties = -1;
    bool pattern_properties = false;              // present, and not checked: see the header
    int ref = -1;
    std::vector<int> all_of, any_of, one_of;
    int negated = -1;                             // "not"
};

JsonSchema::JsonSchema(const JsonSchema&) = default;
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(const JsonSchema&) = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;
JsonSchema::~JsonSchema() = default;

// Turns a schema document into nodes, breadth first without recursion, so that a schema of
// any shape costs no stack. Each distinct JSON value used as a schema becomes one node, so a
// $ref to a place that is also reached directly, or a $ref back to an ancestor, shares it.
class JsonSchema::Compiler {
public:
    Compiler(const json& root, JsonSchema& out) : root_(root), out_(out) {}

    std::optional<SchemaError> run()
    {
        node_for(root_, "");
        // Nodes are created in the order they are found, and each is compiled once; the list
        // grows while it is walked.
        for (std::size_t i = 0; i < sources_.size(); ++i)
            if (auto error = compile(*sources_[i], static_cast<int>(i))) return error;
        return find_cycle();
    }

private:
    const json& root_;
    JsonSchema& out_;
    std::vector<const json*> sources_;  // the JSON of each node
    std::vector<std::string> where_;    // its JSON Pointer, for errors
    std::map<const json*, int> index_;  // a std::map adds less to the WebAssembly than a hash map

    int node_for(const json& schema, std::string where)
    {
        if (const auto it = index_.find(&schema); it != index_.end()) return it->second;
        const int index = static_cast<int>(sources_.size());
        index_.emplace(&schema, index);
        sources_.push_back(&schema);
        where_.push_back(std::move(where));
        out_.nodes_.emplace_back();
        return index;
    }

    static SchemaError wrong(std::string where, std::string message) { return {std::move(where), std::move(message)}; }

    // A subschema at `where`: Core 4.3.1, "A JSON Schema MUST be an object or a boolean."
    std::optional<SchemaError> subschema(const json& value, const std::string& where, int& index)
    {
        if (!value.is_object() && !value.is_boolean())
            return wrong(where, "expected a schema (an object or a boolean), got " + shown(value));
        index = node_for(value, where);
        return std::nullopt;
    }

    // allOf, anyOf, oneOf and prefixItems: "MUST be a non-empty array" of schemas (Core 10.2.1,
    // 10.3.1.1).
    std::optional<SchemaError> schema_list(const json& value, const std::string& where, std::vector<int>& out)
    {
        if (!value.is_array() || value.empty())
            return wrong(where, "expected a non-empty array of schemas, got " + shown(value));
        for (std::size_t i = 0; i < value.size(); ++i) {
            int index = -1;
            if (auto error = subschema(value[i], where + "/" + std::to_string(i), index)) return error;
            out.push_back(index);
        }
        return std::nullopt;
    }

    // properties, $defs and definitions: an object whose every member is a schema.
    std::optional<SchemaError> schema_map(const json& value, const std::string& where,
                                          std::vector<std::pair<std::string, int>>* out)
    {
        if (!value.is_object()) return wrong(where, "expected an object whose members are schemas, got " + shown(value));
        for (const auto& [name, member] : value.items()) {
            int index = -1;
            if (auto error = subschema(member, where + "/" + pointer_token(name), index)) return error;
            if (out != nullptr) out->emplace_back(name, index);
        }
        return std::nullopt;
    }

    std::optional<SchemaError> number(const json& schema, std::string_view keyword, const std::string& where,
                                      std::optional<json>& out)
    {
        const json* value = find_member(schema, keyword);
        if (value == nullptr) return std::nullopt;
        if (value->is_boolean() && keyword.starts_with("exclusive"))
            return wrong(where, "expected a number, got " + shown(*value)
                                    + " (the boolean form is draft 4's; since draft 6 the bound itself goes here)");
        if (!value->is_number()) return wrong(where, "expected a number, got " + shown(*value));
        out = *value;
        return std::nullopt;
    }

    std::optional<SchemaError> count(const json& schema, std::string_view keyword, const std::string& where,
                                     std::optional<std::uint64_t>& out)
    {
        const json* value = find_member(schema, keyword);
        if (value == nullptr) return std::nullopt;
        out = count_of(*value);
        if (!out) return wrong(where, "expected a non-negative integer, got " + shown(*value));
        return std::nullopt;
    }

    // Core 8.2.3.1: "$ref" is a URI reference resolved against the base URI. Only fragments
    // of this same document that are JSON Pointers (RFC 6901, section 6) are supported; they
    // are percent-decoded first, as URI fragments are.
    std::optional<SchemaError> resolve(const json& value, const std::string& where, int& target)
    {
        if (!value.is_string()) return wrong(where, "expected a string, got " + shown(value));
        const std::string& ref = value.get_ref<const std::string&>();
        auto unsupported = [&] {
            return wrong(where, "only references inside this schema are supported, as a JSON Pointer after \"#\" "
                                "(\"#/$defs/name\"); got " + literal(ref));
        };
        if (!ref.starts_with('#')) return unsupported();
        std::string pointer;
        for (std::size_t i = 1; i < ref.size(); ++i) {
            if (ref[i] != '%') {
                pointer += ref[i];
                continue;
            }
            auto hex = [&](std::size_t at) -> int {
                if (at >= ref.size()) return -1;
                const char c = ref[at];
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            const int high = hex(i + 1);
            const int low = hex(i + 2);
            if (high < 0 || low < 0) return wrong(where, literal(ref) + " has a \"%\" not followed by two hex digits");
            pointer += static_cast<char>(high * 16 + low);
            i += 2;
        }
        if (!pointer.empty() && pointer[0] != '/') return unsupported();  // "#name": an anchor

        // RFC 6901, section 4: walk one reference token at a time from the document root.
        const json* at = &root_;
        std::size_t start = 0;
        while (start < pointer.size()) {
            const std::size_t end = std::min(pointer.find('/', start + 1), pointer.size());
            const std::string_view raw = std::string_view(pointer).substr(start + 1, end - start - 1);
            const std::string parent = pointer.substr(0, start);
            std::string token;
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] != '~') {
                    token += raw[i];
                    continue;
                }
                // "~1" is "/" and "~0" is "~"; any other "~" is an error.
                if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                    token += raw[i + 1] == '0' ? '~' : '/';
                    ++i;
                } else {
                    return wrong(where, literal(ref) + " has a \"~\" not followed by 0 or 1");
                }
            }
            const json* next = nullptr;
            if (at->is_object()) {
                next = find_member(*at, token);
            } else if (at->is_array()) {
                // "array-index = %x30 / ( %x31-39 *(%x30-39) )": no sign, no leading zero.
                const bool digits = !token.empty() && token.size() <= 9
                                    && std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })
                                    && (token == "0" || token[0] != '0');
                std::size_t position = 0;
                for (const char c : token) position = position * 10 + static_cast<std::size_t>(c - '0');
                if (digits && position < at->size()) next = &(*at)[position];
            }
            if (next == nullptr)
                return wrong(where, literal(ref) + " points at nothing: " + or_root(parent) + " has no " + literal(token));
            at = next;
            start = end;
        }
        // Core 9.4.2: a reference to something that is not a schema is an error here.
        if (!at->is_object() && !at->is_boolean())
            return wrong(where, literal(ref) + " points at " + shown(*at) + ", not at a schema");
        target = node_for(*at, pointer);
        return std::nullopt;
    }

    std::optional<SchemaError> compile(const json& schema, int index)
    {
        const std::string where = where_[static_cast<std::size_t>(index)];
        auto at = [&](std::string_view keyword) { return where + "/" + pointer_token(keyword); };
        Node node;

        // Core 4.3.2: "true" always passes, "false" always fails.
        if (schema.is_boolean()) {
            node.never = !schema.get<bool>();
            out_.nodes_[static_cast<std::size_t>(index)] = std::move(node);
            return std::nullopt;
        }
        if (!schema.is_object()) return wrong(where, "expected a schema (an object or a boolean), got " + shown(schema));

        // Validation 6.1.1: "The value of this keyword MUST be either a string or an array. If
        // it is an array, elements of the array MUST be strings and MUST be unique." The
        // meta-schema adds "minItems": 1, and 0 here would mean any type.
        if (const json* type = find_member(schema, "type")) {
            if (!type->is_string() && (!type->is_array() || type->empty()))
                return wrong(at("type"), "expected a type name or a non-empty array of type names, got " + shown(*type));
            const json names = type->is_string() ? json::array({*type}) : *type;
            for (const json& name : names) {
                const auto* found = name.is_string() ? std::find(std::begin(type_names), std::end(type_names),
                                                                 name.get_ref<const std::string&>())
                                                     : std::end(type_names);
                if (found == std::end(type_names))
                    return wrong(at("type"), "unknown type " + shown(name)
                                                 + "; the types are null, boolean, object, array, number, string and integer");
                const auto bit = static_cast<std::uint8_t>(1u << (found - std::begin(type_names)));
                if (node.types & bit) return wrong(at("type"), "lists " + shown(name) + " twice");
                node.types |= bit;
            }
        }
        // Validation 6.1.2: "The value of this keyword MUST be an array."
        if (const json* values = find_member(schema, "enum")) {
            if (!values->is_array()) return wrong(at("enum"), "expected an array, got " + shown(*values));
            node.enumeration = *values;
        }
        // Validation 6.1.3: "The value of this keyword MAY be of any type, including null."
        if (const json* value = find_member(schema, "const")) node.constant = *value;

        // Validation 6.2: numbers; multipleOf "MUST be a number, strictly greater than 0".
        if (auto error = number(schema, "multipleOf", at("multipleOf"), node.multiple_of)) return error;
        if (node.multiple_of && !(node.multiple_of->get<double>() > 0))
            return wrong(at("multipleOf"), "expected a number greater than 0, got " + shown(*node.multiple_of));
        if (auto error = number(schema, "maximum", at("maximum"), node.maximum)) return error;
        if (auto error = number(schema, "exclusiveMaximum", at("exclusiveMaximum"), node.exclusive_maximum)) return error;
        if (auto error = number(schema, "minimum", at("minimum"), node.minimum)) return error;
        if (auto error = number(schema, "exclusiveMinimum", at("exclusiveMinimum"), node.exclusive_minimum)) return error;

        // Validation 6.3: strings. "pattern" is only checked for shape (see the header).
        if (auto error = count(schema, "maxLength", at("maxLength"), node.max_length)) return error;
        if (auto error = count(schema, "minLength", at("minLength"), node.min_length)) return error;
        if (const json* pattern = find_member(schema, "pattern"); pattern != nullptr && !pattern->is_string())
            return wrong(at("pattern"), "expected a string, got " + shown(*pattern));

        // Validation 6.4: arrays.
        if (auto error = count(schema, "maxItems", at("maxItems"), node.max_items)) return error;
        if (auto error = count(schema, "minItems", at("minItems"), node.min_items)) return error;
        if (const json* unique = find_member(schema, "uniqueItems")) {
            if (!unique->is_boolean()) return wrong(at("uniqueItems"), "expected true or false, got " + shown(*unique));
            node.unique_items = unique->get<bool>();
        }
        // Core 10.3.1.1 and 10.3.1.2: prefixItems holds the first items' schemas, and "items"
        // the rest. Draft 7 (6.4.1, 6.4.2) spelt the same thing as an array in "items" and
        // "additionalItems", which "MUST be ignored" unless "items" is an array.
        const json* prefix = find_member(schema, "prefixItems");
        if (prefix != nullptr)
            if (auto error = schema_list(*prefix, at("prefixItems"), node.prefix_items)) return error;
        const json* items = find_member(schema, "items");
        if (items != nullptr && items->is_array()) {
            if (prefix != nullptr)
                return wrong(at("items"), "expected a schema (with prefixItems, \"items\" covers the items after them), got an array");
            for (std::size_t i = 0; i < items->size(); ++i) {
                int item = -1;
                if (auto error = subschema((*items)[i], at("items") + "/" + std::to_string(i), item)) return error;
                node.prefix_items.push_back(item);
            }
        } else if (items != nullptr) {
            if (!items->is_object() && !items->is_boolean())
                return wrong(at("items"), "expected a schema or an array of schemas, got " + shown(*items));
            node.rest_items = node_for(*items, at("items"));
        }
        if (const json* additional = find_member(schema, "additionalItems")) {
            int rest = -1;
            if (auto error = subschema(*additional, at("additionalItems"), rest)) return error;
            if (items != nullptr && items->is_array()) node.rest_items = rest;
        }

        // Validation 6.5.3: "The value of this keyword MUST be an array. Elements of this
        // array, if any, MUST be strings, and MUST be unique."
        if (const json* required = find_member(schema, "required")) {
            if (!required->is_array())
                return wrong(at("required"), "expected an array of property names, got " + shown(*required));
            for (std::size_t i = 0; i < required->size(); ++i) {
                const json& name = (*required)[i];
                if (!name.is_string())
                    return wrong(at("required") + "/" + std::to_string(i), "expected a property name (a string), got "
                                                                                + shown(name));
                node.required.push_back(name.get_ref<const std::string&>());
            }
            // Sorted copies find a repeat in n log n: a hostile list may be long.
            std::vector<std::string_view> sorted(node.required.begin(), node.required.end());
            std::sort(sorted.begin(), sorted.end());
            if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
                return wrong(at("required"), "lists " + literal(*twice) + " twice");
        }
        // Core 10.3.2: properties, patternProperties and additionalProperties. nlohmann keeps
        // an object's members sorted, so `properties` comes out sorted for binary search.
        if (const json* properties = find_member(schema, "properties"))
            if (auto error = schema_map(*properties, at("properties"), &node.properties)) return error;
        if (const json* patterns = find_member(schema, "patternProperties")) {
            if (!patterns->is_object())
                return wrong(at("patternProperties"), "expected an object whose members are schemas, got "
                                                          + shown(*patterns));
            for (const auto& [pattern, member] : patterns->items())
                if (!member.is_object() && !member.is_boolean())
                    return wrong(at("patternProperties") + "/" + pointer_token(pattern),
                                 "expected a schema (an object or a boolean), got " + shown(member));
            node.pattern_properties = true;
        }
        if (const json* additional = find_member(schema, "additionalProperties"))
            if (auto error = subschema(*additional, at("additionalProperties"), node.additional_properties)) return error;

        // Core 10.2.1: the applicators that apply subschemas to the same instance.
        if (const json* all = find_member(schema, "allOf"))
            if (auto error = schema_list(*all, at("allOf"), node.all_of)) return error;
        if (const json* any = find_member(schema, "anyOf"))
            if (auto error = schema_list(*any, at("anyOf"), node.any_of)) return error;
        if (const json* one = find_member(schema, "oneOf"))
            if (auto error = schema_list(*one, at("oneOf"), node.one_of)) return error;
        if (const json* negated = find_member(schema, "not"))
            if (auto error = subschema(*negated, at("not"), node.negated)) return error;

        // Core 8.2.3.1. Unlike draft 7, 2020-12 applies the keywords beside "$ref" too.
        if (const json* ref = find_member(schema, "$ref"))
            if (auto error = resolve(*ref, at("$ref"), node.ref)) return error;
        // Core 8.2.4 ("$defs") and draft 7's section 9 ("definitions"): compiled even when
        // nothing refers to them, so that a mistake in one is found when the tool is added.
        for (const std::string_view keyword : {"$defs", "definitions"})
            if (const json* defs = find_member(schema, keyword))
                if (auto error = schema_map(*defs, at(keyword), nullptr)) return error;

        out_.nodes_[static_cast<std::size_t>(index)] = std::move(node);
        return std::nullopt;
    }

    // Core 9.4.1, "Guarding Against Infinite Recursion": a loop of subschemas applied to the
    // same instance location ($ref, allOf, anyOf, oneOf, not) would never end. Depth-first
    // search over those edges, iteratively; properties and items move into the instance and
    // so always make progress.
    std::optional<SchemaError> find_cycle()
    {
        const auto& nodes = out_.nodes_;
        std::vector<std::vector<int>> edges(nodes.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const Node& node = nodes[i];
            auto& out = edges[i];
            if (node.ref >= 0) out.push_back(node.ref);
            out.insert(out.end(), node.all_of.begin(), node.all_of.end());
            out.insert(out.end(), node.any_of.begin(), node.any_of.end());
            out.insert(out.end(), node.one_of.begin(), node.one_of.end());
            if (node.negated >= 0) out.push_back(node.negated);
        }
        enum : std::uint8_t { unseen, open, done };
        std::vector<std::uint8_t> state(nodes.size(), unseen);
        for (std::size_t start = 0; start < nodes.size(); ++start) {
            if (state[start] != unseen) continue;
            std::vector<std::pair<int, std::size_t>> stack{{static_cast<int>(start), 0}};
            state[start] = open;
            while (!stack.empty()) {
                auto& [node, next] = stack.back();
                const auto& out = edges[static_cast<std::size_t>(node)];
                if (next == out.size()) {
                    state[static_cast<std::size_t>(node)] = done;
                    stack.pop_back();
                    continue;
                }
                const int child = out[next++];
                if (state[static_cast<std::size_t>(child)] == open) return cycle_error(stack, child);
                if (state[static_cast<std::size_t>(child)] == unseen) {
                    state[static_cast<std::size_t>(child)] = open;
                    stack.emplace_back(child, 0);
                }
            }
        }
        return std::nullopt;
    }

    SchemaError cycle_error(const std::vector<std::pair<int, std::size_t>>& stack, int back_to) const
    {
        auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& entry) { return entry.first == back_to; });
        std::vector<std::string> steps;
        for (; it != stack.end(); ++it) steps.push_back("#" + where_[static_cast<std::size_t>(it->first)]);
        steps.push_back("#" + where_[static_cast<std::size_t>(back_to)]);
        if (steps.size() > max_listed) {
            steps.erase(steps.begin() + max_listed - 1, steps.end() - 1);
            steps.insert(steps.end() - 1, "…");
        }
        std::string path;
        for (const auto& step : steps) path += (path.empty() ? "" : " -> ") + step;
        return wrong(where_[static_cast<std::size_t>(back_to)],
                     "$ref loops back here without moving into the value, so checking it would never end: " + path);
    }
};

CompiledSchema JsonSchema::compile(const nlohmann::json& schema, SchemaLimits limits)
{
    assert(limits.max_depth > 0 && limits.max_errors > 0 && limits.max_steps > 0);
    CompiledSchema result;
    // Copying enum and const values recurses; refuse what could exhaust the stack.
    if (deeper_than(schema, limits.max_depth)) {
        result.error = SchemaError{"", "nested deeper than " + std::to_string(limits.max_depth) + " levels"};
        return result;
    }
    JsonSchema compiled;
    compiled.limits_ = limits;
    if (auto error = Compiler(schema, compiled).run()) {
        result.error = std::move(error);
        return result;
    }
    result.schema = std::move(compiled);
    return result;
}

// Walks nodes and instance together. Violations go to the current Sink: the verdict's list,
// or a scratch one while trying an alternative of anyOf, oneOf or not. Running out of depth
// or steps is fatal: it ends the walk wherever it is and is reported on its own.
//
// Stack: check, check_node, check_array, check_object, check_member and check_item recurse, so they hold
// only control flow; every message is built in a [[gnu::noinline]] function, whose string
// temporaries would otherwise sit in every recursive frame (they made a level cost 500 bytes
// of WebAssembly stack at -Oz; now it is at most about 250, see SchemaLimits).
class JsonSchema::Validator {
public:
    explicit Validator(const JsonSchema& schema) : nodes_(schema.nodes_), limits_(schema.limits_) {}

    SchemaVerdict run(const json& instance)
    {
        SchemaVerdict verdict;
        if (deeper_than(instance, limits_.max_depth)) {
            verdict.violations.push_back({"", "nested deeper than " + std::to_string(limits_.max_depth) + " levels"});
            return verdict;
        }
        Sink sink{limits_.max_errors, false, {}, false};
        sink_ = &sink;
        check(0, instance);
        verdict.violations = std::move(sink.list);
        verdict.more = sink.more;
        if (fatal_) {
            if (verdict.violations.size() >= limits_.max_errors) {
                verdict.violations.pop_back();
                verdict.more = true;
            }
            verdict.violations.push_back(std::move(*fatal_));
        }
        return verdict;
    }

private:
    struct Sink {
        std::size_t limit;
        bool first_only;  // an alternative being tried: its first violation decides
        std::vector<SchemaViolation> list;
        bool more = false;
    };

    const std::vector<Node>& nodes_;
    const SchemaLimits& limits_;
    Sink* sink_ = nullptr;
    std::string path_;  // where in the instance the walk is, as a JSON Pointer
    int depth_ = 0;
    std::uint64_t steps_ = 0;
    std::optional<SchemaViolation> fatal_;

    const Node& node_at(int index) const { return nodes_[static_cast<std::size_t>(index)]; }

    bool stopped() const { return fatal_ || sink_->more || (sink_->first_only && !sink_->list.empty()); }

    [[gnu::noinline]] void fail(std::string message)
    {
        if (sink_->list.size() < sink_->limit) sink_->list.push_back({path_, std::move(message)});
        else sink_->more = true;
    }

    [[gnu::noinline]] void stop(std::string message)
    {
        if (!fatal_) fatal_ = SchemaViolation{path_, std::move(message)};
    }

    bool spend(std::uint64_t steps)
    {
        steps_ += steps;
        if (steps_ <= limits_.max_steps) return true;
        stop("too complex to check (more than " + std::to_string(limits_.max_steps) + " steps); send simpler arguments");
        return false;
    }

    // Checks `value`, which sits at path_ + "/" + a member name or index, against `node`.
    bool check_member(int node, const json& value, std::string_view name)
    {
        const std::size_t mark = enter_member(name);
        const bool ok = check(node, value);
        path_.resize(mark);
        return ok;
    }

    bool check_item(int node, const json& value, std::size_t index)
    {
        const std::size_t mark = enter_index(index);
        const bool ok = check(node, value);
        path_.resize(mark);
        return ok;
    }

    // RFC 6901's escapes; a model's member name may be long, and the path only has to be
    // recognisable, so it is shortened.
    [[gnu::noinline]] std::size_t enter_member(std::string_view name)
    {
        const std::size_t mark = path_.size();
        path_ += '/';
        path_ += name.size() > max_quoted_bytes ? shortened(pointer_token(name), max_quoted_bytes) : pointer_token(name);
        return mark;
    }

    [[gnu::noinline]] std::size_t enter_index(std::size_t index)
    {
        const std::size_t mark = path_.size();
        path_ += '/';
        path_ += std::to_string(index);
        return mark;
    }

    bool check(int index, const json& value)
    {
        if (stopped() || !spend(1)) return false;
        if (depth_ >= limits_.max_depth) {
            stop_too_deep();
            return false;
        }
        ++depth_;
        const bool ok = check_node(node_at(index), value);
        --depth_;
        return ok;
    }

    [[gnu::noinline]] void stop_too_deep()
    {
        stop("too deeply nested to check (more than " + std::to_string(limits_.max_depth) + " levels of schema)");
    }

    bool check_node(const Node& node, const json& value)
    {
        if (node.never) {
            fail("no value is allowed here");
            return false;
        }
        // Validation 6.1.1. A value of the wrong type gets this one violation: the keywords
        // below would only repeat it in other words.
        if (node.types != 0 && !has_type(node.types, value)) {
            fail_type(node.types, value);
            return false;
        }
        bool ok = check_values(node, value);
        if (value.is_number()) ok = check_number(node, value) && ok;
        else if (value.is_string()) ok = check_string(node, value.get_ref<const std::string&>()) && ok;
        else if (value.is_array()) ok = check_array(node, value) && ok;
        else if (value.is_object()) ok = check_object(node, value) && ok;
        if (stopped()) return false;

        if (node.ref >= 0) ok = check(node.ref, value) && ok;
        // Core 10.2.1.1: allOf, every one; each reports its own violations.
        for (const int part : node.all_of) ok = check(part, value) && ok;
        if (!node.any_of.empty() || !node.one_of.empty() || node.negated >= 0) ok = check_alternatives(node, value) && ok;
        return ok && !fatal_;
    }

    [[gnu::noinline]] void fail_type(std::uint8_t types, const json& value)
    {
        fail("expected " + type_list(types) + ", got " + described(value));
    }

    // Validation 6.1.3 and 6.1.2; equality is Core 4.2.2's, which nlohmann's == follows
    // (1 == 1.0, false != 0, objects regardless of member order).
    [[gnu::noinline]] bool check_values(const Node& node, const json& value)
    {
        bool ok = true;
        if (node.constant) {
            if (!spend(1)) return false;
            if (value != *node.constant) {
                fail("expected " + shown(*node.constant) + ", got " + described(value));
                ok = false;
            }
        }
        if (node.enumeration) {
            const json& values = *node.enumeration;
            if (!spend(values.size())) return false;
            if (std::find(values.begin(), values.end(), value) == values.end()) {
                std::vector<std::string> listed;
                for (std::size_t i = 0; i < values.size() && i < max_listed; ++i) listed.push_back(shown(values[i]));
                if (values.size() > max_listed) listed.push_back("… (" + std::to_string(values.size() - max_listed) + " more)");
                if (values.empty()) fail("no value is allowed here (the list of allowed values is empty)");
                else fail(described(value) + " is not one of " + joined(listed, ","));
                ok = false;
            }
        }
        return ok;
    }

    // Validation 6.2.2 to 6.2.5, and 6.2.1.
    [[gnu::noinline]] bool check_number(const Node& node, const json& value)
    {
        bool ok = true;
        auto bound = [&](const std::optional<json>& limit, bool passes, std::string_view words) {
            if (!limit || passes) return;
            fail("expected " + std::string(words) + " " + shown(*limit) + ", got " + described(value));
            ok = false;
        };
        bound(node.minimum, !node.minimum || compare_numbers(value, *node.minimum) >= 0, "at least");
        bound(node.exclusive_minimum, !node.exclusive_minimum || compare_numbers(value, *node.exclusive_minimum) > 0,
              "more than");
        bound(node.maximum, !node.maximum || compare_numbers(value, *node.maximum) <= 0, "at most");
        bound(node.exclusive_maximum, !node.exclusive_maximum || compare_numbers(value, *node.exclusive_maximum) < 0,
              "less than");
        bound(node.multiple_of, !node.multiple_of || is_multiple_of(value, *node.multiple_of), "a multiple of");
        return ok;
    }

    // Validation 6.3.2 and 6.3.1.
    [[gnu::noinline]] bool check_string(const Node& node, const std::string& text)
    {
        if (!node.min_length && !node.max_length) return true;
        const std::uint64_t length = code_points(text);
        if (node.min_length && length < *node.min_length) {
            fail_count("at least", *node.min_length, "character", length);
            return false;
        }
        if (node.max_length && length > *node.max_length) {
            fail_count("at most", *node.max_length, "character", length);
            return false;
        }
        return true;
    }

    [[gnu::noinline]] void fail_count(std::string_view bound, std::uint64_t limit, std::string_view noun, std::uint64_t got)
    {
        fail("expected " + std::string(bound) + " " + plural(limit, noun) + ", got " + std::to_string(got));
    }

    bool check_array(const Node& node, const json& array)
    {
        bool ok = true;
        const std::size_t size = array.size();
        // Validation 6.4.2 and 6.4.1.
        if (node.min_items && size < *node.min_items) {
            fail_count("at least", *node.min_items, "item", size);
            ok = false;
        }
        if (node.max_items && size > *node.max_items) {
            fail_count("at most", *node.max_items, "item", size);
            ok = false;
        }
        // Core 10.3.1.1 and 10.3.1.2 (draft 7: 6.4.1 and 6.4.2).
        const std::size_t prefix = std::min(size, node.prefix_items.size());
        for (std::size_t i = 0; i < prefix && !stopped(); ++i) ok = check_item(node.prefix_items[i], array[i], i) && ok;
        if (node.rest_items >= 0 && size > prefix) {
            if (node_at(node.rest_items).never) {
                fail_extra_items(node.prefix_items.size(), size);
                ok = false;
            } else {
                for (std::size_t i = prefix; i < size && !stopped(); ++i) ok = check_item(node.rest_items, array[i], i) && ok;
            }
        }
        if (node.unique_items && size > 1 && !stopped()) ok = check_unique(array) && ok;
        return ok;
    }

    // "items": false after a prefix is a length limit; it reads better as one.
    [[gnu::noinline]] void fail_extra_items(std::size_t allowed, std::size_t size)
    {
        if (allowed == 0) fail("expected an empty array, got " + plural(size, "item"));
        else fail_count("at most", allowed, "item", size);
    }

    // Validation 6.4.3: "the instance validates successfully if all of its elements are
    // unique". Items are bucketed by a hash that respects Core 4.2.2's equality, so only items
    // that may be equal are compared: n log n, not n².
    [[gnu::noinline]] bool check_unique(const json& array)
    {
        std::vector<std::pair<std::uint64_t, std::size_t>> hashed;
        hashed.reserve(array.size());
        for (std::size_t i = 0; i < array.size(); ++i) hashed.emplace_back(hash_of(array[i]), i);
        std::sort(hashed.begin(), hashed.end());
        std::optional<std::pair<std::size_t, std::size_t>> first;  // the equal pair that comes first
        for (std::size_t start = 0; start < hashed.size();) {
            std::size_t end = start + 1;
            while (end < hashed.size() && hashed[end].first == hashed[start].first) ++end;
            for (std::size_t a = start; a < end; ++a)
                for (std::size_t b = a + 1; b < end; ++b) {
                    if (!spend(1)) return false;
                    const std::pair pair{hashed[a].second, hashed[b].second};
                    const bool earlier = !first || pair.second < first->second
                                         || (pair.second == first->second && pair.first < first->first);
                    if (earlier && array[pair.first] == array[pair.second]) first = pair;
                }
            start = end;
        }
        if (!first) return true;
        fail("items " + std::to_string(first->first) + " and " + std::to_string(first->second)
             + " are equal, but items must be unique");
        return false;
    }

    bool check_object(const Node& node, const json& object)
    {
        // Validation 6.5.3.
        bool ok = check_required(node, object);
        // Core 10.3.2.1: each property present is checked against its schema.
        std::vector<const std::string*> forbidden;  // members whose schema is false
        for (const auto& [name, child] : node.properties) {
            if (stopped()) return false;
            const json* member = find_member(object, name);
            if (member == nullptr) continue;
            if (node_at(child).never) forbidden.push_back(&name);
            else ok = check_member(child, *member, name) && ok;
        }
        // Core 10.3.2.3: additionalProperties applies to the members that neither
        // "properties" nor "patternProperties" names. Patterns are not evaluated here, so
        // with patternProperties present no member can be known to be additional.
        if (node.additional_properties >= 0 && !node.pattern_properties) {
            const bool never = node_at(node.additional_properties).never;
            for (const auto& [name, member] : object.items()) {
                if (stopped()) return false;
                const auto known = std::lower_bound(node.properties.begin(), node.properties.end(), name,
                                                    [](const auto& entry, const std::string& key) { return entry.first < key; });
                if (known != node.properties.end() && known->first == name) continue;
                if (never) forbidden.push_back(&name);
                else ok = check_member(node.additional_properties, member, name) && ok;
            }
        }
        if (!forbidden.empty()) {
            fail_forbidden(node, forbidden);
            ok = false;
        }
        return ok;
    }

    [[gnu::noinline]] bool check_required(const Node& node, const json& object)
    {
        bool ok = true;
        for (const std::string& name : node.required)
            if (!object.contains(name)) {
                fail("missing required property " + literal(name));
                ok = false;
            }
        return ok;
    }

    [[gnu::noinline]] void fail_forbidden(const Node& node, const std::vector<const std::string*>& names)
    {
        std::vector<std::string> listed;
        for (std::size_t i = 0; i < names.size() && i < max_listed; ++i) listed.push_back(literal(*names[i]));
        if (names.size() > max_listed) listed.push_back("… (" + std::to_string(names.size() - max_listed) + " more)");
        std::string message = (names.size() == 1 ? "unexpected property " : "unexpected properties ") + joined(listed, "and");
        // With additionalProperties false, the names that are allowed help a model fix a typo.
        if (node.additional_properties >= 0 && !node.pattern_properties && node_at(node.additional_properties).never) {
            std::vector<std::string> allowed;
            for (const auto& [name, child] : node.properties) {
                if (node_at(child).never) continue;
                if (allowed.size() == max_listed) {
                    allowed.push_back("…");
                    break;
                }
                allowed.push_back(literal(name));
            }
            message += allowed.empty() ? "; this object takes no properties" : "; the allowed properties are " + joined(allowed, "and");
        }
        fail(std::move(message));
    }

    // Core 10.2.1.2 (anyOf, at least one), 10.2.1.3 (oneOf, exactly one) and 10.2.1.4 (not).
    [[gnu::noinline]] bool check_alternatives(const Node& node, const json& value)
    {
        bool ok = true;
        if (!node.any_of.empty()) {
            std::vector<std::optional<SchemaViolation>> why(node.any_of.size());
            bool matched = false;
            for (std::size_t i = 0; i < node.any_of.size() && !matched; ++i) {
                matched = try_alternative(node.any_of[i], value, why[i]);
                if (fatal_) return false;
            }
            if (!matched) {
                explain_no_match(node.any_of, why, value);
                ok = false;
            }
        }
        if (!node.one_of.empty()) {
            std::vector<std::optional<SchemaViolation>> why(node.one_of.size());
            std::vector<std::size_t> matched;
            for (std::size_t i = 0; i < node.one_of.size() && matched.size() < 2; ++i) {
                if (try_alternative(node.one_of[i], value, why[i])) matched.push_back(i);
                if (fatal_) return false;
            }
            if (matched.empty()) explain_no_match(node.one_of, why, value);
            else if (matched.size() > 1)
                fail("matches alternatives " + std::to_string(matched[0] + 1) + " and " + std::to_string(matched[1] + 1)
                     + " of oneOf, but must match exactly one");
            ok = ok && matched.size() == 1;
        }
        if (node.negated >= 0) {
            std::optional<SchemaViolation> ignored;
            const bool matched = try_alternative(node.negated, value, ignored);
            if (fatal_) return false;
            if (matched) {
                fail(described(value) + " is not allowed here (it matches the schema under \"not\")");
                ok = false;
            }
        }
        return ok;
    }

    // Tries one alternative quietly: whether it matches, and its first violation if not.
    bool try_alternative(int node, const json& value, std::optional<SchemaViolation>& why)
    {
        Sink scratch{1, true, {}, false};
        Sink* outer = std::exchange(sink_, &scratch);
        const bool ok = check(node, value);
        sink_ = outer;
        if (!ok && !scratch.list.empty()) why = std::move(scratch.list.front());
        return ok;
    }

    // The types an alternative accepts, looking through a bare "$ref" (as in Pydantic's
    // {"anyOf": [{"$ref": "#/$defs/Model"}, {"type": "null"}]}); 0 when it accepts any.
    std::uint8_t types_of(int index) const
    {
        for (int hops = 0; hops < 16; ++hops) {
            const Node& node = node_at(index);
            if (node.never) return 0x80;  // a bit no value has
            if (node.types != 0 || node.ref < 0) return node.types;
            index = node.ref;
        }
        return 0;
    }

    // No alternative of anyOf or oneOf matched: say why, as specifically as possible.
    [[gnu::noinline]] void explain_no_match(const std::vector<int>& alternatives,
                                            const std::vector<std::optional<SchemaViolation>>& why, const json& value)
    {
        std::vector<std::size_t> plausible;  // alternatives whose type fits the value
        std::uint8_t wanted = 0;
        for (std::size_t i = 0; i < alternatives.size(); ++i) {
            const std::uint8_t types = types_of(alternatives[i]);
            if (types == 0x80) continue;
            if (types == 0 || has_type(types, value)) plausible.push_back(i);
            else wanted |= types;
        }
        // Every alternative wants another type: one plain type violation.
        if (plausible.empty()) {
            if (wanted == 0) fail("no value is allowed here (every alternative is false)");
            else fail_type(wanted, value);
            return;
        }
        // One alternative was picked out by its type: its own violations are the useful ones.
        // While an outer alternative is being tried, only the first is wanted, and trying
        // this one found it already; checking again at every level of a recursive schema
        // would double the work per level.
        if (plausible.size() == 1 && types_of(alternatives[plausible.front()]) != 0) {
            const auto& first = why[plausible.front()];
            if (sink_->first_only && first) sink_->list.push_back(*first);
            else check(alternatives[plausible.front()], value);
            return;
        }
        // Otherwise the reason of each alternative that could have matched; if that is one
        // untyped alternative, the others' type violations are part of the story too.
        std::vector<std::size_t> listed = plausible;
        if (plausible.size() == 1) {
            listed.clear();
            for (std::size_t i = 0; i < alternatives.size(); ++i)
                if (types_of(alternatives[i]) != 0x80) listed.push_back(i);
        }
        std::string message = "matches none of the alternatives:";
        for (std::size_t k = 0; k < listed.size() && k < max_listed; ++k) {
            const std::size_t i = listed[k];
            const std::string reason = why[i] ? why[i]->text() : "does not match";
            message += " (" + std::to_string(i + 1) + ") " + shortened(reason, 4 * max_quoted_bytes);
        }
        if (listed.size() > max_listed) message += " (and " + std::to_string(listed.size() - max_listed) + " more)";
        fail(std::move(message));
    }
};

SchemaVerdict JsonSchema::validate(const nlohmann::json& instance) const { return Validator(*this).run(instance); }

} // namespace confab
