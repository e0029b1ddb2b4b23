// tests/fuzz/request_fuzzer.cpp
// libFuzzer target for what `confab serve` checks in a POST /v1/chat/completions body before
// anything goes upstream (native/serve/chat_request.h): the body comes from any web page or
// client that reaches the relay, so any bytes at all. scripts/fuzz seeds it with request bodies
// from tests/fuzz/requests.
//
// Besides "no crash, no leak, no undefined behaviour, no exception, no hang" it checks the
// decisions the header lists: a refusal is a 400 or a 413 with a message; a body let through
// is a JSON object with only known members (each one the page sent, or the model and the token
// cap), the model the table resolved, 1 to max_messages messages, `n` 1 and every token cap
// within the operator's; and it is settled: the body sent upstream, checked again, passes
// unchanged, with nothing dropped.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "core/json_util.h"
#include "native/serve/chat_request.h"

namespace {

void require(bool promise)
{
    if (!promise) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // Small limits, so that the fuzzer reaches them.
    confab::serve::RequestLimits limits;
    limits.max_body_bytes = 6000;
    limits.max_messages = 8;
    limits.max_content_chars = 300;
    limits.max_tokens = 100;
    limits.max_tools = 4;
    confab::serve::ModelTable models;
    models.add("chat", "upstream-model");
    models.add("gpt-4o-mini", "gpt-4o-mini");

    const auto checked = confab::serve::check_chat_request(bytes, limits, models);
    if (const auto* error = std::get_if<confab::serve::RelayError>(&checked)) {
        require(error->status == 400 || error->status == 413);
        require(!error->message.empty() && error->body().is_object());
        return 0;
    }
    const auto& call = std::get<confab::serve::ChatCall>(checked);
    const nlohmann::json sent = confab::parse_json(bytes);
    require(sent.is_object() && call.body.is_object());
    for (const auto& name : call.dropped) require(sent.contains(name) && !call.body.contains(name));
    for (const auto& [name, value] : call.body.items()) {
        require(sent.contains(name) || name == "model" || name == "max_tokens");
    }
    require(call.model == "upstream-model" || call.model == "gpt-4o-mini");
    require(confab::get_string(call.body, "model") == call.model);
    const auto& messages = call.body.at("messages");
    require(messages.is_array() && !messages.empty() && messages.size() <= limits.max_messages);
    require(call.messages.size() == messages.size());
    if (call.body.contains("n")) require(call.body.at("n") == 1);
    bool capped = false;
    for (const char* field : {"max_tokens", "max_completion_tokens"}) {
        if (!call.body.contains(field) || call.body.at(field).is_null()) continue;
        const auto tokens = confab::get_int(call.body, field);
        require(tokens && *tokens >= 1 && *tokens <= limits.max_tokens);
        capped = true;
    }
    require(capped);

    // What went upstream passes again as it is: the upstream name is allowed as itself, and
    // writing the body out may lengthen it (1e2 is written 100.0), so no size limit here.
    confab::serve::RequestLimits again_limits = limits;
    again_limits.max_body_bytes = SIZE_MAX;
    const auto again = confab::serve::check_chat_request(confab::dump_safely(call.body), again_limits,
                                                         confab::serve::ModelTable::open_table());
    const auto* settled = std::get_if<confab::serve::ChatCall>(&again);
    require(settled != nullptr && settled->body == call.body && settled->dropped.empty());
    require(settled->stream == call.stream && settled->messages.size() == call.messages.size());
    return 0;
}
