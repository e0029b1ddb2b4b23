// core/pricing.h
// What a turn costs. Providers price either per token (per million input, cached input
// and output tokens) or per request; a session's cost is shown under both, because that
// is the comparison users make when they choose a provider.
//
// Costs are derived, never stored: the session keeps each reply's `usage` as the provider
// sent it, and costs are computed from it (or from the estimate, for providers that
// report no usage) whenever they are shown.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace confab {

struct Pricing {
    // USD. Zero means free (or unknown).
    double input_per_million = 0;
    double cached_input_per_million = 0;   // when 0, cached input is priced as input
    double output_per_million = 0;
    double per_request = 0;
    bool per_request_billing = false;      // how this provider actually charges

    bool operator==(const Pricing&) const = default;
};

struct Tokens {
    std::int64_t input = 0;        // prompt tokens, cached ones included
    std::int64_t cached_input = 0;
    std::int64_t output = 0;
    bool estimated = false;        // not reported by the provider

    bool operator==(const Tokens&) const = default;
};

// The token counts of a provider's usage object (`prompt_tokens`, `completion_tokens`,
// `prompt_tokens_details.cached_tokens`, also DeepSeek's `prompt_cache_hit_tokens`), or
// nothing when it holds none. Each count is taken between 0 and max_reported_tokens, so that
// what a broken or hostile provider reports can neither lower a session's cost nor overflow
// the sums of a turn and a session (a count near 2^63 did: undefined behaviour).
std::optional<Tokens> tokens_from_usage(const nlohmann::json& usage);
// A trillion: a thousand times the largest context window offered today, and a million such
// counts still add up within std::int64_t.
inline constexpr std::int64_t max_reported_tokens = 1'000'000'000'000;

struct Cost {
    double per_token = 0;      // USD under per-token prices
    double per_request = 0;    // USD under the per-request price
    double charged = 0;        // the one the pricing says applies

    Cost& operator+=(const Cost& other);
};

Cost cost_of(const Pricing& pricing, const Tokens& tokens);

} // namespace confab
