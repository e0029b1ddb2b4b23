// tests/conversation_test.cpp
// The engine driven by scripted events, checked by the effects it answers with. A small
// fake driver keeps the effects and a transcript (one line per input or effect, as in
// STYLE.md section 5) so failures read like the conversation that went wrong.
#include <doctest/doctest.h>

#include <algorithm>

#include "core/conversation.h"
#include "core/json_util.h"
#include "tests/test_util.h"

using namespace confab;

namespace {

std::string sse_chunk(const nlohmann::json& delta, const nlohmann::json& finish = nullptr, const nlohmann::json& usage = nullptr)
{
    nlohmann::json chunk = {{"object", "chat.completion.chunk"}, {"model", "test-model"},
                            {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}}}};
    if (!usage.is_null()) chunk["usage"] = usage;
    return "data: " + chunk.dump() + "\n\n";
}

std::string text_stream(const std::string& text, const nlohmann::json& usage = nullptr)
{
    std::string out = sse_chunk({{"role", "assistant"}, {"content", ""}});
    for (std::size_t at = 0; at < text.size(); at += 5) out += sse_chunk({{"content", text.substr(at, 5)}});
    out += sse_chunk(nlohmann::json::object(), "stop", usage);
    return out + "data: [DONE]\n\n";
}

std::string tool_stream(const std::vector<std::tuple<std::string, std::string, std::string>>& calls)
{
    std::string out;
    int index = 0;
    for (const auto& [id, name, arguments] : calls) {
        out += sse_chunk({{"tool_calls", {{{"index", index}, {"id", id}, {"type", "function"},
                                           {"function", {{"name", name}, {"arguments", ""}}}}}}});
        for (std::size_t at = 0; at < arguments.size(); at += 3)
            out += sse_chunk({{"tool_calls", {{{"index", index}, {"function", {{"arguments", arguments.substr(at, 3)}}}}}}});
        ++index;
    }
    out += sse_chunk(nlohmann::json::object(), "tool_calls");
    return out + "data: [DONE]\n\n";
}

struct Driver {
    Conversation conversation;
    std::int64_t now = 1'000'000;
    std::vector<Effect> effects;        // everything so far
    std::vector<std::string> transcript;
    std::vector<StartRequest> requests;
    std::vector<RunTool> tool_runs;
    std::vector<StartTimer> timers;
    std::vector<TurnFinished> finished;
    std::vector<std::string> errors;
    std::vector<std::string> saves;

    explicit Driver(ConversationConfig config = test_config(), Session session = test_session())
        : conversation(std::move(config), std::move(session)) {}

    static ConversationConfig test_config()
    {
        ConversationConfig config;
        config.session_key = "sessions/test.json";
        config.seed = 42;
        return config;
    }
    static Session test_session()
    {
        Session session;
        session.id = "s1";
        session.settings.endpoint = "http://127.0.0.1:9/v1/chat/completions";
        session.settings.model = "test-model";
        session.settings.system_prompt = "You are terse.";
        return session;
    }

    // Registers get_time, a tool that takes {"city": string}: what the tool-round tests call.
    void add_clock()
    {
        ToolSpec clock;
        clock.name = "get_time";
        clock.description = "The time in a city";
        clock.parameters = nlohmann::json::parse(R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})");
        REQUIRE_FALSE(conversation.tools().add(clock));
    }

    void send(const Input& input, const std::string& line)
    {
        transcript.push_back("in   " + line);
        for (auto& effect : conversation.handle(input, now)) {
            std::visit([&](const auto& e) { record(e); }, effect);
            effects.push_back(std::move(effect));
        }
    }

    void user(const std::string& text) { send(UserSent{text}, "user_sent \"" + text + "\""); }
    void stop() { send(UserStopped{}, "user_stopped"); }
    void retry() { send(UserRetried{}, "user_retried"); }
    void head(int status, const std::string& type = "text/event-stream", const std::string& retry_after = "")
    {
        send(HttpHead{last_request(), status, type, retry_after}, "http_head " + std::to_string(last_request()) + " " + std::to_string(status));
    }
    void body(const std::string& bytes, std::size_t piece = 7)
    {
        for (std::size_t at = 0; at < bytes.size(); at += piece)
            send(HttpBody{last_request(), std::string_view(bytes).substr(at, piece)}, "http_body <bytes>");
    }
    void end() { send(HttpEnd{last_request()}, "http_end " + std::to_string(last_request())); }
    void fail(const std::string& why) { send(HttpFailed{last_request(), why}, "http_failed " + why); }
    void tool(const std::string& id, bool ok, const std::string& result)
    {
        send(ToolFinished{id, ok, result}, "tool_finished " + id);
    }
    void fire(std::uint64_t timer) { send(TimerFired{timer}, "timer_fired " + std::to_string(timer)); }

    // A whole successful reply to the last request.
    void reply(const std::string& stream)
    {
        head(200);
        body(stream);
        end();
    }

    std::uint64_t last_request() const { return requests.empty() ? 0 : requests.back().id; }
    nlohmann::json last_body() const { return requests.empty() ? nlohmann::json() : parse_json(requests.back().body); }
    const Session& session() const { return conversation.session(); }

    void record(const StartRequest& e) { requests.push_back(e); transcript.push_back("out  start_request " + std::to_string(e.id) + (e.summary ? " summary" : "")); }
    void record(const CancelRequest& e) { transcript.push_back("out  cancel_request " + std::to_string(e.id)); }
    void record(const StartTimer& e) { timers.push_back(e); transcript.push_back("out  start_timer " + std::to_string(e.id) + " " + std::to_string(e.delay_ms)); }
    void record(const CancelTimer& e) { transcript.push_back("out  cancel_timer " + std::to_string(e.id)); }
    void record(const RunTool& e) { tool_runs.push_back(e); transcript.push_back("out  run_tool " + e.call_id + " " + e.name + " " + e.arguments.dump()); }
    void record(const SaveSession& e) { saves.push_back(e.bytes); transcript.push_back("out  save_session"); }
    void record(const ShowMessage& e) { transcript.push_back("out  show_message " + std::to_string(e.index) + " " + std::string(to_string(e.message.role))); }
    void record(const ShowDelta& e) { transcript.push_back("out  show_delta " + std::to_string(e.index)); }
    void record(const ShowError& e) { errors.push_back(e.text); transcript.push_back("out  show_error " + e.text); }
    void record(const TurnFinished& e) { finished.push_back(e); transcript.push_back("out  turn_finished " + std::string(to_string(e.status))); }

    std::string text() const
    {
        std::string all;
        for (const auto& line : transcript) all += line + "\n";
        return all;
    }
};

} // namespace

