// tests/fuzz/session_fuzzer.cpp
// libFuzzer target for session files: what the widget reads back from IndexedDB, what the
// desktop harness and `confab trim` read from disk, and what a user imports, so any bytes at
// all. Besides "no crash, no leak, no undefined behaviour, no exception" it checks the
// promises session.h makes: a refusal names a place; what loads saves, and what that wrote
// loads back and saves to the same bytes (one re-save settles any writer's file);
// and the trimmer's plan for it sends or drops every message exactly once, within a budget
// the first input byte picks.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/context_trimmer.h"
#include "core/session.h"
#include "core/token_estimator.h"

namespace {

void require(bool promise)
{
    if (!promise) std::abort();
}

void check_plan(const confab::Session& session, std::uint8_t knob)
{
    confab::TrimOptions options;
    options.budget = std::int64_t(knob) * 8;  // 0 .. 2040 tokens: most sessions get trimmed
    options.summaries = (knob & 1) != 0;
    const confab::TokenEstimator estimator;
    const confab::TrimPlan plan = confab::plan_context(session, estimator, options);

    std::vector<std::size_t> all = plan.kept;
    all.insert(all.end(), plan.dropped.begin(), plan.dropped.end());
    std::sort(all.begin(), all.end());
    require(all.size() == session.messages.size());
    for (std::size_t i = 0; i < all.size(); ++i) require(all[i] == i);
    require(std::is_sorted(plan.kept.begin(), plan.kept.end()));
    require(plan.reasons.size() == plan.dropped.size());
    if (plan.summary_index) require(*plan.summary_index < session.summaries.size());
    if (plan.summary_needed) require(plan.summary_needed->first <= plan.summary_needed->last &&
                                     plan.summary_needed->last < session.messages.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    const std::uint8_t knob = data[0];
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

    const confab::SessionLoad load = confab::load_session(bytes);
    require(load.session.has_value() != load.error.has_value());
    if (load.error) {
        require(!load.error->where.empty() && !load.error->message.empty());
        return 0;
    }
    const std::string once = confab::save_session(*load.session);
    const confab::SessionLoad again = confab::load_session(once);
    require(again.session.has_value());
    require(confab::save_session(*again.session) == once);
    check_plan(*again.session, knob);
    return 0;
}
