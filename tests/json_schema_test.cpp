// tests/json_schema_test.cpp
// The validator against the official JSON-Schema-Test-Suite (every case of the draft 7 files
// for the keywords it supports, read from the Debian package at run time), then each message
// a model or a host can get, word for word, and hostile schemas and instances.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_schema.h"
#include "core/json_util.h"
#include "tests/test_util.h"

using confab::JsonSchema;
using confab::SchemaLimits;
using confab::SchemaVerdict;
using nlohmann::json;

namespace {

JsonSchema compiled(const json& schema, SchemaLimits limits = SchemaLimits())
{
    auto result = JsonSchema::compile(schema, limits);
    CHECK(result.schema.has_value() != result.error.has_value());
    REQUIRE_MESSAGE(result.schema, (result.error ? result.error->text() : ""));
    return *std::move(result.schema);
}

// What validate says about `instance`: "valid", or the verdict's text.
std::string verdict(const json& schema, const json& instance)
{
    const SchemaVerdict result = compiled(schema).validate(instance);
    CHECK(result.valid() == result.violations.empty());
    return result.valid() ? "valid" : result.text();
}

// Why compile refuses `schema`, or "compiled".
std::string refusal(const json& schema)
{
    const auto result = JsonSchema::compile(schema);
    CHECK(result.schema.has_value() != result.error.has_value());
    return result.error ? result.error->text() : "compiled";
}

// `value` wrapped in `levels` arrays, built without recursion.
json nested_arrays(int levels, json value = 0)
{
    for (int i = 0; i < levels; ++i) {
        json outer = json::array();
        outer.push_back(std::move(value));
        value = std::move(outer);
    }
    return value;
}

// `value` wrapped in `levels` objects {"a": ...}.
json nested_objects(int levels, json value = 0)
{
    for (int i = 0; i < levels; ++i) {
        json outer = json::object();
        outer["a"] = std::move(value);
        value = std::move(outer);
    }
    return value;
}

// The Debian package json-schema-test-suite (scripts/setup installs it). Version 2.0.0 has
// draft 3 to draft 7; draft 7 is the newest there.
constexpr std::string_view suite_dir = "/usr/share/json-schema-test-suite/tests/draft7/";

// Every file of the suite's draft 7 directory whose keywords the validator implements.
constexpr std::string_view suite_files[] = {
    "additionalItems.json", "additionalProperties.json", "allOf.json", "anyOf.json", "boolean_schema.json",
    "const.json", "default.json", "definitions.json", "enum.json", "exclusiveMaximum.json", "exclusiveMinimum.json",
    "items.json", "maxItems.json", "maxLength.json", "maximum.json", "minItems.json", "minLength.json",
    "minimum.json", "multipleOf.json", "not.json", "oneOf.json", "pattern.json", "patternProperties.json",
    "properties.json", "ref.json", "required.json", "type.json", "uniqueItems.json",
    "optional/bignum.json", "optional/zeroTerminatedFloats.json",
};
// Not run, because their keywords are not implemented and are ignored as unknown ones:
// contains, dependencies, if-then-else, maxProperties, minProperties, propertyNames,
// refRemote (remote references), optional/content, optional/ecmascript-regex, optional/format/*.

// Cases not run, by file, group and case (an empty case skips the whole group), and why.
struct Skip {
    std::string_view file, group, test, why;
};
constexpr Skip skipped[] = {
    {"pattern.json", "pattern validation", "", "pattern is not checked (docs/tools.md)"},
    {"pattern.json", "pattern is not anchored", "", "pattern is not checked"},
    {"patternProperties.json", "patternProperties validates properties matching a regex", "", "patternProperties is not checked"},
    {"patternProperties.json", "multiple simultaneous patternProperties are validated", "", "patternProperties is not checked"},
    {"patternProperties.json", "regexes are not anchored by default and are case sensitive", "", "patternProperties is not checked"},
    {"patternProperties.json", "patternProperties with boolean schemas", "", "patternProperties is not checked"},
    {"properties.json", "properties, patternProperties, additionalProperties interaction", "",
     "patternProperties is not checked, and turns additionalProperties off"},
    {"additionalProperties.json", "additionalProperties being false does not allow other properties",
     "an additional property is invalid", "patternProperties turns additionalProperties off"},
    {"additionalProperties.json", "non-ASCII pattern with additionalProperties", "not matching the pattern is invalid",
     "patternProperties turns additionalProperties off"},
    {"ref.json", "ref overrides any sibling keywords", "ref valid, maxItems ignored",
     "draft 7 ignores keywords beside $ref; 2020-12, which we follow, applies them"},
    {"ref.json", "remote ref, containing refs itself", "", "remote $ref (refused when compiled)"},
    {"ref.json", "Recursive references between schemas", "", "$id-relative $ref (refused when compiled)"},
    {"definitions.json", "valid definition", "", "remote $ref to the draft 7 meta-schema (refused when compiled)"},
    {"definitions.json", "invalid definition", "", "remote $ref to the draft 7 meta-schema (refused when compiled)"},
};

const Skip* skip_for(std::string_view file, std::string_view group, std::string_view test)
{
    for (const Skip& skip : skipped)
        if (skip.file == file && skip.group == group && (skip.test.empty() || skip.test == test)) return &skip;
    return nullptr;
}

} // namespace

