// native/desktop/request_view.cpp
#include "native/desktop/request_view.h"

#include <algorithm>

#include "core/json_util.h"
#include "native/desktop/chat_view.h"

namespace confab::desktop {

namespace {

std::string message_text(const Message& message)
{
    if (message.content && !message.content->empty()) return *message.content;
    std::string calls;
    for (const auto& call : message.tool_calls) calls += (calls.empty() ? "→ " : ", ") + call.name + "(" + call.arguments + ")";
    return calls;
}

std::optional<std::size_t> position_of(const Session& session, const std::string& id)
{
    if (id.empty()) return std::nullopt;
    for (std::size_t i = 0; i < session.messages.size(); ++i)
        if (session.messages[i].id == id) return i;
    return std::nullopt;
}

} // namespace

double RequestView::fill() const
{
    if (budget.tokens <= 0) return estimated_tokens > 0 ? 1.0 : 0.0;
    return double(estimated_tokens) / double(budget.tokens);
}

std::string pretty_json(const std::string& text)
{
    if (text.empty()) return text;
    const auto json = parse_json(text);
    return json.is_discarded() ? text : dump_safely(json, 2);
}

std::string_view to_string(RequestRow::Fate fate)
{
    switch (fate) {
    case RequestRow::Fate::kept: return "kept";
    case RequestRow::Fate::dropped: return "dropped";
    case RequestRow::Fate::summarized: return "summarized";
    case RequestRow::Fate::draft: return "draft";
    }
    return "kept";
}

RequestView make_request_view(const Conversation& conversation, const std::string& draft, const std::string& last_body)
{
    RequestView view;
    const auto& session = conversation.session();
    const auto& model = session.settings.model;
    const auto preview = conversation.preview(draft);
    view.last_body = pretty_json(last_body);
    if (!preview.body.is_null()) view.next_body = dump_safely(preview.body, 2);
    view.error = preview.error;
    view.estimated_tokens = preview.plan.estimated_tokens;
    view.budget = preview.plan.budget;
    view.estimated_cost = preview.estimated_cost;

    // The summary sent, and the stretch of history it stands for.
    std::optional<std::size_t> covered_first, covered_last;
    if (preview.plan.summary_index && *preview.plan.summary_index < session.summaries.size()) {
        const auto& summary = session.summaries[*preview.plan.summary_index];
        covered_first = position_of(session, summary.first_message_id);
        covered_last = position_of(session, summary.last_message_id);
        view.summary = "summary by " + (summary.model.empty() ? std::string("?") : summary.model) + " of " +
                       summary.first_message_id + " … " + summary.last_message_id + ": " + one_line(summary.text, 200);
    }
    if (preview.plan.summary_needed)
        view.summary_needed = "a new summary would cover messages " + std::to_string(preview.plan.summary_needed->first) +
                              "–" + std::to_string(preview.plan.summary_needed->last);

    const auto count = session.messages.size() + (draft.empty() ? 0 : 1);
    view.rows.resize(count);
    for (std::size_t i = 0; i < session.messages.size(); ++i) {
        const auto& message = session.messages[i];
        auto& row = view.rows[i];
        row.index = i;
        row.role = message.role;
        row.id = message.id;
        row.preview = one_line(message_text(message), 120);
        row.tokens = conversation.estimator().estimate_message(message, model);
        row.pinned = message.pinned;
    }
    if (!draft.empty()) {
        Message user;
        user.role = Role::user;
        user.content = draft;
        auto& row = view.rows.back();
        row.index = session.messages.size();
        row.role = Role::user;
        row.preview = one_line(draft, 120);
        row.tokens = conversation.estimator().estimate_message(user, model);
        row.fate = RequestRow::Fate::draft;
    }
    for (std::size_t k = 0; k < preview.plan.dropped.size(); ++k) {
        const auto index = preview.plan.dropped[k];
        if (index >= view.rows.size()) continue;
        auto& row = view.rows[index];
        row.reason = k < preview.plan.reasons.size() ? preview.plan.reasons[k] : std::string();
        const bool covered = covered_first && covered_last && index >= *covered_first && index <= *covered_last;
        row.fate = covered ? RequestRow::Fate::summarized : RequestRow::Fate::dropped;
        if (covered) row.reason += (row.reason.empty() ? "" : "; ") + std::string("the stored summary stands in for it");
    }
    for (const auto& row : view.rows) {
        if (row.fate == RequestRow::Fate::dropped) ++view.dropped;
        else if (row.fate == RequestRow::Fate::summarized) ++view.summarized;
        else ++view.kept;
    }
    return view;
}

} // namespace confab::desktop
