// tests/fuzz/session_fuzzer.cpp
// libFuzzer target for session files: what the widget reads back from IndexedDB, what the
// desktop harness and `confab trim` read from disk, and what a user imports, so any bytes at
// all. Besides "no crash, no leak, no undefined behaviour, no exception" it checks the
// promises session.h makes: a refusal names a place; what loads saves, and what that wrote
// loads back and saves to the same bytes (one re-save settles any writer's file);
// the trimmer's plan for it sends or drops every message exactly once, within a budget the
// first input byte picks; and two tabs' copies merge as session_merge.h says: a copy merged
// with itself is itself, merging again with the same stored copy changes nothing, this tab
// keeps all its messages, a stored file that does not load leaves this tab's bytes as they
// are, and merging the files (their messages as bytes) gives what merging the loaded copies
// does. An input holding a line "--" is two copies, this tab's before it, stored after.
// Any JSON in it is also read as a host's tool definitions, which are counted without failing:
// each tool adds at least its fixed tokens. And it is renamed without reading its messages
// (edit_session_head): what loads gives what a whole load with the new title gives, and
// what does not load is refused as load_session refuses it, or renamed and still refused.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/context_trimmer.h"
#include "core/json_util.h"
#include "core/request_builder.h"
#include "core/session.h"
#include "core/session_merge.h"
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

void check_merge(const confab::Session& ours, const confab::Session& stored, std::string_view stored_bytes)
{
    const std::vector<std::string> none;
    require(confab::merge_sessions(ours, ours, none) == ours);
    const confab::Session merged = confab::merge_sessions(ours, stored, none);
    require(confab::merge_sessions(merged, stored, none) == merged);
    // Every message of ours is still there, in its order (a reply caught mid-stream may be
    // the stored, finished copy of itself: the same id).
    std::size_t at = 0;
    for (const confab::Message& message : merged.messages)
        if (at < ours.messages.size() && (message == ours.messages[at] ||
                                          (!message.id.empty() && message.id == ours.messages[at].id)))
            ++at;
    require(at == ours.messages.size());

    const std::string ours_bytes = confab::save_session(ours);
    const std::string damaged = std::string(stored_bytes.substr(0, stored_bytes.size() / 2)) + "\x01";
    require(confab::merge_session_files(ours_bytes, damaged, none) == ours_bytes);
    // Merged from the messages' bytes, it loads to what merging the loaded copies gives; and
    // saved by save_session, it is save_session's bytes for it.
    const confab::SessionLoad written = confab::load_session(confab::merge_session_files(ours_bytes, stored_bytes, none));
    require(written.session.has_value() && *written.session == merged);
    const std::string canonical = confab::merge_session_files(ours_bytes, confab::save_session(stored), none);
    require(canonical == (merged == ours ? ours_bytes : confab::save_session(merged)));
}

void check_tools(std::string_view bytes)
{
    const nlohmann::json value = confab::parse_json(bytes);
    if (value.is_discarded()) return;
    std::vector<confab::ToolSpec> specs;
    if (value.is_array()) {
        for (std::size_t i = 0; i < value.size() && i < 16; ++i) specs.push_back(confab::tool_spec_from_json(value[i]));
    } else {
        specs.push_back(confab::tool_spec_from_json(value));
    }
    using confab::TokenEstimator;
    std::int64_t before = TokenEstimator::tokens_per_tools;
    for (std::size_t n = 1; n <= specs.size(); ++n) {
        const std::int64_t tokens = TokenEstimator::estimate_tools({specs.begin(), specs.begin() + std::ptrdiff_t(n)});
        require(tokens >= before + TokenEstimator::tokens_per_tool - 1);  // less one for rounding
        before = tokens;
    }
}

void check_retitle(std::string_view bytes, const confab::SessionLoad& load, std::uint8_t knob)
{
    const std::string title = knob & 2 ? "" : "renamed \xff";
    const confab::EditedSession retitled =
        confab::edit_session_head(bytes, [&](confab::Session& session) { session.title = title; });
    require(retitled.error.has_value() != !retitled.bytes.empty());
    if (load.error) {
        if (retitled.error) require(retitled.error->text() == load.error->text());
        else require(confab::load_session(retitled.bytes).error.has_value());
        return;
    }
    require(!retitled.error);
    confab::Session expected = *load.session;
    expected.title = title;
    const confab::SessionLoad renamed = confab::load_session(retitled.bytes);
    require(renamed.session.has_value());
    require(confab::save_session(*renamed.session) == confab::save_session(expected));
    require(retitled.message_count == expected.messages.size());
    expected.messages.clear();
    require(retitled.head == expected);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    const std::uint8_t knob = data[0];
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

    const std::size_t cut = bytes.find("\n--\n");
    const std::string_view stored_bytes = cut == std::string_view::npos ? bytes : bytes.substr(cut + 4);
    if (cut != std::string_view::npos) bytes = bytes.substr(0, cut);
    check_tools(bytes);

    const confab::SessionLoad load = confab::load_session(bytes);
    require(load.session.has_value() != load.error.has_value());
    // The same load a step at a time (the widget's), with steps as small as the knob makes them.
    confab::SessionLoader loader{std::string(bytes)};
    while (!loader.step(knob % 8 * 64)) {}
    const confab::SessionLoad stepped = loader.take();
    require(stepped.session == load.session);
    require(stepped.error.has_value() == load.error.has_value());
    if (load.error) require(stepped.error->text() == load.error->text());
    check_retitle(bytes, load, knob);
    if (load.error) {
        require(!load.error->where.empty() && !load.error->message.empty());
        return 0;
    }
    const std::string once = confab::save_session(*load.session);
    const confab::SessionLoad again = confab::load_session(once);
    require(again.session.has_value());
    require(confab::save_session(*again.session) == once);
    check_plan(*again.session, knob);
    const confab::SessionLoad stored = confab::load_session(stored_bytes);
    if (stored.session) check_merge(*load.session, *stored.session, stored_bytes);
    return 0;
}
