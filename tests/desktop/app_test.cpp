// tests/desktop/app_test.cpp
// The App with a fake network: the whole driver (engine, effects, views, files) without a
// window or a socket. The network's reports are pushed into the queue as the worker would.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/json_util.h"
#include "native/desktop/app.h"
#include "native/desktop/script.h"
#include "tests/desktop/desktop_test_util.h"
#include "tests/test_util.h"

using namespace confab;
using namespace confab::desktop;

namespace {

struct Harness {
    support::TempDir dir;
    support::FakeNetwork network;
    InputQueue queue;
    std::int64_t now = 1'700'000'000'000;
    App app;

    explicit Harness(const std::string& tools_json = "")
        : app(options(dir, tools_json), network, queue, now)
    {
    }

    static App::Options options(const support::TempDir& dir, const std::string& tools_json)
    {
        App::Options options;
        options.settings.endpoint = "http://127.0.0.1:9/v1";
        options.settings.model = "test-model";
        options.settings.api_key_env = "CONFAB_DESKTOP_TEST_KEY";
        options.settings.sessions_dir = dir.file("sessions");
        options.settings.pricing.input_per_million = 1;
        options.settings.pricing.output_per_million = 2;
        if (!tools_json.empty()) {
            std::string error;
            REQUIRE(native::write_atomically(dir.file("tools.json"), tools_json, error));
            options.settings.tools_file = dir.file("tools.json");
        }
        options.config_path = dir.file("config/desktop.json");
        return options;
    }

    void step(std::int64_t advance = 10)
    {
        now += advance;
        app.step(now);
    }
};

} // namespace

TEST_CASE("app: one turn from send to saved session, with every window's state filled in")
{
    setenv("CONFAB_DESKTOP_TEST_KEY", "sk-desktop", 1);
    Harness h;
    h.app.send("Hello there", h.now);
    REQUIRE(h.network.started.size() == 1);
    const auto& request = h.network.started[0];
    CHECK(request.url == "http://127.0.0.1:9/v1/chat/completions");
    CHECK(std::find(request.headers.begin(), request.headers.end(),
                    std::pair<std::string, std::string>{"Authorization", "Bearer sk-desktop"}) != request.headers.end());
    CHECK(parse_json(request.body)["messages"][0]["content"] == "Hello there");
    CHECK(h.app.busy());
    CHECK(h.app.chat().rows().size() == 1);

    support::respond(h.queue, request.id, support::text_stream("Hi! How can I help?", {{"prompt_tokens", 12}, {"completion_tokens", 6}}));
    h.step();
    CHECK_FALSE(h.app.busy());
    REQUIRE(h.app.finished_turns().size() == 1);
    CHECK(h.app.finished_turns()[0].status == TurnStatus::done);
    REQUIRE(h.app.chat().rows().size() == 2);
    CHECK(h.app.chat().rows()[1].message.content == "Hi! How can I help?");
    CHECK_FALSE(h.app.chat().rows()[1].streaming);

    // Stream window: the bytes as they came.
    const auto* capture = h.app.stream().last_reply();
    REQUIRE(capture != nullptr);
    CHECK(capture->outcome == "ended");
    CHECK(capture->reply().content == "Hi! How can I help?");
    // Request window: the body as sent, and the next one.
    CHECK(h.app.last_request_body() == request.body);
    const auto& view = h.app.request_view("Next");
    CHECK(parse_json(view.next_body)["messages"].size() == 3);
    // Cost window: one turn, reported.
    const auto& cost = h.app.cost_view();
    REQUIRE(cost.turns.size() == 1);
    CHECK(cost.turns[0].reported->input == 12);
    CHECK(cost.total.per_token == doctest::Approx((12 * 1.0 + 6 * 2.0) / 1e6));
    // The session file is in the folder, in the widget's format, without the key.
    const auto& sessions = h.app.sessions();
    REQUIRE(sessions.size() == 1);
    CHECK(sessions[0].messages == 2);
    CHECK(sessions[0].path == h.app.session_path());
    std::string error;
    const auto bytes = native::read_file(h.app.session_path(), error);
    REQUIRE(bytes);
    CHECK(bytes->find("sk-desktop") == std::string::npos);
    CHECK(load_session(*bytes).session->messages[1].content == "Hi! How can I help?");
    unsetenv("CONFAB_DESKTOP_TEST_KEY");
}