TEST_CASE("conversation: a streamed turn stores the question first, then the reply")
{
    Driver d;
    d.user("What is 2+2?");
    REQUIRE(d.requests.size() == 1);
    // The user's message was saved before the request went out.
    const auto saved_before = std::find(d.transcript.begin(), d.transcript.end(), "out  save_session");
    const auto sent = std::find(d.transcript.begin(), d.transcript.end(), "out  start_request 1");
    CHECK(saved_before < sent);
    CHECK(load_session(d.saves.front()).session->messages.at(0).content == "What is 2+2?");

    const auto body = d.last_body();
    CHECK(body["model"] == "test-model");
    CHECK(body["stream"] == true);
    CHECK(body["stream_options"]["include_usage"] == true);
    CHECK(body["messages"][0] == nlohmann::json({{"role", "system"}, {"content", "You are terse."}}));
    CHECK(body["messages"].back() == nlohmann::json({{"role", "user"}, {"content", "What is 2+2?"}}));

    d.reply(text_stream("It is 4, of course.", {{"prompt_tokens", 20}, {"completion_tokens", 6}}));
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::done);
    CHECK(d.finished[0].tokens.input == 20);
    CHECK_FALSE(d.finished[0].tokens.estimated);
    const auto& messages = d.session().messages;
    REQUIRE(messages.size() == 2);
    CHECK(messages[1].role == Role::assistant);
    CHECK(messages[1].content == "It is 4, of course.");
    CHECK(messages[1].finish_reason == "stop");
    CHECK(messages[1].usage["completion_tokens"] == 6);
    CHECK_FALSE(messages[1].incomplete);
    CHECK(load_session(d.saves.back()).session->messages == messages);
    CHECK_FALSE(d.conversation.busy());
}

TEST_CASE("conversation: the same inputs give the same effects")
{
    auto run = [] {
        Driver d;
        d.user("hi");
        d.head(500, "application/json");
        d.body(R"({"error":{"message":"boom"}})");
        d.end();
        d.fire(d.timers.back().id);
        d.reply(text_stream("hello"));
        return d.text();
    };
    CHECK(run() == run());
}

