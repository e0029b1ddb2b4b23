// core/context_trimmer.h
// Chooses which messages of a session go into the next request so that it fits the model's
// context window: a sliding window that leaves out the oldest turns first and, when summaries
// are on, sends a stored summary of them in their place (tiered routing: a cheaper model writes
// it). Also builds the request that asks for such a summary.
//
// Trimming changes only what is sent: the session keeps every message. Deliberately not done
// here: calling any model (the engine sends summary_request_messages() to its summary model
// and stores the Summary it gets back), the request body (request_builder.h), and mending the
// history's own gaps: a call never answered, or a result parted from its call by another
// message, is sent as it is. The one gap always mended is a tool result with no call before
// it, which a provider refuses outright: it is left out.
//
// The words this file uses, precisely. Indices are positions in session.messages.
//
// - A *turn* is a user message and every message after it up to the next user message.
//   Messages before the first user message form a turn of their own, without a user message.
// - The *current turn* starts at the newest user message: the question being asked and the
//   tool rounds answering it so far. A session without user messages has none.
// - A *tool round* is an assistant message with tool calls and every tool message answering
//   one of them. A tool message answers the nearest earlier assistant message holding a call
//   whose id is its tool_call_id. A tool message that answers none is *unsendable*.
// - A message is *fixed*, always sent, when it is sendable and is a system message, is pinned,
//   is in the current turn, is in a tool round with a fixed message, or is the user message of
//   a turn with a fixed assistant or tool message (so a reply that stays keeps its question).
// - A *unit*, what is dropped at once, is the messages of one turn that are neither fixed nor
//   unsendable. A tool round that is not fixed and spans turns (its call in one, a result in a
//   later one) joins them, and every turn between, into one unit. A turn with nothing left to
//   drop forms no unit. Units are numbered oldest first; their messages never interleave.
//
// A plan drops the unsendable messages and the first k units, for the smallest k whose request
// fits the budget. Hence the model never sees a reply whose question was dropped, a result
// without its call, or a call without the results the session holds for it; and every message
// dropped to fit is older than every message kept, fixed ones aside.
//
// Summaries, with TrimOptions::summaries on. Whenever turns are dropped, summary_tokens of the
// budget are kept for one summary message, sent right after the system prompt. A stored summary
// may fill that room if each message it covers is dropped or fixed (never one kept only because
// it fit) and its message fits the room; of those, the one covering most dropped messages is
// sent. If it does not cover them all, summary_needed names the messages a new one should
// cover; the engine may ask for it (summary_request_messages), store it, and plan again: the cut
// stays where it was, since the room was kept, and the new summary covers exactly the drop. A
// summary longer than its room is never sent, and then summary_needed stays set: ask once a turn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/session.h"
#include "core/token_estimator.h"

namespace confab {

// For settings the session leaves unset.
// 8,192: nearly every chat model served today offers at least this much. A guess too small only
// forgets context early; a guess too big gets the request refused by the provider.
inline constexpr std::int64_t default_context_window = 8192;
// 1,024 leaves room for a reply of about 750 English words. A session that sets max_tokens
// reserves that instead, since providers count max_tokens against the window.
inline constexpr std::int64_t default_reserved_output = 1024;
// The margin absorbs the estimator's error, which grows with the text rather than being fixed:
// 5% of what the messages may take. The estimate already leans high and calibrates itself from
// reported usage; 5% is for text unlike any it has seen.
inline constexpr std::int64_t default_safety_margin_percent = 5;

// The tokens a request's messages may take.
struct ContextBudget {
    std::int64_t tokens = 0;           // context_window − reserved_output − safety_margin; may be ≤ 0
    std::int64_t context_window = 0;   // the parts, as they applied; all 0 when `given`
    std::int64_t reserved_output = 0;
    std::int64_t safety_margin = 0;
    bool given = false;                // the caller set `tokens` (TrimOptions::budget)

