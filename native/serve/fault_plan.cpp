// native/serve/fault_plan.cpp
#include "native/serve/fault_plan.h"

namespace confab::serve {

namespace {

std::optional<std::size_t> parse_count(std::string_view text)
{
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::size_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + std::size_t(c - '0');
    }
    return value;
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
}

} // namespace

std::variant<FaultPlan, std::string> parse_fault_plan(std::string_view header)
{
    FaultPlan plan;
    while (true) {
        const auto comma = header.find(',');
        const auto fault = trim(header.substr(0, comma));
        const auto equals = fault.find('=');
        if (equals == std::string_view::npos) return "X-Confab-Fault: expected name=value, got \"" + std::string(fault) + "\"";
        const auto name = fault.substr(0, equals);
        auto value = fault.substr(equals + 1);
        std::string_view parameter;
        if (const auto semicolon = value.find(';'); semicolon != std::string_view::npos) {
            parameter = trim(value.substr(semicolon + 1));
            value = trim(value.substr(0, semicolon));
        }
        if (!parameter.empty() && name != "status")
            return "X-Confab-Fault: " + std::string(name) + " takes no parameter";
        const auto number = parse_count(value);
        if (!number) return "X-Confab-Fault: " + std::string(name) + " needs a whole number, got \"" + std::string(value) + "\"";
        if (name == "drop-after") {
            plan.drop_after = *number;
        } else if (name == "stall-after") {
            plan.stall_after = *number;
        } else if (name == "corrupt-event") {
            if (*number == 0) return std::string("X-Confab-Fault: corrupt-event counts from 1");
            plan.corrupt_event = *number;
        } else if (name == "slow") {
            if (*number > 60'000) return std::string("X-Confab-Fault: slow is at most 60000 ms");
            plan.slow_ms = int(*number);
        } else if (name == "status") {
            if (*number < 400 || *number > 599) return std::string("X-Confab-Fault: status must be 400-599");
            plan.status = int(*number);
            if (!parameter.empty()) {
                constexpr std::string_view key = "retry-after=";
                const auto seconds = parameter.starts_with(key) ? parse_count(parameter.substr(key.size())) : std::nullopt;
                if (!seconds || *seconds > 86'400)
                    return "X-Confab-Fault: expected retry-after=SECONDS, got \"" + std::string(parameter) + "\"";
                plan.retry_after_s = int(*seconds);
            }
        } else {
            return "X-Confab-Fault: unknown fault \"" + std::string(name) + "\"";
        }
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return plan;
}

FaultyBody::Piece FaultyBody::pass(std::string_view bytes)
{
    Piece piece;
    if (ended_) {
        piece.then = plan_.stall_after ? Then::stall : Then::drop;
        return piece;
    }
    // Where the body must stop: the nearer of the two limits.
    std::optional<std::size_t> stop_at;
    Then stop_then = Then::go_on;
    if (plan_.drop_after) {
        stop_at = plan_.drop_after;
        stop_then = Then::drop;
    }
    if (plan_.stall_after && (!stop_at || *plan_.stall_after < *stop_at)) {
        stop_at = plan_.stall_after;
        stop_then = Then::stall;
    }
    if (stop_at && written_ + bytes.size() >= *stop_at) {
        bytes = bytes.substr(0, *stop_at - written_);
        piece.then = stop_then;
        ended_ = true;
    }
    piece.bytes.reserve(bytes.size());
    for (char c : bytes) {
        if (c == '\n') {
            if (at_line_start_ && event_has_bytes_) {
                ++event_;
                event_has_bytes_ = false;
            }
            at_line_start_ = true;
        } else if (c != '\r') {
            at_line_start_ = false;
            event_has_bytes_ = true;
            // The first '{' of the chosen event becomes '#': the event stays one well-framed
            // event, and its data is no longer JSON.
            if (!corrupted_ && plan_.corrupt_event && event_ == *plan_.corrupt_event && c == '{') {
                corrupted_ = true;
                c = '#';
            }
        }
        piece.bytes += c;
    }
    written_ += bytes.size();
    return piece;
}

} // namespace confab::serve