TEST_CASE("conversation: a multi-round tool conversation")
{
    Driver d;
    d.add_clock();

    d.user("What time is it in Paris?");
    CHECK(d.last_body()["tools"][0]["function"]["name"] == "get_time");
    d.reply(tool_stream({{"call_1", "get_time", R"({"city":"Paris"})"}}));
    REQUIRE(d.tool_runs.size() == 1);
    CHECK(d.tool_runs[0].call_id == "call_1");
    CHECK(d.tool_runs[0].arguments == nlohmann::json{{"city", "Paris"}});
    CHECK(d.requests.size() == 1);  // nothing is sent while the tool runs

    d.tool("call_1", true, R"({"time":"14:05"})");
    REQUIRE(d.requests.size() == 2);
    const auto messages = d.last_body()["messages"];
    CHECK(messages[messages.size() - 2]["tool_calls"][0]["id"] == "call_1");
    CHECK(messages.back() == nlohmann::json({{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", R"({"time":"14:05"})"}}));

    d.reply(text_stream("It is 14:05 in Paris."));
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::done);
    CHECK(d.session().messages.back().content == "It is 14:05 in Paris.");
    CHECK(d.session().messages.size() == 4);  // user, assistant call, tool result, answer
}

TEST_CASE("conversation: parallel calls run together and their results go back in call order")
{
    Driver d;
    ToolSpec echo;
    echo.name = "echo";
    echo.parameters = nlohmann::json::parse(R"({"type":"object"})");
    REQUIRE_FALSE(d.conversation.tools().add(echo));
    d.user("twice");
    d.reply(tool_stream({{"a", "echo", R"({"n":1})"}, {"b", "echo", R"({"n":2})"}}));
    REQUIRE(d.tool_runs.size() == 2);  // both out before either returns
    d.tool("b", true, "second");
    CHECK(d.requests.size() == 1);
    d.tool("a", true, "first");
    REQUIRE(d.requests.size() == 2);
    const auto messages = d.last_body()["messages"];
    CHECK(messages[messages.size() - 2]["tool_call_id"] == "a");
    CHECK(messages[messages.size() - 2]["content"] == "first");
    CHECK(messages.back()["tool_call_id"] == "b");
}

TEST_CASE("conversation: bad arguments, unknown tools, tool errors and timeouts go back to the model")
{
    Driver d;
    ToolSpec weather;
    weather.name = "weather";
    weather.parameters = nlohmann::json::parse(R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})");
    REQUIRE_FALSE(d.conversation.tools().add(weather));
    ToolSpec slow = weather;
    slow.name = "slow";
    REQUIRE_FALSE(d.conversation.tools().add(slow));
    ToolSpec broken = weather;
    broken.name = "broken";
    REQUIRE_FALSE(d.conversation.tools().add(broken));

    d.user("go");
    d.reply(tool_stream({{"c1", "weather", R"({"city":42})"},
                         {"c2", "teleport", R"({})"},
                         {"c3", "weather", R"({"city":)"},
                         {"c4", "broken", R"({"city":"Oslo"})"},
                         {"c5", "slow", R"({"city":"Rome"})"}}));
    // Only the valid calls run.
    REQUIRE(d.tool_runs.size() == 2);
    CHECK(d.tool_runs[0].call_id == "c4");
    CHECK(d.tool_runs[1].call_id == "c5");
    d.tool("c4", false, "database is down");
    CHECK(d.requests.size() == 1);
    d.fire(d.timers.back().id);  // the tool round's timeout: c5 never answered
    REQUIRE(d.requests.size() == 2);

    const auto messages = d.last_body()["messages"];
    std::map<std::string, std::string> results;
    for (const auto& m : messages)
        if (m["role"] == "tool") results[m["tool_call_id"].get<std::string>()] = m["content"].get<std::string>();
    REQUIRE(results.size() == 5);
    CHECK(results["c1"].find("city") != std::string::npos);
    CHECK(results["c2"].find("teleport") != std::string::npos);
    CHECK(results["c2"].find("weather") != std::string::npos);  // the model is told what exists
    CHECK(results["c3"].find("JSON") != std::string::npos);
    CHECK(results["c4"].find("database is down") != std::string::npos);
    CHECK(results["c5"].find("30") != std::string::npos);  // timed out after 30 s
    CHECK(d.errors.empty());  // none of it failed the turn
    d.reply(text_stream("Sorry, some tools failed."));
    CHECK(d.finished.back().status == TurnStatus::done);
}

TEST_CASE("conversation: a cap on tool rounds ends a runaway loop with a clear message")
{
    auto config = Driver::test_config();
    config.max_tool_rounds = 2;
    Driver d(config);
    ToolSpec again;
    again.name = "again";
    again.parameters = nlohmann::json::parse(R"({"type":"object"})");
    REQUIRE_FALSE(d.conversation.tools().add(again));
    d.user("loop");
    for (int round = 1; round <= 2; ++round) {
        d.reply(tool_stream({{"r" + std::to_string(round), "again", "{}"}}));
        d.tool("r" + std::to_string(round), true, "ok");
    }
    d.reply(tool_stream({{"r3", "again", "{}"}}));
    CHECK(d.tool_runs.size() == 2);  // the third round never runs
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::failed);
    CHECK(d.errors.back().find("2 rounds of tool calls") != std::string::npos);
    // The session stays valid for the next request: every call has its result.
    CHECK(d.session().messages.back().role == Role::tool);
    CHECK(d.session().messages.back().content->find("limit") != std::string::npos);
}

TEST_CASE("conversation: retries before the first byte follow the backoff schedule for the seed")
{
    auto config = Driver::test_config();
    config.retry.max_attempts = 3;
    Driver d(config);
    d.user("hi");
    Jitter expected(config.seed);

    d.head(503, "text/plain");
    d.body("upstream overloaded");
    d.end();
    REQUIRE(d.requests.size() == 1);
    CHECK(d.timers.back().delay_ms == retry_delay_ms(config.retry, 2, std::nullopt, expected));
    d.fire(d.timers.back().id);
    REQUIRE(d.requests.size() == 2);

    d.fail("Connection refused");
    CHECK(d.timers.back().delay_ms == retry_delay_ms(config.retry, 3, std::nullopt, expected));
    d.fire(d.timers.back().id);
    REQUIRE(d.requests.size() == 3);

    d.head(502, "text/html");
    d.body("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
    d.end();
    CHECK(d.requests.size() == 3);  // attempts used up
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::failed);
    CHECK(d.errors.back().find("502 Bad Gateway") != std::string::npos);
    CHECK(d.errors.back().find("<") == std::string::npos);
}

TEST_CASE("conversation: Retry-After is honoured, and a 4xx is shown at once with the provider's words")
{
    Driver d;
    d.user("hi");
    d.head(429, "application/json", "7");
    d.body(R"({"error":{"message":"Rate limit reached for requests","type":"requests"}})");
    d.end();
    CHECK(d.timers.back().delay_ms == 7000);
    d.fire(d.timers.back().id);
    d.head(400, "application/json");
    d.body(R"({"error":{"message":"Invalid 'messages': too long","type":"invalid_request_error"}})");
    d.end();
    CHECK(d.requests.size() == 2);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].find("Invalid 'messages': too long") != std::string::npos);
    CHECK(d.finished.back().status == TurnStatus::failed);
}

