// core/context_trimmer.cpp
// The sliding window of context_trimmer.h: the session's turns, tool rounds and fixed messages
// worked out once, then the fewest oldest units dropped that make the request fit.
#include "core/context_trimmer.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <string_view>
#include <utility>

#include "core/json_util.h"

namespace confab {
namespace {

constexpr std::size_t no_index = static_cast<std::size_t>(-1);

// The structure of a session in the header's words, worked out once per plan.
struct Layout {
    std::vector<std::size_t> turn_of;     // per message; turn 0 is what precedes the first user message
    std::vector<std::size_t> turn_start;  // per turn: its first index (turn 0: 0, even when empty)
    std::size_t current_turn = 0;         // 0 when there is no user message
    std::vector<std::size_t> round_of;    // per message: its round's assistant message, or no_index
    std::vector<bool> unsendable;
    std::vector<bool> fixed;
    std::vector<std::vector<std::size_t>> units;  // oldest first, each ascending
    std::vector<std::size_t> unit_of;     // per message: its unit, or no_index
};

Layout lay_out(const std::vector<Message>& messages)
{
    const std::size_t n = messages.size();
    Layout layout;
    layout.turn_of.assign(n, 0);
    layout.turn_start = {0};
    layout.round_of.assign(n, no_index);
    layout.unsendable.assign(n, false);
    layout.fixed.assign(n, false);
    layout.unit_of.assign(n, no_index);

    // Turns, and which call each tool result answers: the nearest earlier one with its id.
    std::map<std::string_view, std::size_t, std::less<>> latest_call;
    for (std::size_t i = 0; i < n; ++i) {
        const Message& message = messages[i];
        if (message.role == Role::user) layout.turn_start.push_back(i);
        layout.turn_of[i] = layout.turn_start.size() - 1;
        if (message.role == Role::assistant && !message.tool_calls.empty()) {
            layout.round_of[i] = i;
            for (const ToolCall& call : message.tool_calls)
                if (call.id && !call.id->empty()) latest_call[*call.id] = i;
        } else if (message.role == Role::tool) {
            const auto call = latest_call.find(message.tool_call_id);
            if (message.tool_call_id.empty() || call == latest_call.end()) layout.unsendable[i] = true;
            else layout.round_of[i] = call->second;
        }
    }
    const std::size_t turns = layout.turn_start.size();
    layout.current_turn = turns - 1;  // 0 (no user message) means none

    // Fixed: system, pinned, the current turn; then whole tool rounds; then the questions.
    for (std::size_t i = 0; i < n; ++i) {
        const bool current = layout.current_turn != 0 && layout.turn_of[i] == layout.current_turn;
        layout.fixed[i] =
            !layout.unsendable[i] && (messages[i].role == Role::system || messages[i].pinned || current);
    }
    std::vector<bool> round_fixed(n, false);
    for (std::size_t i = 0; i < n; ++i)
        if (layout.round_of[i] != no_index && layout.fixed[i]) round_fixed[layout.round_of[i]] = true;
    for (std::size_t i = 0; i < n; ++i)
        if (layout.round_of[i] != no_index && round_fixed[layout.round_of[i]]) layout.fixed[i] = true;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t turn = layout.turn_of[i];
        const bool reply = messages[i].role == Role::assistant || messages[i].role == Role::tool;
        if (turn != 0 && reply && layout.fixed[i]) layout.fixed[layout.turn_start[turn]] = true;
    }

    // Turns joined by a round that is not fixed: reach[t] is the last turn a round begun in t
    // ends in.
    std::vector<std::size_t> reach(turns);
    for (std::size_t t = 0; t < turns; ++t) reach[t] = t;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t round = layout.round_of[i];
        if (round != no_index && !layout.fixed[i])
            reach[layout.turn_of[round]] = std::max(reach[layout.turn_of[round]], layout.turn_of[i]);
    }
    for (std::size_t first = 0; first < turns;) {
        std::size_t last = reach[first];
        for (std::size_t t = first; t <= last; ++t) last = std::max(last, reach[t]);
        const std::size_t begin = layout.turn_start[first];
        const std::size_t end = last + 1 < turns ? layout.turn_start[last + 1] : n;
        std::vector<std::size_t> unit;
        for (std::size_t i = begin; i < end; ++i)
            if (!layout.fixed[i] && !layout.unsendable[i]) unit.push_back(i);
        if (!unit.empty()) {
            for (const std::size_t i : unit) layout.unit_of[i] = layout.units.size();
            layout.units.push_back(std::move(unit));
        }
        first = last + 1;
    }
    return layout;
}