TEST_CASE("json_schema: every case of the JSON-Schema-Test-Suite (draft 7) for the supported keywords passes")
{
    std::vector<int> skip_used(std::size(skipped), 0);
    int run = 0;
    int skips = 0;
    for (const std::string_view file : suite_files) {
        CAPTURE(file);
        const json groups = confab::parse_json(confab::test::read_file(std::string(suite_dir) + std::string(file)));
        REQUIRE_MESSAGE(groups.is_array(), "install the Debian package json-schema-test-suite (scripts/setup)");
        int seen_here = 0;
        for (const json& group : groups) {
            const std::string description = confab::get_string(group, "description").value_or("");
            CAPTURE(description);
            const json* schema = confab::find_member(group, "schema");
            const json* tests = confab::find_member(group, "tests");
            REQUIRE((schema != nullptr && tests != nullptr && tests->is_array()));
            const auto compiled = JsonSchema::compile(*schema);
            for (const json& test : *tests) {
                const std::string name = confab::get_string(test, "description").value_or("");
                const json* data = confab::find_member(test, "data");
                const auto valid = confab::get_bool(test, "valid");
                CAPTURE(name);
                REQUIRE((data != nullptr && valid.has_value()));
                ++seen_here;
                if (const Skip* skip = skip_for(file, description, name)) {
                    ++skip_used[static_cast<std::size_t>(skip - skipped)];
                    ++skips;
                    // Skipped cases still compile or are refused, and validate, without harm.
                    if (compiled.schema) (void)compiled.schema->validate(*data);
                    continue;
                }
                REQUIRE_MESSAGE(compiled.schema, (compiled.error ? compiled.error->text() : ""));
                const SchemaVerdict result = compiled.schema->validate(*data);
                CAPTURE(result.text());
                CHECK(result.valid() == *valid);
                ++run;
            }
        }
        CHECK(seen_here > 0);
    }
    // Every skip matches some case: none is left over from an older suite.
    for (std::size_t i = 0; i < std::size(skipped); ++i) {
        CAPTURE(skipped[i].group);
        CHECK(skip_used[i] > 0);
    }
    // The counts of json-schema-test-suite 2.0.0 (Debian 12). A newer suite changes them, and
    // its new cases deserve a look before these numbers are updated.
    CHECK(run == 299);
    CHECK(skips == 42);
}

TEST_CASE("json_schema: the remote and $id references the suite uses are refused when compiled, with a reason")
{
    CHECK(refusal({{"$ref", "http://json-schema.org/draft-07/schema#"}})
          == "/$ref: only references inside this schema are supported, as a JSON Pointer after \"#\" (\"#/$defs/name\"); "
             "got \"http://json-schema.org/draft-07/schema#\"");
    CHECK(refusal({{"$ref", "node"}})
          == "/$ref: only references inside this schema are supported, as a JSON Pointer after \"#\" (\"#/$defs/name\"); "
             "got \"node\"");
    CHECK(refusal({{"$ref", "#foo"}})
          == "/$ref: only references inside this schema are supported, as a JSON Pointer after \"#\" (\"#/$defs/name\"); "
             "got \"#foo\"");
}

// ---- types, enum, const ----

TEST_CASE("json_schema: a value of the wrong type is named with what was expected and what came")
{
    const json city = {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}};
    CHECK(verdict(city, {{"city", 42}}) == "/city: expected a string, got 42");
    CHECK(verdict(city, {{"city", "Paris"}}) == "valid");
    CHECK(verdict(city, {{"city", {{"name", "Paris"}}}}) == "/city: expected a string, got an object");
    CHECK(verdict(city, {{"city", json::array()}}) == "/city: expected a string, got an array");
    CHECK(verdict(city, {{"city", nullptr}}) == "/city: expected a string, got null");
    CHECK(verdict(city, {{"city", true}}) == "/city: expected a string, got true");
    CHECK(verdict(city, "Paris") == "(root): expected an object, got \"Paris\"");
    CHECK(verdict({{"type", "boolean"}}, 0) == "(root): expected a boolean, got 0");
    CHECK(verdict({{"type", "array"}}, 1.5) == "(root): expected an array, got 1.5");
    CHECK(verdict({{"type", "null"}}, false) == "(root): expected null, got false");
}

TEST_CASE("json_schema: an array of types accepts any of them and names them all")
{
    const json schema = {{"type", {"string", "null"}}};
    CHECK(verdict(schema, "x") == "valid");
    CHECK(verdict(schema, nullptr) == "valid");
    CHECK(verdict(schema, 42) == "(root): expected a string or null, got 42");
    CHECK(verdict({{"type", {"integer", "boolean", "array"}}}, "x")
          == "(root): expected an array, an integer or a boolean, got \"x\"");
    // Every integer is a number: "a number or an integer" would say nothing more.
    CHECK(verdict({{"type", {"integer", "number"}}}, "x") == "(root): expected a number, got \"x\"");
}

TEST_CASE("json_schema: integer means a zero fractional part, however the number is written")
{
    const json integer = {{"type", "integer"}};
    CHECK(verdict(integer, 1) == "valid");
    CHECK(verdict(integer, json::parse("1.0")) == "valid");
    CHECK(verdict(integer, json::parse("-0.0")) == "valid");
    CHECK(verdict(integer, json::parse("1e3")) == "valid");
    CHECK(verdict(integer, json::parse("18446744073709551615")) == "valid");
    CHECK(verdict(integer, 1.5) == "(root): expected an integer, got 1.5");
    CHECK(verdict(integer, json::parse("1e-3")) == "(root): expected an integer, got 0.001");
    CHECK(verdict({{"type", "number"}}, 1) == "valid");
}

TEST_CASE("json_schema: enum lists the allowed values, and compares by value")
{
    const json schema = {{"properties", {{"units", {{"enum", {"celsius", "fahrenheit"}}}}}}};
    CHECK(verdict(schema, {{"units", "kelvin"}}) == "/units: \"kelvin\" is not one of \"celsius\", \"fahrenheit\"");
    CHECK(verdict(schema, {{"units", "celsius"}}) == "valid");
    CHECK(verdict({{"enum", {1, "a", nullptr, json::array({1})}}}, json::parse("1.0")) == "valid");
    CHECK(verdict({{"enum", {1, "a", nullptr}}}, false) == "(root): false is not one of 1, \"a\", null");
    CHECK(verdict({{"enum", {{{"a", 1}, {"b", 2}}}}}, json::parse(R"({"b": 2.0, "a": 1})")) == "valid");
    CHECK(verdict({{"enum", {{{"a", 1}}}}}, {{"a", 2}}) == "(root): an object is not one of {\"a\":1}");
    CHECK(verdict({{"enum", json::array()}}, 1)
          == "(root): no value is allowed here (the list of allowed values is empty)");
}