TEST_CASE("conversation: a stream that drops keeps its text, marked incomplete; retry asks again")
{
    Driver d;
    d.user("tell me a story");
    d.head(200);
    d.body(sse_chunk({{"content", "Once upon a time"}}));
    d.fail("Connection reset by peer");
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::incomplete);
    CHECK(d.requests.size() == 1);  // never resent after the first byte
    const auto& reply = d.session().messages.back();
    CHECK(reply.content == "Once upon a time");
    CHECK(reply.incomplete);
    CHECK(reply.incomplete_reason.find("Connection reset by peer") != std::string::npos);
    CHECK(load_session(d.saves.back()).session->messages.back().incomplete);

    d.retry();
    REQUIRE(d.requests.size() == 2);
    d.reply(text_stream("Once upon a time, the end."));
    CHECK(d.session().messages.size() == 2);  // the cut-off reply was replaced
    CHECK(d.session().messages.back().content == "Once upon a time, the end.");
}

TEST_CASE("conversation: retry after a tool round asks again with the tools' results, which stay")
{
    Driver d;
    d.add_clock();
    bool cut_off = false;

    SUBCASE("the request after the round failed") {
        d.user("What time is it in Paris?");
        d.reply(tool_stream({{"call_1", "get_time", R"({"city":"Paris"})"}}));
        d.tool("call_1", true, R"({"time":"14:05"})");
        for (int attempt = 1; attempt <= 4; ++attempt) {
            d.head(503, "application/json");
            d.body(R"({"error":{"message":"overloaded"}})");
            d.end();
            if (attempt < 4) d.fire(d.timers.back().id);
        }
        REQUIRE(d.finished.back().status == TurnStatus::failed);
        REQUIRE(d.errors.size() == 1);
    }
    SUBCASE("the user stopped the round") {
        d.user("What time is it in Paris?");
        d.reply(tool_stream({{"call_1", "get_time", R"({"city":"Paris"})"}}));
        d.stop();
        REQUIRE(d.finished.back().status == TurnStatus::stopped);
    }
    SUBCASE("the reply after the round was cut off: it is replaced") {
        d.user("What time is it in Paris?");
        d.reply(tool_stream({{"call_1", "get_time", R"({"city":"Paris"})"}}));
        d.tool("call_1", true, R"({"time":"14:05"})");
        d.head(200);
        d.body(sse_chunk({{"content", "It is 14"}}));
        d.fail("Connection reset by peer");
        REQUIRE(d.finished.back().status == TurnStatus::incomplete);
        REQUIRE(d.session().messages.back().incomplete);
        cut_off = true;
    }
    // The question, the call, its result (and the reply cut off).
    REQUIRE(d.session().messages.size() == (cut_off ? 4 : 3));
    const std::size_t tool_runs = d.tool_runs.size();
    const std::size_t requests = d.requests.size();

    d.retry();
    CHECK(d.errors.size() <= 1);  // not "There is nothing to retry."
    REQUIRE(d.requests.size() == requests + 1);
    CHECK(d.tool_runs.size() == tool_runs);  // the tool is not run again
    const auto messages = d.last_body()["messages"];
    CHECK(messages.back()["role"] == "tool");
    CHECK(messages.back()["tool_call_id"] == "call_1");
    CHECK(d.session().messages.size() == 3);
    CHECK(load_session(d.saves.back()).session->messages.size() == 3);

    d.reply(text_stream("It is 14:05 in Paris."));
    CHECK(d.finished.back().status == TurnStatus::done);
    CHECK(d.session().messages.size() == 4);

    // After a finished reply there is nothing to retry, and nothing changes.
    const std::size_t saves = d.saves.size();
    d.retry();
    CHECK(d.errors.back() == "There is nothing to retry.");
    CHECK(d.session().messages.size() == 4);
    CHECK(d.saves.size() == saves);
    CHECK(d.requests.size() == requests + 1);
}

