// core/retry_policy.cpp
#include "core/retry_policy.h"

#include <algorithm>

namespace confab {

std::uint64_t Jitter::next()
{
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::int64_t Jitter::up_to(std::int64_t bound)
{
    if (bound <= 0) return 0;
    return std::int64_t(next() % (std::uint64_t(bound) + 1));
}

std::optional<std::int64_t> retry_delay_ms(const RetryPolicy& policy, int attempt,
                                           std::optional<std::int64_t> retry_after_ms, Jitter& jitter)
{
    if (attempt < 2 || attempt > policy.max_attempts) return std::nullopt;
    if (retry_after_ms) {
        if (*retry_after_ms > policy.max_retry_after_ms) return std::nullopt;
        return std::max<std::int64_t>(0, *retry_after_ms);
    }
    // base * 2^(retry number - 1), stopped at the cap before it can overflow.
    std::int64_t ceiling = policy.base_ms;
    for (int i = 2; i < attempt && ceiling < policy.cap_ms; ++i) ceiling *= 2;
    return jitter.up_to(std::min(ceiling, policy.cap_ms));
}

} // namespace confab