// 12345 -> "12,345": error texts are read by people.
std::string with_commas(std::int64_t number)
{
    const bool negative = number < 0;
    const auto magnitude = static_cast<std::uint64_t>(number);
    const std::string digits = std::to_string(negative ? 0 - magnitude : magnitude);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return negative ? "-" + out : out;
}

// `text` cut to at most `limit` bytes at a UTF-8 character boundary.
std::string_view utf8_prefix(std::string_view text, std::size_t limit)
{
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

// A call id as JSON shows it, quoted and escaped; ids are short, and 64 bytes show any of them.
std::string quoted_id(std::string_view id)
{
    const std::string_view shown = utf8_prefix(id, 64);
    return dump_safely(nlohmann::json(std::string(shown))) + (shown.size() < id.size() ? "..." : "");
}

std::string plural(std::size_t count, std::string_view one, std::string_view many)
{
    return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

std::string describe_budget(const ContextBudget& budget)
{
    if (budget.given) return "the budget given is " + with_commas(budget.tokens);
    return "this model's budget is " + with_commas(budget.tokens) + " (context " +
           with_commas(budget.context_window) + " \u2212 reserved output " + with_commas(budget.reserved_output) +
           " \u2212 margin " + with_commas(budget.safety_margin) + ")";
}

// "the message is about 12,345 tokens, and with the system prompt and 2 pinned messages the
// request needs at least 12,600; this model's budget is 7,000 (context 8,192 − ...)"
std::string too_large(const Session& session, const Layout& layout, const std::vector<std::int64_t>& cost,
                      std::int64_t required, const ContextBudget& budget)
{
    std::size_t system = 0, pinned = 0, turn = 0, companions = 0;
    const std::size_t newest_user = layout.current_turn != 0 ? layout.turn_start[layout.current_turn] : no_index;
    for (std::size_t i = 0; i < session.messages.size(); ++i) {
        if (!layout.fixed[i] || i == newest_user) continue;
        if (session.messages[i].role == Role::system) ++system;
        else if (session.messages[i].pinned) ++pinned;
        else if (layout.turn_of[i] == layout.current_turn && newest_user != no_index) ++turn;
        else ++companions;
    }
    std::vector<std::string> parts;
    if (!session.settings.system_prompt.empty()) parts.emplace_back("the system prompt");
    if (system > 0) parts.push_back(plural(system, "system message", "system messages"));
    if (pinned > 0) parts.push_back(plural(pinned, "pinned message", "pinned messages"));
    if (turn > 0) parts.push_back(plural(turn, "later message of its turn", "later messages of its turn"));
    if (companions > 0) parts.push_back(plural(companions, "message they depend on", "messages they depend on"));
    std::string with;
    for (std::size_t i = 0; i < parts.size(); ++i)
        with += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];

    std::string text;
    if (newest_user != no_index) {
        const std::int64_t message = cost[newest_user];
        text = "the message is about " + with_commas(message) + " tokens";
        // The request's other parts are worth naming when there are any, or when they, not the
        // message, are what breaks the budget.
        if (required > message && (!with.empty() || message <= budget.tokens)) {
            text += ", and ";
            if (!with.empty()) text += "with " + with + " ";
            text += "the request needs at least " + with_commas(required);
        }
    } else {
        text = "the messages that are always sent";
        if (!with.empty()) text += " (" + with + ")";
        text += " need at least " + with_commas(required) + " tokens";
    }
    return text + "; " + describe_budget(budget);
}

Message system_message(std::string content)
{
    Message message;
    message.role = Role::system;
    message.content = std::move(content);
    return message;
}

// Where each id occurs: the index if it names exactly one message.
class IdIndex {
public:
    explicit IdIndex(const std::vector<Message>& messages)
    {
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (messages[i].id.empty()) continue;
            auto [it, inserted] = index_.try_emplace(messages[i].id, i);
            if (!inserted) it->second = no_index;
        }
    }

    std::optional<std::size_t> find(std::string_view id) const
    {
        const auto it = index_.find(id);
        if (it == index_.end() || it->second == no_index) return std::nullopt;
        return it->second;
    }

private:
    std::map<std::string_view, std::size_t, std::less<>> index_;
};

// The messages a stored summary covers, if its ends name one message each, in order.
std::optional<std::pair<std::size_t, std::size_t>> resolve(const Summary& summary, const IdIndex& ids)
{
    const auto first = ids.find(summary.first_message_id);
    const auto last = ids.find(summary.last_message_id);
    if (!first || !last || *first > *last) return std::nullopt;
    return std::pair{*first, *last};
}

// One message of a summary request's transcript: a heading such as "[tool result get_time]",
// and the text under it, which may be shortened.
struct Block {
    std::string heading;
    std::string_view text;
};