TEST_CASE("app: a scripted tool answers at once, and the reply follows in a second request")
{
    Harness h(R"([{"name": "get_time", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                  "answer": "{\"time\":\"12:00\"}"}])");
    h.app.send("Time in Paris?", h.now);
    REQUIRE(h.network.started.size() == 1);
    CHECK(parse_json(h.network.started[0].body)["tools"][0]["function"]["name"] == "get_time");
    support::respond(h.queue, h.network.started[0].id, support::tool_stream("call_1", "get_time", R"({"city":"Paris"})"));
    h.step();  // the call arrives; its scripted answer goes into the queue
    h.step();  // ...and back to the engine, which asks again
    REQUIRE(h.network.started.size() == 2);
    const auto second = parse_json(h.network.started[1].body);
    CHECK(second["messages"].back()["role"] == "tool");
    CHECK(second["messages"].back()["content"] == "{\"time\":\"12:00\"}");
    REQUIRE(h.app.tools().calls().size() == 1);
    CHECK(h.app.tools().calls()[0].state == ToolCallRow::State::answered);
    CHECK(h.app.tools().calls()[0].validation == "valid");
    support::respond(h.queue, h.network.started[1].id, support::text_stream("It is noon."));
    h.step();
    REQUIRE(h.app.finished_turns().size() == 1);
    CHECK(h.app.finished_turns()[0].status == TurnStatus::done);
    CHECK(h.app.chat().rows().back().message.content == "It is noon.");
}

TEST_CASE("app: a manual tool waits for the developer; a command tool runs off the UI thread")
{
    Harness h(R"([{"name": "ask"}, {"name": "echo", "command": "cat"}])");
    h.app.send("Go", h.now);
    support::respond(h.queue, h.network.started[0].id, support::tool_stream("call_m", "ask", "{}"));
    h.step();
    CHECK(h.app.tools().waiting() == std::vector<std::string>{"call_m"});
    CHECK(h.network.started.size() == 1);
    h.app.answer_tool("call_m", true, "42", h.now);
    REQUIRE(h.network.started.size() == 2);
    CHECK(parse_json(h.network.started[1].body)["messages"].back()["content"] == "42");

    support::respond(h.queue, h.network.started[1].id, support::tool_stream("call_c", "echo", R"({"x":1})"));
    h.step();
    for (int i = 0; i < 500 && h.network.started.size() < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        h.step();
    }
    REQUIRE(h.network.started.size() == 3);
    CHECK(parse_json(h.network.started[2].body)["messages"].back()["content"] == "{\"x\":1}");  // cat echoes stdin
}

TEST_CASE("app: stop keeps the partial reply; what the old request still sends is ignored after a new session")
{
    Harness h;
    h.app.send("Tell me a story", h.now);
    const auto id = h.network.started[0].id;
    h.queue.push(QueuedInput{HttpHead{id, 200, "text/event-stream", ""}, {}});
    h.queue.push(QueuedInput{HttpBody{id, {}}, support::sse_chunk({{"content", "Once upon"}})});
    h.step();
    CHECK(h.app.chat().streaming() == 1u);
    h.app.stop(h.now);
    CHECK(h.network.cancelled == std::vector<std::uint64_t>{id});
    REQUIRE(h.app.finished_turns().size() == 1);
    CHECK(h.app.finished_turns()[0].status == TurnStatus::stopped);
    CHECK(h.app.chat().rows()[1].message.content == "Once upon");
    CHECK(h.app.chat().can_retry());

    h.app.new_session(h.now);
    CHECK(h.app.chat().rows().empty());
    h.app.send("Fresh", h.now);
    REQUIRE(h.network.started.size() == 2);
    CHECK(h.network.started[1].id != id);  // network ids never repeat across engines
    h.queue.push(QueuedInput{HttpBody{id, {}}, support::sse_chunk({{"content", " a time"}})});  // late, from the old one
    h.step();
    CHECK(h.app.chat().rows().size() == 1);
    CHECK(h.app.sessions().size() == 2);
}

