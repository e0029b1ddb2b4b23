// tests/context_trimmer_test.cpp
// The sliding window of core/context_trimmer.h: readable examples of each rule, the budget and
// its error text, summaries used and asked for, the summary request, and then every rule
// checked at once on a few thousand plans of randomised sessions against a second,
// deliberately naive reading of the header's definitions.
//
// Token counts are never written down: every expectation is computed through the estimator,
// so these tests hold whatever its rates are.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/context_trimmer.h"
#include "core/json_util.h"

using confab::ContextBudget;
using confab::Message;
using confab::Role;
using confab::Session;
using confab::Summary;
using confab::SummaryRange;
using confab::TokenEstimator;
using confab::ToolCall;
using confab::TrimOptions;
using confab::TrimPlan;
using Indices = std::vector<std::size_t>;

namespace {

Message make(Role role, std::string id, std::optional<std::string> content)
{
    Message m;
    m.role = role;
    m.id = std::move(id);
    m.content = std::move(content);
    return m;
}

Message user(std::string id, std::string text) { return make(Role::user, std::move(id), std::move(text)); }
Message assistant(std::string id, std::string text) { return make(Role::assistant, std::move(id), std::move(text)); }
Message system(std::string id, std::string text) { return make(Role::system, std::move(id), std::move(text)); }

Message pinned(Message m)
{
    m.pinned = true;
    return m;
}

// An assistant message that calls a tool once per id, with no text.
Message calls(std::string id, const std::vector<std::string>& call_ids)
{
    Message m = make(Role::assistant, std::move(id), std::nullopt);
    for (std::size_t i = 0; i < call_ids.size(); ++i) {
        ToolCall call;
        call.index = static_cast<int>(i);
        call.id = call_ids[i];
        call.name = "lookup";
        call.arguments = R"({"q":")" + call_ids[i] + R"("})";
        m.tool_calls.push_back(call);
    }
    return m;
}

Message result(std::string id, std::string call_id, std::string text)
{
    Message m = make(Role::tool, std::move(id), std::move(text));
    m.tool_call_id = std::move(call_id);
    m.name = "lookup";
    return m;
}

Session session_of(std::vector<Message> messages, std::string system_prompt = "")
{
    Session s;
    s.settings.system_prompt = std::move(system_prompt);
    s.messages = std::move(messages);
    return s;
}

Summary summary_of(std::string first, std::string last, std::string text)
{
    Summary s;
    s.first_message_id = std::move(first);
    s.last_message_id = std::move(last);
    s.text = std::move(text);
    return s;
}

std::string words(std::size_t count, std::string_view word = "word")
{
    std::string text;
    for (std::size_t i = 0; i < count; ++i) text += (i ? " " : "") + std::string(word);
    return text;
}

// What a request of `messages` costs, counted as the header says plans count it.
std::int64_t cost(const TokenEstimator& estimator, const std::vector<Message>& messages, std::string_view model = "")
{
    std::int64_t total = estimator.estimate_messages({}, model);
    for (const Message& m : messages) total += estimator.estimate_message(m, model);
    return total;
}

// The cost of sending the system prompt of `s` and its messages at `indices`.
std::int64_t cost_of(const TokenEstimator& estimator, const Session& s, const Indices& indices,
                     std::string_view model = "")
{
    std::vector<Message> sent;
    if (!s.settings.system_prompt.empty()) sent.push_back(system("", s.settings.system_prompt));
    for (const std::size_t i : indices) sent.push_back(s.messages[i]);
    return cost(estimator, sent, model);
}

Indices range(std::size_t from, std::size_t to_inclusive)
{
    Indices out;
    for (std::size_t i = from; i <= to_inclusive; ++i) out.push_back(i);
    return out;
}

TrimPlan plan_with_budget(const Session& s, std::int64_t budget, bool summaries = false, std::int64_t room = 512)
{
    TrimOptions options;
    options.budget = budget;
    options.summaries = summaries;
    options.summary_tokens = room;
    return confab::plan_context(s, TokenEstimator(), options);
}

std::string with_commas(std::int64_t n)
{
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// Four turns after a pinned system message: indices 1-2, 3-4, 5-6, 7-8 are the turns.
Session four_turns()
{
    const std::string more = " " + words(20, "and");
    return session_of({pinned(system("s", "The user is Ada.")),
                       user("u1", "First question about Lyon?" + more),
                       assistant("a1", "First answer, about Lyon." + more),
                       user("u2", "Second question about Paris?" + more),
                       assistant("a2", "Second answer, about Paris." + more),
                       user("u3", "Third question about Nice?" + more),
                       assistant("a3", "Third answer, about Nice." + more),
                       user("u4", "Fourth question about Lille?" + more),
                       assistant("a4", "Fourth answer, about Lille." + more)},
                      "Be brief.");
}

// The room for a summary that the second of four_turns() just pays for.
std::int64_t second_turn(const Session& s)
{
    const TokenEstimator estimator;
    return estimator.estimate_message(s.messages[3]) + estimator.estimate_message(s.messages[4]);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The sliding window, by example.

TEST_CASE("context_trimmer: a conversation that fits is sent whole, the system prompt first")
{
    const Session s = four_turns();
    const TokenEstimator estimator;
    const TrimPlan plan = plan_with_budget(s, 100000);
    CHECK_FALSE(plan.error);
    CHECK(plan.kept == range(0, 8));
    CHECK(plan.dropped.empty());
    CHECK(plan.reasons.empty());
    CHECK_FALSE(plan.summary_index);
    CHECK_FALSE(plan.summary_needed);
    CHECK(plan.budget == ContextBudget{100000, 0, 0, 0, true});

    const std::vector<Message> sent = confab::messages_to_send(s, plan);
    REQUIRE(sent.size() == 10);
    CHECK(sent[0].role == Role::system);
    CHECK(sent[0].content == "Be brief.");
    CHECK(sent[0].id.empty());
    for (std::size_t i = 0; i < 9; ++i) CHECK(sent[i + 1] == s.messages[i]);
    CHECK(plan.estimated_tokens == cost(estimator, sent));
    // Uncalibrated, the trimmer's count and the estimator's count of the whole request agree.
    CHECK(plan.estimated_tokens == estimator.estimate_messages(sent));
}

TEST_CASE("context_trimmer: the oldest turns go first, whole, and no more of them than needed")
{
    const Session s = four_turns();
    const TokenEstimator estimator;
    // Exactly the system message and the last two turns: the first two go.
    const std::int64_t two_turns = cost_of(estimator, s, {0, 5, 6, 7, 8});
    TrimPlan plan = plan_with_budget(s, two_turns);
    CHECK(plan.kept == Indices{0, 5, 6, 7, 8});
    CHECK(plan.dropped == Indices{1, 2, 3, 4});
    CHECK(plan.estimated_tokens == two_turns);

    // One token less, and the third turn goes too; never half a turn.
    plan = plan_with_budget(s, two_turns - 1);
    CHECK(plan.kept == Indices{0, 7, 8});
    CHECK(plan.dropped == range(1, 6));

    // One token more than three turns need keeps three.
    plan = plan_with_budget(s, cost_of(estimator, s, {0, 3, 4, 5, 6, 7, 8}));
    CHECK(plan.dropped == Indices{1, 2});
    const std::string reason =
        "an older turn (messages 1 to 2), left out to fit the budget of " + with_commas(plan.budget.tokens) + " tokens";
    CHECK(plan.reasons == std::vector<std::string>{reason, reason});
}

TEST_CASE("context_trimmer: the budget holds the tool definitions the request offers")
{
    const Session s = four_turns();
    const TokenEstimator estimator;
    const std::int64_t two_turns = cost_of(estimator, s, {0, 5, 6, 7, 8});
    TrimOptions options;
    options.budget = two_turns;
    CHECK(confab::plan_context(s, estimator, options).dropped == Indices{1, 2, 3, 4});
    // With 150 tokens of tools, the same two turns need 150 more.
    options.budget = two_turns + 150;
    options.tools = 150;
    TrimPlan plan = confab::plan_context(s, estimator, options);
    CHECK(plan.dropped == Indices{1, 2, 3, 4});
    CHECK(plan.estimated_tokens == two_turns + 150);
    options.tools = 151;
    plan = confab::plan_context(s, estimator, options);
    CHECK(plan.dropped == range(1, 6));
    CHECK(plan.estimated_tokens == estimator.estimate_messages(confab::messages_to_send(s, plan), "", 151));
}

TEST_CASE("context_trimmer: system messages, pinned messages and the whole current turn are never dropped")
{
    // The current turn is mid-way through a tool round: the question, a call, its result.
    const Session s = session_of({user("u1", words(200)), pinned(assistant("a1", "Remember: the code is 42.")),
                                  user("u2", words(200)), system("s", "Mid-conversation instruction."),
                                  assistant("a2", words(200)), user("u3", "Now?"), calls("c", {"call_1"}),
                                  result("r", "call_1", words(100))});
    const TokenEstimator estimator;
    // Room for what must stay and nothing else.
    const Indices must = {0, 1, 3, 5, 6, 7};
    const TrimPlan plan = plan_with_budget(s, cost_of(estimator, s, must));
    CHECK_FALSE(plan.error);
    // The pinned reply keeps its question (0), so that the model does not see an answer to nothing.
    CHECK(plan.kept == must);
    CHECK(plan.dropped == Indices{2, 4});
}

TEST_CASE("context_trimmer: a tool call and all its results go together, and a result never goes without its call")
{
    const Session s = session_of({user("u1", "Weather in two cities?"), calls("c1", {"call_a", "call_b"}),
                                  result("ra", "call_a", words(150)), result("rb", "call_b", words(150)),
                                  assistant("a1", "Sunny in both."), user("u2", "Thanks!")});
    const TokenEstimator estimator;
    for (std::int64_t budget = cost_of(estimator, s, {5}); budget <= cost_of(estimator, s, range(0, 5)); ++budget) {
        const TrimPlan plan = plan_with_budget(s, budget);
        const bool all_kept = plan.dropped.empty();
        CAPTURE(budget);
        CHECK((all_kept ? plan.kept == range(0, 5) : plan.kept == Indices{5}));
    }
}

TEST_CASE("context_trimmer: a pinned tool result keeps its call, its sibling results and its question")
{
    const Session s = session_of({user("u1", words(50)), calls("c1", {"call_a", "call_b"}),
                                  result("ra", "call_a", words(150)), pinned(result("rb", "call_b", "42")),
                                  assistant("a1", words(100)), user("u2", "And then?")});
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {0, 1, 2, 3, 5}));
    CHECK(plan.kept == Indices{0, 1, 2, 3, 5});
    CHECK(plan.dropped == Indices{4});
}

TEST_CASE("context_trimmer: a tool result whose call is not in the session is never sent, pinned or not")
{
    Message lost = pinned(result("r0", "call_gone", "stale"));
    Message early = result("r1", "call_later", "before its call");
    Message nameless = result("r2", "", "no call id");
    const Session s = session_of({lost, user("u1", "Hi"), early, calls("c1", {"call_later"}),
                                  result("r3", "call_later", "ok"), nameless, user("u2", "Bye")});
    const TrimPlan plan = plan_with_budget(s, 100000);
    CHECK(plan.kept == Indices{1, 3, 4, 6});
    CHECK(plan.dropped == Indices{0, 2, 5});
    CHECK(plan.reasons ==
          std::vector<std::string>{
              R"(a tool result for "call_gone", which no earlier message calls: a provider would refuse it)",
              R"(a tool result for "call_later", which no earlier message calls: a provider would refuse it)",
              "a tool result that names no call: a provider would refuse it"});
}

TEST_CASE("context_trimmer: a result answers the nearest earlier call with its id")
{
    // Two rounds reuse "call_1" (some providers number calls per reply). The old round may go
    // while the new one stays.
    const Session s = session_of({user("u1", words(100)), calls("c1", {"call_1"}), result("r1", "call_1", words(100)),
                                  user("u2", "Again"), calls("c2", {"call_1"}), result("r2", "call_1", "fresh")});
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {3, 4, 5}));
    CHECK(plan.kept == Indices{3, 4, 5});
    CHECK(plan.dropped == Indices{0, 1, 2});
}

