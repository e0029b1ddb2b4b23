// native/desktop/app.cpp
#include "native/desktop/app.h"

#include <algorithm>
#include <cstdlib>
#include <type_traits>

#include "core/json_util.h"

namespace confab::desktop {

namespace {

Session fresh_session(std::int64_t now)
{
    Session session;
    session.id = "desktop-" + std::to_string(now);
    session.created_ms = now;
    session.updated_ms = now;
    return session;
}

} // namespace

App::App(Options options, Network& network, InputQueue& queue, std::int64_t now)
    : settings_(std::move(options.settings)), config_path_(std::move(options.config_path)),
      seed_(options.seed), network_(network), queue_(queue), commands_(queue),
      store_(settings_.sessions_dir.empty() ? default_sessions_dir() : settings_.sessions_dir)
{
    if (!settings_.tools_file.empty()) {
        std::string error;
        const auto bytes = native::read_file(settings_.tools_file, error);
        auto load = bytes ? load_tools(*bytes) : ToolsLoad{{}, error};
        if (load.error) note("tools: " + settings_.tools_file + ": " + *load.error);
        else tools_.set_tools(std::move(load.tools));
    }
    rebuild(fresh_session(now), now);
}

void App::note(std::string text) { notes_.push_back(std::move(text)); }

void App::rebuild(Session session, std::int64_t now)
{
    // What is on the wire for the old engine is of no use to the new one.
    for (const auto& [request, network_id] : to_network_) {
        network_.cancel(network_id);
        stream_.cancelled(request, now);
    }
    to_network_.clear();
    from_network_.clear();
    timers_.clear();

    apply_to_session(settings_, session.settings);
    session_path_ = store_.path_for(session.id);
    // The key is read from the environment each time, and lives only in the engine's headers.
    const char* key = settings_.api_key_env.empty() ? nullptr : std::getenv(settings_.api_key_env.c_str());
    auto config = conversation_config(settings_, key != nullptr ? key : "", session_path_, seed_++);
    // The calibration learned from reported usage belongs to the model, so it outlives the session.
    TokenEstimator estimator = conversation_ ? conversation_->estimator() : TokenEstimator{};
    conversation_ = std::make_unique<Conversation>(std::move(config), std::move(session), std::move(estimator));
    for (const auto& tool : tools_.tools())
        if (auto problem = conversation_->tools().add(tool.spec)) note(*problem);
    chat_.load(conversation_->session());
    tools_.clear();
    ++revision_;
    ++views_revision_;
}

void App::settle(std::int64_t now)
{
    if (conversation_->busy()) carry_out(conversation_->handle(UserStopped{}, now), now);
}

// ---- user actions ---------------------------------------------------------------------------

void App::send(const std::string& text, std::int64_t now)
{
    if (text.empty()) return;
    if (!conversation_->busy()) chat_.turn_started();
    carry_out(conversation_->handle(UserSent{text}, now), now);
}

void App::stop(std::int64_t now) { carry_out(conversation_->handle(UserStopped{}, now), now); }

void App::retry(std::int64_t now)
{
    if (!conversation_->busy()) chat_.turn_started();
    carry_out(conversation_->handle(UserRetried{}, now), now);
}

bool App::edit_and_resend(std::size_t index, const std::string& text, std::int64_t now)
{
    const auto& messages = conversation_->session().messages;
    if (index >= messages.size() || messages[index].role != Role::user || text.empty()) return false;
    settle(now);
    rebuild(cut_before(conversation_->session(), index), now);
    send(text, now);
    return true;
}

void App::answer_tool(const std::string& call_id, bool ok, const std::string& text, std::int64_t now)
{
    tools_.answered(call_id, ok, text);
    handle(ToolFinished{call_id, ok, text}, now);
}

void App::new_session(std::int64_t now)
{
    settle(now);
    rebuild(fresh_session(now), now);
    sessions_dirty_ = true;
}

bool App::open_session(const std::string& path, std::int64_t now)
{
    std::string error;
    auto session = store_.open(path, error);
    if (!session) {
        note(error);
        return false;
    }
    settle(now);
    if (session->id.empty()) session->id = "desktop-" + std::to_string(now);
    rebuild(std::move(*session), now);
    sessions_dirty_ = true;
    return true;
}

bool App::rename_session(const std::string& path, const std::string& title, std::int64_t now)
{
    std::string error;
    sessions_dirty_ = true;
    if (path == session_path_) {
        // The open session is the engine's: renaming the file alone would be undone by its next save.
        Session session = conversation_->session();
        session.title = title;
        settle(now);
        rebuild(std::move(session), now);
        if (!store_.save(conversation_->session(), error)) {
            note(error);
            return false;
        }
        return true;
    }
    if (!store_.rename(path, title, error)) {
        note(error);
        return false;
    }
    return true;
}

bool App::delete_session(const std::string& path, std::int64_t now)
{
    std::string error;
    sessions_dirty_ = true;
    if (!store_.remove(path, error)) {
        note(error);
        return false;
    }
    if (path == session_path_) new_session(now);
    return true;
}

bool App::import_session(const std::string& from, std::int64_t now)
{
    std::string error;
    sessions_dirty_ = true;
    const auto path = store_.import(from, error);
    if (!path) {
        note(error);
        return false;
    }
    return open_session(*path, now);
}

bool App::export_session(const std::string& to)
{
    std::string error;
    if (!native::write_atomically(to, save_session(conversation_->session()), error)) {
        note(error);
        return false;
    }
    return true;
}

void App::apply_settings(const DesktopSettings& settings, std::int64_t now)
{
    const bool folder_changed = settings.sessions_dir != settings_.sessions_dir;
    settings_ = settings;
    if (folder_changed) {
        store_ = SessionStore(settings_.sessions_dir.empty() ? default_sessions_dir() : settings_.sessions_dir);
        sessions_dirty_ = true;
    }
    settle(now);
    rebuild(conversation_->session(), now);
}

bool App::save_settings_file()
{
    if (config_path_.empty()) return false;
    std::string error;
    const auto slash = config_path_.rfind('/');
    if (slash != std::string::npos) SessionStore(config_path_.substr(0, slash)).ensure_dir(error);
    if (!native::write_atomically(config_path_, save_settings(settings_), error)) {
        note(error);
        return false;
    }
    return true;
}

bool App::load_tools_file(const std::string& path, std::int64_t now)
{
    std::string error;
    const auto bytes = native::read_file(path, error);
    auto load = bytes ? load_tools(*bytes) : ToolsLoad{{}, error};
    if (load.error) {
        note("tools: " + path + ": " + *load.error);
        return false;
    }
    tools_.set_tools(std::move(load.tools));
    settings_.tools_file = path;
    settle(now);
    rebuild(conversation_->session(), now);
    return true;
}

bool App::start_replay(const std::string& path, std::size_t chunk_bytes, double bytes_per_second, std::int64_t now)
{
    std::string error;
    auto bytes = native::read_file(path, error);
    if (!bytes) {
        note(error);
        return false;
    }
    const auto slash = path.rfind('/');
    replays_.emplace_back(slash == std::string::npos ? path : path.substr(slash + 1), std::move(*bytes), chunk_bytes,
                          bytes_per_second);
    replays_.back().advance(stream_, now);
    std::erase_if(replays_, [](const StreamReplay& r) { return r.done(); });
    ++revision_;
    return true;
}

// ---- the frame --------------------------------------------------------------------------------

void App::step(std::int64_t now)
{
    for (auto& item : queue_.take()) {
        // Network reports carry the App's ids: back to the engine's, or dropped when they
        // belong to an engine that is gone.
        std::uint64_t* id = std::visit(
            [](auto& input) -> std::uint64_t* {
                using I = std::decay_t<decltype(input)>;
                if constexpr (std::is_same_v<I, HttpHead> || std::is_same_v<I, HttpBody> || std::is_same_v<I, HttpEnd> ||
                              std::is_same_v<I, HttpFailed>)
                    return &input.request;
                else return nullptr;
            },
            item.input);
        if (id != nullptr) {
            const auto found = from_network_.find(*id);
            if (found == from_network_.end()) continue;
            *id = found->second;
            if (const auto* head = std::get_if<HttpHead>(&item.input)) stream_.head(*head, now);
            else if (const auto* body = std::get_if<HttpBody>(&item.input)) stream_.body(body->request, body->bytes, now);
            else if (const auto* end = std::get_if<HttpEnd>(&item.input)) stream_.ended(end->request, now);
            else if (const auto* failed = std::get_if<HttpFailed>(&item.input)) stream_.failed(failed->request, failed->reason, now);
            if (std::holds_alternative<HttpEnd>(item.input) || std::holds_alternative<HttpFailed>(item.input)) {
                const auto request = *id;
                from_network_.erase(found);
                to_network_.erase(request);
            }
        } else if (const auto* done = std::get_if<ToolFinished>(&item.input)) {
            tools_.answered(done->call_id, done->ok, done->result);
        }
        handle(item.input, now);
    }
    for (auto it = timers_.begin(); it != timers_.end();) {
        if (it->second <= now) {
            const auto timer = it->first;
            timers_.erase(it);
            handle(TimerFired{timer}, now);
            it = timers_.begin();  // the engine may have started or cancelled timers
        } else {
            ++it;
        }
    }
    if (!replays_.empty()) {
        for (auto& replay : replays_) replay.advance(stream_, now);
        std::erase_if(replays_, [](const StreamReplay& r) { return r.done(); });
        ++revision_;
    }
}

std::optional<std::int64_t> App::next_deadline() const
{
    std::optional<std::int64_t> next;
    for (const auto& [id, when] : timers_) next = next ? std::min(*next, when) : when;
    return next;
}

void App::handle(const Input& input, std::int64_t now) { carry_out(conversation_->handle(input, now), now); }

void App::carry_out(std::vector<Effect> effects, std::int64_t now)
{
    if (effects.empty()) return;
    ++revision_;
    const bool only_growth = std::all_of(effects.begin(), effects.end(), [](const Effect& effect) {
        return std::holds_alternative<ShowDelta>(effect) || std::holds_alternative<SaveSession>(effect) ||
               std::holds_alternative<StartTimer>(effect) || std::holds_alternative<CancelTimer>(effect);
    });
    if (!only_growth) ++views_revision_;
    for (auto& effect : effects) {
        std::visit(
            [&](auto& e) {
                using E = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<E, StartRequest>) {
                    const auto network_id = next_network_id_++;
                    to_network_[e.id] = network_id;
                    from_network_[network_id] = e.id;
                    stream_.started(e, now);
                    if (!e.summary) last_request_body_ = e.body;
                    StartRequest wire = e;
                    wire.id = network_id;
                    network_.start(wire);
                } else if constexpr (std::is_same_v<E, CancelRequest>) {
                    if (const auto found = to_network_.find(e.id); found != to_network_.end()) {
                        network_.cancel(found->second);
                        from_network_.erase(found->second);
                        to_network_.erase(found);
                    }
                    stream_.cancelled(e.id, now);
                } else if constexpr (std::is_same_v<E, StartTimer>) {
                    timers_[e.id] = now + e.delay_ms;
                } else if constexpr (std::is_same_v<E, CancelTimer>) {
                    timers_.erase(e.id);
                } else if constexpr (std::is_same_v<E, RunTool>) {
                    run_tool(e, now);
                } else if constexpr (std::is_same_v<E, SaveSession>) {
                    std::string error;
                    if (!e.key.empty() && !(store_.ensure_dir(error) && native::write_atomically(e.key, e.bytes, error)))
                        note("could not save the session: " + error);
                } else if constexpr (std::is_same_v<E, ShowMessage>) {
                    tools_.apply(e, conversation_->tools());
                    chat_.apply(e);
                } else if constexpr (std::is_same_v<E, TurnFinished>) {
                    chat_.apply(e);
                    finished_.push_back(e);
                    sessions_dirty_ = true;
                } else {
                    chat_.apply(e);  // ShowDelta, ShowError
                }
            },
            effect);
    }
}

