// core/session_merge.cpp
// Two writers' copies of one session, combined by the rule in session_merge.h.
#include "core/session_merge.h"

#include "core/json_util.h"

#include <algorithm>
#include <string_view>
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

// What the merge reads of a message to place it.
struct Mark {
    std::string_view id;
    std::int64_t created_ms = 0;
    bool still_streaming = false;
};

// Where a merged message comes from: message `index` of ours, or of the stored copy.
struct Pick {
    bool stored = false;
    std::size_t index = 0;
    std::int64_t created_ms = 0;
};

// The merged messages as picks from the two copies, by the rule in session_merge.h; `changed`
// is set when one is the stored copy's. Both merge_sessions and merge_session_files place
// messages by it: the one with the messages loaded, the other with their bytes.
std::vector<Pick> merge_messages(const std::vector<Mark>& ours, const std::vector<Mark>& stored,
                                 std::span<const std::string> known_ids, bool& changed)
{
    std::vector<Pick> mine;
    mine.reserve(ours.size());
    for (std::size_t i = 0; i < ours.size(); ++i) {
        Pick pick{false, i, ours[i].created_ms};
        // A reply ours caught mid-stream takes the stored copy once that one has moved on.
        if (!ours[i].id.empty() && ours[i].still_streaming) {
            const auto theirs = std::find_if(stored.begin(), stored.end(), [&](const Mark& m) { return m.id == ours[i].id; });
            if (theirs != stored.end() && !theirs->still_streaming) {
                pick = {true, std::size_t(theirs - stored.begin()), theirs->created_ms};
                changed = true;
            }
        }
        mine.push_back(pick);
    }

    // Every id this writer holds or has held, sorted for lookup.
    std::vector<std::string_view> held(known_ids.begin(), known_ids.end());
    for (const Mark& mark : ours) held.push_back(mark.id);
    std::sort(held.begin(), held.end());

    std::vector<Pick> added;
    for (std::size_t j = 0; j < stored.size(); ++j)
        if (!stored[j].id.empty() && !std::binary_search(held.begin(), held.end(), stored[j].id))
            added.push_back({true, j, stored[j].created_ms});
    changed |= !added.empty();
    return in_time_order(std::move(mine), std::move(added));
}

bool still_streaming(const MarkedMessage& message)
{
    return message.still_streaming;
}

// What the messages are placed by: loaded ones (Message) or their bytes (MarkedMessage).
template <class M>
std::vector<Mark> marks_of(const std::vector<M>& messages)
{
    std::vector<Mark> marks;
    marks.reserve(messages.size());
    for (const M& m : messages) marks.push_back({m.id, m.created_ms, still_streaming(m)});
    return marks;
}

// The rule for all but the messages, on `ours` in place; whether it changed. Telling it as it
// goes spares the shipped engine the code of comparing whole sessions.
bool merge_head(Session& ours, const Session& stored)
{
    bool changed = false;
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

// A stored copy of another session (both ids set and different) adds nothing.
bool same_session(const Session& ours, const Session& stored)
{
    return ours.id.empty() || stored.id.empty() || ours.id == stored.id;
}

// merge_sessions in place; whether `ours` changed.
bool merge_into(Session& ours, const Session& stored, std::span<const std::string> known_ids)
{
    if (!same_session(ours, stored)) return false;
    bool changed = false;
    const std::vector<Pick> picks = merge_messages(marks_of(ours.messages), marks_of(stored.messages), known_ids, changed);
    if (changed) {
        std::vector<Message> messages;
        messages.reserve(picks.size());
        for (const Pick& pick : picks)
            messages.push_back(pick.stored ? stored.messages[pick.index] : std::move(ours.messages[pick.index]));
        ours.messages = std::move(messages);
    }
    return merge_head(ours, stored) || changed;
}

// A message of the stored copy, taken into the merge as its bytes: whether it loads, as
// load_session would check it there (a file with one that does not is merged whole, and then
// keeps ours).
bool loads(std::string_view message)
{
    // It nests 2 levels below the file.
    if (message.find('\0') != std::string_view::npos || nests_deeper_than(message, max_session_depth - 2)) return false;
    const nlohmann::json value = nlohmann::json::parse(message, nullptr, /*allow_exceptions=*/false);
    Message loaded;
    return !value.is_discarded() && !message_from_json(value, "", loaded);
}

// The file merge on the messages' bytes (split_session): only the stored copy's messages it
// takes are loaded. nullopt where the files are to be merged whole: one does not split, or a
// message it takes does not load (and so the stored copy does not either).
std::optional<MergedFile> merge_split(std::string_view ours, std::string_view stored, std::span<const std::string> known_ids)
{
    auto mine = split_session(ours);
    const auto theirs = mine ? split_session(stored) : std::nullopt;
    if (!theirs) return std::nullopt;
    MergedFile out;
    out.bytes = ours;
    if (!same_session(mine->head, theirs->head)) return out;
    bool changed = false;
    const std::vector<Pick> picks = merge_messages(marks_of(mine->messages), marks_of(theirs->messages), known_ids, changed);
    std::vector<std::string_view> messages;
    messages.reserve(picks.size());
    for (const Pick& pick : picks) {
        const std::string_view bytes = (pick.stored ? theirs->messages : mine->messages)[pick.index].bytes;
        if (pick.stored && !loads(bytes)) return std::nullopt;
        messages.push_back(bytes);
    }
    if (merge_head(mine->head, theirs->head) || changed) {
        out.bytes = save_session_with(mine->head, messages);
        out.head = std::move(mine->head);
        out.message_count = messages.size();
    }
    return out;
}

} // namespace

Session merge_sessions(const Session& ours, const Session& stored, std::span<const std::string> known_ids)
{
    Session merged = ours;
    merge_into(merged, stored, known_ids);
    return merged;
}

MergedFile merge_session_file(std::string_view ours, std::string_view stored, std::span<const std::string> known_ids)
{
    if (ours != stored) {
        if (auto merged = merge_split(ours, stored, known_ids)) return std::move(*merged);
        SessionLoad mine = load_session(ours);
        const SessionLoad theirs = load_session(stored);
        if (mine.session && theirs.session && merge_into(*mine.session, *theirs.session, known_ids)) {
            MergedFile out{save_session(*mine.session), std::nullopt, mine.session->messages.size()};
            mine.session->messages.clear();
            out.head = std::move(*mine.session);
            return out;
        }
    }
    return MergedFile{std::string(ours), std::nullopt, 0};
}

std::string merge_session_files(std::string_view ours, std::string_view stored, std::span<const std::string> known_ids)
{
    return merge_session_file(ours, stored, known_ids).bytes;
}

} // namespace confab