TEST_CASE("json_schema: const says what it expected")
{
    CHECK(verdict({{"properties", {{"mode", {{"const", "fast"}}}}}}, {{"mode", "slow"}})
          == "/mode: expected \"fast\", got \"slow\"");
    CHECK(verdict({{"const", nullptr}}, 0) == "(root): expected null, got 0");
    CHECK(verdict({{"const", 2}}, 2.0) == "valid");
    CHECK(verdict({{"const", false}}, 0) == "(root): expected false, got 0");
    CHECK(verdict({{"const", {1, 2}}}, {1, 2}) == "valid");
    CHECK(verdict({{"const", {1, 2}}}, {2, 1}) == "(root): expected [1,2], got an array");
}

TEST_CASE("json_schema: the wrong type gets one violation, not one per keyword")
{
    CHECK(verdict({{"type", "string"}, {"enum", {"a", "b"}}, {"minLength", 3}}, 5) == "(root): expected a string, got 5");
}

// ---- numbers ----

TEST_CASE("json_schema: number bounds in plain words")
{
    CHECK(verdict({{"minimum", 0}}, -1) == "(root): expected at least 0, got -1");
    CHECK(verdict({{"minimum", 0}}, 0) == "valid");
    CHECK(verdict({{"exclusiveMinimum", 0}}, 0) == "(root): expected more than 0, got 0");
    CHECK(verdict({{"maximum", 1.5}}, 2) == "(root): expected at most 1.5, got 2");
    CHECK(verdict({{"maximum", 1.5}}, 1.5) == "valid");
    CHECK(verdict({{"exclusiveMaximum", 100}}, 100.0) == "(root): expected less than 100, got 100.0");
    CHECK(verdict({{"minimum", 1}, {"maximum", 0}}, 0.5) == "(root): expected at least 1, got 0.5\n"
                                                              "(root): expected at most 0, got 0.5");
    CHECK(verdict({{"minimum", 5}}, "4") == "valid");  // bounds ignore non-numbers
}

TEST_CASE("json_schema: integer bounds compare exactly, beyond what a double holds")
{
    const json schema = {{"maximum", json::parse("9007199254740992")}};
    CHECK(verdict(schema, json::parse("9007199254740992")) == "valid");
    CHECK(verdict(schema, json::parse("9007199254740993"))
          == "(root): expected at most 9007199254740992, got 9007199254740993");
    CHECK(verdict({{"minimum", json::parse("-9223372036854775808")}}, json::parse("-9223372036854775808")) == "valid");
    CHECK(verdict({{"minimum", -1}}, json::parse("18446744073709551615")) == "valid");
    CHECK(verdict({{"maximum", -1}}, json::parse("18446744073709551615"))
          == "(root): expected at most -1, got 18446744073709551615");
}

TEST_CASE("json_schema: multipleOf divides integers exactly and forgives a float's rounding")
{
    CHECK(verdict({{"multipleOf", 5}}, 7) == "(root): expected a multiple of 5, got 7");
    CHECK(verdict({{"multipleOf", 5}}, -10) == "valid");
    CHECK(verdict({{"multipleOf", 3}}, json::parse("18446744073709551615")) == "valid");
    CHECK(verdict({{"multipleOf", 0.01}}, 19.99) == "valid");
    CHECK(verdict({{"multipleOf", 0.1}}, 0.3) == "valid");
    CHECK(verdict({{"multipleOf", 0.01}}, 19.995) == "(root): expected a multiple of 0.01, got 19.995");
    CHECK(verdict({{"multipleOf", 1}}, 1000000.0005) == "(root): expected a multiple of 1, got 1000000.0005");
    CHECK(verdict({{"multipleOf", 0.5}}, 1e308) == "valid");  // the quotient overflows
}

// ---- strings ----

TEST_CASE("json_schema: string lengths count code points, not bytes or UTF-16 units")
{
    CHECK(verdict({{"maxLength", 5}}, "héllo") == "valid");         // 6 bytes
    CHECK(verdict({{"maxLength", 1}}, "😀") == "valid");            // 4 bytes, 2 UTF-16 units
    CHECK(verdict({{"minLength", 2}}, "😀") == "(root): expected at least 2 characters, got 1");
    CHECK(verdict({{"maxLength", 1}}, "e\u0301") == "(root): expected at most 1 character, got 2");  // combining accent
    CHECK(verdict({{"maxLength", 3}}, "日本語の") == "(root): expected at most 3 characters, got 4");
    CHECK(verdict({{"minLength", 1}}, "") == "(root): expected at least 1 character, got 0");
    CHECK(verdict({{"minLength", 1}}, 5) == "valid");  // lengths ignore non-strings
}

TEST_CASE("json_schema: pattern and format are not checked")
{
    CHECK(verdict({{"pattern", "^[0-9]+$"}}, "abc") == "valid");
    CHECK(verdict({{"format", "date"}}, "tomorrow") == "valid");
}

// ---- arrays ----

TEST_CASE("json_schema: item counts, and each item's violations at its index")
{
    const json schema = {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}, {"maxItems", 3}};
    CHECK(verdict(schema, json::array()) == "(root): expected at least 1 item, got 0");
    CHECK(verdict(schema, {"a", "b", "c", "d"}) == "(root): expected at most 3 items, got 4");
    CHECK(verdict(schema, {"a", 2, "c", true}) == "(root): expected at most 3 items, got 4\n"
                                                  "/1: expected a string, got 2\n"
                                                  "/3: expected a string, got true");
    CHECK(verdict({{"properties", {{"stops", schema}}}}, {{"stops", {"a", "b", 3}}}) == "/stops/2: expected a string, got 3");
}