TEST_CASE("context_trimmer: a tool round that spans turns joins them, and every turn between, into one unit")
{
    // call_x is asked in the first turn and answered in the third.
    const Session s = session_of({user("u1", "a"), calls("c1", {"call_x"}), user("u2", "b"), assistant("a2", "c"),
                                  user("u3", "d"), result("rx", "call_x", "e"), assistant("a3", "f"),
                                  user("u4", words(20)), assistant("a4", "g"), user("u5", "h")});
    const TokenEstimator estimator;
    // Room for everything but the first turn: still, turns 1-3 go together.
    const TrimPlan plan = plan_with_budget(s, cost_of(estimator, s, range(2, 9)));
    CHECK(plan.dropped == range(0, 6));
    CHECK(plan.kept == range(7, 9));
    CHECK(plan.reasons[0] == "an older turn (messages 0 to 6), left out to fit the budget of " +
                                 with_commas(plan.budget.tokens) + " tokens");
}

TEST_CASE("context_trimmer: messages before the first user message form a turn of their own")
{
    const Session s = session_of({assistant("hello", "Hello! How can I help?" + words(30)), user("u1", "Hi"),
                                  assistant("a1", "Hi.")});
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {1, 2}));
    CHECK(plan.kept == Indices{1, 2});
    CHECK(plan.dropped == Indices{0});
}

