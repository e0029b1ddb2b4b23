// native/desktop/session_store.cpp
#include "native/desktop/session_store.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <unistd.h>

#include "native/desktop/chat_view.h"

namespace confab::desktop {

namespace fs = std::filesystem;

std::string display_title(const Session& session)
{
    if (!session.title.empty()) return session.title;
    for (const auto& message : session.messages)
        if (message.role == Role::user && message.content && !message.content->empty()) return one_line(*message.content, 60);
    return "(empty)";
}

SessionStore::SessionStore(std::string dir) : dir_(std::move(dir)) {}

bool SessionStore::ensure_dir(std::string& error) const
{
    std::error_code code;
    fs::create_directories(dir_, code);
    if (code) {
        error = dir_ + ": " + code.message();
        return false;
    }
    return true;
}

std::vector<SessionEntry> SessionStore::list() const
{
    std::vector<SessionEntry> entries;
    std::error_code code;
    for (const auto& item : fs::directory_iterator(dir_, code)) {
        if (!item.is_regular_file(code) || item.path().extension() != ".json") continue;
        SessionEntry entry;
        entry.path = item.path().string();
        std::string error;
        const auto bytes = native::read_file(entry.path, error);
        auto loaded = bytes ? load_session(*bytes) : SessionLoad{};
        if (!bytes) entry.error = error;
        else if (loaded.error) entry.error = loaded.error->text();
        if (entry.error.empty()) {
            const auto& session = *loaded.session;
            entry.id = session.id;
            entry.title = display_title(session);
            entry.updated_ms = session.updated_ms;
            entry.messages = session.messages.size();
        } else {
            entry.title = item.path().filename().string();
        }
        entries.push_back(std::move(entry));
    }
    std::sort(entries.begin(), entries.end(), [](const SessionEntry& a, const SessionEntry& b) {
        return a.updated_ms != b.updated_ms ? a.updated_ms > b.updated_ms : a.path < b.path;
    });
    return entries;
}

std::string SessionStore::path_for(const std::string& id) const
{
    // Ids come from files; keep only characters that are safe in a file name.
    std::string name;
    for (const char c : id) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (name.empty() || name.front() == '.') name.insert(0, "session");
    return (fs::path(dir_) / (name + ".json")).string();
}

std::optional<Session> SessionStore::open(const std::string& path, std::string& error) const
{
    const auto bytes = native::read_file(path, error);
    if (!bytes) return std::nullopt;
    auto loaded = load_session(*bytes);
    if (loaded.error) {
        error = path + ": " + loaded.error->text();
        return std::nullopt;
    }
    return std::move(loaded.session);
}

bool SessionStore::save(const Session& session, std::string& error) const
{
    return ensure_dir(error) && native::write_atomically(path_for(session.id), save_session(session), error);
}

bool SessionStore::rename(const std::string& path, const std::string& title, std::string& error) const
{
    auto session = open(path, error);
    if (!session) return false;
    session->title = title;
    return native::write_atomically(path, save_session(*session), error);
}

bool SessionStore::remove(const std::string& path, std::string& error) const
{
    std::error_code code;
    if (!fs::remove(path, code) || code) {
        error = path + ": " + (code ? code.message() : std::string("no such file"));
        return false;
    }
    return true;
}

std::optional<std::string> SessionStore::import(const std::string& from, std::string& error) const
{
    auto session = open(from, error);
    if (!session) return std::nullopt;
    if (!ensure_dir(error)) return std::nullopt;
    if (session->id.empty()) session->id = "imported";
    const std::string base = session->id;
    for (int n = 2; fs::exists(path_for(session->id)); ++n) session->id = base + "-" + std::to_string(n);
    const auto path = path_for(session->id);
    if (!native::write_atomically(path, save_session(*session), error)) return std::nullopt;
    return path;
}

bool SessionStore::export_to(const std::string& path, const std::string& to, std::string& error) const
{
    const auto session = open(path, error);
    return session && native::write_atomically(to, save_session(*session), error);
}

} // namespace confab::desktop
