// tests/session_test.cpp
// The session file format (docs/session-format.md): exact round trips, unknown members kept at
// every level, and a precise refusal, never a crash, for every way a file can be wrong.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "core/json_util.h"
#include "core/session.h"
#include "tests/test_util.h"

using confab::load_session;
using confab::Message;
using confab::message_from_json;
using confab::message_to_json;
using confab::Role;
using confab::save_session;
using confab::Session;
using confab::Summary;
using confab::ToolCall;
using nlohmann::json;

namespace {

// What load_session says about `bytes`: the refusal's text, or "loaded".
std::string verdict(std::string_view bytes)
{
    const auto loaded = load_session(bytes);
    CHECK(loaded.session.has_value() != loaded.error.has_value());
    return loaded.error ? loaded.error->text() : "loaded";
}

Session load_ok(std::string_view bytes)
{
    auto loaded = load_session(bytes);
    INFO(std::string(bytes.substr(0, 400)));
    REQUIRE_MESSAGE(loaded.session, (loaded.error ? loaded.error->text() : ""));
    return *std::move(loaded.session);
}

Message message(Role role, std::string id, std::optional<std::string> content)
{
    Message m;
    m.role = role;
    m.id = std::move(id);
    m.content = std::move(content);
    return m;
}

ToolCall tool_call(int index, std::optional<std::string> id, std::string name, std::string arguments)
{
    ToolCall call;
    call.index = index;
    call.id = std::move(id);
    call.name = std::move(name);
    call.arguments = std::move(arguments);
    return call;
}

// Every field set somewhere, every role, and the awkward values: arguments that are not JSON,
// an index gap, a call with no id, unicode, an embedded NUL, 64-bit extremes in usage.
Session rich_session()
{
    Session s;
    s.id = "s-01HZX";
    s.title = "Paris \u2708 \u6771\u4eac \u2014 \"quotes\" \\backslash\\ \U0001F570\uFE0F";
    s.titled_ms = 1717171718000;
    s.created_ms = 1717171717000;
    s.updated_ms = 1717171799999;
    s.settings.endpoint = "https://api.example.com/v1/chat/completions";
    s.settings.model = "gpt-4o-mini";
    s.settings.system_prompt = "You are terse.\nAnswer in French.";
    s.settings.temperature = 0.7;
    s.settings.top_p = 1e-9;
    s.settings.max_tokens = 4096;
    s.settings.context_window = 128000;
    s.settings.reserved_output = 4096;
    s.settings.safety_margin = 0;  // set to zero, which is not the same as unset
    s.settings.extra = {{"tool_choice", "auto"}};

    Message system = message(Role::system, "m0", "Be brief.");
    system.pinned = true;
    system.created_ms = 1717171717001;

    Message user = message(Role::user, "m1", "Quelle heure est-il \u00e0 Paris ? \u2028 \u0645\u0631\u062d\u0628\u0627 e\u0301");
    user.name = "alice";
    user.created_ms = 1717171717002;

    Message asking = message(Role::assistant, "m2", std::nullopt);
    asking.reasoning = "The user wants the time; call the tool.";
    asking.tool_calls.push_back(tool_call(0, "call_1", "get_time", R"({"city":"Paris"})"));
    asking.tool_calls.push_back(tool_call(2, std::nullopt, "weird", "{\"unterminated\": [1, \"\\u00\n\t"));
    ToolCall custom = tool_call(3, "call_3", "", "");
    custom.type = "custom";
    custom.extra = {{"custom", {{"name", "grep"}, {"input", "x"}}},
                    {"extra_content", {{"google", {{"thought_signature", "c2ln"}}}}},
                    {"function", {{"strict", true}}}};
    asking.tool_calls.push_back(custom);
    asking.model = "gpt-4o-mini-2024-07-18";
    asking.finish_reason = "tool_calls";
    asking.usage = {{"prompt_tokens", std::numeric_limits<std::uint64_t>::max()},
                    {"completion_tokens", std::numeric_limits<std::int64_t>::min()},
                    {"cost", 0.000123},
                    {"huge", 1e300},
                    {"prompt_tokens_details", {{"cached_tokens", 0}}}};
    asking.created_ms = 1717171717003;

    Message result = message(Role::tool, "m3", R"({"time":"12:00"})");
    result.tool_call_id = "call_1";
    result.name = "get_time";

    Message orphan = message(Role::tool, "m4", "");  // empty, not absent; its call is gone
    orphan.tool_call_id = "call_deleted";

    Message cut = message(Role::assistant, "m5", std::string("Il est midi\0 et", 15));
    cut.refusal = "";
    cut.finish_reason = "length";
    cut.incomplete = true;
    cut.incomplete_reason = "connection dropped";
    cut.created_ms = -5;
    cut.extra = {{"rating", 5}, {"attachments", json::array({{{"name", "a.png"}}})}};

    Message refused = message(Role::assistant, "m6", std::nullopt);
    refused.refusal = "I can't help with that.";
    refused.finish_reason = "content_filter";
    refused.usage = json::object();

    s.messages = {system, user, asking, result, orphan, cut, refused};

    Summary summary;
    summary.text = "Alice asked the time in Paris; get_time said 12:00. \u00e9";
    summary.first_message_id = "m1";
    summary.last_message_id = "m3";
    summary.model = "gpt-4o-mini";
    summary.created_ms = 1717171799000;
    summary.tokens = 17;
    summary.extra = {{"style", "bullets"}};
    Summary dangling;  // its first message is gone, and its text is empty, not absent
    dangling.first_message_id = "deleted";
    dangling.last_message_id = "m5";
    s.summaries = {summary, dangling};

    s.extra = {{"folder", "work"}, {"shared_with", json::array({"bob"})}};
    return s;
}

} // namespace