TEST_CASE("context_trimmer: without a user message every turn may go but system and pinned messages")
{
    const Session s =
        session_of({system("s", "Rules."), assistant("a", words(100)), pinned(assistant("p", "Kept."))});
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {0, 2}));
    CHECK(plan.kept == Indices{0, 2});
    CHECK(plan.dropped == Indices{1});
    CHECK(confab::plan_context(Session{}, TokenEstimator()).kept.empty());
}

TEST_CASE("context_trimmer: estimates use the calibration of the options' model, or of the session's")
{
    Session s = four_turns();
    s.settings.model = "m";
    TokenEstimator estimator;
    const std::int64_t budget = cost_of(estimator, s, range(0, 8));
    TrimOptions options;
    options.budget = budget;
    CHECK(confab::plan_context(s, estimator, options).dropped.empty());
    estimator.calibrate("m", 1000, 2000);  // this model counts about twice as many tokens
    REQUIRE(estimator.factor("m") > 1.5);
    const TrimPlan calibrated = confab::plan_context(s, estimator, options);
    CHECK_FALSE(calibrated.dropped.empty());
    CHECK(calibrated.estimated_tokens == cost_of(estimator, s, calibrated.kept, "m"));
    // Each message's estimate is rounded up on its own, so the plan never counts less than the
    // estimator does for the whole request.
    CHECK(estimator.estimate_messages(confab::messages_to_send(s, calibrated), "m") <= calibrated.estimated_tokens);
    options.model = "other";
    CHECK(confab::plan_context(s, estimator, options).dropped.empty());
}

// ---------------------------------------------------------------------------------------------
// The budget, and the error when the fixed messages alone exceed it.

TEST_CASE("context_trimmer: the budget is the window less the reserved output less the margin")
{
    confab::SessionSettings settings;
    // Nothing set: 8,192 − 1,024 − 5% of 7,168 (358.4, rounded up).
    CHECK(confab::context_budget(settings) == ContextBudget{6809, 8192, 1024, 359, false});

    settings.context_window = 128000;
    settings.reserved_output = 4096;
    settings.safety_margin = 0;  // set to zero is not unset
    CHECK(confab::context_budget(settings) == ContextBudget{123904, 128000, 4096, 0, false});

    // max_tokens is reserved when nothing else is, and wins when it is larger.
    settings = {};
    settings.max_tokens = 2000;
    CHECK(confab::context_budget(settings).reserved_output == 2000);
    settings.reserved_output = 500;
    CHECK(confab::context_budget(settings).reserved_output == 2000);
    settings.reserved_output = 3000;
    CHECK(confab::context_budget(settings).reserved_output == 3000);

    // A window smaller than the reserve leaves nothing, and no margin.
    settings = {};
    settings.context_window = 1000;
    CHECK(confab::context_budget(settings) == ContextBudget{-24, 1000, 1024, 0, false});
}

TEST_CASE("context_trimmer: the settings' budget applies when the options give none")
{
    Session s = four_turns();
    s.settings.context_window = 8192;
    s.settings.reserved_output = 1024;
    s.settings.safety_margin = 8192 - 1024 - cost_of(TokenEstimator(), s, {0, 7, 8});
    const TrimPlan plan = confab::plan_context(s, TokenEstimator());
    CHECK(plan.kept == Indices{0, 7, 8});
    CHECK(plan.budget.tokens == cost_of(TokenEstimator(), s, {0, 7, 8}));
    CHECK_FALSE(plan.budget.given);
}

TEST_CASE("context_trimmer: a message too large for the budget is an error, before anything is sent")
{
    const TokenEstimator estimator;
    Session s = session_of({user("u1", "Hello"), assistant("a1", "Hi"), user("u2", words(12000, "data"))});
    s.settings.context_window = 8192;
    s.settings.reserved_output = 1024;
    s.settings.safety_margin = 168;
    const std::int64_t message = estimator.estimate_message(s.messages[2]);
    REQUIRE(message > 7000);

    const TrimPlan plan = confab::plan_context(s, estimator);
    REQUIRE(plan.error);
    CHECK(*plan.error == "the message is about " + with_commas(message) +
                             " tokens; this model's budget is 7,000 (context 8,192 \u2212 reserved output 1,024 "
                             "\u2212 margin 168)");
    // For display: what must be sent, and why the rest was not enough to drop.
    CHECK(plan.kept == Indices{2});
    CHECK(plan.dropped == Indices{0, 1});
    CHECK(plan.estimated_tokens == cost_of(estimator, s, {2}));
    CHECK(plan.reasons[0] == "an older turn (messages 0 to 1), left out but the request still exceeds the budget "
                             "of 7,000 tokens");
}

