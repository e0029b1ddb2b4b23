// web/bridge.cpp
// The WebAssembly side of the browser driver: plain `extern "C"` functions that take and
// give JSON text, so that JavaScript talks to the conversation engine (core/conversation.h)
// with the words of core/boundary.h: {"type": "user_sent", "text": "..."} in,
// [{"type": "start_request", "id": 3, ...}, ...] out. No embind: it would cost more than the
// whole bridge.
//
// The widget has one conversation open at a time; this file holds it. Every returned
// `const char*` points into one buffer that the next call overwrites, so JavaScript copies
// the text (UTF8ToString) before it calls again, and the large texts that go beside it (see
// blobs_). Strings in are UTF-8, NUL-terminated; a session file and the body of a response go
// in as bytes with their length, untouched.
//
// Deliberately not done here: any I/O, timers or DOM (web/*.js), and decisions (the core's).
// Titles are the one thing this file decides about a session: a new session is named after its
// first message.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/conversation.h"
#include "core/json_util.h"
#include "core/session.h"
#include "core/session_merge.h"

namespace {

using nlohmann::json;
using namespace confab;

std::string reply_;  // what the last call returned

// The large texts of the last call's effects (a session file, a request body), handed over
// beside the JSON rather than inside it: escaped into it, a 6 MB session was escaped again,
// copied out as text a character at a time and parsed again by the page, at every save.
// An effect names its text by index ("blob"); JavaScript copies the bytes out with
// confab_blob / confab_blob_size before it calls again.
std::vector<std::string> blobs_;

json blob(std::string bytes)
{
    blobs_.push_back(std::move(bytes));
    return blobs_.size() - 1;
}

const char* give(const json& value)
{
    reply_ = dump_safely(value);
    return reply_.c_str();
}

// The conversation and what it was opened with, so that it can be opened again (a session
// that another tab changed) with the same configuration and tools.
struct Open {
    ConversationConfig config;
    std::vector<ToolSpec> tools;
    std::unique_ptr<Conversation> conversation;
};
Open open_;

// What a list of sessions shows of one (web/store.js's Entry).
json summary_json(const std::string& id, const std::string& title, std::int64_t created_ms, std::int64_t updated_ms,
                  std::size_t count)
{
    return {{"id", id}, {"title", title}, {"created_ms", created_ms}, {"updated_ms", updated_ms}, {"count", count}};
}

json cost_json(const Cost& cost)
{
    return {{"per_token", cost.per_token}, {"per_request", cost.per_request}, {"charged", cost.charged}};
}

// An effect as JSON; its large texts move to blobs_.
json effect_json(Effect& effect)
{
    return std::visit(
        [](auto& e) -> json {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, StartRequest>) {
                json headers = json::array();
                for (const auto& [name, value] : e.headers) headers.push_back({name, value});
                return {{"type", "start_request"}, {"id", e.id}, {"url", e.url}, {"headers", headers},
                        {"body_blob", blob(std::move(e.body))}, {"summary", e.summary}};
            } else if constexpr (std::is_same_v<E, CancelRequest>) {
                return {{"type", "cancel_request"}, {"id", e.id}};
            } else if constexpr (std::is_same_v<E, StartTimer>) {
                return {{"type", "start_timer"}, {"id", e.id}, {"delay_ms", e.delay_ms}};
            } else if constexpr (std::is_same_v<E, CancelTimer>) {
                return {{"type", "cancel_timer"}, {"id", e.id}};
            } else if constexpr (std::is_same_v<E, RunTool>) {
                return {{"type", "run_tool"}, {"call_id", e.call_id}, {"name", e.name}, {"arguments", e.arguments}};
            } else if constexpr (std::is_same_v<E, SaveSession>) {
                return {{"type", "save_session"}, {"key", e.key}, {"blob", blob(std::move(e.bytes))},
                        {"summary", summary_json(e.id, e.title, e.created_ms, e.updated_ms, e.message_ids.size())},
                        {"ids", e.message_ids}};
            } else if constexpr (std::is_same_v<E, ShowMessage>) {
                return {{"type", "show_message"}, {"index", e.index}, {"message", message_to_json(e.message)}};
            } else if constexpr (std::is_same_v<E, ShowDelta>) {
                json delta = {{"kind", to_string(e.delta.kind)}, {"text", e.delta.text}};
                if (e.delta.tool_index >= 0) delta["tool_index"] = e.delta.tool_index;
                if (!e.delta.tool_id.empty()) delta["tool_id"] = e.delta.tool_id;
                if (!e.delta.tool_name.empty()) delta["tool_name"] = e.delta.tool_name;
                return {{"type", "show_delta"}, {"index", e.index}, {"delta", delta}};
            } else if constexpr (std::is_same_v<E, ShowError>) {
                return {{"type", "show_error"}, {"text", e.text}, {"can_retry", e.can_retry}};
            } else {
                static_assert(std::is_same_v<E, TurnFinished>);
                return {{"type", "turn_finished"}, {"status", to_string(e.status)}, {"reason", e.reason},
                        {"cost", cost_json(e.cost)},
                        {"tokens", {{"input", e.tokens.input}, {"cached_input", e.tokens.cached_input},
                                    {"output", e.tokens.output}, {"estimated", e.tokens.estimated}}}};
            }
        },
        effect);
}

