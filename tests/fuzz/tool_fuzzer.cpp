// tests/fuzz/tool_fuzzer.cpp
// libFuzzer target for the gate every tool call passes (core/tool_registry.h) and the schema
// validator behind it (core/json_schema.h). The arguments are what a model wrote, so any bytes
// at all; the schema is what a host page registered, so any JSON. The input is the schema's
// text, a zero byte, then the arguments' text (scripts/fuzz seeds it with the draft 7 files of
// the JSON-Schema-Test-Suite: each schema with each of its test instances).
//
// Besides "no crash, no leak, no undefined behaviour, no exception, no hang" it checks what the
// headers promise: a schema is either compiled or refused with a reason, and the registry
// takes exactly the schemas that compile; a call gets exactly one of arguments to run with
// or a result to send back, never an empty one; arguments let through are an object that the
// schema finds valid; a refused call's result is JSON with an "error" member; the verdict is
// the same every time; violations stay within their cap; an unknown tool is always refused.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json_schema.h"
#include "core/json_util.h"
#include "core/tool_registry.h"

namespace {

void require(bool promise)
{
    if (!promise) std::abort();
}

void check_refusal(const confab::ToolCallCheck& check)
{
    require(!check.arguments && check.result && !check.result->empty());
    const auto result = confab::parse_json(*check.result);
    require(result.is_object() && confab::get_string(result, "error").has_value());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t cut = input.find('\0');
    const std::string_view schema_text = input.substr(0, cut);
    const std::string_view arguments = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 1);

    // Small caps, so that the fuzzer reaches them.
    const confab::SchemaLimits limits{.max_depth = 32, .max_errors = 3, .max_steps = 20'000};
    const nlohmann::json schema = confab::parse_json(schema_text);
    if (!schema.is_discarded()) {
        const confab::CompiledSchema compiled = confab::JsonSchema::compile(schema, limits);
        require(compiled.schema.has_value() != compiled.error.has_value());
        if (compiled.error) require(!compiled.error->message.empty());
        if (compiled.schema) {
            const nlohmann::json instance = confab::parse_json(arguments);
            if (!instance.is_discarded()) {
                const confab::SchemaVerdict verdict = compiled.schema->validate(instance);
                require(verdict.violations.size() <= limits.max_errors);
                require(!verdict.more || verdict.violations.size() == limits.max_errors);
                for (const auto& violation : verdict.violations) require(!violation.message.empty());
                require(compiled.schema->validate(instance).text() == verdict.text());
            }
        }
    }

    // The registry compiles with the default limits. A schema it takes must compile on its own.
    confab::ToolRegistry tools;
    const nlohmann::json parameters = schema.is_discarded() ? nlohmann::json() : schema;
    const auto refused = tools.add(confab::ToolSpec{"t", "", parameters, {}});
    if (!refused) {
        require(tools.tools().size() == 1);
        require(parameters.is_null() || (parameters.is_object() && confab::JsonSchema::compile(parameters).schema));
        const confab::ToolCallCheck check = tools.check_call("t", arguments);
        require(check.arguments.has_value() != check.result.has_value());
        if (check.arguments) {
            require(check.arguments->is_object());
            if (parameters.is_object())
                require(confab::JsonSchema::compile(parameters).schema->validate(*check.arguments).valid());
        } else {
            check_refusal(check);
        }
        const confab::ToolCallCheck again = tools.check_call("t", arguments);
        require(again.arguments == check.arguments && again.result == check.result);
    } else {
        require(!refused->empty() && tools.tools().empty());
    }
    check_refusal(tools.check_call("unknown", arguments));
    return 0;
}
