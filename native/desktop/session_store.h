// native/desktop/session_store.h
// The sessions folder behind the Chat window's session list: one file per session, in the
// widget's own format (core/session.h, docs/session-format.md), so a session exported from the
// browser opens here and one exported here imports there. New, open, rename, delete, import
// and export; every write goes to a temporary file first and is renamed over the target, so a
// crash never leaves half a session.
//
// Deliberately not done: watching the folder (list() reads it again when asked), and locking
// (one harness per folder).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/session.h"
#include "native/system/files.h"

namespace confab::desktop {

struct SessionEntry {
    std::string path;
    std::string id;
    std::string title;             // the session's title, or its first user message, or the file name
    std::int64_t updated_ms = 0;
    std::size_t messages = 0;
    std::string error;             // set when the file could not be loaded; the rest is then empty
};

class SessionStore {
public:
    explicit SessionStore(std::string dir);

    const std::string& dir() const { return dir_; }

    // Creates the folder if needed. False with the reason when it cannot.
    bool ensure_dir(std::string& error) const;

    // Every *.json file in the folder, newest first (by updated_ms, then name).
    std::vector<SessionEntry> list() const;

    // The file a session with this id lives in.
    std::string path_for(const std::string& id) const;

    std::optional<Session> open(const std::string& path, std::string& error) const;
    bool save(const Session& session, std::string& error) const;  // to path_for(session.id)
    bool rename(const std::string& path, const std::string& title, std::string& error) const;
    bool remove(const std::string& path, std::string& error) const;

    // Copies a session file from anywhere into the folder, after checking that it loads. A
    // session whose id is already taken by another file gets a new id (`id`-2, -3, …), so an
    // import never overwrites. Returns the new file's path.
    std::optional<std::string> import(const std::string& from, std::string& error) const;

    // Writes the session in `path` to `to` (atomically), as the widget would export it.
    bool export_to(const std::string& path, const std::string& to, std::string& error) const;

private:
    std::string dir_;
};

// A title for the list: the session's own, else one line of its first user message.
std::string display_title(const Session& session);

} // namespace confab::desktop
