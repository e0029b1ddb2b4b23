// native/desktop/cost_view.h
// The Cost window's state: per turn its input and output tokens as the provider reported them
// and as the core estimates them, its cost, the session's totals, and the cumulative cost
// turn by turn under per-token and under per-request pricing, for the side-by-side plot.
//
// Counted exactly as Conversation::session_cost counts (so the totals agree with it): every
// finished assistant message is one request; its tokens are the reported usage when there is
// one, else the estimate (input: everything before it, untrimmed; output: its text), and a
// turn is a user message and the replies up to the next one. Summary requests are not in the
// session, so they are not here; TurnFinished's cost includes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/pricing.h"
#include "core/session.h"
#include "core/token_estimator.h"

namespace confab::desktop {

struct CostTurn {
    std::size_t first_index = 0;      // the turn's user message (or first message)
    std::string question;             // one line of it
    int requests = 0;                 // assistant replies in the turn
    std::optional<Tokens> reported;   // summed usage, when every reply reported it
    Tokens estimated;                 // the estimate, whatever was reported
    Tokens counted;                   // what the cost uses: reported where known, else estimated
    Cost cost;
};

struct CostView {
    std::vector<CostTurn> turns;      // turns without a reply are left out
    Cost total;
    Tokens total_tokens;
    std::vector<float> cumulative_per_token;    // after each turn, USD
    std::vector<float> cumulative_per_request;
};

CostView make_cost_view(const Session& session, const TokenEstimator& estimator, const Pricing& pricing);

// "$0.000123", "$1.25": enough digits that a cheap turn is not $0.00.
std::string format_usd(double usd);

} // namespace confab::desktop
