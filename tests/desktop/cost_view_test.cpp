// tests/desktop/cost_view_test.cpp
#include <doctest/doctest.h>

#include "core/conversation.h"
#include "native/desktop/cost_view.h"

using namespace confab;
using namespace confab::desktop;

namespace {

Message message(Role role, std::string text, nlohmann::json usage = nullptr)
{
    Message m;
    m.role = role;
    m.content = std::move(text);
    m.usage = std::move(usage);
    return m;
}

} // namespace

TEST_CASE("cost_view: per turn tokens and cost, reported where the provider said, and totals that match the engine's")
{
    Session session;
    session.settings.model = "m";
    session.messages.push_back(message(Role::user, "First question"));
    session.messages.push_back(message(Role::assistant, "First answer", {{"prompt_tokens", 1000}, {"completion_tokens", 500}}));
    session.messages.push_back(message(Role::user, "Second question"));
    session.messages.push_back(message(Role::assistant, "A tool call, then"));  // no usage: estimated
    session.messages.push_back(message(Role::tool, "{\"ok\":true}"));
    session.messages.push_back(message(Role::assistant, "the answer", {{"prompt_tokens", 2000}, {"completion_tokens", 100}}));
    session.messages.push_back(message(Role::user, "Third, unanswered"));

    ConversationConfig config;
    config.pricing.input_per_million = 1.0;
    config.pricing.output_per_million = 4.0;
    config.pricing.per_request = 0.01;
    Conversation conversation(config, session);
    const auto view = make_cost_view(session, conversation.estimator(), config.pricing);

    REQUIRE(view.turns.size() == 2);
    CHECK(view.turns[0].question == "First question");
    CHECK(view.turns[0].requests == 1);
    REQUIRE(view.turns[0].reported);
    CHECK(view.turns[0].reported->input == 1000);
    CHECK(view.turns[0].reported->output == 500);
    CHECK(view.turns[0].estimated.input > 0);
    CHECK(view.turns[0].cost.per_token == doctest::Approx(0.001 + 0.002));
    CHECK(view.turns[0].cost.per_request == doctest::Approx(0.01));
    CHECK(view.turns[1].requests == 2);
    CHECK_FALSE(view.turns[1].reported);        // one of its replies reported nothing
    CHECK(view.turns[1].counted.estimated);
    CHECK(view.turns[1].cost.per_request == doctest::Approx(0.02));

    const auto engine = conversation.session_cost();
    CHECK(view.total.per_token == doctest::Approx(engine.per_token));
    CHECK(view.total.per_request == doctest::Approx(engine.per_request));
    CHECK(view.total.charged == doctest::Approx(engine.charged));

    REQUIRE(view.cumulative_per_token.size() == 2);
    CHECK(view.cumulative_per_token[1] == doctest::Approx(float(view.total.per_token)));
    REQUIRE(view.cumulative_per_request.size() == 2);
    CHECK(view.cumulative_per_request[0] == doctest::Approx(0.01));
    CHECK(view.cumulative_per_request[1] == doctest::Approx(0.03));
}

TEST_CASE("cost_view: an empty session costs nothing; dollars keep their small digits")
{
    Conversation conversation(ConversationConfig{}, Session{});
    const auto view = make_cost_view(Session{}, conversation.estimator(), Pricing{});
    CHECK(view.turns.empty());
    CHECK(view.total.charged == 0);
    CHECK(format_usd(0) == "$0");
    CHECK(format_usd(0.000123) == "$0.000123");
    CHECK(format_usd(0.0525) == "$0.0525");
    CHECK(format_usd(12.5) == "$12.50");
}
