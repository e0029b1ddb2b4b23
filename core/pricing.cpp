// core/pricing.cpp
#include "core/pricing.h"

#include <algorithm>

#include "core/json_util.h"

namespace confab {

std::optional<Tokens> tokens_from_usage(const nlohmann::json& usage)
{
    const auto input = get_int(usage, "prompt_tokens");
    const auto output = get_int(usage, "completion_tokens");
    if (!input && !output) return std::nullopt;
    Tokens tokens;
    tokens.input = std::clamp<std::int64_t>(input.value_or(0), 0, max_reported_tokens);
    tokens.output = std::clamp<std::int64_t>(output.value_or(0), 0, max_reported_tokens);
    // OpenAI: prompt_tokens_details.cached_tokens; DeepSeek: prompt_cache_hit_tokens.
    std::optional<std::int64_t> cached;
    if (const auto* details = find_member(usage, "prompt_tokens_details")) cached = get_int(*details, "cached_tokens");
    if (!cached) cached = get_int(usage, "prompt_cache_hit_tokens");
    tokens.cached_input = std::clamp<std::int64_t>(cached.value_or(0), 0, tokens.input);
    return tokens;
}

Cost& Cost::operator+=(const Cost& other)
{
    per_token += other.per_token;
    per_request += other.per_request;
    charged += other.charged;
    return *this;
}

Cost cost_of(const Pricing& pricing, const Tokens& tokens)
{
    const double cached_rate = pricing.cached_input_per_million > 0 ? pricing.cached_input_per_million
                                                                     : pricing.input_per_million;
    Cost cost;
    cost.per_token = (double(tokens.input - tokens.cached_input) * pricing.input_per_million +
                      double(tokens.cached_input) * cached_rate + double(tokens.output) * pricing.output_per_million) /
                     1e6;
    cost.per_request = pricing.per_request;
    cost.charged = pricing.per_request_billing ? cost.per_request : cost.per_token;
    return cost;
}

} // namespace confab