TEST_CASE("context_trimmer: when the message fits but what must go with it does not, the error names the rest")
{
    const TokenEstimator estimator;
    Session s = session_of({pinned(user("u0", words(3000))), assistant("a0", "ok"), system("s", words(10)),
                            user("u1", "Short question"), calls("c", {"call_1"}), result("r", "call_1", words(2000))},
                           "Be brief.");
    const std::int64_t message = estimator.estimate_message(s.messages[3]);
    const std::int64_t required = cost_of(estimator, s, {0, 2, 3, 4, 5});
    const TrimPlan plan = plan_with_budget(s, 3000);
    REQUIRE(plan.error);
    CHECK(*plan.error == "the message is about " + with_commas(message) +
                             " tokens, and with the system prompt, 1 system message, 1 pinned message and 2 later "
                             "messages of its turn the request needs at least " +
                             with_commas(required) + "; the budget given is 3,000");

    // No user message at all.
    const Session alone = session_of({pinned(assistant("p", words(500)))}, "Rules.");
    const TrimPlan empty = plan_with_budget(alone, 10);
    REQUIRE(empty.error);
    CHECK(*empty.error ==
          "the messages that are always sent (the system prompt and 1 pinned message) need at least " +
              with_commas(cost_of(estimator, alone, {0})) + " tokens; the budget given is 10");
}

TEST_CASE("context_trimmer: a budget at or below zero refuses even an empty request")
{
    Session s;
    s.settings.context_window = 1000;
    const TrimPlan plan = confab::plan_context(s, TokenEstimator());
    REQUIRE(plan.error);
    CHECK(plan.error->ends_with(
        "this model's budget is -24 (context 1,000 \u2212 reserved output 1,024 \u2212 margin 0)"));
}

// ---------------------------------------------------------------------------------------------
// Summaries.

TEST_CASE("context_trimmer: with summaries on, dropping keeps room for one and asks for it")
{
    const Session s = four_turns();
    const TokenEstimator estimator;
    const std::int64_t room = second_turn(s);
    // The room the summary takes pushes the second turn out too.
    const std::int64_t budget = cost_of(estimator, s, {0, 3, 4, 5, 6, 7, 8});
    CHECK(plan_with_budget(s, budget).dropped == Indices{1, 2});
    const TrimPlan plan = plan_with_budget(s, budget, true, room);
    CHECK(plan.dropped == Indices{1, 2, 3, 4});
    CHECK(plan.estimated_tokens + room <= budget);
    CHECK_FALSE(plan.summary_index);
    REQUIRE(plan.summary_needed);
    CHECK(plan.summary_needed->first == 1);
    CHECK(plan.summary_needed->last == 4);
    CHECK(plan.summary_needed->first_message_id == "u1");
    CHECK(plan.summary_needed->last_message_id == "a2");
    CHECK_FALSE(plan.summary_needed->extends);
    CHECK(plan.summary_needed->text_tokens == room - estimator.estimate_message(confab::summary_message({})));

    // Nothing dropped: no summary, no room.
    const TrimPlan whole = plan_with_budget(s, 100000, true, room);
    CHECK(whole.dropped.empty());
    CHECK_FALSE(whole.summary_needed);
}

TEST_CASE("context_trimmer: a stored summary of exactly the dropped turns is sent after the system prompt")
{
    Session s = four_turns();
    s.summaries = {summary_of("u1", "a1", "Ada asked about Lyon."),
                   summary_of("u1", "a2", "Ada asked about Lyon and Paris.")};
    const TokenEstimator estimator;
    const TrimPlan plan = plan_with_budget(s, cost_of(estimator, s, {0, 3, 4, 5, 6, 7, 8}), true, second_turn(s));
    REQUIRE(plan.dropped == Indices{1, 2, 3, 4});
    CHECK(plan.summary_index == 1u);
    CHECK_FALSE(plan.summary_needed);
    CHECK(plan.reasons[0] == "an older turn (messages 1 to 2), left out to fit the budget of " +
                                 with_commas(plan.budget.tokens) + " tokens; summaries[1] stands in for it");

    const std::vector<Message> sent = confab::messages_to_send(s, plan);
    REQUIRE(sent.size() == 2 + 5);
    CHECK(sent[0].content == "Be brief.");
    CHECK(sent[1].role == Role::system);
    CHECK(sent[1].content == "Summary of earlier messages in this conversation, which are no longer shown:\n\n"
                             "Ada asked about Lyon and Paris.");
    CHECK(sent[2] == s.messages[0]);
    CHECK(plan.estimated_tokens == cost(estimator, sent));
}

TEST_CASE("context_trimmer: a summary of part of the dropped turns is sent meanwhile, and a new one extends it")
{
    Session s = four_turns();
    s.summaries = {summary_of("u1", "a1", "Ada asked about Lyon.")};
    // Room for the last turn and a summary as large as the second turn.
    const std::int64_t room = second_turn(s);
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {0, 7, 8}) + room, true, room);
    REQUIRE(plan.dropped == range(1, 6));
    CHECK(plan.summary_index == 0u);
    REQUIRE(plan.summary_needed);
    CHECK(plan.summary_needed->first == 1);
    CHECK(plan.summary_needed->last == 6);
    CHECK(plan.summary_needed->extends == 0u);
    CHECK(plan.reasons[2] == "an older turn (messages 3 to 4), left out to fit the budget of " +
                                 with_commas(plan.budget.tokens) + " tokens");
}

