// tests/desktop/chat_view_test.cpp
#include <doctest/doctest.h>

#include "native/desktop/chat_view.h"

using namespace confab;
using namespace confab::desktop;

namespace {

Message text_message(Role role, std::string text, std::string id = "")
{
    Message m;
    m.role = role;
    m.content = std::move(text);
    m.id = std::move(id);
    return m;
}

StreamDelta delta(StreamDelta::Kind kind, std::string text)
{
    StreamDelta d;
    d.kind = kind;
    d.text = std::move(text);
    return d;
}

} // namespace

TEST_CASE("chat_view: a streamed reply grows by its deltas and settles when the turn ends")
{
    ChatView view;
    view.turn_started();
    view.apply(ShowMessage{0, text_message(Role::user, "Hi")});
    view.apply(ShowMessage{1, text_message(Role::assistant, "")});
    view.apply(ShowDelta{1, delta(StreamDelta::Kind::reasoning, "Thinking ")});
    view.apply(ShowDelta{1, delta(StreamDelta::Kind::reasoning, "hard.")});
    view.apply(ShowDelta{1, delta(StreamDelta::Kind::content, "Hel")});
    const auto revision = view.rows()[1].revision;
    view.apply(ShowDelta{1, delta(StreamDelta::Kind::content, "lo!")});
    REQUIRE(view.rows().size() == 2);
    CHECK(view.rows()[1].message.content == "Hello!");
    CHECK(view.rows()[1].message.reasoning == "Thinking hard.");
    CHECK(view.rows()[1].streaming);
    CHECK(view.rows()[1].revision > revision);
    CHECK(view.streaming() == 1u);
    CHECK(view.busy());

    view.apply(TurnFinished{TurnStatus::done, "", {}, {}});
    CHECK_FALSE(view.rows()[1].streaming);
    CHECK_FALSE(view.streaming());
    CHECK_FALSE(view.busy());
    CHECK_FALSE(view.can_retry());
}

TEST_CASE("chat_view: tool call fragments merge by index, id and name as first sent")
{
    ChatView view;
    StreamDelta first = delta(StreamDelta::Kind::tool_call, "{\"ci");
    first.tool_index = 1;
    first.tool_id = "call_b";
    first.tool_name = "get_time";
    StreamDelta zero = delta(StreamDelta::Kind::tool_call, "{}");
    zero.tool_index = 0;
    zero.tool_id = "call_a";
    zero.tool_name = "ping";
    StreamDelta rest = delta(StreamDelta::Kind::tool_call, "ty\":\"Paris\"}");
    rest.tool_index = 1;
    view.apply(ShowDelta{0, first});
    view.apply(ShowDelta{0, zero});
    view.apply(ShowDelta{0, rest});
    const auto& calls = view.rows()[0].message.tool_calls;
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].name == "ping");
    CHECK(calls[1].id == "call_b");
    CHECK(calls[1].name == "get_time");
    CHECK(calls[1].arguments == "{\"city\":\"Paris\"}");
}

TEST_CASE("chat_view: errors are kept as notices, and a failed turn offers retry")
{
    ChatView view;
    view.turn_started();
    view.apply(ShowError{"The provider is overloaded (503).", true});
    view.apply(TurnFinished{TurnStatus::failed, "503", {}, {}});
    REQUIRE(view.notices().size() == 1);
    CHECK(view.notices()[0].can_retry);
    CHECK(view.can_retry());
    view.turn_started();
    CHECK(view.notices().empty());
    CHECK_FALSE(view.can_retry());  // busy again
}

TEST_CASE("chat_view: load shows a whole session, nothing streaming")
{
    Session session;
    for (int i = 0; i < 3; ++i) session.messages.push_back(text_message(i % 2 ? Role::assistant : Role::user, "m" + std::to_string(i)));
    ChatView view;
    view.apply(ShowDelta{5, delta(StreamDelta::Kind::content, "stale")});
    view.load(session);
    REQUIRE(view.rows().size() == 3);
    CHECK(view.rows()[2].message.content == "m2");
    CHECK_FALSE(view.streaming());
}

TEST_CASE("chat_view: cut_before keeps the history before the edited message and the summaries inside it")
{
    Session session;
    for (int i = 0; i < 6; ++i)
        session.messages.push_back(text_message(i % 2 ? Role::assistant : Role::user, "m" + std::to_string(i), "id" + std::to_string(i)));
    session.summaries.push_back(Summary{"early", "id0", "id1", "cheap", 0, 10, {}});
    session.summaries.push_back(Summary{"spans the cut", "id2", "id5", "cheap", 0, 10, {}});
    const auto cut = cut_before(session, 4);
    REQUIRE(cut.messages.size() == 4);
    CHECK(cut.messages.back().id == "id3");
    REQUIRE(cut.summaries.size() == 1);
    CHECK(cut.summaries[0].text == "early");
    CHECK(session.messages.size() == 6);  // the original is untouched
}

TEST_CASE("chat_view: one_line flattens line breaks and never cuts a UTF-8 sequence")
{
    CHECK(one_line("a\nb\tc", 10) == "a b c");
    CHECK(one_line("héllo wörld", 5) == "héllo…");
    CHECK(one_line("日本語のテキスト", 3) == "日本語…");
    CHECK(one_line("short", 5) == "short");
}

TEST_CASE("chat_view: row heights find the rows on screen among 10,000")
{
    RowHeights rows;
    rows.resize(10'000, 20);
    rows.set(0, 100);
    CHECK(rows.total() == doctest::Approx(100 + 9'999 * 20));
    CHECK(rows.offset(1) == 100);
    CHECK(rows.visible(0, 50) == std::pair<std::size_t, std::size_t>{0, 1});
    CHECK(rows.visible(90, 130) == std::pair<std::size_t, std::size_t>{0, 3});
    CHECK(rows.visible(100 + 20 * 500, 100 + 20 * 510) == std::pair<std::size_t, std::size_t>{501, 511});
    CHECK(rows.visible(1e9f, 2e9f).first == 10'000);
    rows.resize(10'001, 30);
    CHECK(rows.height(0) == 100);  // known heights are kept
    CHECK(rows.height(10'000) == 30);
}