TEST_CASE("message: roles are spelled as on the wire")
{
    CHECK(confab::to_string(Role::system) == "system");
    CHECK(confab::to_string(Role::user) == "user");
    CHECK(confab::to_string(Role::assistant) == "assistant");
    CHECK(confab::to_string(Role::tool) == "tool");
    for (Role role : {Role::system, Role::user, Role::assistant, Role::tool})
        CHECK(confab::role_from_string(confab::to_string(role)) == role);
    CHECK_FALSE(confab::role_from_string("User"));
    CHECK_FALSE(confab::role_from_string("developer"));
    CHECK_FALSE(confab::role_from_string(""));
    CHECK_FALSE(confab::role_from_string(std::string_view("user\0", 5)));
}

TEST_CASE("message: a message at its defaults stores only its role")
{
    CHECK(message_to_json(Message{}).dump() == R"({"role":"user"})");
}

TEST_CASE("message: the stored shape keeps the OpenAI wire names and adds Confab's beside them")
{
    Message asking = message(Role::assistant, "m2", std::nullopt);
    asking.tool_calls = {tool_call(0, "call_1", "get_time", R"({"city":"Paris"})")};
    asking.finish_reason = "tool_calls";
    asking.usage = {{"prompt_tokens", 12}, {"completion_tokens", 3}};
    asking.created_ms = 1000;
    CHECK(message_to_json(asking).dump() ==
          R"({"created_ms":1000,"finish_reason":"tool_calls","id":"m2","role":"assistant",)"
          R"("tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}","name":"get_time"},)"
          R"("id":"call_1","type":"function"}],"usage":{"completion_tokens":3,"prompt_tokens":12}})");

    Message result = message(Role::tool, "m3", "12:00");
    result.tool_call_id = "call_1";
    result.name = "get_time";
    CHECK(message_to_json(result).dump() ==
          R"({"content":"12:00","id":"m3","name":"get_time","role":"tool","tool_call_id":"call_1"})");
}

TEST_CASE("message: a tool call's index is stored only when it differs from its position")
{
    Message m = message(Role::assistant, "", std::nullopt);
    m.tool_calls = {tool_call(0, "a", "f", "{}"), tool_call(5, "b", "f", "{}")};
    const json stored = message_to_json(m);
    CHECK_FALSE(stored["tool_calls"][0].contains("index"));
    CHECK(stored["tool_calls"][1]["index"] == 5);

    Message back;
    REQUIRE_FALSE(message_from_json(stored, "", back));
    CHECK(back == m);
}

TEST_CASE("message: errors name the place under the given prefix, and leave the output untouched")
{
    Message out = message(Role::system, "keep", "me");
    const Message before = out;
    CHECK(message_from_json(json::array(), "", out)->text() == "(root): expected an object");
    CHECK(message_from_json(json::object(), "", out)->text() == "role: missing");
    CHECK(message_from_json(json{{"role", "robot"}}, "messages[3]", out)->text() ==
          R"(messages[3].role: unknown role "robot")");
    CHECK(message_from_json(json{{"role", "user"}, {"tool_calls", {{{"function", {{"arguments", 1}}}}}}}, "m", out)
              ->text() == "m.tool_calls[0].function.arguments: expected a string");
    CHECK(out == before);
}

TEST_CASE("message: null counts as absent, as in an OpenAI SDK dump")
{
    const json sdk = json::parse(R"({"role":"assistant","content":null,"refusal":null,"tool_calls":null,
        "name":null,"usage":null,"function_call":null,"audio":null})");
    Message m;
    REQUIRE_FALSE(message_from_json(sdk, "", m));
    CHECK(m.role == Role::assistant);
    CHECK_FALSE(m.content);
    CHECK_FALSE(m.refusal);
    CHECK(m.tool_calls.empty());
    CHECK(m.usage.is_null());
    // Members this version does not know are kept as they were, nulls included.
    CHECK(m.extra == json{{"function_call", nullptr}, {"audio", nullptr}});
}

TEST_CASE("session: an empty session is written as three members")
{
    CHECK(save_session(Session{}) == R"({"format":"confab.session","messages":[],"version":1})");
    CHECK(load_ok(save_session(Session{})) == Session{});
    CHECK(load_ok(R"({"format":"confab.session","version":1})") == Session{});
}

TEST_CASE("session: a session with every field round-trips exactly")
{
    const Session original = rich_session();
    const std::string saved = save_session(original);
    const Session loaded = load_ok(saved);
    CHECK(loaded == original);
    CHECK(save_session(loaded) == saved);

    // Spot checks that the equality above is not vacuous.
    CHECK(loaded.messages[5].content->size() == 15);
    CHECK(loaded.messages[2].usage["prompt_tokens"].get<std::uint64_t>() == 18446744073709551615u);
    CHECK(loaded.messages[2].tool_calls[1].index == 2);
    CHECK_FALSE(loaded.messages[2].tool_calls[1].id);
    CHECK(loaded.settings.safety_margin == 0);
    CHECK_FALSE(loaded.messages[2].content);       // absent ...
    CHECK(loaded.messages[4].content == "");       // ... is not empty
    CHECK(saved.find(R"("huge":1e+300)") != std::string::npos);
    CHECK(loaded.summaries.size() == 2);
    CHECK(loaded.summaries[1].text.empty());
    CHECK(loaded.summaries[0].extra == json{{"style", "bullets"}});
    CHECK(saved.find("\"c2ln\"") != std::string::npos);
}