TEST_CASE("context_trimmer: a summary is not sent when it covers a message sent anyway, or when it does not fit")
{
    Session s = four_turns();
    const TokenEstimator estimator;
    const std::int64_t budget = cost_of(estimator, s, {0, 3, 4, 5, 6, 7, 8});
    // Covers u3, which stays.
    s.summaries = {summary_of("u1", "u3", "Too much.")};
    TrimPlan plan = plan_with_budget(s, budget, true, second_turn(s));
    CHECK(plan.dropped == range(1, 4));
    CHECK_FALSE(plan.summary_index);
    REQUIRE(plan.summary_needed);
    CHECK_FALSE(plan.summary_needed->extends);
    // Larger than the room kept for it.
    s.summaries = {summary_of("u1", "a2", words(300))};
    plan = plan_with_budget(s, budget, true, second_turn(s));
    CHECK_FALSE(plan.summary_index);
    CHECK(plan.summary_needed);
    // Its messages are gone, or its ids name two messages.
    s.summaries = {summary_of("deleted", "a2", "Gone."), summary_of("u1", "dup", "Ambiguous.")};
    s.messages.push_back(assistant("dup", "x"));
    s.messages.push_back(assistant("dup", "y"));
    plan = plan_with_budget(s, budget, true, second_turn(s));
    CHECK_FALSE(plan.summary_index);
}

TEST_CASE("context_trimmer: a summary covering a fixed message beside the dropped ones is still used")
{
    // The pinned system message (0) is sent anyway; a summary that also covers it repeats it,
    // which costs a little and loses nothing.
    Session s = four_turns();
    s.summaries = {summary_of("s", "a2", "Ada asked about Lyon and Paris.")};
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {0, 3, 4, 5, 6, 7, 8}), true, second_turn(s));
    CHECK(plan.summary_index == 0u);
    CHECK_FALSE(plan.summary_needed);
}

TEST_CASE("context_trimmer: no summary is asked for a range whose ends have no unique id")
{
    Session s = four_turns();
    s.messages[1].id.clear();
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {0, 3, 4, 5, 6, 7, 8}), true, second_turn(s));
    CHECK(plan.dropped == range(1, 4));
    CHECK_FALSE(plan.summary_needed);
}

TEST_CASE("context_trimmer: when the summary's room cannot fit, turns are dropped without one")
{
    const Session s = four_turns();
    const TokenEstimator estimator;
    const std::int64_t budget = cost_of(estimator, s, {0, 7, 8});
    const TrimPlan plan = plan_with_budget(s, budget, true, 10000);
    CHECK_FALSE(plan.error);
    CHECK(plan.kept == Indices{0, 7, 8});
    CHECK_FALSE(plan.summary_index);
    CHECK_FALSE(plan.summary_needed);
}

TEST_CASE("context_trimmer: summaries off never sends a stored one")
{
    Session s = four_turns();
    s.summaries = {summary_of("u1", "a2", "Ada asked about Lyon and Paris.")};
    const TrimPlan plan = plan_with_budget(s, cost_of(TokenEstimator(), s, {0, 5, 6, 7, 8}));
    CHECK(plan.dropped == range(1, 4));
    CHECK_FALSE(plan.summary_index);
    CHECK_FALSE(plan.summary_needed);
}

// ---------------------------------------------------------------------------------------------
// The summary request.

TEST_CASE("context_trimmer: the summary request renders the range as a transcript, without reasoning")
{
    Session s = session_of({user("u0", "Not in range"), user("u1", "What time is it in Paris?"),
                            calls("c1", {"call_1"}), result("r1", "call_1", R"({"time":"14:05"})"),
                            assistant("a1", "It is 14:05."), user("u2", "Not in range either")});
    s.messages[1].name = "ada";
    s.messages[4].reasoning = "secret thoughts";
    SummaryRange range;
    range.first = 1;
    range.last = 4;
    range.text_tokens = 200;
    const std::vector<Message> ask = confab::summary_request_messages(s, range);
    REQUIRE(ask.size() == 2);
    CHECK(ask[0].role == Role::system);
    CHECK(ask[0].content->find("in at most 100 words") != std::string::npos);
    CHECK(ask[0].content->find("an earlier summary") == std::string::npos);
    CHECK(ask[1].role == Role::user);
    CHECK(*ask[1].content == "The part of the conversation to summarise:\n\n"
                             "[user ada] What time is it in Paris?\n\n"
                             "[assistant calls lookup] {\"q\":\"call_1\"}\n\n"
                             "[tool result lookup] {\"time\":\"14:05\"}\n\n"
                             "[assistant] It is 14:05.");
}

TEST_CASE("context_trimmer: a summary request that extends a stored summary gives its text instead of its messages")
{
    Session s = four_turns();
    s.summaries = {summary_of("u1", "a2", "Ada asked about Lyon and Paris.")};
    SummaryRange range;
    range.first = 1;
    range.last = 6;
    range.extends = 0;
    const std::vector<Message> ask = confab::summary_request_messages(s, range);
    CHECK(ask[0].content->find("an earlier summary") != std::string::npos);
    CHECK(ask[0].content->find("in at most 20 words") != std::string::npos);  // the floor
    CHECK(*ask[1].content == "The part of the conversation to summarise:\n\n"
                             "[summary of earlier messages] Ada asked about Lyon and Paris.\n\n"
                             "[user] " + *s.messages[5].content + "\n\n"
                             "[assistant] " + *s.messages[6].content);
}