TEST_CASE("conversation: a tool call without an id, or with one the session holds, gets an id of its own")
{
    Driver d;
    d.add_clock();
    auto call = [](const nlohmann::json& id, const std::string& city) {
        nlohmann::json first = {{"index", 0}, {"type", "function"},
                                {"function", {{"name", "get_time"}, {"arguments", R"({"city":")" + city + R"("})"}}}};
        if (!id.is_null()) first["id"] = id;
        return sse_chunk({{"tool_calls", {first}}}) + sse_chunk(nlohmann::json::object(), "tool_calls") + "data: [DONE]\n\n";
    };

    // No id: the call is run, answered and sent back under one of its own.
    d.user("What time is it in Paris?");
    d.reply(call(nullptr, "Paris"));
    REQUIRE(d.tool_runs.size() == 1);
    const std::string first = d.tool_runs[0].call_id;
    CHECK(first == "call_" + d.session().messages[1].id + "_0");
    CHECK(d.session().messages[1].tool_calls[0].id == first);
    d.tool(first, true, R"({"time":"14:05"})");
    REQUIRE(d.requests.size() == 2);
    CHECK(d.errors.empty());  // it was "message 2 (assistant): tool call 0 has no id", at every turn
    CHECK(d.last_body()["messages"].back()["tool_call_id"] == first);

    // The same id in every reply: a tool that timed out in one round and answers in the next
    // is not taken for the next round's call.
    d.reply(call("call_0", "Oslo"));
    REQUIRE(d.tool_runs.size() == 2);
    CHECK(d.tool_runs[1].call_id == "call_0");
    d.fire(d.timers.back().id);  // the tool timeout
    REQUIRE(d.requests.size() == 3);
    d.reply(call("call_0", "Lima"));
    REQUIRE(d.tool_runs.size() == 3);
    const std::string third = d.tool_runs[2].call_id;
    CHECK(third != "call_0");
    d.tool("call_0", true, R"({"time":"late, from Oslo"})");
    CHECK(d.requests.size() == 3);  // still waiting for Lima
    d.tool(third, true, R"({"time":"07:05"})");
    REQUIRE(d.requests.size() == 4);
    const auto messages = d.last_body()["messages"];
    CHECK(messages.back() == nlohmann::json({{"role", "tool"}, {"tool_call_id", third}, {"content", R"({"time":"07:05"})"}}));
    d.reply(text_stream("Done."));
    CHECK(d.finished.back().status == TurnStatus::done);
    CHECK(d.finished.size() == 1);
}

TEST_CASE("conversation: a reply with a tool call that has no name is damaged: nothing runs, and the session stays sendable")
{
    Driver d;
    d.add_clock();
    d.user("What time is it in Paris and Oslo?");
    d.reply(sse_chunk({{"content", "Let me look."}}) +
            sse_chunk({{"tool_calls", {{{"index", 0}, {"id", "call_1"}, {"type", "function"},
                                        {"function", {{"name", "get_time"}, {"arguments", R"({"city":"Paris"})"}}}}}}}) +
            sse_chunk({{"tool_calls", {{{"index", 1}, {"id", "call_2"}, {"type", "function"},
                                        {"function", {{"arguments", R"({"city":"Oslo"})"}}}}}}}) +
            sse_chunk(nlohmann::json::object(), "tool_calls") + "data: [DONE]\n\n");
    CHECK(d.tool_runs.empty());
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::incomplete);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0] == "The reply was damaged: tool call 1 has no name");
    const Message& reply = d.session().messages.back();
    CHECK(reply.incomplete);
    CHECK(reply.content == "Let me look.");
    CHECK(reply.tool_calls.empty());

    // It was "message 1 (assistant): tool call 1 has no name" at every later turn.
    d.user("Just Paris, then.");
    REQUIRE(d.requests.size() == 2);
    CHECK(d.errors.size() == 1);
    d.reply(text_stream("14:05."));
    CHECK(d.finished.back().status == TurnStatus::done);
}

TEST_CASE("conversation: first-byte and idle timeouts")
{
    auto config = Driver::test_config();
    config.retry.max_attempts = 2;
    Driver d(config);
    d.user("hello?");
    const auto first_byte = d.timers.back();
    CHECK(first_byte.delay_ms == config.first_byte_timeout_ms);
    d.now += first_byte.delay_ms;
    d.fire(first_byte.id);
    CHECK(std::find(d.transcript.begin(), d.transcript.end(), "out  cancel_request 1") != d.transcript.end());
    d.fire(d.timers.back().id);  // the retry's backoff
    REQUIRE(d.requests.size() == 2);

    d.head(200);
    d.body(sse_chunk({{"content", "Half an ans"}}));
    const auto idle = d.timers.back();
    CHECK(idle.delay_ms == config.idle_timeout_ms);
    d.now += 10'000;
    d.body(sse_chunk({{"content", "wer"}}));
    d.now += 20'000;
    d.fire(idle.id);  // only 20 s of silence: re-armed for the rest
    CHECK(d.timers.back().delay_ms == 10'000);
    d.now += 10'000;
    d.fire(d.timers.back().id);
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::incomplete);
    CHECK(d.session().messages.back().content == "Half an answer");
    CHECK(d.session().messages.back().incomplete_reason.find("stalled") != std::string::npos);
}

