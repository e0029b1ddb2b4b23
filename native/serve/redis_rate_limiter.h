// native/serve/redis_rate_limiter.h
// Token buckets kept in Redis, so that relays behind a load balancer share one count per
// client and per session. Speaks RESP2 (the Redis serialization protocol) over one TCP
// connection, reconnecting after a failure; the check-and-take is one EVAL of a Lua script,
// which Redis runs atomically, with Redis's own clock (TIME), so relays on hosts whose
// clocks differ still agree.
//
// When Redis cannot be reached the request is let through and the decision says why (an
// outage of the limiter must not become an outage of the chat); the relay logs it.
// Deliberately not done: TLS (rediss://), Sentinel and Cluster.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "native/serve/rate_limiter.h"

namespace confab::serve {

struct RedisAddress {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;     // redis://:PASSWORD@host:port
    int database = 0;         // redis://host:port/DB

    // redis://[:password@]host[:port][/db]. nullopt for anything else.
    static std::optional<RedisAddress> parse(std::string_view url);
};

class RedisRateLimiter final : public RateLimiter {
public:
    explicit RedisRateLimiter(RedisAddress address) : address_(std::move(address)) {}
    ~RedisRateLimiter() override;

    // `now_ms` is unused: Redis's clock decides.
    RateDecision take(const std::vector<RateKey>& keys, std::int64_t now_ms) override;

    // Connects (and authenticates) now; "" when it worked, else the reason.
    std::string check();

private:
    std::string connect();
    void disconnect();
    // Sends one command; reads its reply into `reply` (integers and bulk strings as text,
    // arrays flattened). "" when it worked, else the reason.
    std::string command(const std::vector<std::string>& parts, std::vector<std::string>& reply);

    RedisAddress address_;
    std::mutex mutex_;
    int fd_ = -1;
    std::string buffer_;      // bytes read but not yet parsed
};

} // namespace confab::serve
