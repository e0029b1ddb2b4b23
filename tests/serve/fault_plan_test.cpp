// tests/serve/fault_plan_test.cpp
#include <doctest/doctest.h>

#include "native/serve/fault_plan.h"

using namespace confab::serve;

namespace {

FaultPlan plan_of(std::string_view header)
{
    auto parsed = parse_fault_plan(header);
    if (auto* reason = std::get_if<std::string>(&parsed)) FAIL(*reason);
    return std::get<FaultPlan>(parsed);
}

std::string refusal(std::string_view header)
{
    auto parsed = parse_fault_plan(header);
    REQUIRE(std::holds_alternative<std::string>(parsed));
    return std::get<std::string>(parsed);
}

} // namespace

TEST_CASE("fault_plan: the grammar")
{
    const auto plan = plan_of("status=429;retry-after=3");
    CHECK(plan.status == 429);
    CHECK(plan.retry_after_s == 3);
    const auto several = plan_of("slow=20, drop-after=100,corrupt-event=2");
    CHECK(several.slow_ms == 20);
    CHECK(several.drop_after == 100u);
    CHECK(several.corrupt_event == 2u);
    CHECK(plan_of("stall-after=0").stall_after == 0u);
    CHECK(refusal("explode=1") == "X-Confab-Fault: unknown fault \"explode\"");
    CHECK(refusal("status=200").find("400-599") != std::string::npos);
    CHECK(refusal("drop-after=-1").find("whole number") != std::string::npos);
    CHECK(refusal("drop-after").find("name=value") != std::string::npos);
    CHECK(refusal("slow=5;retry-after=1").find("no parameter") != std::string::npos);
    CHECK(refusal("status=503;wait=1").find("retry-after") != std::string::npos);
    CHECK(refusal("corrupt-event=0").find("from 1") != std::string::npos);
}

TEST_CASE("fault_plan: drop-after cuts the body at exactly N bytes, however it is split")
{
    const std::string body = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n";
    for (std::size_t piece = 1; piece <= body.size(); ++piece) {
        FaultyBody faulty(plan_of("drop-after=20"));
        std::string sent;
        FaultyBody::Then then = FaultyBody::Then::go_on;
        for (std::size_t at = 0; at < body.size() && then == FaultyBody::Then::go_on; at += piece) {
            auto out = faulty.pass(std::string_view(body).substr(at, piece));
            sent += out.bytes;
            then = out.then;
        }
        CHECK(sent == body.substr(0, 20));
        CHECK(then == FaultyBody::Then::drop);
    }
}

TEST_CASE("fault_plan: stall-after sends N bytes then asks for a stall")
{
    FaultyBody faulty(plan_of("stall-after=5"));
    auto out = faulty.pass("0123456789");
    CHECK(out.bytes == "01234");
    CHECK(out.then == FaultyBody::Then::stall);
    CHECK(faulty.pass("more").bytes.empty());
}

TEST_CASE("fault_plan: corrupt-event breaks only the JSON of the Nth event, across any split and CRLF")
{
    const std::string body = "data: {\"a\":1}\r\n\r\n: comment\n\ndata: {\"b\":{\"c\":2}}\n\ndata: {\"d\":3}\n\n";
    const std::string expected = "data: {\"a\":1}\r\n\r\n: comment\n\ndata: #\"b\":{\"c\":2}}\n\ndata: {\"d\":3}\n\n";
    for (std::size_t piece = 1; piece <= body.size(); ++piece) {
        FaultyBody faulty(plan_of("corrupt-event=3"));
        std::string sent;
        for (std::size_t at = 0; at < body.size(); at += piece) sent += faulty.pass(std::string_view(body).substr(at, piece)).bytes;
        CHECK(sent == expected);
    }
}