const char* give_effects(std::vector<Effect> effects)
{
    blobs_.clear();
    json out = json::array();
    for (auto& effect : effects) {
        out.push_back(effect_json(effect));
        // The session's running total rides on the turn's end, for the footer under the reply.
        if (std::holds_alternative<TurnFinished>(effect) && open_.conversation)
            out.back()["session_cost"] = cost_json(open_.conversation->session_cost());
    }
    return give(out);
}

std::int64_t as_ms(double now) { return std::isfinite(now) ? std::int64_t(now) : 0; }

// Reads the widget's configuration ({"session_key", "message_id_prefix", "seed", "headers":
// [[name, value]], "tool_timeout_ms", ..., "pricing": {...}}); what is absent keeps the core's default.
ConversationConfig config_from(const json& in)
{
    ConversationConfig config;
    config.session_key = get_string(in, "session_key").value_or("");
    config.message_id_prefix = get_string(in, "message_id_prefix").value_or("m");
    if (const auto seed = get_number(in, "seed")) config.seed = std::uint64_t(std::fabs(*seed));
    if (const auto* headers = find_member(in, "headers"); headers && headers->is_array())
        for (const auto& pair : *headers)
            if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
                config.headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    if (const auto v = get_int(in, "tool_timeout_ms")) config.tool_timeout_ms = *v;
    if (const auto v = get_int(in, "first_byte_timeout_ms")) config.first_byte_timeout_ms = *v;
    if (const auto v = get_int(in, "idle_timeout_ms")) config.idle_timeout_ms = *v;
    if (const auto v = get_int(in, "max_attempts")) config.retry.max_attempts = int(*v);
    if (const auto v = get_int(in, "max_tool_rounds")) config.max_tool_rounds = int(*v);
    if (const auto v = get_number(in, "session_cap_usd")) config.session_cap_usd = *v;
    if (const auto v = get_number(in, "daily_cap_usd")) config.daily_cap_usd = *v;
    if (const auto* pricing = find_member(in, "pricing")) {
        config.pricing.input_per_million = get_number(*pricing, "input_per_million").value_or(0);
        config.pricing.cached_input_per_million = get_number(*pricing, "cached_input_per_million").value_or(0);
        config.pricing.output_per_million = get_number(*pricing, "output_per_million").value_or(0);
        config.pricing.per_request = get_number(*pricing, "per_request").value_or(0);
        config.pricing.per_request_billing = get_bool(*pricing, "per_request_billing").value_or(false);
    }
    return config;
}

