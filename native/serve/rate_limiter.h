// native/serve/rate_limiter.h
// Token buckets (the classic "token bucket" shaper: a bucket holds up to `capacity` tokens,
// refills at a steady rate, and each request takes one) per client address and per session
// id. A request passes only when every bucket it belongs to has a token, and then takes one
// from each: a refused request costs nothing.
//
// Two stores: MemoryRateLimiter for one relay, RedisRateLimiter (redis_rate_limiter.h) for
// relays behind a load balancer that must share their counts. Both use the same arithmetic;
// the Redis one runs it as a Lua script inside Redis so the check-and-take is atomic.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace confab::serve {

struct RateRule {
    double capacity = 0;       // burst: requests allowed at once; 0 = no limit
    double per_ms = 0;         // tokens added per millisecond

    bool enabled() const { return capacity > 0; }

    // "60/min", "5/s", "1000/h", or "off". nullopt for anything else.
    static std::optional<RateRule> parse(std::string_view text);
};

struct TokenBucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
};

// A bucket's tokens at `now_ms` (full for a bucket never seen: `fresh`), refilled and capped.
double tokens_at(const TokenBucket& bucket, bool fresh, const RateRule& rule, std::int64_t now_ms);

// Milliseconds until a bucket holding `tokens` has one token (0 when it has one now).
std::int64_t wait_for_token_ms(double tokens, const RateRule& rule);

struct RateKey {
    std::string key;           // "client:127.0.0.1", "session:abc"
    RateRule rule;
};

struct RateDecision {
    bool allowed = true;
    std::int64_t retry_after_ms = 0;    // when refused: until every bucket has a token
    std::string limited_by;             // when refused: the first key that refused ("client", "session")
    std::string problem;                // a store that failed (the request is let through)
};

class RateLimiter {
public:
    virtual ~RateLimiter() = default;
    // Takes one token from each bucket of `keys` if every one has a token.
    virtual RateDecision take(const std::vector<RateKey>& keys, std::int64_t now_ms) = 0;
};

class MemoryRateLimiter final : public RateLimiter {
public:
    RateDecision take(const std::vector<RateKey>& keys, std::int64_t now_ms) override;

private:
    void forget_full_buckets(std::int64_t now_ms);

    std::mutex mutex_;
    std::unordered_map<std::string, TokenBucket> buckets_;
    // Buckets are forgotten once full again (a full bucket is the same as none); the map is
    // swept when it grows past this, so a stream of new addresses cannot grow it for ever.
    std::size_t sweep_at_ = 4096;
    std::unordered_map<std::string, RateRule> rules_;
};

} // namespace confab::serve
