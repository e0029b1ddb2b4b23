// native/serve/redis_rate_limiter.cpp
#include "native/serve/redis_rate_limiter.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace confab::serve {

namespace {

// The same arithmetic as MemoryRateLimiter (rate_limiter.cpp), run atomically inside Redis.
// KEYS: the buckets; ARGV: capacity and tokens-per-ms of each, in turn. Returns {1, 0, 0}
// when every bucket had a token (and one was taken from each), else {0, wait_ms, i} with i
// the first bucket that had none. A bucket expires once it would be full again.
constexpr const char* bucket_script = R"LUA(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local levels = {}
local wait = 0
local limited = 0
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i - 1])
  local per_ms = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 't', 'u')
  local level = capacity
  if state[1] then
    level = math.min(capacity, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * per_ms)
  end
  levels[i] = level
  if level < 1 then
    if limited == 0 then limited = i end
    wait = math.max(wait, math.ceil((1 - level) / per_ms))
  end
end
if limited > 0 then return {0, wait, limited} end
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i - 1])
  local per_ms = tonumber(ARGV[2 * i])
  redis.call('HSET', key, 't', tostring(levels[i] - 1), 'u', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(capacity / per_ms) + 1000)
end
return {1, 0, 0}
)LUA";

// A Redis on the same network answers in well under a millisecond; a second means it is gone.
constexpr int io_timeout_ms = 1000;

bool parse_int(std::string_view text, int& out)
{
    if (text.empty() || text.size() > 9) return false;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

std::string format_number(double value)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

} // namespace

std::optional<RedisAddress> RedisAddress::parse(std::string_view url)
{
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) return std::nullopt;
    url.remove_prefix(scheme.size());
    RedisAddress address;
    if (const auto at = url.rfind('@'); at != std::string_view::npos) {
        auto credentials = url.substr(0, at);
        const auto colon = credentials.find(':');
        address.password = std::string(colon == std::string_view::npos ? credentials : credentials.substr(colon + 1));
        url.remove_prefix(at + 1);
    }
    if (const auto slash = url.find('/'); slash != std::string_view::npos) {
        const auto db = url.substr(slash + 1);
        if (!db.empty() && !parse_int(db, address.database)) return std::nullopt;
        url = url.substr(0, slash);
    }
    if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
        if (!parse_int(url.substr(colon + 1), address.port) || address.port < 1 || address.port > 65535)
            return std::nullopt;
        url = url.substr(0, colon);
    }
    if (!url.empty()) address.host = std::string(url);
    return address;
}

RedisRateLimiter::~RedisRateLimiter() { disconnect(); }

void RedisRateLimiter::disconnect()
{
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
}

std::string RedisRateLimiter::connect()
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(address_.port);
    if (const int status = getaddrinfo(address_.host.c_str(), port.c_str(), &hints, &found); status != 0)
        return std::string("redis: ") + gai_strerror(status);
    std::string reason = "redis: no address";
    for (auto* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
        const int fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC, candidate->ai_protocol);
        if (fd < 0) continue;
        timeval timeout{io_timeout_ms / 1000, (io_timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, candidate->ai_addr, candidate->ai_addrlen) == 0) {
            fd_ = fd;
            break;
        }
        reason = std::string("redis: ") + std::strerror(errno);
        ::close(fd);
    }
    freeaddrinfo(found);
    if (fd_ < 0) return reason;
    std::vector<std::string> reply;
    if (!address_.password.empty()) {
        if (auto problem = command({"AUTH", address_.password}, reply); !problem.empty()) return problem;
    }
    if (address_.database != 0) {
        if (auto problem = command({"SELECT", std::to_string(address_.database)}, reply); !problem.empty())
            return problem;
    }
    return "";
}

std::string RedisRateLimiter::command(const std::vector<std::string>& parts, std::vector<std::string>& reply)
{
    // RESP: a command is an array of bulk strings.
    std::string out;
    auto append_line = [&out](char type, std::size_t count) {
        out += type;
        out += std::to_string(count);
        out += "\r\n";
    };
    append_line('*', parts.size());
    for (const auto& part : parts) {
        append_line('$', part.size());
        out += part;
        out += "\r\n";
    }
    for (std::size_t sent = 0; sent < out.size();) {
        const ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return std::string("redis: send: ") + std::strerror(errno);
        sent += std::size_t(n);
    }

    reply.clear();
    auto read_line = [&](std::string& line) -> std::string {
        while (true) {
            const auto end = buffer_.find("\r\n");
            if (end != std::string::npos) {
                line = buffer_.substr(0, end);
                buffer_.erase(0, end + 2);
                return "";
            }
            char chunk[4096];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n == 0) return "redis: connection closed";
            if (n < 0) return std::string("redis: recv: ") + std::strerror(errno);
            buffer_.append(chunk, std::size_t(n));
        }
    };
    // Values still to read: an array adds its elements.
    std::size_t pending = 1;
    while (pending > 0) {
        --pending;
        std::string line;
        if (auto problem = read_line(line); !problem.empty()) return problem;
        if (line.empty()) return "redis: empty reply line";
        const char type = line[0];
        const std::string rest = line.substr(1);
        if (type == '-') return "redis: " + rest;
        if (type == '+' || type == ':') {
            reply.push_back(rest);
        } else if (type == '$') {
            const long length = std::strtol(rest.c_str(), nullptr, 10);
            if (length < 0) {
                reply.emplace_back();
                continue;
            }
            while (buffer_.size() < std::size_t(length) + 2) {
                char chunk[4096];
                const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
                if (n <= 0) return "redis: connection lost in a reply";
                buffer_.append(chunk, std::size_t(n));
            }
            reply.push_back(buffer_.substr(0, std::size_t(length)));
            buffer_.erase(0, std::size_t(length) + 2);
        } else if (type == '*') {
            const long count = std::strtol(rest.c_str(), nullptr, 10);
            if (count > 0) pending += std::size_t(count);
        } else {
            return "redis: unexpected reply";
        }
    }
    return "";
}

std::string RedisRateLimiter::check()
{
    std::lock_guard lock(mutex_);
    if (fd_ >= 0) return "";
    auto problem = connect();
    if (!problem.empty()) disconnect();
    return problem;
}

RateDecision RedisRateLimiter::take(const std::vector<RateKey>& keys, std::int64_t)
{
    RateDecision decision;
    std::vector<std::string> parts = {"EVAL", bucket_script, std::to_string(keys.size())};
    for (const auto& key : keys) parts.push_back("confab:rate:" + key.key);
    for (const auto& key : keys) {
        parts.push_back(format_number(key.rule.capacity));
        parts.push_back(format_number(key.rule.per_ms));
    }
    std::lock_guard lock(mutex_);
    // One retry on a fresh connection: Redis may have closed an idle one.
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::string problem = fd_ >= 0 ? "" : connect();
        std::vector<std::string> reply;
        if (problem.empty()) problem = command(parts, reply);
        if (problem.empty() && reply.size() != 3) problem = "redis: unexpected script reply";
        if (problem.empty()) {
            decision.allowed = reply[0] == "1";
            if (!decision.allowed) {
                decision.retry_after_ms = std::strtoll(reply[1].c_str(), nullptr, 10);
                const std::size_t index = std::strtoul(reply[2].c_str(), nullptr, 10);
                if (index >= 1 && index <= keys.size())
                    decision.limited_by = keys[index - 1].key.substr(0, keys[index - 1].key.find(':'));
            }
            return decision;
        }
        disconnect();
        decision.problem = problem;
    }
    return decision;  // let through, with the reason
}

} // namespace confab::serve