// Opens `session` with the stored configuration and tools. Tools the registry refuses are
// reported in `problems`.
void reopen(Session session, json& problems)
{
    // What reported usage taught the estimator belongs to the model, not the session: keep it.
    TokenEstimator estimator = open_.conversation ? open_.conversation->estimator() : TokenEstimator{};
    open_.conversation = std::make_unique<Conversation>(open_.config, std::move(session), std::move(estimator));
    for (const auto& tool : open_.tools)
        if (auto problem = open_.conversation->tools().add(tool)) problems.push_back(*problem);
}

// An open under way: its request, and the file, loaded a step at a time.
struct Opening {
    json request;
    SessionLoader loader;
};
std::optional<Opening> opening_;

// A count from JavaScript, where numbers are doubles: NaN and less than 1 are 0, and 1e15 or
// more (Infinity) is no limit.
std::size_t as_size(double value)
{
    if (!(value >= 1)) return 0;
    if (value >= 1e15) return std::numeric_limits<std::size_t>::max();
    return std::size_t(value);
}

// Checks under way a step at a time (confab_check), by number: a page may check more than one
// file at once (two imports), and one left unfinished costs only its memory.
std::map<int, SessionLoader> checks_;
int next_check_ = 1;

// confab_check's answer for a load.
json check_answer(const SessionLoad& loaded)
{
    if (loaded.error) return {{"ok", false}, {"error", loaded.error->text()}};
    const Session& session = *loaded.session;
    json ids = json::array();
    for (const Message& message : session.messages) ids.push_back(message.id);
    return {{"ok", true},
            {"summary", summary_json(session.id, session.title, session.created_ms, session.updated_ms,
                                     session.messages.size())},
            {"ids", std::move(ids)}};
}

// Opens the conversation on `session`, with `in`'s settings laid over the stored ones, and
// its configuration and tools: {"ok": true, "id", "count": messages, "ids": [each message's
// id], "problems": [tools the registry refused]}. Not the messages: the page asks for those
// it draws (confab_messages); writing a 6 MB session out for the page to parse cost more than
// loading it.
json finish_open(Session session, const json& in)
{
    if (const auto* settings = find_member(in, "settings")) {
        auto& s = session.settings;
        if (auto v = get_string(*settings, "endpoint")) s.endpoint = *v;
        if (auto v = get_string(*settings, "model")) s.model = *v;
        if (auto v = get_string(*settings, "system_prompt"); v && !v->empty()) s.system_prompt = *v;
        if (auto v = get_number(*settings, "temperature")) s.temperature = *v;
        if (auto v = get_int(*settings, "max_tokens")) s.max_tokens = *v;
        if (auto v = get_int(*settings, "context_window")) s.context_window = *v;
        if (auto v = get_int(*settings, "reserved_output")) s.reserved_output = *v;
    }
    const json* config = find_member(in, "config");
    open_.config = config_from(config ? *config : json::object());
    open_.tools.clear();
    if (const auto* tools = find_member(in, "tools"); tools && tools->is_array()) {
        for (const auto& entry : *tools) open_.tools.push_back(tool_spec_from_json(entry));
    }
    json ids = json::array();
    for (const Message& message : session.messages) ids.push_back(message.id);
    const std::string id = session.id;
    const std::size_t count = session.messages.size();
    json problems = json::array();
    reopen(std::move(session), problems);
    return {{"ok", true}, {"id", id}, {"count", count}, {"ids", std::move(ids)}, {"problems", std::move(problems)}};
}

// One step of the open under way; when its load is done, the open's answer (and no open is
// under way any more).
json step_open(std::size_t step_bytes)
{
    if (!opening_->loader.step(step_bytes)) return {{"ok", true}, {"more", true}};
    Opening opening = std::move(*opening_);
    opening_.reset();
    SessionLoad loaded = opening.loader.take();
    if (loaded.error) return {{"ok", false}, {"error", loaded.error->text()}};
    return finish_open(std::move(*loaded.session), opening.request);
}

} // namespace

