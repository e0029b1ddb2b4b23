// core/json_schema.h
// A JSON Schema validator for the subset that function calling uses (JSON Schema draft
// 2020-12, Core and Validation vocabularies; draft 7's tuple form of "items" and
// "additionalItems", and "definitions", are understood too). Checked keyword by keyword
// against the official JSON-Schema-Test-Suite (draft 7 files) in tests/json_schema_test.cpp.
//
// Understood: boolean schemas; type (a name or an array of names; 1.0 is an integer), enum,
// const; minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf; minLength and
// maxLength (in code points); items, prefixItems, additionalItems, minItems, maxItems,
// uniqueItems; properties, required, additionalProperties; allOf, anyOf, oneOf, not; $ref to
// a JSON Pointer inside the same document ("#", "#/$defs/a", "#/definitions/a~1b").
// Ignored, as the spec allows for annotations and unknown keywords: title, description,
// default, examples, format, $schema, $id, $comment and every keyword not listed here.
// Deliberately not checked (see docs/tools.md for why and what it would cost): "pattern", and
// "patternProperties", whose presence also turns "additionalProperties" off for that object,
// so that members the patterns would have allowed are never refused.
//
// Two kinds of error, both values, never exceptions or aborts: a schema of the wrong shape is
// refused when compiled (SchemaError), and an instance that breaks a compiled schema gets
// SchemaViolations worded for a model to read and fix, e.g. `/city: expected a string, got 42`.
// Work is bounded: nesting depth, steps and the number of violations reported all have caps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_util.h"

namespace confab {

// Why a schema was refused: `where` is a JSON Pointer into the schema ("/properties/city/type";
// empty for the root), `message` says what is wrong there.
struct SchemaError {
    std::string where;
    std::string message;

    // `where: message`, with the root written "(root)".
    std::string text() const;
    bool operator==(const SchemaError&) const = default;
};

// One way an instance breaks the schema: `path` is a JSON Pointer into the instance ("/city",
// "/stops/2"; empty for the root), `message` is plain words ("expected a string, got 42").
struct SchemaViolation {
    std::string path;
    std::string message;

    // `path: message`, with the root written "(root)".
    std::string text() const;
    bool operator==(const SchemaViolation&) const = default;
};

struct SchemaVerdict {
    std::vector<SchemaViolation> violations;  // empty when the instance is valid; capped
    bool more = false;                        // violations beyond the cap were not reported

    bool valid() const { return violations.empty(); }
    // One violation per line, then "(more problems not shown)" when `more` is set.
    std::string text() const;
};

struct CompiledSchema;

struct SchemaLimits {
    // How deep an instance may nest, and how deep schema evaluation may recurse (each
    // subschema applied, including through $ref, counts one level). Equal to what parse_json
    // accepts. A level costs at most about 250 bytes of WebAssembly stack at -Oz (measured;
    // 50 through a plain $ref), so 128 levels fit in half of a 64 KiB stack.
    int max_depth = max_json_depth;
    // Violations reported; a model fixes the first few and calls again.
    std::size_t max_errors = 10;
    // Subschemas applied plus values compared (enum, uniqueItems). Arguments cost a few steps
    // per value and a model writes at most some tens of thousands of values in one call, but
    // a schema can be exponential (anyOf of $refs of anyOf ...). A million steps take about
    // 0.4 s natively at -O2.
    std::uint64_t max_steps = 1'000'000;
};

class JsonSchema {
public:
    // Checks the shape of `schema` and compiles it. Refuses, with the first problem found: a
    // schema nested deeper than max_depth; a schema that is neither an object nor a boolean;
    // a known keyword whose value has the wrong type or range ("type": 5, "required": "x",
    // "minLength": -1, "multipleOf": 0, an empty "anyOf"); a $ref that is not a JSON Pointer
    // into this document or that points at nothing or at a non-schema; a cycle of $ref (and
    // allOf, anyOf, oneOf, not) that returns to a schema without descending into the instance,
    // which could never finish (Core 2020-12, section 9.4.1). Never throws.
    static CompiledSchema compile(const nlohmann::json& schema, SchemaLimits limits = SchemaLimits());

    // Checks `instance`. Keywords of one schema are reported in a fixed order, and an
    // instance of the wrong type gets only the type violation. An instance nested deeper than
    // max_depth, or one that takes more than max_steps, is invalid with one violation that
    // says so. Never throws.
    SchemaVerdict validate(const nlohmann::json& instance) const;

    JsonSchema(const JsonSchema&);
    JsonSchema(JsonSchema&&) noexcept;
    JsonSchema& operator=(const JsonSchema&);
    JsonSchema& operator=(JsonSchema&&) noexcept;
    ~JsonSchema();

private:
    struct Node;
    class Compiler;
    class Validator;

    JsonSchema() = default;

    std::vector<Node> nodes_;  // nodes_[0] is the root; subschemas refer to each other by index
    SchemaLimits limits_;
};

// What JsonSchema::compile gives: exactly one of the two is set.
struct CompiledSchema {
    std::optional<JsonSchema> schema;
    std::optional<SchemaError> error;
};

} // namespace confab
