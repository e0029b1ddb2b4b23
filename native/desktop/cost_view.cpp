// native/desktop/cost_view.cpp
#include "native/desktop/cost_view.h"

#include <cmath>
#include <cstdio>

#include "native/desktop/chat_view.h"

namespace confab::desktop {

namespace {

void add(Tokens& to, const Tokens& more)
{
    to.input += more.input;
    to.cached_input += more.cached_input;
    to.output += more.output;
    to.estimated = to.estimated || more.estimated;
}

} // namespace

CostView make_cost_view(const Session& session, const TokenEstimator& estimator, const Pricing& pricing)
{
    CostView view;
    const auto& model = session.settings.model;
    std::int64_t before = estimator.estimate_messages({}, model);
    CostTurn turn;
    bool all_reported = true;
    const auto close_turn = [&] {
        if (turn.requests > 0) {
            if (all_reported) turn.reported = turn.counted;
            view.turns.push_back(turn);
            view.total += turn.cost;
            add(view.total_tokens, turn.counted);
            view.cumulative_per_token.push_back(float(view.total.per_token));
            view.cumulative_per_request.push_back(float(view.total.per_request));
        }
    };
    for (std::size_t i = 0; i < session.messages.size(); ++i) {
        const auto& message = session.messages[i];
        if (message.role == Role::user || i == 0) {
            if (i != 0) close_turn();
            turn = CostTurn{};
            all_reported = true;
            turn.first_index = i;
            turn.question = one_line(message.content.value_or(""), 80);
        }
        if (message.role == Role::assistant && !message.incomplete) {
            Tokens estimate;
            estimate.input = before;
            estimate.output = TokenEstimator::estimate_text(message.content.value_or(""));
            estimate.estimated = true;
            const auto reported = tokens_from_usage(message.usage);
            const Tokens counted = reported ? *reported : estimate;
            if (!reported) all_reported = false;
            ++turn.requests;
            add(turn.estimated, estimate);
            add(turn.counted, counted);
            turn.cost += cost_of(pricing, counted);
        }
        before += estimator.estimate_message(message, model);
    }
    close_turn();
    return view;
}

std::string format_usd(double usd)
{
    char text[64];
    const double magnitude = std::fabs(usd);
    if (magnitude == 0) return "$0";
    std::snprintf(text, sizeof text, magnitude >= 1 ? "$%.2f" : magnitude >= 0.01 ? "$%.4f" : "$%.6f", usd);
    return text;
}

} // namespace confab::desktop
