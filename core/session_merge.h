// core/session_merge.h
// How two writers' copies of one session combine: two browser tabs share one store, and
// each re-reads a session before it writes it (web/store.js), so what another tab added
// since is kept. The copies are in the format of core/session.h.
//
// There is no common ancestor to compare with, only the writer's memory of which messages it
// has held. So the rule keeps every message it cannot prove this writer dropped: a message
// deleted in the other tab comes back when this writer still holds it, and the reverse is
// never true. Losing a deletion is an annoyance; losing a message is not.
//
// Deliberately not done: I/O, and deciding when to merge (the store does, under its lock).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/session.h"

namespace confab {

// The copy to write when this writer saves `ours` where `stored` now lies, a copy of the same
// session that another writer may have changed. `known_ids` are the ids of the messages every
// copy this writer has held (read, written or been shown): a message it held and `ours` lacks
// was deleted or replaced (a retried reply) here, and stays out.
//
// - Messages: ours, in their order, and each message of `stored` with an id that neither
//   `ours` nor `known_ids` has: another writer added it. Both sequences keep their own order
//   and are merged by created_ms; at equal times ours come first. A stored message without an
//   id cannot be told apart from ours, so it adds nothing.
// - A message both copies hold (same id) is ours, unless ours is a reply caught mid-stream
//   (incomplete, "still streaming") and the stored one has moved on: the writer that streamed
//   it finished it since (core/conversation.cpp saves a streaming reply with that mark).
// - Summaries: ours, and each stored one that none of ours equals (summaries are only ever
//   added), merged by created_ms in the same way.
// - The title is the one set later (titled_ms), ours at equal times unless ours is empty; a
//   rename in either tab survives the other's saves. updated_ms is the later one; all
//   else is ours, plus the members this version does not know (at the top level and in
//   settings) that only `stored` has, so a newer writer in the other tab loses nothing.
// - A stored copy of another session (both ids set and different) adds nothing.
//
// merge_sessions(s, s, ids) == s, and merging the result with `stored` again changes nothing.
Session merge_sessions(const Session& ours, const Session& stored, std::span<const std::string> known_ids);

// The same on the files' bytes: what to write over `stored`. It is `ours` itself, byte for
// byte, when the stored copy adds nothing, and also when either copy does not load: a damaged
// stored file never costs this writer a message, and bytes that do not load are the writer's
// to keep (load_session says what is wrong with them when they are read).
//
// Two tabs on a 2,000-message session (5.9 MB) merge at every save while a reply streams, so
// the messages are placed as their bytes (split_session), and only those the stored copy adds
// are loaded (and checked). For files save_session wrote, the result is save_session's bytes
// for merge_sessions of the loaded copies. One exception to "does not load" above: a message
// that does not load and that the merge does not take is not read, so the other copy's
// additions are merged all the same (into a file that still does not load, if it was ours).
std::string merge_session_files(std::string_view ours, std::string_view stored,
                                std::span<const std::string> known_ids);

// merge_session_files, and what a list of sessions shows of what it wrote: the merged session
// without its messages, and how many it holds. No head when the bytes are ours as they were.
struct MergedFile {
    std::string bytes;
    std::optional<Session> head;
    std::size_t message_count = 0;
};
MergedFile merge_session_file(std::string_view ours, std::string_view stored, std::span<const std::string> known_ids);

} // namespace confab