TEST_CASE("json_schema: prefixItems and items, and draft 7's items array with additionalItems")
{
    const json pair = {{"prefixItems", {{{"type", "number"}}, {{"type", "number"}}}}, {"items", false}};
    CHECK(verdict(pair, {1, 2}) == "valid");
    CHECK(verdict(pair, {1}) == "valid");
    CHECK(verdict(pair, {1, "2"}) == "/1: expected a number, got \"2\"");
    CHECK(verdict(pair, {1, 2, 3}) == "(root): expected at most 2 items, got 3");
    CHECK(verdict({{"items", false}}, {1}) == "(root): expected an empty array, got 1 item");
    CHECK(verdict({{"prefixItems", {{{"type", "string"}}}}, {"items", {{"type", "integer"}}}}, {"a", 1, 2.5})
          == "/2: expected an integer, got 2.5");

    const json draft7 = {{"items", {{{"type", "string"}}}}, {"additionalItems", {{"type", "integer"}}}};
    CHECK(verdict(draft7, {"a", 1, 2}) == "valid");
    CHECK(verdict(draft7, {"a", 1, "b"}) == "/2: expected an integer, got \"b\"");
    // additionalItems means nothing beside an items schema (draft 7, 6.4.2).
    CHECK(verdict({{"items", {{"type", "string"}}}, {"additionalItems", false}}, {"a", "b"}) == "valid");
}

TEST_CASE("json_schema: uniqueItems compares by value and names the first equal pair")
{
    const json unique = {{"uniqueItems", true}};
    CHECK(verdict(unique, {"a", "b", "a"}) == "(root): items 0 and 2 are equal, but items must be unique");
    CHECK(verdict(unique, {1, json::parse("1.0")}) == "(root): items 0 and 1 are equal, but items must be unique");
    CHECK(verdict(unique, {0, false, nullptr, "", json::array(), json::object()}) == "valid");
    CHECK(verdict(unique, {json::parse(R"({"a":1,"b":[2]})"), json::parse(R"({"b":[2.0],"a":1})")})
          == "(root): items 0 and 1 are equal, but items must be unique");
    CHECK(verdict(unique, {json::parse("-0.0"), 0}) == "(root): items 0 and 1 are equal, but items must be unique");
    CHECK(verdict(unique, {3, 1, 2, 1, 3}) == "(root): items 1 and 3 are equal, but items must be unique");
    CHECK(verdict({{"uniqueItems", false}}, {1, 1}) == "valid");
}

// ---- objects ----

TEST_CASE("json_schema: each missing required property is named")
{
    const json schema = {{"type", "object"}, {"required", {"city", "units"}}};
    CHECK(verdict(schema, json::object()) == "(root): missing required property \"city\"\n"
                                             "(root): missing required property \"units\"");
    CHECK(verdict(schema, {{"city", "Paris"}, {"units", nullptr}}) == "valid");
    CHECK(verdict({{"properties", {{"where", schema}}}}, {{"where", {{"units", "C"}}}})
          == "/where: missing required property \"city\"");
}

TEST_CASE("json_schema: additionalProperties false names the unexpected members and the allowed ones")
{
    const json schema = {{"properties", {{"city", json::object()}, {"units", json::object()}}},
                         {"additionalProperties", false}};
    CHECK(verdict(schema, {{"city", "Paris"}, {"Units", "C"}})
          == "(root): unexpected property \"Units\"; the allowed properties are \"city\" and \"units\"");
    CHECK(verdict(schema, {{"b", 1}, {"a", 2}, {"city", "x"}})
          == "(root): unexpected properties \"a\" and \"b\"; the allowed properties are \"city\" and \"units\"");
    CHECK(verdict({{"additionalProperties", false}}, {{"x", 1}}) == "(root): unexpected property \"x\"; this object takes no properties");
    CHECK(verdict({{"properties", {{"bar", false}}}}, {{"bar", 1}}) == "(root): unexpected property \"bar\"");
}

TEST_CASE("json_schema: an additionalProperties schema checks the members properties does not name")
{
    const json schema = {{"properties", {{"city", {{"type", "string"}}}}}, {"additionalProperties", {{"type", "boolean"}}}};
    CHECK(verdict(schema, {{"city", "x"}, {"metric", true}}) == "valid");
    CHECK(verdict(schema, {{"city", "x"}, {"metric", 1}}) == "/metric: expected a boolean, got 1");
}

TEST_CASE("json_schema: patternProperties turns additionalProperties off, so nothing it allows is refused")
{
    const json schema = {{"properties", {{"a", json::object()}}},
                         {"patternProperties", {{"^x-", {{"type", "string"}}}}},
                         {"additionalProperties", false}};
    CHECK(verdict(schema, {{"a", 1}, {"x-b", "c"}}) == "valid");
    CHECK(verdict(schema, {{"a", 1}, {"other", 2}}) == "valid");
}

TEST_CASE("json_schema: member names are escaped in paths as JSON Pointer tokens")
{
    const json schema = {{"properties", {{"a/b", {{"type", "string"}}}, {"m~n", {{"type", "string"}}}, {"", {{"type", "string"}}}}}};
    CHECK(verdict(schema, {{"a/b", 1}, {"m~n", 2}, {"", 3}}) == "/: expected a string, got 3\n"
                                                                 "/a~1b: expected a string, got 1\n"
                                                                 "/m~0n: expected a string, got 2");
}

// ---- applicators ----

TEST_CASE("json_schema: anyOf of types reads as one type violation")
{
    const json nullable = {{"anyOf", {{{"type", "string"}}, {{"type", "null"}}}}};
    CHECK(verdict(nullable, 42) == "(root): expected a string or null, got 42");
    CHECK(verdict(nullable, nullptr) == "valid");
}

TEST_CASE("json_schema: anyOf with one alternative of the right type reports that alternative's violations")
{
    // Pydantic's Optional[Model].
    const json schema = {
        {"$defs", {{"Place", {{"type", "object"}, {"required", {"city"}}, {"properties", {{"city", {{"type", "string"}}}}}}}}},
        {"properties", {{"place", {{"anyOf", {{{"$ref", "#/$defs/Place"}}, {{"type", "null"}}}}}}}},
    };
    CHECK(verdict(schema, {{"place", {{"city", 5}}}}) == "/place/city: expected a string, got 5");
    CHECK(verdict(schema, {{"place", json::object()}}) == "/place: missing required property \"city\"");
    CHECK(verdict(schema, {{"place", nullptr}}) == "valid");
    CHECK(verdict(schema, {{"place", "Paris"}}) == "/place: expected an object or null, got \"Paris\"");
}

