// core/chunk_assembler.cpp
// The assembly rules, with the provider behaviour that decided each one.
#include "core/chunk_assembler.h"

#include <algorithm>

#include "core/chunk_scanner.h"
#include "core/json_util.h"

namespace confab {

namespace {

constexpr std::string_view think_open = "<think>";
constexpr std::string_view think_close = "</think>";
// Leading whitespace a model may print before "<think>"; past this much, it is content.
constexpr std::size_t max_undecided_bytes = 64;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim_left(std::string_view text)
{
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    return text;
}

// The length of the longest suffix of `text` that is a proper prefix of `tag`: bytes that
// may be the start of a tag split across deltas.
std::size_t partial_tag_suffix(std::string_view text, std::string_view tag)
{
    for (std::size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
        if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
    return 0;
}

StreamDelta text_delta(StreamDelta::Kind kind, std::string_view text)
{
    StreamDelta delta;
    delta.kind = kind;
    delta.text.assign(text);
    return delta;
}

} // namespace

std::string_view to_string(StreamDelta::Kind kind)
{
    switch (kind) {
    case StreamDelta::Kind::content: return "content";
    case StreamDelta::Kind::reasoning: return "reasoning";
    case StreamDelta::Kind::refusal: return "refusal";
    case StreamDelta::Kind::tool_call: return "tool_call";
    case StreamDelta::Kind::finish_reason: return "finish_reason";
    case StreamDelta::Kind::usage: return "usage";
    case StreamDelta::Kind::error: return "error";
    case StreamDelta::Kind::malformed: return "malformed";
    case StreamDelta::Kind::done: return "done";
    }
    return "content";
}

void apply_delta(Message& message, const StreamDelta& delta)
{
    switch (delta.kind) {
    case StreamDelta::Kind::content:
        if (!message.content) message.content.emplace();
        message.content->append(delta.text);
        break;
    case StreamDelta::Kind::reasoning: message.reasoning += delta.text; break;
    case StreamDelta::Kind::refusal:
        if (!message.refusal) message.refusal.emplace();
        message.refusal->append(delta.text);
        break;
    case StreamDelta::Kind::tool_call: {
        const auto by_index = [](const ToolCall& call, int index) { return call.index < index; };
        auto call = std::lower_bound(message.tool_calls.begin(), message.tool_calls.end(), delta.tool_index, by_index);
        if (call == message.tool_calls.end() || call->index != delta.tool_index) {
            ToolCall added;
            added.index = delta.tool_index;
            call = message.tool_calls.insert(call, std::move(added));
        }
        if (!delta.tool_id.empty()) call->id = delta.tool_id;
        if (!delta.tool_name.empty()) call->name = delta.tool_name;
        call->arguments += delta.text;
        break;
    }
    default: break;
    }
}

std::string error_text(const nlohmann::json& error)
{
    if (error.is_string()) return error.get<std::string>();
    if (auto message = get_string(error, "message")) return *message;
    if (const auto* inner = find_member(error, "error")) return error_text(*inner);
    return dump_safely(error);
}

nlohmann::json AssembledReply::to_replay_json() const
{
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& call : tool_calls) {
        calls.push_back({
            {"index", call.index},
            {"id", call.id ? nlohmann::json(*call.id) : nlohmann::json(nullptr)},
            {"type", call.type},
            {"function", {{"name", call.name}, {"arguments", call.arguments}}},
        });
    }
    nlohmann::json out = nlohmann::json::object();
    out["content"] = content;
    out["reasoning"] = reasoning;
    out["refusal"] = refusal ? nlohmann::json(*refusal) : nlohmann::json(nullptr);
    out["tool_calls"] = std::move(calls);
    out["finish_reason"] = finish_reason ? nlohmann::json(*finish_reason) : nlohmann::json(nullptr);
    out["usage"] = usage;
    out["errors"] = nlohmann::json(errors);
    if (!problems.empty()) out["problems"] = problems;
    return out;
}

Message AssembledReply::to_message() const
{
    Message message;
    message.role = Role::assistant;
    // The wire sends `content: null` with tool calls; an empty string otherwise.
    if (!content.empty() || tool_calls.empty()) message.content = content;
    message.reasoning = reasoning;
    message.refusal = refusal;
    message.tool_calls = tool_calls;
    message.model = model;
    message.finish_reason = finish_reason;
    message.usage = usage;
    return message;
}

std::vector<StreamDelta> ChunkAssembler::take(const SseEvent& event)
{
    std::vector<StreamDelta> out;
    take(event, out);
    return out;
}

void ChunkAssembler::take(const SseEvent& event, std::vector<StreamDelta>& out)
{
    // OpenAI ends a stream with "data: [DONE]"; many providers never send it.
    if (event.data == "[DONE]") {
        reply_.done = true;
        out.push_back(text_delta(StreamDelta::Kind::done, ""));
        return;
    }
    const bool is_error_event = event.type == "error";
    if (!is_error_event && scan_chunk(event.data, fields_)) {
        apply(fields_, out);
        return;
    }
    const auto payload = parse_json(event.data);
    if (payload.is_discarded()) {
        std::string what = nests_deeper_than(event.data, max_json_depth)
                             ? "an event's data nests deeper than " + std::to_string(max_json_depth) + " levels"
                             : std::string("an event's data is not JSON");
        if (event.type != "message") what += " (event: " + event.type + ")";
        out.push_back(add_problem(std::move(what)));
        return;
    }
    take_object(payload, is_error_event, "delta", out);
}

StreamDelta ChunkAssembler::add_problem(std::string what)
{
    reply_.problems.push_back(what);
    return text_delta(StreamDelta::Kind::malformed, what);
}

std::vector<StreamDelta> ChunkAssembler::take_chunk(const nlohmann::json& chunk, bool is_error_event)
{
    std::vector<StreamDelta> out;
    take_object(chunk, is_error_event, "delta", out);
    return out;
}

std::vector<StreamDelta> ChunkAssembler::take_completion(const nlohmann::json& completion)
{
    std::vector<StreamDelta> out;
    take_object(completion, false, "message", out);
    return out;
}

void ChunkAssembler::take_object(const nlohmann::json& chunk, bool is_error_event, const char* part,
                                 std::vector<StreamDelta>& out)
{
    auto fields = fields_from_json(chunk, part);
    // "event: error" makes the whole payload an error even without an `error` member (Groq).
    if (is_error_event && fields.error.is_null()) fields.error = chunk;
    apply(fields, out);
}

void ChunkAssembler::apply(const ChunkFields& fields, std::vector<StreamDelta>& out)
{
    // Errors come three ways: "event: error" with a JSON payload (Groq), an `error` member
    // beside `choices` in an ordinary chunk (OpenRouter), or an `error` object alone.
    if (!fields.error.is_null()) {
        reply_.errors.push_back(fields.error);
        StreamDelta delta = text_delta(StreamDelta::Kind::error, error_text(fields.error));
        delta.value = fields.error;
        out.push_back(std::move(delta));
    }
    if (fields.id) reply_.id.assign(*fields.id);
    if (fields.model) reply_.model.assign(*fields.model);

    // The last non-null top-level usage wins: it may come in the finish chunk, in a final
    // chunk with empty choices, and be followed by chunks with "usage": null (OpenAI gpt-5).
    // Vendor copies (x_groq.usage) are not looked at.
    if (!fields.usage.is_null()) {
        reply_.usage = fields.usage;
        StreamDelta delta = text_delta(StreamDelta::Kind::usage, "");
        delta.value = fields.usage;
        out.push_back(std::move(delta));
    }

    for (const auto& choice : fields.choices) {
        for (const auto& piece : choice.content) {
            if (piece.reasoning) add_reasoning(piece.text, out);
            else add_content(piece.text, out);
        }
        // No provider sends both reasoning fields; if one did, `reasoning_content` wins.
        if (choice.reasoning_content) add_reasoning(*choice.reasoning_content, out);
        else if (choice.reasoning) add_reasoning(*choice.reasoning, out);

        // An empty refusal ("refusal": "" on every Snowflake chunk) is no refusal.
        if (choice.refusal && (!choice.refusal->empty() || reply_.refusal)) {
            if (!reply_.refusal) reply_.refusal.emplace();
            reply_.refusal->append(*choice.refusal);
            if (!choice.refusal->empty()) out.push_back(text_delta(StreamDelta::Kind::refusal, *choice.refusal));
        }

        for (const auto& fragment : choice.tool_calls) take_tool_call(fragment, out);

        // finish_reason may share its chunk with content, tool calls and usage (vLLM,
        // Mistral), so it is applied after them; any string is kept ("eos_token", TGI).
        if (choice.finish_reason) {
            reply_.finish_reason = std::string(*choice.finish_reason);
            out.push_back(text_delta(StreamDelta::Kind::finish_reason, *choice.finish_reason));
        }
    }
}

void ChunkAssembler::take_tool_call(const ChunkFields::ToolFragment& fragment, std::vector<StreamDelta>& out)
{
    // Calls merge by `index`; arguments come in many fragments (OpenAI) or whole in one
    // chunk (Groq, Mistral, Ollama).
    if (fragment.index < 0 || fragment.index > 1'000'000) return;  // no model makes a million calls
    const int index = int(fragment.index);
    auto& calls = reply_.tool_calls;
    auto it = std::lower_bound(calls.begin(), calls.end(), index,
                               [](const ToolCall& c, int i) { return c.index < i; });
    if (it == calls.end() || it->index != index) {
        ToolCall fresh;
        fresh.index = index;
        it = calls.insert(it, std::move(fresh));
    }

    StreamDelta delta;
    delta.kind = StreamDelta::Kind::tool_call;
    delta.tool_index = index;
    // id, type and name are set whole, never concatenated; later fragments repeat them or
    // send explicit nulls (Writer), which change nothing.
    if (fragment.id && !fragment.id->empty() && it->id != fragment.id) {
        delta.tool_id = *fragment.id;
        it->id = delta.tool_id;
    }
    if (fragment.type && !fragment.type->empty()) it->type = *fragment.type;
    if (fragment.name && !fragment.name->empty() && it->name != *fragment.name) {
        delta.tool_name = *fragment.name;
        it->name = delta.tool_name;
    }
    if (fragment.arguments) {
        delta.text = *fragment.arguments;
        it->arguments += delta.text;
    }
    if (!delta.text.empty() || !delta.tool_id.empty() || !delta.tool_name.empty()) out.push_back(std::move(delta));
}

void ChunkAssembler::add_reasoning(std::string_view text, std::vector<StreamDelta>& out)
{
    if (text.empty()) return;
    reply_.reasoning.append(text);
    out.push_back(text_delta(StreamDelta::Kind::reasoning, text));
}

void ChunkAssembler::add_content(std::string_view text, std::vector<StreamDelta>& out)
{
    if (think_ == ThinkState::just_closed) {
        // The blank line a model prints after "</think>" separates, it is not content.
        const auto first = text.find_first_not_of("\r\n");
        if (first == std::string_view::npos) return;
        text.remove_prefix(first);
        think_ = ThinkState::outside;
    }
    if (text.empty()) return;
    if (think_ == ThinkState::outside) {
        reply_.content.append(text);
        out.push_back(text_delta(StreamDelta::Kind::content, text));
        return;
    }

    held_.append(text);
    if (think_ == ThinkState::undecided) {
        const auto rest = trim_left(held_);
        if (rest.size() < think_open.size() && think_open.substr(0, rest.size()) == rest &&
            held_.size() <= max_undecided_bytes)
            return;  // still possibly the start of "<think>"
        if (rest.substr(0, think_open.size()) != think_open) {
            think_ = ThinkState::outside;
            std::string content = std::move(held_);
            held_.clear();
            add_content(content, out);
            return;
        }
        think_ = ThinkState::inside;
        held_.erase(0, held_.size() - rest.size() + think_open.size());
    }

    // Inside the think block: everything up to "</think>" is reasoning; bytes that may
    // begin a split "</think>" wait for the next delta.
    if (const auto close = held_.find(think_close); close != std::string::npos) {
        std::string after = held_.substr(close + think_close.size());
        add_reasoning(std::string_view(held_).substr(0, close), out);
        held_.clear();
        think_ = ThinkState::just_closed;
        add_content(after, out);
        return;
    }
    const auto keep = partial_tag_suffix(held_, think_close);
    add_reasoning(std::string_view(held_).substr(0, held_.size() - keep), out);
    held_.erase(0, held_.size() - keep);
}

std::vector<StreamDelta> ChunkAssembler::finish()
{
    std::vector<StreamDelta> out;
    std::string held = std::move(held_);
    held_.clear();
    if (think_ == ThinkState::inside) {
        add_reasoning(held, out);  // an unclosed think block is all reasoning
    } else if (think_ == ThinkState::undecided) {
        think_ = ThinkState::outside;
        add_content(held, out);
    }
    return out;
}

std::vector<StreamDelta> OpenAiStream::feed(std::string_view bytes)
{
    std::vector<StreamDelta> out;
    feed(bytes, out);
    return out;
}

void OpenAiStream::feed(std::string_view bytes, std::vector<StreamDelta>& out)
{
    Sink sink;
    sink.assembler = &assembler_;
    sink.out = &out;
    parser_.feed(bytes, sink);
    if (parser_.error() && !failed_reported_) {
        failed_reported_ = true;
        out.push_back(assembler_.add_problem(parser_.error()->message));
    }
}

std::vector<StreamDelta> OpenAiStream::finish()
{
    std::vector<StreamDelta> out;
    parser_.finish();
    if (parser_.truncated()) out.push_back(assembler_.add_problem("the stream ended in the middle of an event"));
    auto rest = assembler_.finish();
    out.insert(out.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
    return out;
}

} // namespace confab
