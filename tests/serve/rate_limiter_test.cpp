// tests/serve/rate_limiter_test.cpp
#include <doctest/doctest.h>

#include "native/serve/rate_limiter.h"
#include "native/serve/redis_rate_limiter.h"

using namespace confab::serve;

TEST_CASE("rate_limiter: rules read as count per window")
{
    const auto per_minute = RateRule::parse("60/min");
    REQUIRE(per_minute);
    CHECK(per_minute->capacity == 60);
    CHECK(per_minute->per_ms == doctest::Approx(0.001));
    CHECK(RateRule::parse("5/s")->per_ms == doctest::Approx(0.005));
    CHECK(RateRule::parse("3600/h")->per_ms == doctest::Approx(0.001));
    CHECK_FALSE(RateRule::parse("off")->enabled());
    CHECK_FALSE(RateRule::parse("60"));
    CHECK_FALSE(RateRule::parse("x/min"));
    CHECK_FALSE(RateRule::parse("60/week"));
}

TEST_CASE("rate_limiter: a bucket refills at its rate and never past its capacity")
{
    const RateRule rule = *RateRule::parse("2/s");  // 2 tokens, one every 500 ms
    CHECK(tokens_at({}, true, rule, 1000) == 2);
    CHECK(tokens_at({0, 1000}, false, rule, 1250) == doctest::Approx(0.5));
    CHECK(tokens_at({0, 1000}, false, rule, 99'000) == 2);
    CHECK(wait_for_token_ms(0.5, rule) == 250);
    CHECK(wait_for_token_ms(1, rule) == 0);
}

TEST_CASE("rate_limiter: the burst passes, the next is refused with the wait, and time brings it back")
{
    MemoryRateLimiter limiter;
    const std::vector<RateKey> keys = {{"client:1.2.3.4", *RateRule::parse("2/s")}};
    CHECK(limiter.take(keys, 0).allowed);
    CHECK(limiter.take(keys, 0).allowed);
    const auto refused = limiter.take(keys, 0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after_ms == 500);
    CHECK(refused.limited_by == "client");
    CHECK_FALSE(limiter.take(keys, 499).allowed);
    CHECK(limiter.take(keys, 500).allowed);
}

TEST_CASE("rate_limiter: a refused request takes from no bucket")
{
    MemoryRateLimiter limiter;
    const RateRule roomy = *RateRule::parse("10/s");
    const RateRule tight = *RateRule::parse("1/s");
    CHECK(limiter.take({{"client:a", roomy}, {"session:s", tight}}, 0).allowed);
    for (int i = 0; i < 5; ++i) {
        const auto decision = limiter.take({{"client:a", roomy}, {"session:s", tight}}, 0);
        CHECK_FALSE(decision.allowed);
        CHECK(decision.limited_by == "session");
    }
    // The client's bucket lost only the first token: 9 more go through with another session.
    for (int i = 0; i < 9; ++i) CHECK(limiter.take({{"client:a", roomy}, {"session:t" + std::to_string(i), tight}}, 0).allowed);
    CHECK_FALSE(limiter.take({{"client:a", roomy}}, 0).allowed);
}

TEST_CASE("rate_limiter: redis URLs")
{
    const auto plain = RedisAddress::parse("redis://127.0.0.1:6390");
    REQUIRE(plain);
    CHECK(plain->host == "127.0.0.1");
    CHECK(plain->port == 6390);
    const auto full = RedisAddress::parse("redis://:s3cret@cache.local:7000/2");
    REQUIRE(full);
    CHECK(full->password == "s3cret");
    CHECK(full->host == "cache.local");
    CHECK(full->database == 2);
    CHECK(RedisAddress::parse("redis://localhost")->port == 6379);
    CHECK_FALSE(RedisAddress::parse("http://x"));
    CHECK_FALSE(RedisAddress::parse("redis://x:99999"));
}