TEST_CASE("conversation: stop cancels the request and keeps what arrived")
{
    Driver d;
    d.user("count to a million");
    d.head(200);
    d.body(sse_chunk({{"content", "1, 2, 3"}}));
    d.stop();
    CHECK(std::find(d.transcript.begin(), d.transcript.end(), "out  cancel_request 1") != d.transcript.end());
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::stopped);
    CHECK(d.session().messages.back().content == "1, 2, 3");
    CHECK(d.session().messages.back().incomplete_reason == "stopped");
    // Late bytes of the cancelled request change nothing.
    d.send(HttpBody{1, sse_chunk({{"content", ", 4"}})}, "late http_body");
    CHECK(d.session().messages.back().content == "1, 2, 3");
}

TEST_CASE("conversation: a request that would pass the budget cap is refused before it is sent")
{
    auto config = Driver::test_config();
    config.pricing.input_per_million = 1000.0;  // expensive enough that one message passes the cap
    config.session_cap_usd = 0.001;
    Driver d(config);
    d.user("Please summarise the history of the Roman Empire in detail.");
    CHECK(d.requests.empty());
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::failed);
    CHECK(d.errors.back().find("budget") != std::string::npos);
    CHECK(d.session().messages.size() == 1);  // the question is kept
}

TEST_CASE("conversation: reported usage calibrates the estimate for the model")
{
    Driver d;
    d.user("Hello there, how are you today?");
    const auto before = d.conversation.preview("").estimated_input_tokens;
    d.reply(text_stream("Fine.", {{"prompt_tokens", before * 2}, {"completion_tokens", 2}}));
    CHECK(d.conversation.estimator().factor("test-model") > 1.0);
}

TEST_CASE("conversation: a reply's completion_tokens calibrate the factor, and its count is used when it is sent back")
{
    Driver d;
    d.user("Hello there, how are you today?");
    const std::string answer = "I am well, thank you for asking. Today I can help you plan a trip, write some code, "
                               "or explain how the relay in front of this widget keeps the key off the page.";
    const std::int64_t text = confab::TokenEstimator::estimate_text(answer);
    // Tool definitions make the prompt count four times the estimate; the reply's count is its text's, times 1.5.
    const auto before = d.conversation.preview("").estimated_input_tokens;
    const std::int64_t completion = std::llround(1.5 * double(text));
    d.reply(text_stream(answer, {{"prompt_tokens", before * 4}, {"completion_tokens", completion}}));
    CHECK(d.conversation.estimator().factor("test-model") == doctest::Approx(double(completion) / double(text)));
    // The next request holds the anchor (counted), the reply (counted) and the new question (estimated).
    d.user("Thanks!");
    const auto next = d.conversation.preview("").estimated_input_tokens;
    CAPTURE(text);
    CHECK(next > before * 4 + completion);
    CHECK(next < before * 4 + completion + 24);
}

TEST_CASE("conversation: the tools it offers are in the request's estimate and calibrate nothing they should not")
{
    Driver d;
    const std::string question = "Hello there, how are you today?";
    const auto without = d.conversation.preview(question).estimated_input_tokens;
    ToolSpec weather;
    weather.name = "get_weather";
    weather.description = "Get the current weather and a three-day forecast for a city.";
    weather.parameters = nlohmann::json::parse(R"({"type":"object","properties":{"city":{"type":"string","description":"The city and country, e.g. Lisbon, Portugal."}},"required":["city"]})");
    REQUIRE_FALSE(d.conversation.tools().add(weather));
    const std::int64_t tools = TokenEstimator::estimate_tools(d.conversation.tools().tools());
    REQUIRE(tools > 20);
    const auto with = d.conversation.preview(question).estimated_input_tokens;
    CHECK(with == without + tools);
    d.user(question);
    // A provider that counts the request as estimated, prompt_tokens only: the factor stays 1.
    d.reply(text_stream("Fine.", {{"prompt_tokens", with}}));
    CHECK(d.conversation.estimator().factor("test-model") == 1.0);
    CHECK(d.conversation.estimator().overhead("test-model") == 0);
}

TEST_CASE("conversation: a conversation given an earlier one's estimator starts calibrated")
{
    Driver d;
    d.user("Hello there, how are you today?");
    const auto before = d.conversation.preview("").estimated_input_tokens;
    d.reply(text_stream("Fine.", {{"prompt_tokens", before * 2}, {"completion_tokens", 2}}));
    const double factor = d.conversation.estimator().factor("test-model");
    REQUIRE(factor > 1.0);

    const Conversation next(Driver::test_config(), Session{}, d.conversation.estimator());
    CHECK(next.estimator().factor("test-model") == doctest::Approx(factor));
    CHECK(Conversation(Driver::test_config(), Session{}).estimator().factor("test-model") == 1.0);
}