void App::run_tool(const RunTool& run, std::int64_t)
{
    tools_.apply(run);
    const auto* tool = tools_.find(run.name);
    if (tool == nullptr || tool->mode == ToolDefinition::Mode::manual) return;  // the developer answers
    if (tool->mode == ToolDefinition::Mode::scripted) {
        // Through the queue, so the engine finishes the effects it is giving out first.
        queue_.push(QueuedInput{ToolFinished{run.call_id, true, tool->answer}, {}});
        return;
    }
    tools_.running(run.call_id);
    commands_.run(run.call_id, tool->command, dump_safely(run.arguments), settings_.tool_timeout_ms);
}

// ---- views ------------------------------------------------------------------------------------

const std::vector<SessionEntry>& App::sessions()
{
    if (sessions_dirty_) {
        sessions_ = store_.list();
        sessions_dirty_ = false;
    }
    return sessions_;
}

const RequestView& App::request_view(const std::string& draft)
{
    if (!request_view_ || request_revision_ != views_revision_ || request_draft_ != draft) {
        request_view_ = make_request_view(*conversation_, draft, last_request_body_);
        request_revision_ = views_revision_;
        request_draft_ = draft;
    }
    return *request_view_;
}

const CostView& App::cost_view()
{
    if (!cost_view_ || cost_revision_ != views_revision_) {
        cost_view_ = make_cost_view(conversation_->session(), conversation_->estimator(), settings_.pricing);
        cost_revision_ = views_revision_;
    }
    return *cost_view_;
}

} // namespace confab::desktop
