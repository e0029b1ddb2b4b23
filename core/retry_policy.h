// core/retry_policy.h
// When to try a request again, and after how long. Exponential backoff with full jitter
// ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015: sleep = random_between(0,
// min(cap, base * 2^attempt))), with the server's Retry-After honoured (RFC 9110 §10.2.3).
// Randomness comes from a seed the driver passes in, so a run can be replayed exactly.
//
// Only failures before the first byte of a reply are retried (a reply that has started is
// the user's to continue); that rule lives in the conversation engine.
#pragma once

#include <cstdint>
#include <optional>

namespace confab {

struct RetryPolicy {
    int max_attempts = 4;                      // attempts in all, the first one included
    std::int64_t base_ms = 500;                // the first retry waits up to this long
    std::int64_t cap_ms = 20'000;              // no backoff waits longer than this
    std::int64_t max_retry_after_ms = 60'000;  // a server asking for more is not waited for:
                                               // the user sees the error and may retry later
};

// A small deterministic random source (splitmix64; Steele, Lea, Flood, "Fast Splittable
// Pseudorandom Number Generators", OOPSLA 2014). Not for secrets.
class Jitter {
public:
    explicit Jitter(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    // Uniform in [0, bound].
    std::int64_t up_to(std::int64_t bound);

private:
    std::uint64_t state_;
};

// The wait before attempt `attempt` (2 = the first retry), or nothing when the policy
// gives up: attempts used up, or a Retry-After longer than max_retry_after_ms. A
// Retry-After, when given, is waited for exactly (the server knows its own limits better
// than a random guess); otherwise full jitter.
std::optional<std::int64_t> retry_delay_ms(const RetryPolicy& policy, int attempt,
                                           std::optional<std::int64_t> retry_after_ms, Jitter& jitter);

} // namespace confab