std::vector<Block> blocks_of(const Message& message)
{
    std::vector<Block> blocks;
    std::string role(to_string(message.role));
    if (message.role == Role::tool) role = "tool result";
    if (!message.name.empty()) role += " " + message.name;
    const std::string_view content = message.content ? std::string_view(*message.content) : std::string_view();
    if (!content.empty() || (message.tool_calls.empty() && !message.refusal))
        blocks.push_back({"[" + role + "]", content});
    if (message.refusal && !message.refusal->empty())
        blocks.push_back({"[" + role + " refused]", *message.refusal});
    for (const ToolCall& call : message.tool_calls) {
        const std::string& tool = call.name.empty() ? call.type : call.name;
        blocks.push_back({"[" + role + " calls " + tool + "]", call.arguments});
    }
    return blocks;
}

// Said in place of what a shortened text lost; never longer than max_cut_note_bytes.
std::string cut_note(std::size_t bytes)
{
    return " [\u2026 " + std::to_string(bytes) + " more bytes left out]";
}
constexpr std::size_t max_cut_note_bytes = 48;  // " [… 18446744073709551615 more bytes left out]" is 47

} // namespace

ContextBudget context_budget(const SessionSettings& settings)
{
    ContextBudget budget;
    budget.context_window = settings.context_window.value_or(default_context_window);
    budget.reserved_output = std::max(settings.reserved_output.value_or(0), settings.max_tokens.value_or(0));
    if (!settings.reserved_output && !settings.max_tokens) budget.reserved_output = default_reserved_output;
    const std::int64_t available = budget.context_window - budget.reserved_output;
    if (settings.safety_margin) budget.safety_margin = *settings.safety_margin;
    else if (available > 0) budget.safety_margin = (available * default_safety_margin_percent + 99) / 100;
    budget.tokens = available - budget.safety_margin;
    return budget;
}

Message summary_message(const Summary& summary)
{
    return system_message("Summary of earlier messages in this conversation, which are no longer shown:\n\n" +
                          summary.text);
}