extern "C" {

// Opens a conversation on the session file of `length` bytes at `bytes` (length -1: a new
// session). `request`: {"id", "created_ms" (for a new one), "settings": {"endpoint", "model",
// "system_prompt", "temperature", "max_tokens", "context_window", ...} laid over the stored
// ones, "config": see config_from, "tools": [{"name", "description", "parameters"}],
// "in_steps": true to load the file a step at a time (see confab_open_step)}.
// Returns what finish_open returns, {"ok": false, "error": "..."} (a stored file that cannot
// be read, in the words of core/session.h), or, in steps, {"ok": true, "more": true}. The file
// comes in as bytes beside the JSON: inside it, a 6 MB session was escaped, copied a
// character at a time and parsed twice more on the way in.
EMSCRIPTEN_KEEPALIVE const char* confab_open(const char* request, const char* bytes, int length, double step_bytes)
{
    blobs_.clear();
    opening_.reset();
    json in = parse_json(request);
    if (bytes == nullptr || length < 0) {
        Session session;
        session.id = get_string(in, "id").value_or("");
        session.created_ms = get_int(in, "created_ms").value_or(0);
        session.updated_ms = session.created_ms;
        return give(finish_open(std::move(session), in));
    }
    const bool in_steps = get_bool(in, "in_steps").value_or(false);
    opening_.emplace(Opening{std::move(in), SessionLoader(std::string(bytes, std::size_t(length)))});
    json answer = step_open(in_steps ? as_size(step_bytes) : std::numeric_limits<std::size_t>::max());
    while (!in_steps && answer.contains("more")) answer = step_open(std::numeric_limits<std::size_t>::max());
    return give(answer);
}

// The next step of an open begun with "in_steps": about `step_bytes` of the file's messages
// are read. The same answers as confab_open; {"ok": false, "superseded": true} when no open is
// under way (another confab_open began since: the newer one wins).
EMSCRIPTEN_KEEPALIVE const char* confab_open_step(double step_bytes)
{
    blobs_.clear();
    if (!opening_) return give({{"ok", false}, {"superseded", true}});
    return give(step_open(as_size(step_bytes)));
}

// Messages [from, to) of the open session, in their stored shape (core/session.h), clamped
// to those there are, and how many it has: {"messages": [...], "count"}. The page asks for the
// ones it draws; opening a long session gives it none, only their ids.
EMSCRIPTEN_KEEPALIVE const char* confab_messages(double from, double to)
{
    json messages = json::array();
    std::size_t count = 0;
    if (open_.conversation) {
        const auto& all = open_.conversation->session().messages;
        count = all.size();
        for (std::size_t i = std::min(as_size(from), count); i < std::min(as_size(to), count); ++i)
            messages.push_back(message_to_json(all[i]));
    }
    return give({{"messages", std::move(messages)}, {"count", count}});
}

// Writes about `step_bytes` more of the open session's file that its writer has not written yet
// (Conversation::prime_session_file), so the first save after opening a long session is
// cheap; the page calls it while idle. 1 once all is written (or nothing is open), else 0.
EMSCRIPTEN_KEEPALIVE int confab_prime(double step_bytes)
{
    return !open_.conversation || open_.conversation->prime_session_file(as_size(step_bytes));
}

// Reports one input other than body bytes: {"type": "user_sent", "text"}, "user_stopped",
// "user_retried", {"type": "http_head", "request", "status", "content_type", "retry_after"},
// {"type": "http_end", "request"}, {"type": "http_failed", "request", "reason"},
// {"type": "tool_finished", "call_id", "ok", "result"}, {"type": "timer_fired", "timer"}.
// Returns the effects, in order, as a JSON array.
EMSCRIPTEN_KEEPALIVE const char* confab_handle(const char* input, double now_ms)
{
    if (!open_.conversation) return give(json::array());
    const json in = parse_json(input);
    const auto type = get_string(in, "type").value_or("");
    const auto request = std::uint64_t(get_int(in, "request").value_or(0));
    const auto now = as_ms(now_ms);
    auto& conversation = *open_.conversation;
    if (type == "user_sent") {
        const auto text = get_string(in, "text").value_or("");
        std::vector<Effect> effects;
        if (conversation.session().title.empty() && !conversation.busy()) {
            // A new session is named after its first words, cut at a character boundary.
            std::size_t end = 0, chars = 0;
            while (end < text.size() && chars < 48) {
                ++end;
                while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
                ++chars;
            }
            std::string title = text.substr(0, end);
            for (auto& c : title)
                if (c == '\n' || c == '\r' || c == '\t') c = ' ';
            effects = conversation.handle(UserRenamed{std::move(title)}, now);
        }
        for (auto& effect : conversation.handle(UserSent{text}, now)) effects.push_back(std::move(effect));
        return give_effects(std::move(effects));
    }
    if (type == "user_renamed") return give_effects(conversation.handle(UserRenamed{get_string(in, "title").value_or("")}, now));
    if (type == "user_stopped") return give_effects(conversation.handle(UserStopped{}, now));
    if (type == "user_retried") return give_effects(conversation.handle(UserRetried{}, now));
    if (type == "http_head") {
        HttpHead head;
        head.request = request;
        head.status = int(get_int(in, "status").value_or(0));
        head.content_type = get_string(in, "content_type").value_or("");
        head.retry_after = get_string(in, "retry_after").value_or("");
        return give_effects(conversation.handle(head, now));
    }
    if (type == "http_end") return give_effects(conversation.handle(HttpEnd{request}, now));
    if (type == "http_failed")
        return give_effects(conversation.handle(HttpFailed{request, get_string(in, "reason").value_or("failed")}, now));
    if (type == "tool_finished") {
        ToolFinished done;
        done.call_id = get_string(in, "call_id").value_or("");
        done.ok = get_bool(in, "ok").value_or(false);
        done.result = get_string(in, "result").value_or("");
        return give_effects(conversation.handle(done, now));
    }
    if (type == "timer_fired")
        return give_effects(conversation.handle(TimerFired{std::uint64_t(get_int(in, "timer").value_or(0))}, now));
    return give(json::array());
}

// Reports bytes of a response body: `length` bytes at `bytes`, exactly as they arrived.
EMSCRIPTEN_KEEPALIVE const char* confab_body(double request, const char* bytes, int length, double now_ms)
{
    if (!open_.conversation || length < 0) return give(json::array());
    const HttpBody body{std::uint64_t(request), std::string_view(bytes, std::size_t(length))};
    return give_effects(open_.conversation->handle(body, as_ms(now_ms)));
}

// The open session as stored, with whether a turn is under way: {"session_blob" (see
// confab_open), "busy"}.
EMSCRIPTEN_KEEPALIVE const char* confab_session()
{
    blobs_.clear();
    if (!open_.conversation) return give(nullptr);
    return give({{"session_blob", blob(open_.conversation->session_file())}, {"busy", open_.conversation->busy()}});
}

// The next step of check `check` (see confab_check): its answer, or {"ok": false, "superseded":
// true} for a check that is not under way.
EMSCRIPTEN_KEEPALIVE const char* confab_check_step(int check, double step_bytes)
{
    const auto under_way = checks_.find(check);
    if (under_way == checks_.end()) return give({{"ok", false}, {"superseded", true}});
    if (!under_way->second.step(as_size(step_bytes)))  // one message a step at least
        return give({{"ok", true}, {"more", true}, {"check", check}});
    const SessionLoad loaded = under_way->second.take();
    checks_.erase(under_way);
    return give(check_answer(loaded));
}

// Reads a session file of `length` bytes at `bytes` without opening it (the session list, an
// import): what a list shows of it, {"ok": true, "summary": {"id", "title", "created_ms",
// "updated_ms", "count"}, "ids": [each message's id]}, or {"ok": false, "error": "messages[3].role:
// unknown role \"robot\""}. Not the whole session: the list reads every changed file, and writing
// a long session out again as JSON for the page to parse cost more than loading it.
// With `step_bytes` (less than 1e15), in steps as confab_open reads (a 5.9 MB import was checked
// in one task of 230 ms): the first step's answer may be {"ok": true, "more": true, "check": n},
// and confab_check_step(n, step_bytes) goes on with it.
EMSCRIPTEN_KEEPALIVE const char* confab_check(const char* bytes, int length, double step_bytes)
{
    const std::string_view file(bytes, std::size_t(std::max(length, 0)));
    if (as_size(step_bytes) == std::numeric_limits<std::size_t>::max()) return give(check_answer(load_session(file)));
    const int check = next_check_++;
    checks_.emplace(check, SessionLoader(std::string(file)));
    return confab_check_step(check, step_bytes);
}

// Combines this tab's copy of a session, the `ours_length` bytes at `ours`, with the stored
// one, which another tab may have changed (the rule of core/session_merge.h): `request` is
// {"known": [message ids this tab's saves held]}. {"ok": true, "same": true} when the bytes to
// write are `ours` itself (the stored copy adds nothing, or does not load), else {"ok": true,
// "blob": the bytes to write, "summary": what the list shows of them, as confab_check's}. The
// files cross as bytes, not as JSON strings escaped and parsed both ways.
EMSCRIPTEN_KEEPALIVE const char* confab_merge(const char* request, const char* ours, int ours_length, const char* stored,
                                              int stored_length)
{
    blobs_.clear();
    const json in = parse_json(request);
    std::vector<std::string> known;
    if (const auto* ids = find_member(in, "known"); ids && ids->is_array())
        for (const auto& id : *ids)
            if (id.is_string()) known.push_back(id.get<std::string>());
    MergedFile merged = merge_session_file(std::string_view(ours, std::size_t(std::max(ours_length, 0))),
                                           std::string_view(stored, std::size_t(std::max(stored_length, 0))), known);
    if (!merged.head) return give({{"ok", true}, {"same", true}});
    const Session& head = *merged.head;
    return give({{"ok", true}, {"blob", blob(std::move(merged.bytes))},
                 {"summary", summary_json(head.id, head.title, head.created_ms, head.updated_ms, merged.message_count)}});
}

// Gives the session in the file of `length` bytes at `bytes` another title or id (`request`:
// {"title"?, "now" (when it is renamed), "id"?}) without reading its messages (edit_session_head): a session not open (the
// open one is renamed with {"type": "user_renamed"}), or an import that must not replace a
// session already there. {"ok": true, "blob": the new file, "summary": as confab_check's} or,
// for a file that does not load, {"ok": false, "error"}.
EMSCRIPTEN_KEEPALIVE const char* confab_rewrite(const char* request, const char* bytes, int length)
{
    blobs_.clear();
    const json in = parse_json(request);
    const auto title = get_string(in, "title");
    const auto now = get_int(in, "now").value_or(0);
    const auto id = get_string(in, "id");
    auto edited = edit_session_head(std::string_view(bytes, std::size_t(std::max(length, 0))), [&](Session& session) {
        if (title) {
            session.title = *title;
            session.titled_ms = now;
        }
        if (id) session.id = *id;
    });
    if (edited.error) return give({{"ok", false}, {"error", edited.error->text()}});
    const Session& head = edited.head;
    return give({{"ok", true}, {"blob", blob(std::move(edited.bytes))},
                 {"summary", summary_json(head.id, head.title, head.created_ms, head.updated_ms, edited.message_count)}});
}

// The last call's large texts (see blobs_): where text `index` begins, and its length in bytes.
EMSCRIPTEN_KEEPALIVE const char* confab_blob(int index)
{
    return index >= 0 && std::size_t(index) < blobs_.size() ? blobs_[std::size_t(index)].data() : nullptr;
}
EMSCRIPTEN_KEEPALIVE int confab_blob_size(int index)
{
    return index >= 0 && std::size_t(index) < blobs_.size() ? int(blobs_[std::size_t(index)].size()) : 0;
}

} // extern "C"