TEST_CASE("context_trimmer: a summary request is bounded: long texts are cut first, then the oldest messages")
{
    Session s;
    for (int i = 0; i < 40; ++i) {
        s.messages.push_back(user("u" + std::to_string(i), "short question " + std::to_string(i)));
        // Multi-byte text, so that cuts land inside characters unless they take care.
        s.messages.push_back(assistant("a" + std::to_string(i), words(2000, "h\u00e9llo")));
    }
    SummaryRange range;
    range.first = 0;
    range.last = s.messages.size() - 1;
    for (const std::size_t limit : {std::size_t{24 * 1024}, std::size_t{4000}, std::size_t{600}, std::size_t{0}}) {
        CAPTURE(limit);
        const std::string transcript = *confab::summary_request_messages(s, range, limit)[1].content;
        CHECK(transcript.size() <= std::max<std::size_t>(limit, 80));
        // Valid UTF-8: a cut inside a character would come back from JSON as U+FFFD.
        CHECK(confab::parse_json(confab::dump_safely(nlohmann::json(transcript))) == nlohmann::json(transcript));
        if (limit >= 4000) {
            // Every message still there, the short ones whole, the long ones cut with a note.
            CHECK(transcript.find("[user] short question 0\n") != std::string::npos);
            CHECK(transcript.find("[user] short question 39\n") != std::string::npos);
            CHECK(transcript.find(" more bytes left out]") != std::string::npos);
        } else {
            CHECK(transcript.find("earlier messages left out]") != std::string::npos);
            if (limit > 0) CHECK(transcript.find("[user] short question 39\n") != std::string::npos);
        }
    }
    // A transcript that fits is left whole.
    range.first = range.last = 0;
    CHECK(*confab::summary_request_messages(s, range)[1].content ==
          "The part of the conversation to summarise:\n\n[user] short question 0");
}

// ---------------------------------------------------------------------------------------------
// Every rule at once, on randomised sessions, against a naive second reading of the header.

