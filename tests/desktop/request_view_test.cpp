// tests/desktop/request_view_test.cpp
#include <doctest/doctest.h>

#include "core/json_util.h"
#include "native/desktop/request_view.h"

using namespace confab;
using namespace confab::desktop;

namespace {

Session long_session(int turns, std::size_t words_per_message)
{
    Session session;
    session.id = "s";
    session.settings.model = "m";
    session.settings.endpoint = "http://h/v1/chat/completions";
    std::string filler;
    for (std::size_t i = 0; i < words_per_message; ++i) filler += "word ";
    for (int t = 0; t < turns; ++t) {
        Message user;
        user.id = "u" + std::to_string(t);
        user.role = Role::user;
        user.content = "Question " + std::to_string(t) + " " + filler;
        Message reply;
        reply.id = "a" + std::to_string(t);
        reply.role = Role::assistant;
        reply.content = "Answer " + std::to_string(t) + " " + filler;
        session.messages.push_back(user);
        session.messages.push_back(reply);
    }
    return session;
}

} // namespace

TEST_CASE("request_view: the next body is the engine's preview, and each message says whether it goes")
{
    auto session = long_session(10, 200);
    session.settings.context_window = 2000;
    session.settings.reserved_output = 200;
    session.messages[0].pinned = true;
    Conversation conversation(ConversationConfig{}, session);
    const auto view = make_request_view(conversation, "And now?", "{\"model\":\"m\",\"stream\":true}");

    const auto preview = conversation.preview("And now?");
    CHECK(view.next_body == dump_safely(preview.body, 2));
    CHECK(view.last_body == "{\n  \"model\": \"m\",\n  \"stream\": true\n}");
    CHECK(view.estimated_tokens == preview.plan.estimated_tokens);
    CHECK(view.budget.tokens == preview.plan.budget.tokens);
    CHECK(view.budget.context_window == 2000);
    CHECK_FALSE(view.error);

    REQUIRE(view.rows.size() == 21);
    CHECK(view.rows[0].pinned);
    CHECK(view.rows[0].fate == RequestRow::Fate::kept);   // pinned: never dropped
    CHECK(view.rows[2].fate == RequestRow::Fate::dropped);  // the oldest turns go first
    CHECK_FALSE(view.rows[2].reason.empty());
    CHECK(view.rows[19].fate == RequestRow::Fate::kept);
    CHECK(view.rows[20].fate == RequestRow::Fate::draft);
    CHECK(view.rows[20].preview == "And now?");
    CHECK(view.dropped == preview.plan.dropped.size());
    CHECK(view.kept + view.dropped + view.summarized == 21);
    for (const auto& row : view.rows) CHECK(row.tokens > 0);
    CHECK(view.fill() <= 1.0);
    CHECK(view.fill() > 0.5);
}

TEST_CASE("request_view: a stored summary that stands in for dropped turns is shown as such")
{
    auto session = long_session(10, 200);
    session.settings.context_window = 2000;
    session.settings.reserved_output = 200;
    ConversationConfig config;
    config.summaries = true;
    config.summary_model = "cheap";
    // A summary covering the turns the plan drops (found by asking the plan first).
    const auto plan = Conversation(config, session).preview("").plan;
    REQUIRE(plan.summary_needed);
    session.summaries.push_back(Summary{"They talked about words.", plan.summary_needed->first_message_id,
                                        plan.summary_needed->last_message_id, "cheap", 0, 8, {}});
    Conversation conversation(config, session);
    const auto view = make_request_view(conversation, "", "");
    REQUIRE(view.summary);
    CHECK(view.summary->find("They talked about words.") != std::string::npos);
    CHECK(view.summarized > 0);
    CHECK(view.rows[plan.summary_needed->first].fate == RequestRow::Fate::summarized);
    CHECK(view.rows[plan.summary_needed->first].reason.find("summary") != std::string::npos);
    CHECK(view.last_body.empty());
}

TEST_CASE("request_view: a message too big for the budget is the error, and nothing is sent")
{
    auto session = long_session(1, 3000);
    session.settings.context_window = 1000;
    session.settings.reserved_output = 100;
    Conversation conversation(ConversationConfig{}, session);
    const auto view = make_request_view(conversation, "", "");
    REQUIRE(view.error);
    CHECK(view.next_body.empty());
    CHECK(view.fill() > 1.0);
}

TEST_CASE("request_view: pretty_json leaves what is not JSON as it is")
{
    CHECK(pretty_json("{\"a\":[1]}") == "{\n  \"a\": [\n    1\n  ]\n}");
    CHECK(pretty_json("not json") == "not json");
}