TEST_CASE("json_schema: anyOf with several plausible alternatives lists why each failed")
{
    const json shape = {{"anyOf",
                         {{{"properties", {{"kind", {{"const", "circle"}}}, {"r", {{"type", "number"}}}}}, {"required", {"kind", "r"}}},
                          {{"properties", {{"kind", {{"const", "square"}}}}}, {"required", {"kind", "side"}}}}}};
    CHECK(verdict(shape, {{"kind", "circle"}}) == "(root): matches none of the alternatives: "
                                                  "(1) (root): missing required property \"r\" "
                                                  "(2) (root): missing required property \"side\"");
    CHECK(verdict(shape, {{"kind", "circle"}, {"r", 1}}) == "valid");
    CHECK(verdict({{"anyOf", {false, false}}}, 1) == "(root): no value is allowed here (every alternative is false)");
}

TEST_CASE("json_schema: oneOf refuses a value that matches two alternatives, and explains none like anyOf")
{
    const json schema = {{"oneOf", {{{"type", "integer"}}, {{"minimum", 2}}}}};
    CHECK(verdict(schema, 1) == "valid");
    CHECK(verdict(schema, 3) == "(root): matches alternatives 1 and 2 of oneOf, but must match exactly one");
    CHECK(verdict(schema, 1.5) == "(root): matches none of the alternatives: (1) (root): expected an integer, got 1.5 "
                                  "(2) (root): expected at least 2, got 1.5");
    CHECK(verdict({{"oneOf", {{{"type", "string"}}, {{"type", "null"}}}}}, 1) == "(root): expected a string or null, got 1");
}

TEST_CASE("json_schema: allOf reports the violations of every part")
{
    const json schema = {{"allOf", {{{"required", {"a"}}}, {{"required", {"b"}}}}}};
    CHECK(verdict(schema, json::object()) == "(root): missing required property \"a\"\n"
                                             "(root): missing required property \"b\"");
}

TEST_CASE("json_schema: not refuses what its schema matches")
{
    CHECK(verdict({{"not", {{"type", "integer"}}}}, 1) == "(root): 1 is not allowed here (it matches the schema under \"not\")");
    CHECK(verdict({{"not", {{"type", "integer"}}}}, "1") == "valid");
    CHECK(verdict({{"properties", {{"x", {{"not", json::object()}}}}}}, {{"x", {1}}})
          == "/x: an array is not allowed here (it matches the schema under \"not\")");
}

TEST_CASE("json_schema: boolean schemas")
{
    CHECK(verdict(true, {{"anything", 1}}) == "valid");
    CHECK(verdict(false, nullptr) == "(root): no value is allowed here");
    CHECK(verdict({{"items", {{"$ref", "#/$defs/no"}}}, {"$defs", {{"no", false}}}}, {1}) == "/0: no value is allowed here");
}

// ---- $ref ----

TEST_CASE("json_schema: $ref follows a JSON Pointer into $defs, definitions or anywhere in the document")
{
    const json schema = {
        {"$defs", {{"city", {{"type", "string"}}}, {"a/b", {{"type", "integer"}}}, {"t~n", {{"type", "boolean"}}},
                   {"50%", {{"type", "null"}}}}},
        {"definitions", {{"old", {{"type", "array"}}}}},
        {"properties", {{"c", {{"$ref", "#/$defs/city"}}}, {"d", {{"$ref", "#/definitions/old"}}},
                        {"e", {{"$ref", "#/$defs/a~1b"}}}, {"f", {{"$ref", "#/$defs/t~0n"}}},
                        {"g", {{"$ref", "#/$defs/50%25"}}}, {"h", {{"$ref", "#/properties/c"}}},
                        {"i", {{"$ref", "#/prefixItems/0"}}}}},
        {"prefixItems", {{{"const", 7}}}},
    };
    CHECK(verdict(schema, {{"c", "x"}, {"d", json::array()}, {"e", 1}, {"f", true}, {"g", nullptr}, {"h", "y"}, {"i", 7}})
          == "valid");
    CHECK(verdict(schema, {{"c", 1}, {"d", 1}, {"e", "1"}, {"f", 1}, {"g", 1}, {"h", 1}, {"i", 8}})
          == "/c: expected a string, got 1\n/d: expected an array, got 1\n/e: expected an integer, got \"1\"\n"
             "/f: expected a boolean, got 1\n/g: expected null, got 1\n/h: expected a string, got 1\n"
             "/i: expected 7, got 8");
}

TEST_CASE("json_schema: keywords beside $ref apply too, as in 2020-12")
{
    const json schema = {{"$defs", {{"list", {{"type", "array"}}}}}, {"$ref", "#/$defs/list"}, {"maxItems", 1}};
    CHECK(verdict(schema, {1, 2}) == "(root): expected at most 1 item, got 2");
    CHECK(verdict(schema, "x") == "(root): expected an array, got \"x\"");
}

TEST_CASE("json_schema: a recursive schema that descends into the value is fine")
{
    const json tree = {{"type", "object"},
                       {"properties", {{"name", {{"type", "string"}}}, {"children", {{"type", "array"}, {"items", {{"$ref", "#"}}}}}}},
                       {"additionalProperties", false}};
    CHECK(verdict(tree, json::parse(R"({"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]})")) == "valid");
    CHECK(verdict(tree, json::parse(R"({"name":"a","children":[{"name":"b","children":[{"nom":"c"}]}]})"))
          == "/children/0/children/0: unexpected property \"nom\"; the allowed properties are \"children\" and \"name\"");
}

// ---- the error cap and the verdict ----