TEST_CASE("app: the first-byte timer fires from step() and the engine retries")
{
    Harness h;
    auto settings = h.app.settings();
    settings.first_byte_timeout_ms = 1000;
    settings.retry.max_attempts = 2;
    h.app.apply_settings(settings, h.now);
    h.app.send("Anyone there?", h.now);
    REQUIRE(h.network.started.size() == 1);
    REQUIRE(h.app.next_deadline());
    h.step(999);
    CHECK(h.network.started.size() == 1);
    h.step(2);
    CHECK(h.network.cancelled.size() == 1);
    // The retry waits for its backoff timer, then asks again.
    for (int i = 0; i < 100 && h.network.started.size() < 2; ++i) h.step(100);
    CHECK(h.network.started.size() == 2);
}

TEST_CASE("app: edit-and-resend cuts the history at the edited message and sends the new text")
{
    Harness h;
    for (const char* text : {"first", "second"}) {
        h.app.send(text, h.now);
        support::respond(h.queue, h.network.started.back().id, support::text_stream(std::string("re: ") + text));
        h.step();
    }
    REQUIRE(h.app.conversation().session().messages.size() == 4);
    CHECK_FALSE(h.app.edit_and_resend(1, "not a user message", h.now));
    REQUIRE(h.app.edit_and_resend(2, "second, edited", h.now));
    const auto body = parse_json(h.network.started.back().body);
    REQUIRE(body["messages"].size() == 3);
    CHECK(body["messages"][2]["content"] == "second, edited");
    CHECK(h.app.chat().rows().size() == 3);
}

TEST_CASE("app: sessions open, rename, import, export and delete through the folder")
{
    Harness h;
    h.app.send("Keep me", h.now);
    support::respond(h.queue, h.network.started.back().id, support::text_stream("Kept."));
    h.step();
    const auto first = h.app.session_path();
    REQUIRE(h.app.export_session(h.dir.file("export.json")));
    REQUIRE(h.app.rename_session(first, "My session", h.now));
    CHECK(h.app.conversation().session().title == "My session");
    CHECK(h.app.sessions()[0].title == "My session");

    h.app.new_session(h.now);
    REQUIRE(h.app.import_session(h.dir.file("export.json"), h.now));  // same id: imported beside it
    CHECK(h.app.session_path() != first);
    CHECK(h.app.chat().rows().size() == 2);
    CHECK(h.app.sessions().size() == 2);
    REQUIRE(h.app.open_session(first, h.now));
    CHECK(h.app.conversation().session().title == "My session");
    REQUIRE(h.app.delete_session(first, h.now));  // the open one: a new session takes its place
    CHECK(h.app.chat().rows().empty());
    CHECK(h.app.sessions().size() == 1);
    CHECK_FALSE(h.app.open_session(h.dir.file("missing.json"), h.now));
    CHECK(h.app.notes().back().find("missing.json") != std::string::npos);
}

TEST_CASE("app: what reported usage taught the estimator outlives the session it came from")
{
    Harness h;
    h.app.send("Hello there, how are you today?", h.now);
    const auto estimated = h.app.conversation().estimator().estimate_messages(h.app.conversation().session().messages);
    support::respond(h.queue, h.network.started.back().id,
                     support::text_stream("Fine.", {{"prompt_tokens", estimated * 2}, {"completion_tokens", 2}}));
    h.step();
    const double factor = h.app.conversation().estimator().factor("test-model");
    REQUIRE(factor > 1.0);

    h.app.new_session(h.now);
    CHECK(h.app.conversation().session().messages.empty());
    CHECK(h.app.conversation().estimator().factor("test-model") == doctest::Approx(factor));
}