    bool operator==(const ContextBudget&) const = default;
};

// The budget the settings give: context_window (default 8,192) less reserved_output (if unset,
// max_tokens, else 1,024; if both are set, the larger) less safety_margin (if unset, 5% of the
// window after the reserve, rounded up, or 0 when that is not positive).
ContextBudget context_budget(const SessionSettings& settings);

struct TrimOptions {
    std::optional<std::int64_t> budget;  // tokens the messages may take, instead of the settings'
    // Keep room for a summary and send a stored one (see above). The plan is the same whether
    // or not the engine then asks for a new summary: plan with the same options for asking and
    // for sending, or the two plans cut in different places.
    bool summaries = false;
    std::string model;                   // whose calibration estimates use; "" for settings.model
    // The tool definitions the request offers, TokenEstimator::estimate_tools: the budget holds
    // them beside the messages, as the provider's count does.
    std::int64_t tools = 0;
    // The room for the summary message. 512 tokens is a few paragraphs: enough for names,
    // numbers and decisions, and under a tenth of the default budget.
    std::int64_t summary_tokens = 512;
};

// Messages a new summary should cover: first..last, inclusive, named by index and by id.
struct SummaryRange {
    std::size_t first = 0;
    std::size_t last = 0;
    std::string first_message_id;        // what the new Summary stores
    std::string last_message_id;
    // The stored summary sent meanwhile, if any; it lies inside the range, and
    // summary_request_messages() gives its text in place of the messages it covers, so the new
    // summary builds on it. An index into session.summaries.
    std::optional<std::size_t> extends;
    // The most the new summary's text may take (estimated) and still fit the room kept for it:
    // give the summary request this as max_tokens.
    std::int64_t text_tokens = 0;

    bool operator==(const SummaryRange&) const = default;
};

struct TrimPlan {
    std::vector<std::size_t> kept;       // sent, ascending
    std::vector<std::size_t> dropped;    // not sent, ascending; with kept, every index once
    std::vector<std::string> reasons;    // reasons[i] says why dropped[i] is not sent
    std::optional<std::size_t> summary_index;  // the stored summary sent, in session.summaries
    // Set when summaries are on, turns are dropped, and no stored summary covers them all. Not
    // set when the first or last of those messages has no id of its own (empty or repeated),
    // since a summary could not name it.
    std::optional<SummaryRange> summary_needed;
    // What messages_to_send() returns, counted as the budget is: estimate_messages of no
    // messages (the reply's priming) plus estimate_message of each message sent. Each estimate
    // rounds up on its own, so this is never below estimate_messages of the whole request.
    std::int64_t estimated_tokens = 0;
    ContextBudget budget;
    // Set when the fixed messages alone exceed the budget: nothing may be sent. kept then holds
    // the fixed messages and estimated_tokens their size, for display. In words, for people:
    // "the message is about 12,345 tokens; this model's budget is 6,809 (context 8,192 −
    // reserved output 1,024 − margin 359)".
    std::optional<std::string> error;
};

// Plans the next request. Deterministic: the same session, estimator state and options give
// the same plan. Costs one estimate per message it may send (the fixed ones, and the units from
// the newest back until the budget is full, or all of them when they fit) and per stored
// summary it considers: in a long session, not one per message.
TrimPlan plan_context(const Session& session, const TokenEstimator& estimator, const TrimOptions& options = {});

// What the plan sends, in order: the system prompt (settings.system_prompt, when not empty) as
// a system message, the summary's message, then the kept messages as stored. The first two are
// made here and have no id. Only for a plan without an error.
std::vector<Message> messages_to_send(const Session& session, const TrimPlan& plan);

// The system message that stands in for the messages a summary covers.
Message summary_message(const Summary& summary);

// A summary request's transcript is cut to this many bytes, so that it suits a small summary
// model: 24 KiB of English is about 6,000 tokens, which with the instruction and the reply fits
// an 8,192-token window. Raise it for a summary model with a larger one.
inline constexpr std::size_t default_summary_transcript_bytes = 24 * 1024;

// The messages that ask a summary model to condense `range` of the session: a system message
// with the instruction (a length in words derived from range.text_tokens), then a user message
// with the range as a transcript, one block per message (role, tool names, calls with their
// arguments, content; never reasoning), or the text of the stored summary range.extends in
// place of the messages it covers. The transcript stays within `max_transcript_bytes` (or the
// few bytes that say everything was left out): the longest texts are shortened first, each
// keeping its beginning and saying how much it lost, and only if headings alone do not fit are
// the oldest blocks left out, with a line saying how many. Store the reply as Summary{text,
// range.first_message_id, range.last_message_id, model, now, tokens}.
std::vector<Message> summary_request_messages(const Session& session, const SummaryRange& range,
                                              std::size_t max_transcript_bytes = default_summary_transcript_bytes);

} // namespace confab