TEST_CASE("session: SessionWriter writes what save_session writes, byte for byte, as the session changes")
{
    confab::SessionWriter writer;
    Session session = rich_session();
    // Unknown members on both sides of "messages" in key order, as another version may write.
    session.extra = json{{"aardvark", {1, 2}}, {"zebra", "last"}, {"messages", "never written"}};
    const auto same = [&](const char* step) {
        CAPTURE(step);
        CHECK(writer.write(session) == save_session(session));
    };
    same("first write");
    same("unchanged");
    // A reply streaming into a new message, then finished.
    Message reply;
    reply.id = "m9";
    reply.role = Role::assistant;
    reply.content = std::string("Partial");
    reply.incomplete = true;
    reply.incomplete_reason = "still streaming";
    session.messages.push_back(reply);
    same("a message added");
    session.messages.back().content = std::string("Partial answer, grown");
    same("the last message grown");
    session.messages.back().incomplete = false;
    session.messages.back().incomplete_reason.clear();
    session.messages.back().usage = json{{"prompt_tokens", 10}, {"completion_tokens", 4}};
    same("the last message finished");
    // One in the middle changed in a field besides its text, one removed, one with invalid UTF-8.
    session.messages[1].pinned = !session.messages[1].pinned;
    same("a message pinned");
    session.messages.erase(session.messages.begin() + 2);
    same("a message removed");
    session.messages[0].content = std::string("bad \xff byte");
    same("invalid UTF-8");
    session.title = "Renamed";
    session.updated_ms += 1000;
    session.summaries.clear();
    same("head members changed");
    session.messages.clear();
    same("no messages");
    session.extra = json::object();
    session.messages.push_back(reply);
    same("no unknown members");
}

TEST_CASE("session: a file from another writer settles after one re-save")
{
    // Nulls, whitespace, escapes, an integer temperature, a repeated key: all read, then
    // written in the one canonical way.
    const std::string foreign = R"({
        "version": 1, "format": "confab.session", "title": "caf\u00e9 \ud83d\ude00",
        "settings": {"temperature": 1, "model": null},
        "messages": [{"role": "user", "content": "a", "content": "b", "pinned": false, "usage": null}]
    })";
    const Session first = load_ok(foreign);
    CHECK(first.title == "caf\u00e9 \U0001F600");
    CHECK(first.settings.temperature == 1.0);
    CHECK(first.messages[0].content == "b");
    const std::string once = save_session(first);
    CHECK(once == R"({"format":"confab.session","messages":[{"content":"b","role":"user"}],)"
                  R"("settings":{"temperature":1.0},"title":"café 😀","version":1})");
    CHECK(save_session(load_ok(once)) == once);
}

TEST_CASE("session: members this version does not know survive at every level")
{
    const std::string future =
        R"({"format":"confab.session","messages":[{"attachments":[{"name":"a.png"}],"content":"hi",)"
        R"("role":"user","tool_calls":[{"extra_content":{"google":{"thought_signature":"c2ln"}},)"
        R"("function":{"arguments":"{}","name":"f","strict":true},"id":"c","type":"function"},)"
        R"({"custom":{"input":"*.md","name":"grep"},"id":"d","type":"custom"}],)"
        R"("voice":null}],"settings":{"model":"m","reasoning_effort":"low"},"tags":["x"],"version":1})";
    const Session s = load_ok(future);
    CHECK(s.extra == json{{"tags", {"x"}}});
    CHECK(s.settings.extra == json{{"reasoning_effort", "low"}});
    CHECK(s.messages[0].extra == json{{"attachments", {{{"name", "a.png"}}}}, {"voice", nullptr}});
    CHECK(s.messages[0].tool_calls[0].extra ==
          json{{"extra_content", {{"google", {{"thought_signature", "c2ln"}}}}}, {"function", {{"strict", true}}}});
    CHECK(s.messages[0].tool_calls[1].type == "custom");
    CHECK(s.messages[0].tool_calls[1].extra == json{{"custom", {{"input", "*.md"}, {"name", "grep"}}}});
    CHECK(save_session(s) == future);
}

TEST_CASE("session: known names inside extra neither override nor duplicate the real fields")
{
    Session s;
    s.extra = {{"format", "other"}, {"version", 9}, {"id", "sneaky"}, {"messages", 1}, {"kept", true}};
    s.settings.extra = {{"model", "sneaky"}};
    Message m;
    m.extra = {{"role", "robot"}, {"pinned", true}, {"content", 3}};
    ToolCall call = tool_call(0, std::nullopt, "f", "{}");
    call.extra = {{"id", "sneaky"}, {"index", 7}, {"function", {{"name", "g"}, {"arguments", 1}}}};
    m.tool_calls = {call};
    s.messages = {m};

    const Session loaded = load_ok(save_session(s));
    CHECK(loaded.id.empty());
    CHECK(loaded.extra == json{{"kept", true}});
    CHECK(loaded.settings == confab::SessionSettings{});
    CHECK(loaded.messages[0].role == Role::user);
    CHECK_FALSE(loaded.messages[0].pinned);
    CHECK_FALSE(loaded.messages[0].content);
    CHECK(loaded.messages[0].tool_calls[0] == tool_call(0, std::nullopt, "f", "{}"));
}

