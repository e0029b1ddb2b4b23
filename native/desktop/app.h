// native/desktop/app.h
// The harness without its drawing: one Conversation (the engine) and the driver around it.
// User actions and queued events go in, the engine decides, and the App carries out each
// effect: requests go to the Network (a worker thread in the app, a fake in tests), timers
// are kept here against the clock the caller passes in, tool calls are answered by a
// scripted text, a command, or the developer, sessions are written to the sessions folder
// atomically, and the display effects update the view models the windows draw.
//
// Implements: StartRequest, CancelRequest, StartTimer, CancelTimer, RunTool, SaveSession,
// ShowMessage, ShowDelta, ShowError, TurnFinished.
//
// The engine is called from the UI thread only (App's methods). Opening another session,
// editing history or changing settings builds a new engine for the session; requests of the
// old one still on the wire are cancelled, and anything they still report is ignored (the
// App gives every request its own network id, so the new engine's ids never meet them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/conversation.h"
#include "native/desktop/chat_view.h"
#include "native/desktop/command_runner.h"
#include "native/desktop/cost_view.h"
#include "native/desktop/input_queue.h"
#include "native/desktop/request_view.h"
#include "native/desktop/session_store.h"
#include "native/desktop/settings.h"
#include "native/desktop/stream_log.h"
#include "native/desktop/tools_view.h"

namespace confab::desktop {

class App {
public:
    struct Options {
        DesktopSettings settings;
        std::string config_path;   // where Settings are saved; "" = never
        std::uint64_t seed = 1;    // retry jitter and message ids
    };

    App(Options options, Network& network, InputQueue& queue, std::int64_t now);

    // ---- user actions -----------------------------------------------------------------------
    void send(const std::string& text, std::int64_t now);
    void stop(std::int64_t now);
    void retry(std::int64_t now);
    // Cuts the session before message `index` (a user message) and sends `text` in its place.
    bool edit_and_resend(std::size_t index, const std::string& text, std::int64_t now);
    void answer_tool(const std::string& call_id, bool ok, const std::string& text, std::int64_t now);

    void new_session(std::int64_t now);
    bool open_session(const std::string& path, std::int64_t now);  // a file anywhere; saved into the folder
    bool rename_session(const std::string& path, const std::string& title, std::int64_t now);
    bool delete_session(const std::string& path, std::int64_t now);
    bool import_session(const std::string& from, std::int64_t now);
    bool export_session(const std::string& to);  // the current session

    // Applies settings to the engine (a new engine for the same session) and the session.
    void apply_settings(const DesktopSettings& settings, std::int64_t now);
    bool save_settings_file();
    bool load_tools_file(const std::string& path, std::int64_t now);
    bool start_replay(const std::string& path, std::size_t chunk_bytes, double bytes_per_second, std::int64_t now);

    // ---- the frame ----------------------------------------------------------------------------
    // Reports what the queue holds, fires due timers, feeds due replay bytes. Call once a frame.
    void step(std::int64_t now);
    // When step() next has something to do by the clock (a timer, a replay), if anything.
    std::optional<std::int64_t> next_deadline() const;

    // ---- what the windows show ----------------------------------------------------------------
    const Conversation& conversation() const { return *conversation_; }
    const ChatView& chat() const { return chat_; }
    const StreamLog& stream() const { return stream_; }
    const ToolsView& tools() const { return tools_; }
    const SessionStore& store() const { return store_; }
    const DesktopSettings& settings() const { return settings_; }
    const std::vector<SessionEntry>& sessions();          // re-read after changes to the list
    const RequestView& request_view(const std::string& draft);  // recomputed when something changed
    const CostView& cost_view();
    const std::vector<TurnFinished>& finished_turns() const { return finished_; }
    const std::string& last_request_body() const { return last_request_body_; }
    const std::string& session_path() const { return session_path_; }
    bool busy() const { return conversation_->busy() || !replays_.empty(); }
    bool replaying() const { return !replays_.empty(); }
    // Things the developer should know that are not the engine's (a file that did not save).
    const std::vector<std::string>& notes() const { return notes_; }
    std::uint64_t revision() const { return revision_; }

private:
    void rebuild(Session session, std::int64_t now);
    void handle(const Input& input, std::int64_t now);
    void carry_out(std::vector<Effect> effects, std::int64_t now);
    void run_tool(const RunTool& run, std::int64_t now);
    void note(std::string text);
    void settle(std::int64_t now);  // stops a running turn before the engine is replaced

    DesktopSettings settings_;
    std::string config_path_;
    std::uint64_t seed_;
    Network& network_;
    InputQueue& queue_;
    CommandRunner commands_;
    SessionStore store_;

    std::unique_ptr<Conversation> conversation_;
    std::string session_path_;
    ChatView chat_;
    StreamLog stream_;
    ToolsView tools_;
    std::vector<StreamReplay> replays_;

    // Network ids are the App's own: engine request id -> network id, for this engine only.
    std::map<std::uint64_t, std::uint64_t> to_network_;
    std::map<std::uint64_t, std::uint64_t> from_network_;
    std::uint64_t next_network_id_ = 1;
    std::map<std::uint64_t, std::int64_t> timers_;  // engine timer id -> when it fires

    std::vector<TurnFinished> finished_;
    std::string last_request_body_;
    std::vector<std::string> notes_;

    std::uint64_t revision_ = 1;
    // Bumped by every change but the pieces of a streaming reply: the Request and Cost views
    // plan the whole session (10,000 messages take a while), so they are recomputed when a
    // message appears or is finished, not 60 times a second while one grows.
    std::uint64_t views_revision_ = 1;
    std::vector<SessionEntry> sessions_;
    bool sessions_dirty_ = true;  // the list is read again after list changes and finished turns
    std::optional<RequestView> request_view_;
    std::uint64_t request_revision_ = 0;
    std::string request_draft_;
    std::optional<CostView> cost_view_;
    std::uint64_t cost_revision_ = 0;
};

} // namespace confab::desktop
