// tests/fuzz/conversation_fuzzer.cpp
// libFuzzer target for the conversation engine (core/conversation.h): a driver, a network, a
// provider and a user that do anything in any order. The input is a program: each step is an
// event (the user sends, stops, retries or renames; a response's head, bytes, end or failure,
// for the request in flight or an old one; a tool finishing; a timer firing; time passing),
// its bytes drawn from the input, the provider's bytes either raw or pieces of a real stream
// (content, reasoning, tool calls, finish reasons, usage, errors). The first byte picks the
// settings: a small context window (so turns are dropped), summaries, a budget cap.
//
// Besides "no crash, no leak, no undefined behaviour, no exception, no hang" it checks what the
// engine promises a driver:
// - every saved file loads, and holds every message the last one held, except an incomplete
//   reply that a retry replaced: nothing stored is ever lost;
// - a turn ends exactly once: the event after which the engine is idle again finishes it
//   (TurnFinished), an event that leaves it busy finishes nothing, and an event that finds it
//   idle finishes at most the turn it began (one refused before anything was sent);
// - every request it starts is a JSON object with messages, no request is refused for a tool
//   round the engine stored broken (a call without an id or a name, a result without its call),
//   and every effect names things that exist: a message shown is in the session, a tool run is a registered tool with an
//   object of arguments, a request cancelled or a timer cancelled was started;
// - however the program ends, a driver that answers what is open (fails each request, finishes
//   each tool, fires each timer) brings the turn to its end within a bounded number of events;
// - the same program gives the same effects.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/conversation.h"
#include "core/json_util.h"
#include "core/session.h"