TEST_CASE("session: a member of the wrong type is refused with its path")
{
    const json base = json::parse(save_session(rich_session()));
    struct Case {
        const char* pointer;
        json wrong;
        const char* expected;
    };
    const Case cases[] = {
        {"/id", 5, "id: expected a string"},
        {"/title", json::array(), "title: expected a string"},
        {"/created_ms", 1.5, "created_ms: expected an integer"},
        {"/updated_ms", "1717171799999", "updated_ms: expected an integer"},
        {"/updated_ms", std::numeric_limits<std::uint64_t>::max(), "updated_ms: expected an integer"},
        {"/settings", "fast", "settings: expected an object"},
        {"/settings/endpoint", 1, "settings.endpoint: expected a string"},
        {"/settings/model", false, "settings.model: expected a string"},
        {"/settings/system_prompt", json::object(), "settings.system_prompt: expected a string"},
        {"/settings/temperature", "0.7", "settings.temperature: expected a number"},
        {"/settings/top_p", true, "settings.top_p: expected a number"},
        {"/settings/max_tokens", -1, "settings.max_tokens: expected a non-negative integer"},
        {"/settings/context_window", 1.5, "settings.context_window: expected a non-negative integer"},
        {"/settings/reserved_output", "4096", "settings.reserved_output: expected a non-negative integer"},
        {"/settings/safety_margin", json::array(), "settings.safety_margin: expected a non-negative integer"},
        {"/messages", json::object(), "messages: expected an array"},
        {"/messages/0", "hello", "messages[0]: expected an object"},
        {"/messages/6/role", 3, "messages[6].role: expected a string"},
        {"/messages/6/content", json::array({{{"type", "text"}, {"text", "hi"}}}), "messages[6].content: expected a string"},
        {"/messages/6/name", 1, "messages[6].name: expected a string"},
        {"/messages/6/tool_call_id", 1, "messages[6].tool_call_id: expected a string"},
        {"/messages/6/id", 6, "messages[6].id: expected a string"},
        {"/messages/6/created_ms", 1e12, "messages[6].created_ms: expected an integer"},
        {"/messages/6/reasoning", false, "messages[6].reasoning: expected a string"},
        {"/messages/6/refusal", true, "messages[6].refusal: expected a string"},
        {"/messages/6/model", 4, "messages[6].model: expected a string"},
        {"/messages/6/finish_reason", 0, "messages[6].finish_reason: expected a string"},
        {"/messages/6/incomplete", "yes", "messages[6].incomplete: expected true or false"},
        {"/messages/6/incomplete_reason", 1, "messages[6].incomplete_reason: expected a string"},
        {"/messages/6/pinned", 1, "messages[6].pinned: expected true or false"},
        {"/messages/2/tool_calls", json::object(), "messages[2].tool_calls: expected an array"},
        {"/messages/2/tool_calls/1", "get_time()", "messages[2].tool_calls[1]: expected an object"},
        {"/messages/2/tool_calls/1/id", 1, "messages[2].tool_calls[1].id: expected a string"},
        {"/messages/2/tool_calls/1/type", 1, "messages[2].tool_calls[1].type: expected a string"},
        {"/messages/2/tool_calls/1/function", "f", "messages[2].tool_calls[1].function: expected an object"},
        {"/messages/2/tool_calls/1/function/name", 1, "messages[2].tool_calls[1].function.name: expected a string"},
        {"/messages/2/tool_calls/1/function/arguments", {{"city", "Paris"}},
         "messages[2].tool_calls[1].function.arguments: expected a string"},
        {"/messages/2/tool_calls/1/index", -1,
         "messages[2].tool_calls[1].index: expected an integer from 0 to 2147483647"},
        {"/messages/2/tool_calls/1/index", 2147483648,
         "messages[2].tool_calls[1].index: expected an integer from 0 to 2147483647"},
        {"/messages/2/tool_calls/1/index", "1", "messages[2].tool_calls[1].index: expected an integer from 0 to 2147483647"},
        {"/summaries", json::object(), "summaries: expected an array"},
        {"/summaries/1", "a summary", "summaries[1]: expected an object"},
        {"/summaries/0/text", json::array({"a"}), "summaries[0].text: expected a string"},
        {"/summaries/0/first_message_id", 1, "summaries[0].first_message_id: expected a string"},
        {"/summaries/1/last_message_id", false, "summaries[1].last_message_id: expected a string"},
        {"/summaries/0/model", 4, "summaries[0].model: expected a string"},
        {"/summaries/0/created_ms", 0.5, "summaries[0].created_ms: expected an integer"},
        {"/summaries/0/tokens", -3, "summaries[0].tokens: expected a non-negative integer"},
        {"/summaries/0/tokens", "17", "summaries[0].tokens: expected a non-negative integer"},
    };
    for (const Case& c : cases) {
        json broken = base;
        broken[json::json_pointer(c.pointer)] = c.wrong;
        CAPTURE(c.pointer);
        CHECK(verdict(broken.dump()) == c.expected);
    }
}

TEST_CASE("session: summaries are written only when there are any, each with its text and range")
{
    Session s;
    s.messages = {message(Role::user, "m1", "hi")};
    CHECK(save_session(s).find("summaries") == std::string::npos);

    Summary bare;
    bare.first_message_id = "m1";
    bare.last_message_id = "m1";
    s.summaries = {bare};
    const std::string saved = save_session(s);
    CHECK(saved == R"({"format":"confab.session","messages":[{"content":"hi","id":"m1","role":"user"}],)"
                   R"("summaries":[{"first_message_id":"m1","last_message_id":"m1","text":""}],"version":1})");
    CHECK(load_ok(saved) == s);
}

