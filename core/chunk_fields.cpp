// core/chunk_fields.cpp
// Reading a chunk from a parsed JSON value: the reader for every input (chunk_scanner.cpp
// is the fast one for the common shape).
#include "core/chunk_fields.h"

#include "core/json_util.h"

namespace confab {

namespace {

std::optional<std::string_view> non_empty_string(const nlohmann::json& object, std::string_view key)
{
    auto value = get_string_view(object, key);
    if (value && value->empty()) return std::nullopt;
    return value;
}

// A choice's `index`, or its place in the array when it has none (some providers omit
// it). Anything else (a string, a fraction) means "not choice 0".
std::optional<std::int64_t> choice_index(const nlohmann::json& choice, std::size_t position)
{
    const auto* index = find_member(choice, "index");
    if (index == nullptr || index->is_null()) return std::int64_t(position);
    if (index->is_number_integer()) return index->get<std::int64_t>();
    return std::nullopt;
}

void read_content(const nlohmann::json& content, ChunkFields::Choice& choice)
{
    if (content.is_string()) {
        choice.content.push_back({false, content.get_ref<const std::string&>()});
        return;
    }
    if (!content.is_array()) return;
    // Mistral sends content as typed parts: "text" parts are content; "thinking" parts
    // hold their own list of text parts, which are reasoning.
    for (const auto& item : content) {
        const auto type = get_string_view(item, "type");
        if (type == "text") {
            if (auto text = get_string_view(item, "text")) choice.content.push_back({false, *text});
        } else if (type == "thinking") {
            const auto* thinking = find_member(item, "thinking");
            if (thinking == nullptr || !thinking->is_array()) continue;
            for (const auto& inner : *thinking)
                if (get_string_view(inner, "type") == "text")
                    if (auto text = get_string_view(inner, "text")) choice.content.push_back({true, *text});
        }
    }
}

ChunkFields::ToolFragment read_tool_call(const nlohmann::json& call, std::size_t position)
{
    ChunkFields::ToolFragment fragment;
    const auto* index = find_member(call, "index");
    fragment.index = (index != nullptr && index->is_number_integer()) ? index->get<std::int64_t>() : std::int64_t(position);
    fragment.id = get_string_view(call, "id");
    fragment.type = get_string_view(call, "type");
    if (const auto* function = find_member(call, "function")) {
        fragment.name = get_string_view(*function, "name");
        fragment.arguments = get_string_view(*function, "arguments");
    }
    return fragment;
}

ChunkFields::Choice read_choice(const nlohmann::json& choice, const char* part, std::forward_list<std::string>& decoded)
{
    ChunkFields::Choice out;
    if (const auto* body = find_member(choice, part); body != nullptr && body->is_object()) {
        if (const auto* content = find_member(*body, "content")) read_content(*content, out);
        out.reasoning_content = get_string_view(*body, "reasoning_content");
        out.reasoning = get_string_view(*body, "reasoning");
        out.refusal = get_string_view(*body, "refusal");
        if (const auto* calls = find_member(*body, "tool_calls"); calls != nullptr && calls->is_array())
            for (std::size_t position = 0; position < calls->size(); ++position)
                if ((*calls)[position].is_object()) out.tool_calls.push_back(read_tool_call((*calls)[position], position));
    }
    if (const auto* finish = find_member(choice, "finish_reason"); finish != nullptr && !finish->is_null()) {
        if (finish->is_string()) {
            out.finish_reason = finish->get_ref<const std::string&>();
        } else {
            decoded.push_front(dump_safely(*finish));
            out.finish_reason = decoded.front();
        }
    }
    return out;
}

} // namespace

ChunkFields fields_from_json(const nlohmann::json& chunk, const char* part)
{
    ChunkFields fields;
    if (!chunk.is_object()) return fields;
    fields.id = non_empty_string(chunk, "id");
    fields.model = non_empty_string(chunk, "model");
    if (const auto* usage = find_member(chunk, "usage")) fields.usage = *usage;
    if (const auto* error = find_member(chunk, "error")) fields.error = *error;
    if (const auto* choices = find_member(chunk, "choices"); choices != nullptr && choices->is_array()) {
        for (std::size_t position = 0; position < choices->size(); ++position) {
            const auto& choice = (*choices)[position];
            if (choice.is_object() && choice_index(choice, position) == 0) fields.choices.push_back(read_choice(choice, part, fields.decoded));
        }
    }
    return fields;
}

} // namespace confab