TEST_CASE("conversation: costs under both pricing models")
{
    auto config = Driver::test_config();
    config.pricing.input_per_million = 2.0;
    config.pricing.output_per_million = 8.0;
    config.pricing.per_request = 0.01;
    Driver d(config);
    d.user("hi");
    d.reply(text_stream("hello", {{"prompt_tokens", 1000}, {"completion_tokens", 500}}));
    const auto cost = d.conversation.session_cost();
    CHECK(cost.per_token == doctest::Approx((1000 * 2.0 + 500 * 8.0) / 1e6));
    CHECK(cost.per_request == doctest::Approx(0.01));
    CHECK(d.finished[0].cost.per_token == doctest::Approx(cost.per_token));
}

TEST_CASE("conversation: usage a provider should not report costs nothing below zero and overflows nothing")
{
    auto config = Driver::test_config();
    config.pricing.input_per_million = 2.0;
    config.pricing.output_per_million = 8.0;
    Driver d(config);
    ToolSpec clock;
    clock.name = "get_time";
    REQUIRE_FALSE(d.conversation.tools().add(clock));
    const nlohmann::json huge = {{"prompt_tokens", INT64_MAX}, {"completion_tokens", -4},
                                 {"prompt_tokens_details", {{"cached_tokens", INT64_MAX}}}};
    // Two requests in one turn, each reporting 2^63 - 1 prompt tokens: their sum overflowed.
    d.user("What time is it?");
    d.head(200);
    d.body(sse_chunk({{"tool_calls", {{{"index", 0}, {"id", "call_1"}, {"type", "function"},
                                        {"function", {{"name", "get_time"}, {"arguments", "{}"}}}}}}},
                     "tool_calls", huge) + "data: [DONE]\n\n");
    d.end();
    d.tool("call_1", true, "14:05");
    d.reply(text_stream("14:05.", huge));
    REQUIRE(d.finished.size() == 1);
    const TurnFinished& turn = d.finished[0];
    CHECK(turn.tokens.input == 2 * max_reported_tokens);
    CHECK(turn.tokens.cached_input == 2 * max_reported_tokens);
    CHECK(turn.tokens.output == 0);
    CHECK(turn.cost.per_token == doctest::Approx(2 * max_reported_tokens * 2.0 / 1e6));
    CHECK(d.conversation.session_cost().per_token == doctest::Approx(turn.cost.per_token));
}

TEST_CASE("conversation: a non-streamed JSON reply is read the same way")
{
    Driver d;
    d.user("hi");
    d.head(200, "application/json");
    d.body(R"({"id":"x","object":"chat.completion","model":"test-model","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello!"}}],"usage":{"prompt_tokens":5,"completion_tokens":2}})");
    d.end();
    CHECK(d.finished.back().status == TurnStatus::done);
    CHECK(d.session().messages.back().content == "Hello!");
}

TEST_CASE("conversation: an error sent mid-stream keeps the text and says what the provider said")
{
    Driver d;
    d.user("hi");
    d.reply(sse_chunk({{"content", "Partial"}}) + "event: error\ndata: {\"error\":{\"message\":\"Upstream overloaded\"}}\n\n");
    CHECK(d.finished.back().status == TurnStatus::incomplete);
    CHECK(d.session().messages.back().content == "Partial");
    CHECK(d.errors.back().find("Upstream overloaded") != std::string::npos);
}

TEST_CASE("conversation: a second message while a reply streams is refused, not lost")
{
    Driver d;
    d.user("one");
    d.user("two");
    CHECK(d.requests.size() == 1);
    CHECK(d.errors.size() == 1);
    CHECK(d.session().messages.size() == 1);
}