TEST_CASE("session: a summary without its text or range is refused, and null counts as absent")
{
    const auto with_summary = [](std::string_view members) {
        return R"({"format":"confab.session","version":1,"summaries":[{"text":"t","first_message_id":"a","last_message_id":"b"},{)" +
               std::string(members) + "}]}";
    };
    CHECK(verdict(with_summary(R"("text":"t","first_message_id":"a","last_message_id":"b")")) == "loaded");
    CHECK(verdict(with_summary(R"("first_message_id":"a","last_message_id":"b")")) == "summaries[1].text: missing");
    CHECK(verdict(with_summary(R"("text":"t","last_message_id":"b")")) == "summaries[1].first_message_id: missing");
    CHECK(verdict(with_summary(R"("text":"t","first_message_id":"a","last_message_id":null)")) == "summaries[1].last_message_id: missing");
    CHECK(verdict(with_summary(R"("text":"t","first_message_id":"a","last_message_id":"b","model":null,"tokens":null)")) == "loaded");
    // Summaries are read after messages: a broken message is named first.
    CHECK(verdict(R"({"format":"confab.session","version":1,"summaries":[{}],"messages":[{}]})") ==
          "messages[0].role: missing");
}

TEST_CASE("session: a summary whose messages are gone still loads and is kept")
{
    const std::string stale = R"({"format":"confab.session","messages":[],"summaries":[{"first_message_id":"m9","last_message_id":"m2",)"
                              R"("text":"old","tone":"dry"}],"version":1})";
    const Session s = load_ok(stale);
    REQUIRE(s.summaries.size() == 1);
    CHECK(s.summaries[0].first_message_id == "m9");
    CHECK(s.summaries[0].extra == json{{"tone", "dry"}});
    CHECK(save_session(s) == stale);
}

TEST_CASE("session: a message without a known role is refused")
{
    const auto with_role = [](std::string_view role) {
        return R"({"format":"confab.session","version":1,"messages":[{"role":"user"},{"role":"assistant"},)"
               R"({"role":"tool"},{"content":"x")" + std::string(role) + "}]}";
    };
    CHECK(verdict(with_role("")) == "messages[3].role: missing");
    CHECK(verdict(with_role(R"(,"role":null)")) == "messages[3].role: missing");
    CHECK(verdict(with_role(R"(,"role":"robot")")) == R"(messages[3].role: unknown role "robot")");
    CHECK(verdict(with_role(R"(,"role":"developer")")) == R"(messages[3].role: unknown role "developer")");
    CHECK(verdict(with_role(R"(,"role":"\"\n")")) == R"(messages[3].role: unknown role "\"\n")");
    CHECK(verdict(with_role(R"(,"role":")" + std::string(100, 'x') + "\"")) ==
          "messages[3].role: unknown role \"" + std::string(40, 'x') + "...\"");
}

TEST_CASE("session: a file of another format is refused as such")
{
    CHECK(verdict(R"({"version":1,"messages":[]})") == R"(format: expected "confab.session")");
    CHECK(verdict(R"({"format":"chatgpt.export","version":1})") == R"(format: expected "confab.session")");
    CHECK(verdict(R"({"format":null,"version":1})") == R"(format: expected "confab.session")");
    CHECK(verdict(R"({"format":["confab.session"],"version":1})") == R"(format: expected "confab.session")");
    // A bare OpenAI messages array, and other roots that are not objects.
    CHECK(verdict(R"([{"role":"user","content":"hi"}])") == "(root): expected an object");
    CHECK(verdict(R"("confab.session")") == "(root): expected an object");
    CHECK(verdict("null") == "(root): expected an object");
    // The format is checked before anything else in the file.
    CHECK(verdict(R"({"format":"x","messages":[{"role":"robot"}]})") == R"(format: expected "confab.session")");
}

TEST_CASE("session: a newer version is refused, and so is a version that is not one")
{
    const auto with_version = [](std::string_view version) {
        return R"({"format":"confab.session","messages":[{"role":"robot"}])" + std::string(version) + "}";
    };
    CHECK(verdict(with_version("")) == "version: missing");
    CHECK(verdict(with_version(R"(,"version":null)")) == "version: missing");
    CHECK(verdict(with_version(R"(,"version":2)")) == "version: 2 is newer than this reader (1)");
    CHECK(verdict(with_version(R"(,"version":18446744073709551615)")) ==
          "version: 18446744073709551615 is newer than this reader (1)");
    CHECK(verdict(with_version(R"(,"version":"1")")) == "version: expected a positive integer");
    CHECK(verdict(with_version(R"(,"version":1.0)")) == "version: expected a positive integer");
    CHECK(verdict(with_version(R"(,"version":0)")) == "version: expected a positive integer");
    CHECK(verdict(with_version(R"(,"version":-1)")) == "version: expected a positive integer");
    // Version 1 then goes on to read the messages.
    CHECK(verdict(with_version(R"(,"version":1)")) == R"(messages[0].role: unknown role "robot")");
}

TEST_CASE("session: bytes that are not JSON are refused with the line and column")
{
    CHECK(verdict("") == "(root): not JSON: line 1, column 1: syntax error while parsing value - "
                         "unexpected end of input; expected '[', '{', or a literal");
    CHECK(verdict("{\"format\": confab}") == "(root): not JSON: line 1, column 12: syntax error while parsing "
                                             "value - invalid literal; last read: '\"format\": c'");
    CHECK(verdict("{}\n{}") == "(root): not JSON: line 2, column 1: syntax error while parsing value - "
                              "unexpected '{'; expected end of input");
    // A truncated message quotes what it read, cut short.
    const std::string cut = R"({"format":"confab.session","version":1,"messages":[{"role":"user","content":")" +
                            std::string(10000, 'a');
    const std::string refusal = verdict(cut);
    CHECK(refusal.starts_with("(root): not JSON: line 1, column 10078: syntax error while parsing value - "
                              "invalid string: missing closing quote; last read: '\"aaa"));
    CHECK(refusal.ends_with("aaa..."));
    CHECK(refusal.size() < 300);
}