TEST_CASE("app: settings are saved to the config file and load back")
{
    Harness h;
    auto settings = h.app.settings();
    settings.model = "other-model";
    settings.context_window = 32000;
    h.app.apply_settings(settings, h.now);
    CHECK(h.app.conversation().session().settings.model == "other-model");
    REQUIRE(h.app.save_settings_file());
    std::string error;
    const auto bytes = native::read_file(h.dir.file("config/desktop.json"), error);
    REQUIRE(bytes);
    CHECK(load_settings(*bytes).settings == settings);
}

TEST_CASE("app: a script drives a turn, a replay and a window, and reports a failed expectation")
{
    Harness h;
    const auto fixture = std::string(CONFAB_FIXTURES) + "/openai-text-plain.sse";
    auto parse = parse_script("model scripted-model\nsend Hi\nwait 5\nexpect done\nreplay " + fixture +
                              " 5 0\nwindow Stream\nframes 2\ndraft next one\nexpect failed\n");
    REQUIRE_FALSE(parse.error);
    ScriptRunner runner(parse.steps);
    runner.tick(h.app, h.now);
    REQUIRE(h.network.started.size() == 1);
    CHECK(parse_json(h.network.started[0].body)["model"] == "scripted-model");
    CHECK_FALSE(runner.finished());  // waiting for the turn
    support::respond(h.queue, h.network.started[0].id, support::text_stream("Hello."));
    h.step();
    runner.tick(h.app, h.now);
    CHECK(runner.focus_window == "Stream");
    CHECK_FALSE(runner.finished());  // two frames to draw
    runner.frame_drawn();
    runner.frame_drawn();
    runner.tick(h.app, h.now);
    CHECK(runner.finished());
    CHECK(runner.draft == "next one");
    REQUIRE(runner.failure());
    CHECK(*runner.failure() == "line 9 (expect): the last turn ended done, not failed");
    CHECK(h.app.stream().captures().back().source == "openai-text-plain.sse");
    CHECK(h.app.stream().captures().back().outcome == "ended");
}

TEST_CASE("app: a wait that outlasts its seconds fails the script instead of hanging")
{
    Harness h;
    ScriptRunner runner(parse_script("send Hi\nwait 1\n").steps);
    runner.tick(h.app, h.now);
    h.now += 500;
    runner.tick(h.app, h.now);
    CHECK_FALSE(runner.finished());
    h.now += 600;
    runner.tick(h.app, h.now);
    REQUIRE(runner.failure());
    CHECK(*runner.failure() == "line 2 (wait): the turn did not end in time");
}

TEST_CASE("app: the Request and Cost views are not planned again for every piece of a streaming reply")
{
    Harness h;
    h.app.send("Stream to me", h.now);
    const auto id = h.network.started[0].id;
    h.queue.push(QueuedInput{HttpHead{id, 200, "text/event-stream", ""}, {}});
    h.queue.push(QueuedInput{HttpBody{id, {}}, support::sse_chunk({{"content", "One"}})});
    h.step();
    const auto* request_view = &h.app.request_view("");
    const auto tokens = request_view->estimated_tokens;
    h.queue.push(QueuedInput{HttpBody{id, {}}, support::sse_chunk({{"content", " two three four five six"}})});
    h.step();
    CHECK(h.app.chat().rows()[1].message.content == "One two three four five six");  // the chat grows...
    CHECK(h.app.request_view("").estimated_tokens == tokens);                         // ...the plan waits
    h.queue.push(QueuedInput{HttpBody{id, {}}, support::sse_chunk(nlohmann::json::object(), "stop") + "data: [DONE]\n\n"});
    h.queue.push(QueuedInput{HttpEnd{id}, {}});
    h.step();
    CHECK(h.app.request_view("").estimated_tokens > tokens);  // the finished reply is counted
}