TEST_CASE("json_schema: at most ten violations, then a note that there are more")
{
    json required = json::array();
    for (int i = 0; i < 15; ++i) required.push_back("p" + std::to_string(i));
    const SchemaVerdict result = compiled({{"required", required}}).validate(json::object());
    CHECK(result.violations.size() == 10);
    CHECK(result.more);
    CHECK(result.violations.back().text() == "(root): missing required property \"p9\"");
    CHECK(result.text().ends_with("\n(more problems not shown)"));

    SchemaLimits one;
    one.max_errors = 1;
    const SchemaVerdict first = compiled({{"required", {"a", "b"}}}, one).validate(json::object());
    CHECK(first.text() == "(root): missing required property \"a\"\n(more problems not shown)");

    // Exactly ten is not "more".
    const SchemaVerdict ten = compiled({{"required", json(std::vector<json>(required.begin(), required.begin() + 10))}})
                                  .validate(json::object());
    CHECK(ten.violations.size() == 10);
    CHECK_FALSE(ten.more);
}

TEST_CASE("json_schema: annotations and unknown keywords are ignored")
{
    const json schema = {{"title", "T"}, {"description", "D"}, {"default", 5}, {"examples", {1}}, {"$comment", "c"},
                         {"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"$id", "https://example.com/s"},
                         {"x-vendor", {{"type", 5}}}, {"minProperties", 9}, {"contains", false}, {"format", "email"},
                         {"deprecated", true}, {"if", 3}};
    CHECK(verdict(schema, json::object()) == "valid");
}

// ---- schemas of the wrong shape ----

TEST_CASE("json_schema: a schema of the wrong shape is refused with where and why")
{
    CHECK(refusal(5) == "(root): expected a schema (an object or a boolean), got 5");
    CHECK(refusal({{"type", 5}}) == "/type: expected a type name or a non-empty array of type names, got 5");
    CHECK(refusal({{"type", json::array()}}) == "/type: expected a type name or a non-empty array of type names, got []");
    CHECK(refusal({{"type", "strin"}}) == "/type: unknown type \"strin\"; the types are null, boolean, object, array, "
                                          "number, string and integer");
    CHECK(refusal({{"type", {"string", 1}}}) == "/type: unknown type 1; the types are null, boolean, object, array, "
                                                "number, string and integer");
    CHECK(refusal({{"type", {"string", "string"}}}) == "/type: lists \"string\" twice");
    CHECK(refusal({{"enum", "x"}}) == "/enum: expected an array, got \"x\"");
    CHECK(refusal({{"required", "x"}}) == "/required: expected an array of property names, got \"x\"");
    CHECK(refusal({{"required", {"a", 1}}}) == "/required/1: expected a property name (a string), got 1");
    CHECK(refusal({{"required", {"a", "a"}}}) == "/required: lists \"a\" twice");
    CHECK(refusal({{"properties", 5}}) == "/properties: expected an object whose members are schemas, got 5");
    CHECK(refusal({{"properties", {{"city", {{"type", "strin"}}}}}})
          == "/properties/city/type: unknown type \"strin\"; the types are null, boolean, object, array, number, string "
             "and integer");
    CHECK(refusal({{"properties", {{"a/b", 5}}}}) == "/properties/a~1b: expected a schema (an object or a boolean), got 5");
    CHECK(refusal({{"additionalProperties", "no"}})
          == "/additionalProperties: expected a schema (an object or a boolean), got \"no\"");
    CHECK(refusal({{"patternProperties", {{"^x", 1}}}})
          == "/patternProperties/^x: expected a schema (an object or a boolean), got 1");
    CHECK(refusal({{"minLength", -1}}) == "/minLength: expected a non-negative integer, got -1");
    CHECK(refusal({{"maxItems", 1.5}}) == "/maxItems: expected a non-negative integer, got 1.5");
    CHECK(refusal({{"maxLength", "3"}}) == "/maxLength: expected a non-negative integer, got \"3\"");
    CHECK(refusal({{"minItems", 2.0}}) == "compiled");
    CHECK(refusal({{"multipleOf", 0}}) == "/multipleOf: expected a number greater than 0, got 0");
    CHECK(refusal({{"multipleOf", -2}}) == "/multipleOf: expected a number greater than 0, got -2");
    CHECK(refusal({{"maximum", "10"}}) == "/maximum: expected a number, got \"10\"");
    CHECK(refusal({{"exclusiveMinimum", true}})
          == "/exclusiveMinimum: expected a number, got true (the boolean form is draft 4's; since draft 6 the bound "
             "itself goes here)");
    CHECK(refusal({{"uniqueItems", "yes"}}) == "/uniqueItems: expected true or false, got \"yes\"");
    CHECK(refusal({{"pattern", 5}}) == "/pattern: expected a string, got 5");
    CHECK(refusal({{"items", 5}}) == "/items: expected a schema or an array of schemas, got 5");
    CHECK(refusal({{"items", {true, 5}}}) == "/items/1: expected a schema (an object or a boolean), got 5");
    CHECK(refusal({{"prefixItems", {true}}, {"items", {true}}})
          == "/items: expected a schema (with prefixItems, \"items\" covers the items after them), got an array");
    CHECK(refusal({{"prefixItems", json::array()}}) == "/prefixItems: expected a non-empty array of schemas, got []");
    CHECK(refusal({{"anyOf", json::array()}}) == "/anyOf: expected a non-empty array of schemas, got []");
    CHECK(refusal({{"allOf", json::object()}}) == "/allOf: expected a non-empty array of schemas, got {}");
    CHECK(refusal({{"oneOf", {true, 2}}}) == "/oneOf/1: expected a schema (an object or a boolean), got 2");
    CHECK(refusal({{"not", nullptr}}) == "/not: expected a schema (an object or a boolean), got null");
    CHECK(refusal({{"additionalItems", 1}}) == "/additionalItems: expected a schema (an object or a boolean), got 1");
}

TEST_CASE("json_schema: a mistake in $defs is found even when nothing refers to it")
{
    CHECK(refusal({{"$defs", {{"unused", {{"minimum", "0"}}}}}}) == "/$defs/unused/minimum: expected a number, got \"0\"");
    CHECK(refusal({{"definitions", {{"x", 3}}}}) == "/definitions/x: expected a schema (an object or a boolean), got 3");
    CHECK(refusal({{"$defs", 3}}) == "/$defs: expected an object whose members are schemas, got 3");
}

TEST_CASE("json_schema: a $ref that does not resolve is refused")
{
    CHECK(refusal({{"$ref", 5}}) == "/$ref: expected a string, got 5");
    CHECK(refusal({{"properties", {{"a", {{"$ref", "#/$defs/missing"}}}}}})
          == "/properties/a/$ref: \"#/$defs/missing\" points at nothing: (root) has no \"$defs\"");
    CHECK(refusal({{"$defs", json::object()}, {"$ref", "#/$defs/missing"}})
          == "/$ref: \"#/$defs/missing\" points at nothing: /$defs has no \"missing\"");
    CHECK(refusal({{"required", {"a"}}, {"$ref", "#/required"}}) == "/$ref: \"#/required\" points at [\"a\"], not at a schema");
    CHECK(refusal({{"required", {"a"}}, {"$ref", "#/required/0"}}) == "/$ref: \"#/required/0\" points at \"a\", not at a schema");
    CHECK(refusal({{"allOf", {true}}, {"$ref", "#/allOf/1"}}) == "/$ref: \"#/allOf/1\" points at nothing: /allOf has no \"1\"");
    CHECK(refusal({{"allOf", {true}}, {"$ref", "#/allOf/00"}}) == "/$ref: \"#/allOf/00\" points at nothing: /allOf has no \"00\"");
    CHECK(refusal({{"allOf", {true}}, {"$ref", "#/allOf/-"}}) == "/$ref: \"#/allOf/-\" points at nothing: /allOf has no \"-\"");
    CHECK(refusal({{"$ref", "#/a~2b"}}) == "/$ref: \"#/a~2b\" has a \"~\" not followed by 0 or 1");
    CHECK(refusal({{"$ref", "#/a%2"}}) == "/$ref: \"#/a%2\" has a \"%\" not followed by two hex digits");
    CHECK(refusal({{"$ref", "#/a%zz"}}) == "/$ref: \"#/a%zz\" has a \"%\" not followed by two hex digits");
    CHECK(refusal({{"$ref", "#/type/x"}, {"type", "string"}}) == "/$ref: \"#/type/x\" points at nothing: /type has no \"x\"");
    CHECK(refusal({{"$ref", "#"}, {"type", "string"}}) != "compiled");  // a loop, below
}

TEST_CASE("json_schema: a $ref loop that never moves into the value is refused, since it could never end")
{
    CHECK(refusal({{"$ref", "#"}})
          == "(root): $ref loops back here without moving into the value, so checking it would never end: # -> #");
    CHECK(refusal({{"$defs", {{"a", {{"$ref", "#/$defs/b"}}}, {"b", {{"allOf", {{{"$ref", "#/$defs/a"}}}}}}}}})
          == "/$defs/a: $ref loops back here without moving into the value, so checking it would never end: "
             "#/$defs/a -> #/$defs/b -> #/$defs/b/allOf/0 -> #/$defs/a");
    CHECK(refusal({{"anyOf", {{{"type", "string"}}, {{"$ref", "#"}}}}}) != "compiled");
    CHECK(refusal({{"not", {{"$ref", "#"}}}}) != "compiled");
    CHECK(refusal({{"oneOf", {{{"not", {{"$ref", "#/oneOf/0"}}}}}}}) != "compiled");
    // Through properties or items the value gets smaller at each turn: no loop.
    CHECK(refusal({{"properties", {{"next", {{"$ref", "#"}}}}}}) == "compiled");
    CHECK(refusal({{"items", {{"$ref", "#"}}}}) == "compiled");
    CHECK(refusal({{"additionalProperties", {{"$ref", "#"}}}}) == "compiled");
}

TEST_CASE("json_schema: a long $ref loop is listed in part")
{
    json defs = json::object();
    for (int i = 0; i < 30; ++i) defs["d" + std::to_string(i)] = {{"$ref", "#/$defs/d" + std::to_string((i + 1) % 30)}};
    const std::string text = refusal({{"$defs", defs}});
    CHECK(text.starts_with("/$defs/d0: $ref loops back here"));
    CHECK(text.find("#/$defs/d0 -> #/$defs/d1 -> ") != std::string::npos);
    CHECK(text.ends_with(" -> … -> #/$defs/d0"));
    CHECK(text.size() < 400);
}

// ---- hostile schemas and instances ----

TEST_CASE("json_schema: a value nested deeper than the limit is refused without recursing into it")
{
    const JsonSchema any = compiled(true);
    CHECK(any.validate(nested_arrays(128)).valid());
    CHECK(any.validate(nested_arrays(129)).text() == "(root): nested deeper than 128 levels");
    CHECK(any.validate(nested_arrays(100000)).text() == "(root): nested deeper than 128 levels");
    CHECK(any.validate(nested_objects(100000)).text() == "(root): nested deeper than 128 levels");
}

TEST_CASE("json_schema: a schema nested deeper than the limit is refused without recursing into it")
{
    CHECK(refusal(nested_objects(100000)) == "(root): nested deeper than 128 levels");
    CHECK(refusal({{"enum", {nested_arrays(200)}}}) == "(root): nested deeper than 128 levels");
    json deep = {{"type", "string"}};
    for (int i = 0; i < 60; ++i) deep = {{"items", deep}};  // 120 levels of JSON
    CHECK(refusal(deep) == "compiled");
}

TEST_CASE("json_schema: schema recursion is bounded, however the $refs chain")
{
    // 300 definitions, each a $ref to the next: no loop, but 300 levels deep.
    json defs = json::object();
    for (int i = 0; i < 300; ++i)
        defs["d" + std::to_string(i)] = i == 299 ? json{{"type", "integer"}} : json{{"$ref", "#/$defs/d" + std::to_string(i + 1)}};
    const JsonSchema chain = compiled({{"$defs", defs}, {"properties", {{"x", {{"$ref", "#/$defs/d0"}}}}}});
    CHECK(chain.validate({{"x", 1}}).text() == "/x: too deeply nested to check (more than 128 levels of schema)");

    // A recursive schema follows a deep value until the limit, then stops.
    const JsonSchema list = compiled({{"type", "object"}, {"properties", {{"a", {{"$ref", "#"}}}}}});
    CHECK(list.validate(nested_objects(60, json::object())).valid());
    const std::string text = list.validate(nested_objects(100)).text();
    CHECK(text.ends_with(": too deeply nested to check (more than 128 levels of schema)"));
    CHECK(text.starts_with("/a/a/a/"));
}

TEST_CASE("json_schema: a schema that would take exponential time stops at the step limit")
{
    // 40 definitions, each an anyOf of two $refs to the next, the last one unsatisfiable:
    // 2^40 paths without a limit.
    json defs = json::object();
    for (int i = 0; i < 40; ++i) {
        const json next = {{"$ref", "#/$defs/d" + std::to_string(i + 1)}};
        defs["d" + std::to_string(i)] = {{"anyOf", {next, next}}};
    }
    defs["d40"] = false;
    SchemaLimits limits;
    limits.max_depth = 1000;
    const JsonSchema slow = compiled({{"$defs", defs}, {"$ref", "#/$defs/d0"}}, limits);
    CHECK(slow.validate(1).text().ends_with("too complex to check (more than 1000000 steps); send simpler arguments"));

    limits.max_steps = 50;
    CHECK(compiled({{"items", {{"type", "integer"}}}}, limits).validate(json(std::vector<int>(100, 1))).text()
          == "/49: too complex to check (more than 50 steps); send simpler arguments");
}

TEST_CASE("json_schema: a recursive Optional[Node] explains a deep mistake in quadratic, not exponential, time")
{
    // Pydantic's shape for a linked list: {"next": Node | None}. Each level tries the object
    // alternative, and explains its failure; explaining must not try it all over again.
    const json schema = {
        {"$defs", {{"Node", {{"anyOf", {{{"type", "object"}, {"required", {"next"}}, {"properties", {{"next", {{"$ref", "#/$defs/Node"}}}}}},
                                        {{"type", "null"}}}}}}}},
        {"$ref", "#/$defs/Node"},
    };
    SchemaLimits limits;
    limits.max_steps = 20000;  // 2^40 without care; about 3 * 40^2 with it
    json value = json::object();
    for (int i = 0; i < 40; ++i) value = {{"next", std::move(value)}};
    std::string path;
    for (int i = 0; i < 40; ++i) path += "/next";
    CHECK(compiled(schema, limits).validate(value).text() == path + ": missing required property \"next\"");
}

TEST_CASE("json_schema: a huge required list is compiled in n log n, and its missing names are capped")
{
    json names = json::array();
    for (int i = 0; i < 100000; ++i) names.push_back("p" + std::to_string(i));
    const SchemaVerdict result = compiled({{"required", names}}).validate(json::object());
    CHECK(result.violations.size() == 10);
    CHECK(result.more);
    names.push_back("p5");
    CHECK(refusal({{"required", names}}) == "/required: lists \"p5\" twice");
}

TEST_CASE("json_schema: a huge enum is listed in part")
{
    json values = json::array();
    for (int i = 0; i < 100000; ++i) values.push_back("v" + std::to_string(i));
    const JsonSchema schema = compiled({{"enum", values}});
    CHECK(schema.validate("v99999").valid());
    CHECK(schema.validate("w").text() == "(root): \"w\" is not one of \"v0\", \"v1\", \"v2\", \"v3\", \"v4\", \"v5\", "
                                         "\"v6\", \"v7\", \"v8\", \"v9\", … (99990 more)");
}

TEST_CASE("json_schema: uniqueItems on a large array takes n log n, and finds the one duplicate")
{
    json items = json::array();
    for (int i = 0; i < 200000; ++i) items.push_back(i);
    const JsonSchema unique = compiled({{"uniqueItems", true}});
    CHECK(unique.validate(items).valid());
    items.push_back(123456.0);
    CHECK(unique.validate(items).text() == "(root): items 123456 and 200000 are equal, but items must be unique");
}

TEST_CASE("json_schema: long strings and names from the value are shortened in messages")
{
    const std::string long_text(1 << 20, 'x');
    const std::string text = compiled({{"enum", {"a"}}}).validate(long_text).text();
    CHECK(text == "(root): \"" + std::string(48, 'x') + "…\" is not one of \"a\"");

    const std::string name = std::string(100, 'n');
    CHECK(compiled({{"additionalProperties", {{"type", "string"}}}}).validate({{name, 1}}).text()
          == "/" + std::string(48, 'n') + "…: expected a string, got 1");

    // Cut between code points, never inside one.
    const std::string accents = "é" + std::string(45, 'x') + "éyy";  // byte 48 is inside the second é
    CHECK(compiled({{"enum", {"a"}}}).validate(accents).text() == "(root): \"é" + std::string(45, 'x') + "…\" is not one of \"a\"");
}

TEST_CASE("json_schema: invalid UTF-8 in the value is quoted as U+FFFD")
{
    CHECK(compiled({{"enum", {"a"}}}).validate(std::string("b\xff")).text() == "(root): \"b\xEF\xBF\xBD\" is not one of \"a\"");
}

TEST_CASE("json_schema: nested alternatives keep their messages short")
{
    // Three levels of three plausible alternatives would otherwise quote 27 reasons.
    json schema = {{"required", {"z"}}};
    for (int level = 0; level < 3; ++level)
        schema = {{"anyOf", {schema, {{"required", {"x" + std::to_string(level)}}}, {{"required", {"y" + std::to_string(level)}}}}}};
    const std::string text = compiled(schema).validate(json::object()).text();
    CHECK(text.starts_with("(root): matches none of the alternatives: (1) (root): matches none of the alternatives: "));
    CHECK(text.size() < 800);
}

TEST_CASE("json_schema: a compiled schema is a value: copies and moves validate alike")
{
    const JsonSchema original = compiled({{"properties", {{"a", {{"$ref", "#/$defs/s"}}}}}, {"$defs", {{"s", {{"type", "string"}}}}}});
    JsonSchema copy = original;
    JsonSchema moved = std::move(copy);
    copy = moved;
    for (const JsonSchema* schema : std::vector<const JsonSchema*>{&original, &copy, &moved})
        CHECK(schema->validate({{"a", 1}}).text() == "/a: expected a string, got 1");
}