TEST_CASE("session: every truncation of a saved file is refused")
{
    const std::string saved = save_session(rich_session());
    for (std::size_t size = 0; size < saved.size(); ++size) {
        CAPTURE(size);
        const auto loaded = load_session(std::string_view(saved).substr(0, size));
        REQUIRE(loaded.error);
        CHECK(loaded.error->where == "(root)");
    }
}

TEST_CASE("session: damaged bytes anywhere in a file never crash a load, and what loads re-saves stably")
{
    // One damage per position, taken in turn: a NUL, a byte that is never UTF-8, and two that
    // change the structure wherever they land.
    const std::string saved = save_session(rich_session());
    const char damages[] = {'\0', '\xff', '"', '}'};
    for (std::size_t at = 0; at < saved.size(); ++at) {
        std::string damaged = saved;
        damaged[at] = damages[at % 4];
        const auto loaded = load_session(damaged);
        if (!loaded.session) continue;
        const std::string again = save_session(*loaded.session);
        const auto reloaded = load_session(again);
        REQUIRE(reloaded.session);
        REQUIRE(save_session(*reloaded.session) == again);
    }
}

TEST_CASE("session: NUL bytes are refused raw and kept when escaped")
{
    using namespace std::string_literals;
    CHECK(verdict("{\"format\":\"confab\0.session\",\"version\":1}"s) ==
          "(root): not JSON: a NUL byte at offset 17");
    // nlohmann alone would take the NUL for the end of the input and ignore what follows.
    CHECK(verdict("{\"format\":\"confab.session\",\"version\":1}\0"s) ==
          "(root): not JSON: a NUL byte at offset 39");
    CHECK(verdict("{\"format\":\"confab.session\",\"version\":1} \0{\"more\":1}"s) ==
          "(root): not JSON: a NUL byte at offset 40");
    CHECK(verdict("{\"format\":\"confab.session\",\0\"version\":1}"s) ==
          "(root): not JSON: a NUL byte at offset 27");
    const Session s = load_ok(R"({"format":"confab.session","version":1,"title":"a\u0000b"})");
    CHECK(s.title == "a\0b"s);
    CHECK(save_session(s).find(R"("title":"a\u0000b")") != std::string::npos);
}

TEST_CASE("session: invalid UTF-8 is refused on load, and replaced by U+FFFD on save")
{
    CHECK(verdict("{\"format\":\"confab.session\",\"version\":1,\"title\":\"caf\xe9\"}") ==
          "(root): not JSON: line 1, column 53: syntax error while parsing value - invalid string: ill-formed "
          "UTF-8 byte; last read: '\"caf\xe9\"'");

    Session s;
    s.title = "caf\xe9";
    s.messages = {message(Role::user, "\xc3", "ok \xed\xa0\x80 ok")};  // a lone byte, an encoded surrogate
    const Session loaded = load_ok(save_session(s));
    CHECK(loaded.title == "caf\uFFFD");
    CHECK(loaded.messages[0].id == "\uFFFD");
    CHECK(loaded.messages[0].content == "ok \uFFFD\uFFFD\uFFFD ok");
}

TEST_CASE("session: deep nesting is refused before it can overflow the stack")
{
    const auto arrays = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
    std::string objects;
    for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
    objects += "1" + std::string(100000, '}');
    CHECK(verdict(arrays(100000)) == "(root): nested deeper than 128 levels");
    CHECK(verdict(objects) == "(root): nested deeper than 128 levels");

    // The file is level 1, messages 2, a message 3: its unknown member may nest 125 more.
    const auto nested_in_message = [&](std::size_t depth) {
        return R"({"format":"confab.session","version":1,"messages":[{"role":"user","deep":)" + arrays(depth) +
               "}]}";
    };
    CHECK(verdict(nested_in_message(126)) == "(root): nested deeper than 128 levels");
    const Session deepest = load_ok(nested_in_message(125));
    CHECK(load_ok(save_session(deepest)) == deepest);
}