namespace {

using namespace confab;

void require(bool promise)
{
    if (!promise) std::abort();
}

// Pieces of a real stream, so that the program reaches tool rounds, usage and finishes.
const char* const pieces[] = {
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello **there**\\n\\n\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"thinking\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
    "\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
    "\"{\\\"id\\\":\\\"NW-1\\\"}\"}}]}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\",\"type\":\"function\","
    "\"function\":{\"name\":\"now\",\"arguments\":\"{}\"}}]}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":2,\"id\":\"call_3\",\"type\":\"function\","
    "\"function\":{\"name\":\"rm_rf\",\"arguments\":\"{nope\"}}]}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":3,\"type\":\"function\","
    "\"function\":{\"arguments\":\"{}\"}}]}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":9,\"total_tokens\":129}}\n\n",
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9223372036854775807,\"completion_tokens\":-4,"
    "\"prompt_tokens_details\":{\"cached_tokens\":9223372036854775807}}}\n\n",
    "data: [DONE]\n\n",
    "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
    "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Summary of the turns.\"},"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":5}}",
    "{\"error\":{\"message\":\"Invalid 'messages'\",\"type\":\"invalid_request_error\"}}",
    "<html><body>502 Bad Gateway</body></html>",
};
const int statuses[] = {200, 200, 200, 200, 400, 401, 404, 408, 413, 429, 500, 502, 503, 302, 0, 999};
const char* const types[] = {"text/event-stream", "application/json", "text/html", ""};
const char* const retry_afters[] = {"", "", "1", "0", "abc", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999", "-5"};

class Program {
public:
    Program(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const { return at_ >= size_; }
    std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    std::string bytes(std::size_t most)
    {
        const std::size_t n = std::min<std::size_t>(byte() % (most + 1), size_ - at_);
        std::string out(reinterpret_cast<const char*>(data_ + at_), n);
        at_ += n;
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// A driver that keeps what is open and checks each answer the engine gives.
struct Driver {
    Conversation conversation;
    std::int64_t now = 1'700'000'000'000;
    std::uint64_t request = 0;                  // the last request started
    std::uint64_t old_request = 0;              // the one before it
    std::set<std::uint64_t> started;
    std::set<std::uint64_t> headed, closed;     // requests whose head came; that ended, failed or were cancelled
    std::map<std::uint64_t, std::int64_t> timers;  // id -> when it fires
    std::vector<std::string> tools;             // call ids of RunTool not yet finished (a tool
                                                // goes on after a turn ends, and says so)
    std::vector<std::string> stored;            // message ids of the last save, in order
    std::map<std::string, bool> incomplete;     // ...and whether each was an incomplete reply
    std::string transcript;                     // every effect, for the determinism check
    // CONFAB_FUZZ_TRACE=1 prints each event and effect to stderr (to read a crashing input).
    bool trace = std::getenv("CONFAB_FUZZ_TRACE") != nullptr;

    Driver(ConversationConfig config, Session session) : conversation(std::move(config), std::move(session))
    {
        ToolSpec lookup{"lookup", "Looks up an order", nlohmann::json::parse(
            R"({"type":"object","properties":{"id":{"type":"string","minLength":1}},"required":["id"]})"), {}};
        ToolSpec clock{"now", "The time", nullptr, {}};
        require(!conversation.tools().add(lookup) && !conversation.tools().add(clock));
    }

    void handle(const Input& input)
    {
        if (trace) {
            static const char* const names[] = {"user_sent", "user_stopped", "user_retried", "user_renamed", "http_head",
                                                "http_body", "http_end", "http_failed", "tool_finished", "timer_fired"};
            std::fprintf(stderr, "in   %s\n", names[input.index()]);
        }
        std::size_t before = transcript.size();
        const bool was_busy = conversation.busy();
        int finished = 0;
        for (const Effect& effect : conversation.handle(input, now)) {
            std::visit([&](const auto& e) { check(e, finished); }, effect);
            if (trace) std::fprintf(stderr, "out  %s", transcript.substr(before).c_str());
            before = transcript.size();
        }
        const bool busy = conversation.busy();
        if (was_busy && !busy) require(finished == 1);
        if (busy) require(finished == 0);
        if (!was_busy && !busy) require(finished <= 1);
    }

    // What a transport reports, and only what it can: a head once, then bytes, then the end;
    // or a failure at any time; nothing after either, or after a cancel.
    void head(std::uint64_t id, int status, const char* type, const char* retry_after)
    {
        if (id == 0 || headed.contains(id) || closed.contains(id)) return;
        headed.insert(id);
        handle(HttpHead{id, status, type, retry_after});
    }
    void body(std::uint64_t id, std::string_view bytes)
    {
        if (headed.contains(id) && !closed.contains(id)) handle(HttpBody{id, bytes});
    }
    void end(std::uint64_t id)
    {
        if (!headed.contains(id) || closed.contains(id)) return;
        closed.insert(id);
        handle(HttpEnd{id});
    }
    void fail(std::uint64_t id, std::string reason)
    {
        if (id == 0 || closed.contains(id)) return;
        closed.insert(id);
        handle(HttpFailed{id, std::move(reason)});
    }

    void check(const StartRequest& e, int&)
    {
        require(e.id != 0 && !started.contains(e.id));
        started.insert(e.id);
        const auto body = parse_json(e.body);
        require(body.is_object() && body.contains("messages") && body.at("messages").is_array());
        old_request = request;
        request = e.id;
        transcript += "start_request " + std::to_string(e.id) + " " + e.body + "\n";
    }
    void check(const CancelRequest& e, int&)
    {
        require(started.contains(e.id));
        closed.insert(e.id);
        transcript += "cancel_request " + std::to_string(e.id) + "\n";
    }
    void check(const StartTimer& e, int&)
    {
        require(e.delay_ms >= 0 && !timers.contains(e.id));
        timers[e.id] = now + e.delay_ms;
        transcript += "start_timer " + std::to_string(e.id) + " " + std::to_string(e.delay_ms) + "\n";
    }
    void check(const CancelTimer& e, int&)
    {
        timers.erase(e.id);
        transcript += "cancel_timer " + std::to_string(e.id) + "\n";
    }
    void check(const RunTool& e, int&)
    {
        require((e.name == "lookup" || e.name == "now") && e.arguments.is_object());
        require(std::find(tools.begin(), tools.end(), e.call_id) == tools.end());
        tools.push_back(e.call_id);
        transcript += "run_tool " + e.call_id + " " + e.name + " " + dump_safely(e.arguments) + "\n";
    }
    void check(const SaveSession& e, int&)
    {
        const SessionLoad load = load_session(e.bytes);
        require(load.session.has_value());
        std::set<std::string> now_held;
        for (const auto& message : load.session->messages) now_held.insert(message.id);
        require(now_held.size() == e.message_ids.size());
        for (const auto& id : e.message_ids) require(now_held.contains(id));
        // Nothing stored is lost; only an incomplete reply may go (a retry replaces it).
        for (const auto& id : stored) require(now_held.contains(id) || incomplete.at(id));
        stored.clear();
        incomplete.clear();
        for (const auto& message : load.session->messages) {
            stored.push_back(message.id);
            incomplete[message.id] = message.role == Role::assistant && message.incomplete;
        }
        transcript += "save_session " + e.bytes + "\n";
    }
    void check(const ShowMessage& e, int&)
    {
        require(e.index < conversation.session().messages.size());
        transcript += "show_message " + std::to_string(e.index) + "\n";
    }
    void check(const ShowDelta& e, int&)
    {
        require(e.index < conversation.session().messages.size());
        transcript += "show_delta " + std::to_string(e.index) + "\n";
    }
    void check(const ShowError& e, int&)
    {
        require(!e.text.empty());
        // The request builder refuses a conversation that breaks OpenAI's rules for tool rounds
        // (core/request_builder.cpp): the engine never stores one, whatever the provider sent.
        // Its words: "message 2 (assistant): tool call 0 has no id", "message 3 (tool): tool_call_id ...".
        for (const char* broken : {"(assistant): tool call", "(tool): tool_call_id"})
            require(e.text.find(broken) == std::string::npos);
        transcript += "show_error " + e.text + "\n";
    }
    void check(const TurnFinished& e, int& finished)
    {
        ++finished;
        // Whatever usage a provider reports, a turn costs something finite and not below zero.
        require(e.tokens.input >= 0 && e.tokens.output >= 0 && e.tokens.cached_input >= 0);
        require(std::isfinite(e.cost.charged) && e.cost.charged >= 0);
        transcript += "turn_finished " + std::string(to_string(e.status)) + " " + e.reason + "\n";
    }

    // One step of the program.
    void step(Program& program)
    {
        const std::uint8_t op = program.byte();
        const std::uint64_t target = (op & 0x80) != 0 ? old_request : request;
        switch (op % 12) {
        case 0: handle(UserSent{program.bytes(40)}); break;
        case 1: handle(UserStopped{}); break;
        case 2: handle(UserRetried{}); break;
        case 3: handle(UserRenamed{program.bytes(20)}); break;
        case 4: {
            const std::uint8_t pick = program.byte();
            head(target, statuses[pick % 16], types[(pick >> 4) % 4], retry_afters[program.byte() % 8]);
            break;
        }
        case 5: {
            const std::string raw = program.bytes(64);
            body(target, raw);
            break;
        }
        case 6:
        case 7: {
            const std::string piece = pieces[program.byte() % (sizeof pieces / sizeof *pieces)];
            const std::size_t cut = program.byte() % (piece.size() + 1);  // the network cuts anywhere
            body(target, std::string_view(piece).substr(0, cut));
            body(target, std::string_view(piece).substr(cut));
            break;
        }
        case 8: end(target); break;
        case 9: fail(target, "connection reset"); break;
        case 10: {
            // A tool that finishes (each once; "call_x" was never asked for).
            const std::uint8_t pick = program.byte();
            const std::string call = tools.empty() || (pick & 0x80) != 0 ? "call_x" : tools[pick % tools.size()];
            std::erase(tools, call);
            handle(ToolFinished{call, (pick & 1) == 0, program.bytes(24)});
            break;
        }
        default: {
            const std::uint8_t pick = program.byte();
            if ((pick & 1) != 0 && !timers.empty()) {
                auto it = timers.begin();
                std::advance(it, (pick >> 1) % timers.size());
                const auto [id, when] = *it;
                timers.erase(it);
                now = std::max(now, when);
                handle(TimerFired{id});
            } else {
                now += std::int64_t(pick) * 250;
            }
        }
        }
    }

    // What any driver does in the end: answer everything that is open, until the turn ends.
    void drain()
    {
        for (int steps = 0; conversation.busy(); ++steps) {
            require(steps < 200);
            if (!tools.empty()) {
                const std::string call = tools.front();
                tools.erase(tools.begin());
                handle(ToolFinished{call, true, "{}"});
            } else if (request != 0 && !closed.contains(request)) {
                fail(request, "drained");
            } else if (!timers.empty()) {
                const auto [id, when] = *timers.begin();
                timers.erase(timers.begin());
                now = std::max(now, when);
                handle(TimerFired{id});
            } else {
                require(false);  // busy, and waiting for nothing
            }
        }
    }
};

std::string run(const std::uint8_t* data, std::size_t size)
{
    Program program(data, size);
    const std::uint8_t knobs = program.byte();

    ConversationConfig config;
    config.session_key = "sessions/fuzz.json";
    config.seed = knobs;
    config.retry.max_attempts = 3;
    config.retry.base_ms = 100;
    config.retry.cap_ms = 1'000;
    config.first_byte_timeout_ms = 5'000;
    config.idle_timeout_ms = 2'000;
    config.tool_timeout_ms = 3'000;
    config.max_tool_rounds = 2;
    config.save_interval_ms = 500;
    config.summaries = (knobs & 1) != 0;
    config.summary_model = "small";
    config.pricing.input_per_million = 2.5;
    config.pricing.output_per_million = 10;
    if ((knobs & 2) != 0) config.session_cap_usd = 0.0005;

    Session session;
    session.id = "fuzz";
    session.settings.endpoint = "http://127.0.0.1:9/v1/chat/completions";
    session.settings.model = "model";
    session.settings.system_prompt = "You are terse.";
    if ((knobs & 4) != 0) {
        session.settings.context_window = 120 + (knobs >> 3) * 8;
        session.settings.reserved_output = 20;
        session.settings.safety_margin = 0;
    }

    Driver driver(std::move(config), std::move(session));
    for (int steps = 0; !program.done() && steps < 400; ++steps) driver.step(program);
    driver.drain();
    return driver.transcript;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    require(run(data, size) == run(data, size));
    return 0;
}
