// core/session_merge.cpp
// Two writers' copies of one session, combined by the rule in session_merge.h.
#include "core/session_merge.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace confab {
namespace {

bool still_streaming(const Message& message)
{
    return message.incomplete && message.incomplete_reason == still_streaming_reason;
}

// `ours` and `theirs`, each in its own order, merged by created_ms; ours first at equal times.
// Written out rather than std::merge, whose inputs must be sorted: a stored file's times can
// be in any order, and each side's order is kept whatever they hold.
template <class T>
std::vector<T> in_time_order(std::vector<T> ours, std::vector<T> theirs)
{
    if (theirs.empty()) return ours;
    std::vector<T> all;
    all.reserve(ours.size() + theirs.size());
    std::size_t a = 0, b = 0;
    while (a < ours.size() || b < theirs.size()) {
        const bool take_theirs = a == ours.size() || (b < theirs.size() && theirs[b].created_ms < ours[a].created_ms);
        all.push_back(std::move(take_theirs ? theirs[b++] : ours[a++]));
    }
    return all;
}

// Adds the members of `theirs` that `ours` lacks; whether there were any.
bool add_missing(nlohmann::json& ours, const nlohmann::json& theirs)
{
    bool added = false;
    if (!ours.is_object() || !theirs.is_object()) return added;
    for (auto it = theirs.begin(); it != theirs.end(); ++it)
        if (!ours.contains(it.key())) {
            ours[it.key()] = it.value();
            added = true;
        }
    return added;
}

// merge_sessions in place; whether `ours` changed. Telling it as it goes spares the shipped
// engine the code of comparing whole sessions.
bool merge_into(Session& ours, const Session& stored, std::span<const std::string> known_ids)
{
    if (!ours.id.empty() && !stored.id.empty() && ours.id != stored.id) return false;
    bool changed = false;

    // A reply ours caught mid-stream takes the stored copy once that one has moved on.
    for (Message& message : ours.messages) {
        if (message.id.empty() || !still_streaming(message)) continue;
        const auto theirs = std::find_if(stored.messages.begin(), stored.messages.end(),
                                         [&](const Message& m) { return m.id == message.id; });
        if (theirs != stored.messages.end() && !still_streaming(*theirs)) {
            message = *theirs;
            changed = true;
        }
    }

    // Every id this writer holds or has held, sorted for lookup.
    std::vector<std::string_view> held(known_ids.begin(), known_ids.end());
    for (const Message& message : ours.messages) held.push_back(message.id);
    std::sort(held.begin(), held.end());
    const auto has_held = [&](const std::string& id) { return std::binary_search(held.begin(), held.end(), id); };

    std::vector<Message> added;
    for (const Message& message : stored.messages)
        if (!message.id.empty() && !has_held(message.id)) added.push_back(message);
    changed |= !added.empty();
    ours.messages = in_time_order(std::move(ours.messages), std::move(added));

    std::vector<Summary> new_summaries;
    for (const Summary& summary : stored.summaries)
        if (std::find(ours.summaries.begin(), ours.summaries.end(), summary) == ours.summaries.end())
            new_summaries.push_back(summary);
    changed |= !new_summaries.empty();
    ours.summaries = in_time_order(std::move(ours.summaries), std::move(new_summaries));

    // A title set later in the other copy is a rename made there since (or this copy's is from
    // before titles had times, or it has none).
    if (stored.titled_ms > ours.titled_ms ||
        (stored.titled_ms == ours.titled_ms && ours.title.empty() && !stored.title.empty())) {
        changed |= ours.title != stored.title || ours.titled_ms != stored.titled_ms;
        ours.title = stored.title;
        ours.titled_ms = stored.titled_ms;
    }
    if (stored.updated_ms > ours.updated_ms) {
        ours.updated_ms = stored.updated_ms;
        changed = true;
    }
    changed |= add_missing(ours.extra, stored.extra);
    changed |= add_missing(ours.settings.extra, stored.settings.extra);
    return changed;
}

} // namespace

Session merge_sessions(const Session& ours, const Session& stored, std::span<const std::string> known_ids)
{
    Session merged = ours;
    merge_into(merged, stored, known_ids);
    return merged;
}

std::string merge_session_files(std::string_view ours, std::string_view stored, std::span<const std::string> known_ids)
{
    if (ours == stored) return std::string(ours);
    SessionLoad mine = load_session(ours);
    const SessionLoad theirs = load_session(stored);
    if (!mine.session || !theirs.session || !merge_into(*mine.session, *theirs.session, known_ids))
        return std::string(ours);
    return save_session(*mine.session);
}

} // namespace confab