TEST_CASE("session: gaps between messages load as they are")
{
    // A result whose call is gone, a call never answered, repeated ids, tool fields on a user
    // message, arguments that are not JSON, an unknown finish reason: all kept, none refused.
    const std::string gaps =
        R"({"format":"confab.session","messages":[)"
        R"({"content":"r","id":"x","role":"tool","tool_call_id":"nowhere"},)"
        R"({"id":"x","role":"assistant","tool_calls":[{"function":{"arguments":"{not json","name":"f"},"id":"c","type":"function"}]},)"
        R"({"finish_reason":"sleepy","id":"x","role":"user","tool_call_id":"c","tool_calls":[{"function":{"arguments":"","name":""},"type":"function"}]}],)"
        R"("version":1})";
    const Session s = load_ok(gaps);
    CHECK(s.messages.size() == 3);
    CHECK(s.messages[1].tool_calls[0].arguments == "{not json");
    CHECK(save_session(s) == gaps);
}

namespace {

// Loads `bytes` with SessionLoader in steps of `budget`; the number of steps it took.
std::size_t load_in_steps(const std::string& bytes, std::size_t budget, confab::SessionLoad& out)
{
    confab::SessionLoader loader{bytes};
    std::size_t steps = 1;
    while (!loader.step(budget)) ++steps;
    out = loader.take();
    return steps;
}

// SessionLoader's load of `bytes`, at a few step sizes, is load_session's: the same session,
// or the same refusal word for word.
void same_load_in_steps(const std::string& bytes)
{
    const auto whole = load_session(bytes);
    for (std::size_t budget : {std::size_t(0), std::size_t(1), std::size_t(200), std::size_t(1) << 30}) {
        CAPTURE(budget);
        confab::SessionLoad stepped;
        load_in_steps(bytes, budget, stepped);
        REQUIRE(stepped.session.has_value() == whole.session.has_value());
        if (whole.session) CHECK(*stepped.session == *whole.session);
        else CHECK(stepped.error->text() == whole.error->text());
    }
}

} // namespace

TEST_CASE("session: SessionLoader loads a step at a time what load_session loads, and refuses what it refuses")
{
    const std::string saved = save_session(rich_session());
    const Session rich = load_ok(saved);
    REQUIRE(rich.messages.size() > 4);

    // Messages until each step's budget is read, one at least; the last step reads the rest.
    confab::SessionLoad stepped;
    CHECK(load_in_steps(saved, 1, stepped) == rich.messages.size());
    CHECK(*stepped.session == rich);
    CHECK(load_in_steps(saved, std::size_t(1) << 30, stepped) == 1);
    CHECK(*stepped.session == rich);
    CHECK(load_in_steps(R"({"format":"confab.session","messages":[],"version":1})", 1, stepped) == 1);
    CHECK(stepped.session);

    same_load_in_steps(saved);
    // Written otherwise: spaces and line breaks everywhere they may be, members in another order.
    same_load_in_steps(rich.messages.empty() ? "" : json::parse(saved).dump(2));
    same_load_in_steps(" \n{ \"version\" : 1 ,\"messages\" :\r\n[ {\"role\":\"user\",\"content\":\"a ] } \\\" [\"} ,"
                       "\t{\"role\":\"assistant\"} ] , \"format\":\"confab.session\" } \n");
    // What the loader does not split goes to load_session whole; what fails is refused as it refuses.
    for (const std::string& bytes : std::initializer_list<std::string>{
             R"({"format":"confab.session","version":1})",                                        // no messages
             R"({"format":"confab.session","version":1,"messages":{}})",                          // not an array
             R"({"format":"confab.session","version":1,"messages":[],"messages":[{"role":"user"}]})",
             R"({"format":"confab.session","version":1,"messag\u0065s":[{"role":"user"}],"messages":[]})",
             R"({"format":"confab.session","version":1,"messages":[],"messag\u0065s":[{"role":"user"}]})",
             R"({"format":"confab.session","version":1,"messages":[{"role":"robot"}]})",
             R"({"format":"confab.session","version":1,"messages":[{"role":"user"} {"role":"user"}]})",
             R"({"format":"confab.session","version":1,"messages":[{"role":"user"},]})",
             R"({"format":"confab.session","version":1,"messages":[{"role":"user"}]} x)",
             R"({"format":"confab.session","version":1,"messages":[{"role":"user"}],"id":7})",  // wrong type, after
             R"({"format":"confab.session","version":2,"messages":[{"role":"robot"}]})",
             R"({"format":"confab.session","version":1,"messages":[{"role":"user","x":[[[]]]}],"settings":5})",
             R"({"format":"confab.session","version":1,"messages":[{"role":"user","x":")" + std::string(1, '\0') + R"("}]})",
             R"({"format":"confab.session","version":1,"messages":[{"role":"user"}],"x":")" + std::string(1, '\0') + R"("})",
             R"({"format":"confab.session","messages":[{"role":"user","deep":)" + std::string(126, '[') +
                 std::string(126, ']') + R"(}],"version":1})",
             R"({"format":"confab.session","messages":[{"role":"user","deep":)" + std::string(125, '[') +
                 std::string(125, ']') + R"(}],"version":1})",
             R"({"format":"confab.session","deep":)" + std::string(127, '[') + std::string(127, ']') +
                 R"(,"messages":[{"role":"user"}],"version":1})",
             "\xEF\xBB\xBF" R"({"format":"confab.session","version":1,"messages":[]})",           // a byte order mark
             "[1,2]", "{", "", "{\"messages\":[nul]}", "{\"messages\":[1e999999]}",
         }) {
        CAPTURE(bytes);
        same_load_in_steps(bytes);
    }
    // Every truncation, and damage at every position (as in the tests above).
    for (std::size_t size = 0; size < saved.size(); size += 7) same_load_in_steps(saved.substr(0, size));
    const char damages[] = {'\0', '\xff', '"', '}', ',', '[', ']', '\\'};
    for (std::size_t at = 0; at < saved.size(); ++at) {
        std::string damaged = saved;
        damaged[at] = damages[at % 8];
        CAPTURE(at);
        same_load_in_steps(damaged);
    }
}

namespace {

// edit_session_head(bytes, title) against load_session(bytes) with the title set: the file
// it writes loads to that session, and its head and count are that session's.
confab::EditedSession retitle(std::string_view bytes, const std::string& title)
{
    return confab::edit_session_head(bytes, [&](Session& session) { session.title = title; });
}

void retitles_as_whole(const std::string& bytes, const std::string& title)
{
    CAPTURE(bytes);
    const auto retitled = retitle(bytes, title);
    Session expected = load_ok(bytes);
    expected.title = load_ok(save_session(Session{.title = title})).title;  // as a save writes it
    REQUIRE_FALSE(retitled.error);
    CHECK(load_ok(retitled.bytes) == expected);
    CHECK(retitled.message_count == expected.messages.size());
    expected.messages.clear();
    expected.title = title;  // as given: what is invalid UTF-8 in it is replaced when written
    CHECK(retitled.head == expected);
}

} // namespace

TEST_CASE("session: a new title or id is written without reading the messages, which stay byte for byte")
{
    Session rich = rich_session();
    for (const std::string& title : {std::string("Renamed"), std::string("\u00e9t\u00e9 \"quoted\" \\ \n"),
                                     std::string("bad \xff utf-8"), std::string()}) {
        CAPTURE(title);
        for (const std::string& old_title : {rich.title, std::string()}) {  // replaced, or added
            Session before = rich;
            before.title = old_title;
            Session after = before;
            after.title = title;
            const std::string saved = save_session(before);
            const auto retitled = retitle(saved, title);
            REQUIRE_FALSE(retitled.error);
            CHECK(retitled.bytes == save_session(after));  // a file save_session wrote: its bytes
            retitles_as_whole(saved, title);
            retitles_as_whole(json::parse(saved).dump(2), title);  // written otherwise
        }
    }
    const Session empty = load_ok(R"({"format":"confab.session","version":1,"messages":[]})");
    CHECK(retitle(save_session(empty), "t").bytes == R"({"format":"confab.session","messages":[],"title":"t","version":1})");
    Session other_id = rich;
    other_id.id = "a new id";
    CHECK(confab::edit_session_head(save_session(rich), [](Session& s) { s.id = "a new id"; }).bytes == save_session(other_id));

    // The messages are not read: one that does not load stays as it was, and so does its refusal.
    const std::string robot =
        R"({"format":"confab.session","messages":[{"role":"user"}, {"role":"robot","x":[1,"]"]}],"title":"a","version":1})";
    const auto renamed = retitle(robot, "b");
    REQUIRE_FALSE(renamed.error);
    CHECK(renamed.bytes == R"({"format":"confab.session","messages":[{"role":"user"}, {"role":"robot","x":[1,"]"]}],"title":"b","version":1})");
    CHECK(renamed.message_count == 2);
    CHECK(renamed.head.title == "b");
    CHECK(verdict(renamed.bytes) == verdict(robot));

    // The other members are loaded: what they lack is refused as load_session refuses it.
    for (const std::string& bytes : std::initializer_list<std::string>{
             R"({"format":"confab.session","messages":[],"title":"a","version":2})",
             R"({"format":"confab.session","messages":[],"title":7,"version":1})",
             R"({"format":"other","messages":[],"version":1})",
             R"({"format":"confab.session","messages":[{"role":"robot"}],"settings":5,"version":1})",
             R"({"format":"confab.session","messages":[],"version":1} x)",
             "", "[]", "{", "{}"}) {
        CAPTURE(bytes);
        const auto refused = retitle(bytes, "b");
        REQUIRE(refused.error);
        CHECK(refused.error->text() == verdict(bytes));
    }
    // What it does not expect is loaded and saved whole.
    for (const std::string& bytes : std::initializer_list<std::string>{
             R"({"format":"confab.session","messages":[],"titl\u0065":"a","version":1})",
             R"({"format":"confab.session","messages":[],"title":"a","title":"z","version":1})",
             R"({"format":"confab.session","messages":[],"version":1,"messages":[{"role":"user"}]})",
             R"({"format":"confab.session","messages":[{"role":"user"} {"role":"user"}],"version":1})",
             R"({"format":"confab.session","messages":null,"version":1})",
             R"({"format":"confab.session","version":1})",
         }) {
        CAPTURE(bytes);
        const auto retitled = retitle(bytes, "b");
        if (load_session(bytes).error) {
            REQUIRE(retitled.error);
            CHECK(retitled.error->text() == verdict(bytes));
        } else {
            retitles_as_whole(bytes, "b");
        }
    }

    // Damage anywhere: what loads is renamed as a whole load would; what does not is refused as
    // load_session refuses it, or renamed and still refused.
    const std::string saved = save_session(rich);
    const char damages[] = {'\0', '\xff', '"', '}', ',', '[', ']', '\\'};
    for (std::size_t at = 0; at < saved.size(); ++at) {
        std::string damaged = saved;
        damaged[at] = damages[at % 8];
        CAPTURE(at);
        if (!load_session(damaged).error) {
            retitles_as_whole(damaged, "b");
            continue;
        }
        const auto retitled = retitle(damaged, "b");
        if (retitled.error) CHECK(retitled.error->text() == verdict(damaged));
        else CHECK(load_session(retitled.bytes).error);
    }
}