namespace {

class Random {
public:
    explicit Random(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {}

    std::uint64_t next()
    {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : std::size_t(next() % n); }
    bool chance(int percent) { return int(next() % 100) < percent; }

private:
    std::uint64_t state_;
};

std::string random_text(Random& random)
{
    static const char* const pieces[] = {"the ", "weather ", "in ", "Lyon ", "is ", "42 ", "\u00e9t\u00e9 ",
                                         "\u6771\u4eac ", "{\"a\":1} ", "\n", "\U0001F600 ", "tokens, "};
    const std::size_t size = random.chance(10) ? 40 + random.below(300) : random.below(25);
    std::string text;
    for (std::size_t i = 0; i < size; ++i) text += pieces[random.below(std::size(pieces))];
    return text;
}

// A session with every shape the rules care about: a preamble, turns with tool rounds (some
// calls unanswered, some results early, late, repeated or orphaned), system messages, pins,
// ids that repeat or are missing, and stored summaries over ranges valid and not.
Session random_session(Random& random)
{
    Session s;
    if (random.chance(50)) s.settings.system_prompt = random_text(random);
    std::vector<Message>& m = s.messages;
    int next_call = 0;
    std::vector<std::string> unanswered;  // calls whose results may still come, even turns later
    const auto add = [&](Message message) {
        message.id = "m" + std::to_string(m.size());
        if (random.chance(3)) message.id = "dup";
        if (random.chance(3)) message.id.clear();
        if (random.chance(12)) message.pinned = true;
        m.push_back(std::move(message));
    };
    if (random.chance(30)) add(system("", random_text(random)));
    if (random.chance(20)) add(assistant("", random_text(random)));
    const std::size_t turns = random.below(9);
    for (std::size_t t = 0; t < turns; ++t) {
        add(user("", random_text(random)));
        if (!unanswered.empty() && random.chance(15)) {  // a result that arrives turns late
            add(result("", unanswered.back(), random_text(random)));
            unanswered.pop_back();
        }
        const std::size_t rounds = random.chance(40) ? 1 + random.below(2) : 0;
        for (std::size_t r = 0; r < rounds; ++r) {
            std::vector<std::string> ids;
            for (std::size_t c = 0, count = 1 + random.below(3); c < count; ++c)
                ids.push_back("call_" + std::to_string(random.chance(5) ? 0 : ++next_call));
            Message asking = calls("", ids);
            if (random.chance(20)) asking.content = random_text(random);
            add(asking);
            if (random.chance(5)) add(system("", random_text(random)));
            for (const std::string& id : ids) {
                if (random.chance(10)) unanswered.push_back(id);
                else add(result("", id, random_text(random)));
                if (random.chance(5)) add(result("", id, "again"));
            }
            if (random.chance(5)) add(result("", "call_nowhere", random_text(random)));
        }
        if (random.chance(80)) add(assistant("", random_text(random)));
        if (random.chance(5)) add(system("", random_text(random)));
    }
    if (random.chance(10)) {
        const std::string call = "call_" + std::to_string(random.below(next_call + 2));
        add(result("", call, random_text(random)));
    }

    for (std::size_t k = 0, count = random.below(4); k < count && !m.empty(); ++k) {
        std::size_t a = random.below(m.size()), b = random.below(m.size());
        if (a > b && random.chance(80)) std::swap(a, b);
        Summary summary = summary_of(m[a].id, m[b].id, random.chance(15) ? words(400) : random_text(random));
        if (random.chance(10)) summary.first_message_id = "gone";
        s.summaries.push_back(summary);
    }
    return s;
}

// The header's definitions, read naively: fixpoints over pairs instead of one pass.
struct Reading {
    std::vector<bool> orphan;
    std::vector<std::size_t> call_of;  // tool results: the assistant message answered
    std::vector<std::size_t> turn_of;  // 0 before the first user message
    std::vector<std::size_t> user_of_turn;
    std::vector<bool> fixed;
};

Reading read_session(const Session& s)
{
    const std::size_t n = s.messages.size();
    Reading r;
    r.orphan.assign(n, false);
    r.call_of.assign(n, SIZE_MAX);
    r.turn_of.assign(n, 0);
    r.user_of_turn = {SIZE_MAX};
    std::size_t newest_user = SIZE_MAX;
    for (std::size_t i = 0; i < n; ++i) {
        const Message& m = s.messages[i];
        if (m.role == Role::user) {
            r.user_of_turn.push_back(i);
            newest_user = i;
        }
        r.turn_of[i] = r.user_of_turn.size() - 1;
        if (m.role != Role::tool) continue;
        for (std::size_t j = i; j-- > 0;) {
            const auto& c = s.messages[j].tool_calls;
            if (s.messages[j].role == Role::assistant && !m.tool_call_id.empty() &&
                std::any_of(c.begin(), c.end(), [&](const ToolCall& call) { return call.id == m.tool_call_id; })) {
                r.call_of[i] = j;
                break;
            }
        }
        r.orphan[i] = r.call_of[i] == SIZE_MAX;
    }
    r.fixed.assign(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        const Message& m = s.messages[i];
        const bool current = newest_user != SIZE_MAX && i >= newest_user;
        r.fixed[i] = !r.orphan[i] && (m.role == Role::system || m.pinned || current);
    }
    for (bool changed = true; changed;) {
        changed = false;
        const auto fix = [&](std::size_t i) {
            if (!r.fixed[i]) r.fixed[i] = changed = true;
        };
        for (std::size_t i = 0; i < n; ++i) {
            if (r.call_of[i] != SIZE_MAX && (r.fixed[i] || r.fixed[r.call_of[i]])) {
                fix(i);
                fix(r.call_of[i]);
            }
            const bool reply = s.messages[i].role == Role::assistant || s.messages[i].role == Role::tool;
            if (reply && r.fixed[i] && r.turn_of[i] != 0) fix(r.user_of_turn[r.turn_of[i]]);
        }
    }
    return r;
}

std::optional<std::size_t> unique_index(const Session& s, const std::string& id)
{
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < s.messages.size(); ++i) {
        if (s.messages[i].id != id || id.empty()) continue;
        if (found) return std::nullopt;
        found = i;
    }
    return found;
}

void check_plan(const Session& s, const TokenEstimator& estimator, const TrimOptions& options, const TrimPlan& plan)
{
    const std::size_t n = s.messages.size();
    const Reading r = read_session(s);
    const std::int64_t budget = plan.budget.tokens;
    std::vector<bool> kept(n, false), dropped(n, false);

    // kept and dropped hold every index once, ascending; a reason for each drop.
    CHECK(std::is_sorted(plan.kept.begin(), plan.kept.end()));
    CHECK(std::is_sorted(plan.dropped.begin(), plan.dropped.end()));
    for (const std::size_t i : plan.kept) kept.at(i) = true;
    for (const std::size_t i : plan.dropped) dropped.at(i) = true;
    REQUIRE(plan.kept.size() + plan.dropped.size() == n);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(kept[i] != dropped[i]);
    CHECK(plan.reasons.size() == plan.dropped.size());

    // Never sent: a result without its call. Never dropped: anything fixed.
    for (std::size_t i = 0; i < n; ++i) {
        if (r.orphan[i]) CHECK(dropped[i]);
        if (r.fixed[i]) CHECK(kept[i]);
    }
    const Indices fixed = [&] {
        Indices out;
        for (std::size_t i = 0; i < n; ++i)
            if (r.fixed[i]) out.push_back(i);
        return out;
    }();
    const std::int64_t fixed_cost = cost_of(estimator, s, fixed, options.model);
    if (plan.error) {
        CHECK(fixed_cost > budget);
        CHECK(plan.kept == fixed);
        CHECK(plan.estimated_tokens == fixed_cost);
        return;
    }
    CHECK(fixed_cost <= budget);

    // What is sent is what was estimated, and it fits.
    const std::vector<Message> sent = confab::messages_to_send(s, plan);
    CHECK(plan.estimated_tokens == cost(estimator, sent, options.model));
    CHECK(plan.estimated_tokens <= budget);
    CHECK(estimator.estimate_messages(sent, options.model) <= plan.estimated_tokens);

    // A tool round goes or stays whole; a kept reply keeps its question.
    for (std::size_t i = 0; i < n; ++i) {
        if (r.call_of[i] != SIZE_MAX) CHECK(kept[i] == kept[r.call_of[i]]);
        const Role role = s.messages[i].role;
        if (kept[i] && (role == Role::assistant || role == Role::tool) && r.turn_of[i] != 0)
            CHECK(kept[r.user_of_turn[r.turn_of[i]]]);
    }
    // And the request itself has no result before its call.
    for (std::size_t i = 0; i < sent.size(); ++i) {
        if (sent[i].role != Role::tool) continue;
        bool answered = false;
        for (std::size_t j = 0; j < i && !answered; ++j)
            for (const ToolCall& call : sent[j].tool_calls) answered = answered || call.id == sent[i].tool_call_id;
        CHECK(answered);
    }

    // Dropped to fit: the rest of whole turns, older than every message kept that is not fixed.
    std::vector<std::size_t> trimmed;  // dropped, not orphans
    for (std::size_t i = 0; i < n; ++i)
        if (dropped[i] && !r.orphan[i]) trimmed.push_back(i);
    for (const std::size_t i : trimmed)
        for (std::size_t j = 0; j < n; ++j)
            if (kept[j] && !r.fixed[j] && r.turn_of[j] == r.turn_of[i])
                FAIL_CHECK("a turn was split at ", i, " and ", j);
    if (!trimmed.empty())
        for (std::size_t j = 0; j < trimmed.back(); ++j)
            if (kept[j]) CHECK(r.fixed[j]);

    // Whether the plan kept room for a summary, as the header says it does.
    const bool room = options.summaries && !trimmed.empty() && fixed_cost + options.summary_tokens <= budget;
    const std::int64_t sent_without_summary = cost_of(estimator, s, plan.kept, options.model);
    if (room) CHECK(sent_without_summary + options.summary_tokens <= budget);

    // Minimal: adding back the newest dropped unit (its turns' dropped messages, the rounds
    // among them, the turns those rounds span) would not fit.
    if (!trimmed.empty()) {
        std::set<std::size_t> turns = {r.turn_of[trimmed.back()]};
        for (bool grew = true; grew;) {
            grew = false;
            for (const std::size_t i : trimmed) {
                if (r.call_of[i] == SIZE_MAX) continue;
                const std::size_t from = r.turn_of[r.call_of[i]], to = r.turn_of[i];
                if (!turns.contains(from) && !turns.contains(to)) continue;
                for (std::size_t t = from; t <= to; ++t) grew = turns.insert(t).second || grew;
            }
        }
        Indices back = plan.kept;
        bool still_trimmed = false;
        for (const std::size_t i : trimmed) {
            if (turns.contains(r.turn_of[i])) back.push_back(i);
            else still_trimmed = true;
        }
        std::sort(back.begin(), back.end());
        const std::int64_t with_unit = cost_of(estimator, s, back, options.model) +
                                       (room && still_trimmed ? options.summary_tokens : 0);
        CHECK(with_unit > budget);
    }

    // Summaries: used only when every message covered is dropped or fixed and it fits its room;
    // the best of those is used; a new one is asked for when it does not cover every drop.
    std::size_t best = 0;
    for (const Summary& summary : s.summaries) {
        const auto a = unique_index(s, summary.first_message_id), b = unique_index(s, summary.last_message_id);
        if (!room || !a || !b || *a > *b) continue;
        std::size_t covered = 0;
        bool only_dropped = true;
        for (std::size_t i = *a; i <= *b; ++i) {
            only_dropped = only_dropped && (dropped[i] || r.fixed[i]);
            covered += dropped[i] && !r.orphan[i];
        }
        const bool fits = estimator.estimate_message(confab::summary_message(summary), options.model) <=
                          options.summary_tokens;
        if (only_dropped && fits) best = std::max(best, covered);
    }
    if (plan.summary_index) {
        REQUIRE(room);
        const Summary& used = s.summaries.at(*plan.summary_index);
        const auto a = unique_index(s, used.first_message_id), b = unique_index(s, used.last_message_id);
        REQUIRE((a && b && *a <= *b));
        std::size_t covered = 0;
        for (std::size_t i = *a; i <= *b; ++i) {
            CHECK((dropped[i] || r.fixed[i]));
            covered += dropped[i] && !r.orphan[i];
        }
        CHECK(covered == best);
        CHECK(covered > 0);
        CHECK(estimator.estimate_message(sent.at(s.settings.system_prompt.empty() ? 0 : 1), options.model) <=
              options.summary_tokens);
    } else {
        CHECK(best == 0);
    }
    if (plan.summary_needed) {
        const SummaryRange& range = *plan.summary_needed;
        REQUIRE(room);
        CHECK(best < trimmed.size());
        CHECK(range.first <= trimmed.front());
        CHECK(range.last == trimmed.back());
        CHECK(unique_index(s, range.first_message_id) == range.first);
        CHECK(unique_index(s, range.last_message_id) == range.last);
        CHECK(range.extends == plan.summary_index);
        if (range.extends) CHECK(unique_index(s, s.summaries[*range.extends].first_message_id) >= range.first);
        const std::string transcript = *confab::summary_request_messages(s, range, 2000)[1].content;
        CHECK(transcript.size() <= 2000);
    } else if (room && best < trimmed.size()) {
        // Only a range that a summary could not name goes without asking.
        CHECK_FALSE((unique_index(s, s.messages[trimmed.front()].id) &&
                     unique_index(s, s.messages[trimmed.back()].id) && !plan.summary_index));
    }
    if (!room) CHECK_FALSE(plan.summary_needed);
}

} // namespace

