// native/serve/rate_limiter.cpp
#include "native/serve/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace confab::serve {

std::optional<RateRule> RateRule::parse(std::string_view text)
{
    if (text == "off" || text == "0") return RateRule{};
    const auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    double count = 0;
    for (char c : text.substr(0, slash)) {
        if (c < '0' || c > '9') return std::nullopt;
        count = count * 10 + (c - '0');
        if (count > 1e9) return std::nullopt;
    }
    const auto unit = text.substr(slash + 1);
    double window_ms = 0;
    if (unit == "s" || unit == "sec") window_ms = 1000;
    else if (unit == "min" || unit == "m") window_ms = 60'000;
    else if (unit == "h" || unit == "hour") window_ms = 3'600'000;
    else return std::nullopt;
    if (count == 0) return RateRule{};
    return RateRule{count, count / window_ms};
}

double tokens_at(const TokenBucket& bucket, bool fresh, const RateRule& rule, std::int64_t now_ms)
{
    if (fresh) return rule.capacity;
    const double elapsed = double(std::max<std::int64_t>(0, now_ms - bucket.updated_ms));
    return std::min(rule.capacity, bucket.tokens + elapsed * rule.per_ms);
}

std::int64_t wait_for_token_ms(double tokens, const RateRule& rule)
{
    if (tokens >= 1 || rule.per_ms <= 0) return 0;
    return std::int64_t(std::ceil((1 - tokens) / rule.per_ms));
}

RateDecision MemoryRateLimiter::take(const std::vector<RateKey>& keys, std::int64_t now_ms)
{
    std::lock_guard lock(mutex_);
    RateDecision decision;
    std::vector<double> tokens;
    for (const auto& key : keys) {
        const auto it = buckets_.find(key.key);
        const double now_tokens = tokens_at(it == buckets_.end() ? TokenBucket{} : it->second,
                                            it == buckets_.end(), key.rule, now_ms);
        tokens.push_back(now_tokens);
        if (now_tokens < 1) {
            if (decision.allowed) decision.limited_by = key.key.substr(0, key.key.find(':'));
            decision.allowed = false;
            decision.retry_after_ms = std::max(decision.retry_after_ms, wait_for_token_ms(now_tokens, key.rule));
        }
    }
    if (!decision.allowed) return decision;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        buckets_[keys[i].key] = TokenBucket{tokens[i] - 1, now_ms};
        rules_[keys[i].key] = keys[i].rule;
    }
    if (buckets_.size() > sweep_at_) forget_full_buckets(now_ms);
    return decision;
}

void MemoryRateLimiter::forget_full_buckets(std::int64_t now_ms)
{
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        const auto& rule = rules_[it->first];
        if (tokens_at(it->second, false, rule, now_ms) >= rule.capacity) {
            rules_.erase(it->first);
            it = buckets_.erase(it);
        } else {
            ++it;
        }
    }
    sweep_at_ = std::max<std::size_t>(4096, buckets_.size() * 2);
}

} // namespace confab::serve