TEST_CASE("session: SessionWriter::prime writes a step of messages at a time, and the next write is save_session's")
{
    Session session = rich_session();
    confab::SessionWriter writer;
    std::size_t steps = 1;
    while (!writer.prime(session, 1)) ++steps;
    CHECK(steps == session.messages.size());
    CHECK(writer.prime(session, 1));
    CHECK(writer.write(session) == save_session(session));
    // A message that changed after it was primed is written again.
    confab::SessionWriter changed;
    CHECK_FALSE(changed.prime(session, 1));
    session.messages[0].content = std::string("changed after priming");
    CHECK(changed.write(session) == save_session(session));
    confab::SessionWriter big;
    CHECK(big.prime(session, std::size_t(1) << 30));
    CHECK(big.write(session) == save_session(session));
}

TEST_CASE("session: the documented example is exactly what the writer writes")
{
    const std::string doc = confab::test::read_fixture("../../docs/session-format.md");
    const auto begin = doc.find("```json\n");
    REQUIRE(begin != std::string::npos);
    const auto end = doc.find("\n```", begin + 8);
    REQUIRE(end != std::string::npos);
    const std::string example = doc.substr(begin + 8, end - begin - 8);

    const Session s = load_ok(example);
    CHECK(json::parse(save_session(s)) == json::parse(example));
    CHECK(s.messages.size() >= 4);
    CHECK(s.summaries.size() == 1);
}