TEST_CASE("context_trimmer: every rule holds on randomised sessions at every kind of budget")
{
    std::size_t plans = 0, trimmed = 0, errors = 0, summaries_used = 0, summaries_needed = 0;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
        Random random(seed);
        const Session s = random_session(random);
        TokenEstimator estimator;
        TrimOptions options;
        if (random.chance(25)) {
            options.model = "calibrated";
            estimator.calibrate("calibrated", 1000, 1000 + std::int64_t(random.below(900)));
        }
        Indices everything(s.messages.size());
        for (std::size_t i = 0; i < everything.size(); ++i) everything[i] = i;
        const std::int64_t whole = cost_of(estimator, s, everything, options.model);
        const Reading reading = read_session(s);
        Indices fixed;
        for (std::size_t i = 0; i < s.messages.size(); ++i)
            if (reading.fixed[i]) fixed.push_back(i);
        const std::int64_t least = cost_of(estimator, s, fixed, options.model);
        // Around the edges (everything fits, nothing can), then mostly in between.
        std::vector<std::int64_t> budgets = {whole + 1000, whole, whole - 1, least, least - 1, 0};
        for (int b = 0; b < 6; ++b)
            budgets.push_back(least + std::int64_t(random.below(std::size_t(std::max<std::int64_t>(whole - least, 0) + 1))));
        for (const std::int64_t budget : budgets) {
            for (const bool summaries : {false, true}) {
                options.budget = budget;
                options.summaries = summaries;
                options.summary_tokens = std::int64_t(random.below(4) * 40);
                CAPTURE(seed);
                CAPTURE(budget);
                CAPTURE(summaries);
                CAPTURE(confab::save_session(s));
                const TrimPlan plan = confab::plan_context(s, estimator, options);
                check_plan(s, estimator, options, plan);
                ++plans;
                trimmed += !plan.dropped.empty() && !plan.error;
                errors += plan.error.has_value();
                summaries_used += plan.summary_index.has_value();
                summaries_needed += plan.summary_needed.has_value();
            }
        }
    }
    // The generator reaches every outcome, often.
    INFO(plans, " plans: ", trimmed, " trimmed, ", errors, " errors, ", summaries_used, " summaries used, ",
         summaries_needed, " asked for");
    CHECK(trimmed > plans / 3);
    CHECK(errors > plans / 20);
    CHECK(summaries_used > 50);
    CHECK(summaries_needed > plans / 20);
}

TEST_CASE("context_trimmer: plans are deterministic")
{
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        Random random(seed);
        const Session s = random_session(random);
        TrimOptions options;
        options.budget = 200;
        options.summaries = true;
        const TrimPlan a = confab::plan_context(s, TokenEstimator(), options);
        const TrimPlan b = confab::plan_context(s, TokenEstimator(), options);
        CHECK(a.kept == b.kept);
        CHECK(a.reasons == b.reasons);
        CHECK(a.summary_needed == b.summary_needed);
        CHECK(a.estimated_tokens == b.estimated_tokens);
    }
}
