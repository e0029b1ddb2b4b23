// native/cli/trim_command.cpp
// `confab trim [--budget N] [--summaries] SESSION|-`: loads a session file and prints the core's
// plan for the next request (core/context_trimmer.h), so a developer can see which messages
// would be sent, which would not, and why. Estimates are uncalibrated: the CLI has seen no
// provider's usage for this session.
#include <charconv>
#include <cstdio>

#include "core/context_trimmer.h"
#include "core/json_util.h"
#include "core/session.h"
#include "native/cli/commands.h"

namespace confab::cli {

namespace {

constexpr const char* trim_usage =
    "usage: confab trim [--budget N] [--summaries [--summary-tokens N]] SESSION|-\n"
    "  Reads a session file (SESSION, or standard input for -) and prints the plan for its next\n"
    "  request as one JSON object: kept and dropped (indices into the session's messages),\n"
    "  summary (the stored summary sent in place of the dropped turns, or null),\n"
    "  estimated_tokens, budget, reasons (why each dropped message is left out, in the order\n"
    "  of dropped), summary_needed (the messages a new summary should cover, or null), and\n"
    "  error when even the messages that are always sent exceed the budget (exit status 1).\n"
    "  --budget N    tokens the messages may take (default: from the session's settings)\n"
    "  --summaries   plan as a conversation with summaries on: room is kept for one\n"
    "  --summary-tokens N   the room kept for a summary (default 512)\n";

// A count of tokens: digits only, no sign.
std::optional<std::int64_t> token_count(std::string_view value)
{
    std::int64_t count = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (value.empty() || value[0] == '-' || ec != std::errc() || end != value.data() + value.size())
        return std::nullopt;
    return count;
}

nlohmann::json indices(const std::vector<std::size_t>& list)
{
    nlohmann::json out = nlohmann::json::array();
    for (const std::size_t i : list) out.push_back(i);
    return out;
}

nlohmann::json plan_to_json(const Session& session, const TrimPlan& plan)
{
    nlohmann::json out = nlohmann::json::object();
    out["kept"] = indices(plan.kept);
    out["dropped"] = indices(plan.dropped);
    out["reasons"] = plan.reasons;
    out["estimated_tokens"] = plan.estimated_tokens;
    out["budget"] = plan.budget.tokens;
    out["summary"] = nullptr;
    if (plan.summary_index) {
        const Summary& used = session.summaries[*plan.summary_index];
        out["summary"] = {{"index", *plan.summary_index},
                          {"first_message_id", used.first_message_id},
                          {"last_message_id", used.last_message_id},
                          {"text", used.text}};
    }
    out["summary_needed"] = nullptr;
    if (plan.summary_needed) {
        const SummaryRange& range = *plan.summary_needed;
        out["summary_needed"] = {{"first", range.first},
                                 {"last", range.last},
                                 {"first_message_id", range.first_message_id},
                                 {"last_message_id", range.last_message_id},
                                 {"extends", range.extends ? nlohmann::json(*range.extends) : nlohmann::json()},
                                 {"text_tokens", range.text_tokens}};
    }
    if (plan.error) out["error"] = *plan.error;
    return out;
}

} // namespace

int trim(const std::vector<std::string_view>& args)
{
    TrimOptions options;
    std::optional<std::string_view> path;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto arg = args[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(trim_usage, stdout);
            return 0;
        }
        if (arg == "--budget" || arg == "--summary-tokens") {
            const auto count = token_count(i + 1 < args.size() ? args[++i] : std::string_view());
            if (!count) {
                std::fprintf(stderr, "confab trim: %.*s needs a number of tokens (0 or more)\n", int(arg.size()),
                             arg.data());
                return 2;
            }
            if (arg == "--budget") options.budget = *count;
            else options.summary_tokens = *count;
        } else if (arg == "--summaries") {
            options.summaries = true;
        } else if (!path && (arg == "-" || !arg.starts_with("-"))) {
            path = arg;
        } else {
            std::fprintf(stderr, "confab trim: unexpected argument \"%.*s\"\n%s", int(arg.size()), arg.data(),
                         trim_usage);
            return 2;
        }
    }
    if (!path) {
        std::fputs(trim_usage, stderr);
        return 2;
    }

    std::string error;
    const auto bytes = read_input(*path, error);
    if (!bytes) {
        std::fprintf(stderr, "confab trim: %s\n", error.c_str());
        return 1;
    }
    const SessionLoad loaded = load_session(*bytes);
    if (!loaded.session) {
        std::fprintf(stderr, "confab trim: %.*s: %s\n", int(path->size()), path->data(),
                     loaded.error->text().c_str());
        return 1;
    }

    const TrimPlan plan = plan_context(*loaded.session, TokenEstimator(), options);
    const auto text = dump_safely(plan_to_json(*loaded.session, plan), 2);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    if (plan.error) {
        std::fprintf(stderr, "confab trim: %s\n", plan.error->c_str());
        return 1;
    }
    return 0;
}

} // namespace confab::cli