TEST_CASE("conversation: a rename is saved at once, keeps the time of last change, and a reply streaming goes on")
{
    Driver d;
    d.user("one");
    d.reply(text_stream("First answer."));
    const auto updated = d.session().updated_ms;
    d.now += 60'000;

    // Idle: one save, with the title, and nothing else.
    const auto before = d.effects.size();
    d.send(UserRenamed{"Named here"}, "user_renamed");
    REQUIRE(d.effects.size() == before + 1);
    const auto* save = std::get_if<SaveSession>(&d.effects.back());
    REQUIRE(save);
    CHECK(save->title == "Named here");
    CHECK(save->updated_ms == updated);
    CHECK(save->message_ids.size() == 2);
    const Session idle = *load_session(save->bytes).session;
    CHECK(idle.title == "Named here");
    CHECK(idle.titled_ms == d.now);  // how two tabs' renames combine (core/session_merge.h)
    CHECK(idle.updated_ms == updated);
    CHECK(idle.messages == d.session().messages);

    // While a reply streams: saved as a save mid-stream is, the reply cut off "still streaming".
    d.user("two");
    d.head(200);
    d.body(sse_chunk({{"role", "assistant"}, {"content", "Second "}}));
    d.send(UserRenamed{"Named again"}, "user_renamed");
    const Session streaming = *load_session(d.saves.back()).session;
    CHECK(streaming.title == "Named again");
    REQUIRE(streaming.messages.size() == 4);
    CHECK(streaming.messages[3].content == "Second ");
    CHECK(streaming.messages[3].incomplete);
    CHECK(streaming.messages[3].incomplete_reason == still_streaming_reason);
    CHECK_FALSE(d.session().messages[3].incomplete);  // only the file says so, until it ends
    CHECK(d.conversation.busy());
    d.body(sse_chunk({{"content", "answer."}}, "stop") + "data: [DONE]\n\n");
    d.end();
    REQUIRE(d.finished.size() == 2);
    CHECK(d.finished[1].status == TurnStatus::done);
    const Session after = *load_session(d.saves.back()).session;
    CHECK(after.title == "Named again");
    CHECK(after.messages[3].content == "Second answer.");
    CHECK_FALSE(after.messages[3].incomplete);
}

namespace {

// A session long enough that a small context window must drop its oldest turns.
Session long_session(int turns)
{
    Session session = Driver::test_session();
    session.settings.context_window = 1500;
    session.settings.reserved_output = 200;
    for (int i = 0; i < turns; ++i) {
        Message question;
        question.id = "q" + std::to_string(i);
        question.role = Role::user;
        question.content = "Question " + std::to_string(i) + ": " + std::string(300, 'a' + char(i % 26));
        Message answer;
        answer.id = "a" + std::to_string(i);
        answer.role = Role::assistant;
        answer.content = "Answer " + std::to_string(i) + ": " + std::string(300, 'z' - char(i % 26));
        session.messages.push_back(question);
        session.messages.push_back(answer);
    }
    return session;
}

ConversationConfig summary_config()
{
    auto config = Driver::test_config();
    config.summaries = true;
    config.summary_model = "cheap-model";
    config.summary_endpoint = "http://127.0.0.1:9/summary/chat/completions";
    return config;
}

} // namespace

TEST_CASE("conversation: dropped turns are summarised by the cheaper model, stored, and sent in their place")
{
    Driver d(summary_config(), long_session(12));
    d.user("And now?");
    REQUIRE(d.requests.size() == 1);
    CHECK(d.requests[0].summary);
    CHECK(d.requests[0].url == "http://127.0.0.1:9/summary/chat/completions");
    CHECK(d.last_body()["model"] == "cheap-model");
    d.head(200, "application/json");
    d.body(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Earlier: questions 0 to N about letters."},"finish_reason":"stop"}],"usage":{"prompt_tokens":900,"completion_tokens":12}})");
    d.end();

    REQUIRE(d.requests.size() == 2);
    CHECK_FALSE(d.requests[1].summary);
    REQUIRE(d.session().summaries.size() == 1);
    CHECK(d.session().summaries[0].text == "Earlier: questions 0 to N about letters.");
    CHECK(d.session().summaries[0].first_message_id == "q0");
    const auto sent = d.last_body()["messages"];
    bool summary_sent = false;
    for (const auto& m : sent)
        if (m["role"] == "system" && m["content"].get<std::string>().find("Earlier: questions") != std::string::npos) summary_sent = true;
    CHECK(summary_sent);
    CHECK(sent.back()["content"] == "And now?");
    CHECK(d.session().messages.size() == 25);  // nothing was removed from the session
    d.reply(text_stream("Now this."));
    CHECK(d.finished.back().status == TurnStatus::done);
}

TEST_CASE("conversation: if the summary request fails, the turn goes on with plain dropping")
{
    Driver d(summary_config(), long_session(12));
    d.user("And now?");
    REQUIRE(d.requests.size() == 1);
    CHECK(d.requests[0].summary);
    d.head(500, "application/json");
    d.body(R"({"error":{"message":"summary model down"}})");
    d.end();
    REQUIRE(d.requests.size() == 2);
    CHECK_FALSE(d.requests[1].summary);
    CHECK(d.session().summaries.empty());
    const auto sent = d.last_body()["messages"];
    CHECK(sent.size() < 26);  // older turns dropped
    CHECK(sent.back()["content"] == "And now?");
    CHECK(d.errors.empty());
    d.reply(text_stream("Fine."));
    CHECK(d.finished.back().status == TurnStatus::done);
}

TEST_CASE("conversation: a message too large for the budget on its own is refused before anything is sent")
{
    auto session = Driver::test_session();
    session.settings.context_window = 300;
    session.settings.reserved_output = 100;
    Driver d(Driver::test_config(), session);
    d.user(std::string(5000, 'x') + " what is this?");
    CHECK(d.requests.empty());
    REQUIRE(d.finished.size() == 1);
    CHECK(d.finished[0].status == TurnStatus::failed);
    CHECK(d.errors.back().find("budget") != std::string::npos);
}