TrimPlan plan_context(const Session& session, const TokenEstimator& estimator, const TrimOptions& options)
{
    assert(options.summary_tokens >= 0 && "summary_tokens is a number of tokens");
    const std::vector<Message>& messages = session.messages;
    const std::size_t n = messages.size();
    const std::string_view model = options.model.empty() ? std::string_view(session.settings.model) : options.model;
    const Layout layout = lay_out(messages);

    TrimPlan plan;
    plan.budget = options.budget ? ContextBudget{*options.budget, 0, 0, 0, true} : context_budget(session.settings);
    const std::int64_t budget = plan.budget.tokens;

    // A message is estimated only when the plan needs its cost: the fixed ones, and the units
    // from the newest back as far as the budget reaches. In a long session most turns lie beyond
    // it, and estimating them (each estimate fingerprints the message's text to find its count)
    // cost most of a turn: 2,000 messages, 5.9 MB, about 20 of the 27 million instructions the
    // engine spent on a sent message, twice a turn (send_next and preview).
    std::vector<std::int64_t> cost(n, 0);  // of the fixed messages (too_large names the newest user message's)
    std::int64_t fixed_cost = estimator.estimate_messages({}, model, options.tools);
    if (!session.settings.system_prompt.empty())
        fixed_cost += estimator.estimate_message(system_message(session.settings.system_prompt), model);
    for (std::size_t i = 0; i < n; ++i)
        if (layout.fixed[i]) fixed_cost += cost[i] = estimator.estimate_message(messages[i], model);

    // after[k]: what the units from k on cost, so the request with k units dropped costs
    // fixed_cost + after[k] (+ the summary's room). Filled from the newest unit back, on demand:
    // after[k] is known for k >= known.
    const std::size_t unit_count = layout.units.size();
    std::vector<std::int64_t> after(unit_count + 1, 0);
    std::size_t known = unit_count;
    const auto after_at = [&](std::size_t k) {
        for (; known > k; --known) {
            after[known - 1] = after[known];
            for (const std::size_t i : layout.units[known - 1])
                after[known - 1] += estimator.estimate_message(messages[i], model);
        }
        return after[k];
    };
    // The fewest units to drop for the rest and `room` to fit (after[k] shrinks as k grows), or
    // unit_count + 1 when dropping them all is not enough.
    const auto fits = [&](std::int64_t room) {
        if (fixed_cost + room > budget) return unit_count + 1;
        std::size_t k = unit_count;
        while (k > 0 && fixed_cost + after_at(k - 1) + room <= budget) --k;
        return k;
    };

    std::size_t drop = 0;  // units dropped
    bool summary_room = false;
    if (fixed_cost > budget) {
        plan.error = too_large(session, layout, cost, fixed_cost, plan.budget);
        drop = unit_count;
    } else if ((drop = fits(0)) > 0 && options.summaries) {
        // The summary's room, when it fits; else trim without one.
        const std::size_t with_room = fits(options.summary_tokens);
        summary_room = with_room <= unit_count;
        if (summary_room) drop = with_room;
    }
    assert(drop <= unit_count);

    // Everything before `cut` that is neither fixed nor unsendable is dropped; nothing after it is.
    const std::size_t cut = drop < unit_count ? layout.units[drop].front() : n;
    std::vector<std::size_t> droppable_before(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i)
        droppable_before[i + 1] = droppable_before[i] + (layout.unit_of[i] != no_index ? 1 : 0);
    const std::size_t dropped_count = droppable_before[cut];

    std::int64_t summary_cost = 0;
    std::optional<std::pair<std::size_t, std::size_t>> summary_covers;
    if (summary_room && dropped_count > 0) {
        const IdIndex ids(messages);
        std::size_t best_coverage = 0;
        for (std::size_t s = 0; s < session.summaries.size(); ++s) {
            const auto range = resolve(session.summaries[s], ids);
            if (!range || range->second >= cut) continue;
            const std::size_t coverage = droppable_before[range->second + 1] - droppable_before[range->first];
            if (coverage == 0 || coverage < best_coverage) continue;
            const std::int64_t tokens = estimator.estimate_message(summary_message(session.summaries[s]), model);
            if (tokens > options.summary_tokens) continue;
            // Ties go to the later summary: the newer one was written from what is there now.
            best_coverage = coverage;
            plan.summary_index = s;
            summary_cost = tokens;
            summary_covers = range;
        }
        if (best_coverage < dropped_count) {
            const std::size_t first_dropped = layout.units.front().front();
            SummaryRange range;
            range.first = summary_covers ? std::min(summary_covers->first, first_dropped) : first_dropped;
            range.last = layout.units[drop - 1].back();
            range.first_message_id = messages[range.first].id;
            range.last_message_id = messages[range.last].id;
            range.extends = plan.summary_index;
            const std::int64_t wrapping = estimator.estimate_message(summary_message({}), model);
            range.text_tokens = std::max<std::int64_t>(0, options.summary_tokens - wrapping);
            if (ids.find(range.first_message_id) && ids.find(range.last_message_id))
                plan.summary_needed = std::move(range);
        }
    }

    plan.estimated_tokens = fixed_cost + after_at(drop) + summary_cost;
    const std::string budget_words = with_commas(budget) + " tokens";
    // The words for the unit last met: the same for each of its messages (a long session drops
    // thousands of messages a request, so they are put together once a unit).
    std::size_t worded_unit = no_index;
    std::string unit_reason;
    const std::string stands_in =
        summary_covers ? "; summaries[" + std::to_string(*plan.summary_index) + "] stands in for it" : "";
    for (std::size_t i = 0; i < n; ++i) {
        if (layout.fixed[i] || (layout.unit_of[i] != no_index && layout.unit_of[i] >= drop)) {
            plan.kept.push_back(i);
            continue;
        }
        plan.dropped.push_back(i);
        if (layout.unsendable[i]) {
            const std::string& call = messages[i].tool_call_id;
            const std::string what = call.empty()
                                         ? "a tool result that names no call"
                                         : "a tool result for " + quoted_id(call) + ", which no earlier message calls";
            plan.reasons.push_back(what + ": a provider would refuse it");
            continue;
        }
        if (layout.unit_of[i] != worded_unit) {
            worded_unit = layout.unit_of[i];
            const std::vector<std::size_t>& unit = layout.units[worded_unit];
            const std::size_t from = layout.turn_start[layout.turn_of[unit.front()]];
            unit_reason = "an older turn (messages " + std::to_string(from) + " to " + std::to_string(unit.back()) +
                          "), left out ";
            unit_reason += plan.error ? "but the request still exceeds the budget of " + budget_words
                                      : "to fit the budget of " + budget_words;
        }
        std::string reason = unit_reason;
        if (summary_covers && summary_covers->first <= i && i <= summary_covers->second)
            reason += stands_in;
        plan.reasons.push_back(std::move(reason));
    }
    return plan;
}

