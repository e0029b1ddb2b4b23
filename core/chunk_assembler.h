// core/chunk_assembler.h
// Folds OpenAI-compatible `chat.completion.chunk` events into one assistant reply, and
// reports each piece as it arrives so a view can render while the stream goes on.
// Reference: OpenAI API reference, "The chat completion chunk object"; what real
// providers send beyond it is listed in tests/fixtures/SOURCES.md.
//
// Only choice index 0 is assembled (the product always asks for n = 1; other choices
// never leak into it). Deliberately not done here: SSE framing (sse_parser.h) and
// deciding what to do with the reply (the conversation engine).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chunk_fields.h"
#include "core/message.h"
#include "core/sse_parser.h"

namespace confab {

// One piece of the reply, as it arrived.
struct StreamDelta {
    enum class Kind {
        content,        // text: new content
        reasoning,      // text: new reasoning (thinking) text
        refusal,        // text: new refusal text
        tool_call,      // tool_index; text: arguments fragment; tool_id/tool_name when first known
        finish_reason,  // text: the finish reason as sent (also values such as "eos_token")
        usage,          // value: the provider's usage object, as sent
        error,          // value: the error the provider sent; text: its message in plain words
        malformed,      // text: what was wrong with an event that could not be used
        done,           // the "[DONE]" sentinel
    };
    Kind kind = Kind::content;
    std::string text;
    int tool_index = -1;
    std::string tool_id;
    std::string tool_name;
    nlohmann::json value;

    bool operator==(const StreamDelta&) const = default;
};

// The reply assembled so far.
struct AssembledReply {
    std::string id;                          // the provider's completion id, if it sent one
    std::string model;                       // the model the provider says answered
    std::string content;
    std::string reasoning;
    std::optional<std::string> refusal;      // null until a non-empty refusal fragment arrives
    std::vector<ToolCall> tool_calls;        // ordered by index
    std::optional<std::string> finish_reason;
    nlohmann::json usage;                    // the last non-null top-level usage, or null
    std::vector<nlohmann::json> errors;      // every error value the provider sent
    std::vector<std::string> problems;       // events that could not be used, in plain words
    bool done = false;                       // "[DONE]" was seen

    // The `confab replay` shape: content, reasoning, refusal, tool_calls, finish_reason,
    // usage, errors (see DESIGN.md, "Surfaces that other programs rely on").
    nlohmann::json to_replay_json() const;

    // The reply as a stored assistant message (id and time are the caller's to set).
    Message to_message() const;
};

// Plain words for an error value a provider sent: its "message" when it has one.
std::string error_text(const nlohmann::json& error);

// The kind's name as it appears on the wire and in the JSON given to JavaScript ("content",
// "tool_call" ...).
std::string_view to_string(StreamDelta::Kind kind);

// Grows a message shown while it streams by one delta, as the engine grows its own copy:
// text kinds append, a tool_call delta appends to the call with its index (adding it, in
// index order, when new). Other kinds change nothing: they arrive with the final ShowMessage.
void apply_delta(Message& message, const StreamDelta& delta);

class ChunkAssembler {
public:
    // Takes one event of the stream; appends what it added to the reply to `out`, in
    // order. A data payload that is not JSON is reported as `malformed` and the stream
    // goes on.
    void take(const SseEvent& event, std::vector<StreamDelta>& out);
    std::vector<StreamDelta> take(const SseEvent& event);

    // Takes one parsed chunk object. `is_error_event`: it came as "event: error", so the
    // whole payload is an error even without an `error` member (Groq).
    std::vector<StreamDelta> take_chunk(const nlohmann::json& chunk, bool is_error_event = false);

    // Takes a whole non-streamed `chat.completion` object, whose choices carry `message`
    // instead of `delta`; the result is the same reply a stream of it would assemble.
    std::vector<StreamDelta> take_completion(const nlohmann::json& completion);

    // End of stream: releases text held back while deciding whether it opens or closes
    // an inline <think> block.
    std::vector<StreamDelta> finish();

    // Records something wrong with the stream itself (not JSON, cut short, over a limit)
    // and returns the `malformed` delta that reports it.
    StreamDelta add_problem(std::string what);

    const AssembledReply& reply() const { return reply_; }

private:
    ChunkFields fields_;  // reused for every chunk, so its buffers are too
    void add_content(std::string_view text, std::vector<StreamDelta>& out);
    void add_reasoning(std::string_view text, std::vector<StreamDelta>& out);
    void take_object(const nlohmann::json& chunk, bool is_error_event, const char* part,
                     std::vector<StreamDelta>& out);
    void apply(const ChunkFields& fields, std::vector<StreamDelta>& out);
    void take_tool_call(const ChunkFields::ToolFragment& fragment, std::vector<StreamDelta>& out);

    // Inline <think>...</think> at the very start of content (DeepSeek-R1 distills, QwQ and
    // Qwen3 served raw) is moved to reasoning. The state of that small scanner:
    enum class ThinkState { undecided, inside, just_closed, outside };
    ThinkState think_ = ThinkState::undecided;
    std::string held_;  // content not yet known to be content or reasoning

    AssembledReply reply_;
};

// Bytes of a chat.completions stream in, deltas out: an SseParser feeding a ChunkAssembler.
class OpenAiStream {
public:
    explicit OpenAiStream(SseLimits limits = SseLimits()) : parser_(limits) {}

    // Any slice of the response body; returns the deltas it completed.
    std::vector<StreamDelta> feed(std::string_view bytes);
    // The same, appending to `out` (a driver can keep one vector for a whole stream).
    void feed(std::string_view bytes, std::vector<StreamDelta>& out);

    // End of the body. Reports a stream cut inside an event as a `malformed` delta.
    std::vector<StreamDelta> finish();

    const AssembledReply& reply() const { return assembler_.reply(); }
    const std::optional<SseError>& error() const { return parser_.error(); }

private:
    struct Sink final : SseSink {
        ChunkAssembler* assembler = nullptr;
        std::vector<StreamDelta>* out = nullptr;
        void on_event(const SseEvent& event) override { assembler->take(event, *out); }
    };

    SseParser parser_;
    ChunkAssembler assembler_;
    bool failed_reported_ = false;
};

} // namespace confab