std::vector<Message> messages_to_send(const Session& session, const TrimPlan& plan)
{
    assert(!plan.error && "a plan with an error sends nothing");
    std::vector<Message> out;
    out.reserve(plan.kept.size() + 2);
    if (!session.settings.system_prompt.empty()) out.push_back(system_message(session.settings.system_prompt));
    if (plan.summary_index) {
        assert(*plan.summary_index < session.summaries.size() && "the plan is for another session");
        out.push_back(summary_message(session.summaries[*plan.summary_index]));
    }
    for (const std::size_t i : plan.kept) {
        assert(i < session.messages.size() && "the plan is for another session");
        out.push_back(session.messages[i]);
    }
    return out;
}

std::vector<Message> summary_request_messages(const Session& session, const SummaryRange& range,
                                              std::size_t max_transcript_bytes)
{
    const std::vector<Message>& messages = session.messages;
    assert(range.first <= range.last && range.last < messages.size() && "the range is for another session");
    const std::size_t end = range.last < messages.size() ? range.last + 1 : messages.size();

    // The stored summary the new one builds on stands in for the messages it covers.
    const Summary* earlier = nullptr;
    std::size_t earlier_first = no_index, earlier_last = no_index;
    if (range.extends && *range.extends < session.summaries.size()) {
        const auto covered = resolve(session.summaries[*range.extends], IdIndex(messages));
        if (covered && covered->first >= range.first && covered->second < end) {
            earlier = &session.summaries[*range.extends];
            earlier_first = covered->first;
            earlier_last = covered->second;
        }
    }
    std::vector<Block> blocks;
    for (std::size_t i = range.first; i < end; ++i) {
        if (i == earlier_first) {
            blocks.push_back({"[summary of earlier messages]", earlier->text});
            i = earlier_last;
            continue;
        }
        for (Block& block : blocks_of(messages[i])) blocks.push_back(std::move(block));
    }

    // Each block costs its heading, a space and two newlines, plus its text, shortened to at
    // most `room` bytes and a cut note. Headings are kept whole; the oldest blocks go first
    // only when headings and notes alone do not fit.
    const std::string intro = "The part of the conversation to summarise:\n\n";
    const auto left_out_line = [](std::size_t count) {
        return "[" + plural(count, "earlier message", "earlier messages") + " left out]\n\n";
    };
    const auto size_at = [&](std::size_t from, std::size_t room) {
        std::size_t size = intro.size() + (from > 0 ? left_out_line(from).size() : 0);
        for (std::size_t b = from; b < blocks.size(); ++b)
            size += blocks[b].heading.size() + 3 + std::min(blocks[b].text.size(), room + max_cut_note_bytes);
        return size;
    };
    std::size_t from = 0;
    while (from < blocks.size() && size_at(from, 0) > max_transcript_bytes) ++from;
    std::size_t longest = 0;
    for (std::size_t b = from; b < blocks.size(); ++b) longest = std::max(longest, blocks[b].text.size());
    std::size_t room = longest;  // the largest room that fits, found by bisection: size_at grows with it
    if (size_at(from, room) > max_transcript_bytes) {
        std::size_t fits = 0, too_big = longest;
        while (too_big - fits > 1) {
            const std::size_t middle = fits + (too_big - fits) / 2;
            (size_at(from, middle) <= max_transcript_bytes ? fits : too_big) = middle;
        }
        room = fits;
    }

    std::string transcript = intro;
    if (from > 0) transcript += left_out_line(from);
    for (std::size_t b = from; b < blocks.size(); ++b) {
        transcript += blocks[b].heading;
        transcript += ' ';
        const std::string_view text = blocks[b].text;
        if (text.size() <= room + max_cut_note_bytes) {
            transcript += text;
        } else {
            const std::string_view kept = utf8_prefix(text, room);
            transcript += kept;
            transcript += cut_note(text.size() - kept.size());
        }
        transcript += "\n\n";
    }
    while (transcript.ends_with('\n')) transcript.pop_back();

    const std::int64_t words = std::max<std::int64_t>(20, range.text_tokens / 2);
    std::string instruction =
        "You summarise part of a conversation between a user and an AI assistant, so that the assistant can "
        "continue the conversation without seeing that part. Keep what later messages may depend on: facts, "
        "names, numbers, decisions, what the user asked for and prefers, what tools returned, and questions "
        "still open. Leave out greetings and small talk. Write in the language of the conversation, in at most " +
        std::to_string(words) +
        " words of short plain sentences. Do not address the user, answer nothing, and add nothing that is not in "
        "the transcript.";
    if (earlier != nullptr) instruction += " Part of it is given as an earlier summary: fold that into yours.";

    Message ask;
    ask.role = Role::user;
    ask.content = std::move(transcript);
    return {system_message(std::move(instruction)), std::move(ask)};
}

} // namespace confab
