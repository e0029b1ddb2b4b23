// tests/session_merge_test.cpp
// Two tabs' copies of one session, combined (core/session_merge.h): what each tab added is
// kept in time order, what a tab dropped stays dropped, and nothing is lost to a damaged file.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/session.h"
#include "core/session_merge.h"

using confab::merge_session_files;
using confab::merge_sessions;
using confab::Message;
using confab::Role;
using confab::Session;
using confab::Summary;
using nlohmann::json;

namespace {

using Ids = std::vector<std::string>;

// A user message `id`, written at `created_ms`, saying `text` (its id when empty).
Message tab_message(std::string id, std::int64_t created_ms, std::string text = "")
{
    Message m;
    m.role = Role::user;
    m.content = text.empty() ? id : text;
    m.id = std::move(id);
    m.created_ms = created_ms;
    return m;
}

Session tab_session(std::vector<Message> messages)
{
    Session s;
    s.id = "s1";
    s.title = "Paris";
    s.created_ms = 1;
    s.updated_ms = 1;
    s.messages = std::move(messages);
    return s;
}

// The ids of a session's messages, in order.
Ids merged_ids(const Session& session)
{
    Ids ids;
    for (const Message& m : session.messages) ids.push_back(m.id);
    return ids;
}

Summary summary_at(std::string text, std::int64_t created_ms)
{
    Summary s;
    s.text = std::move(text);
    s.first_message_id = "u1";
    s.last_message_id = "a1";
    s.created_ms = created_ms;
    return s;
}

} // namespace

TEST_CASE("session_merge: what each tab added is kept, in time order")
{
    // Both tabs opened u1 a1; tab A then asked Au and tab B asked Bu and got Br.
    const Session ours = tab_session({tab_message("u1", 10), tab_message("a1", 11), tab_message("Au", 20)});
    const Session stored = tab_session({tab_message("u1", 10), tab_message("a1", 11), tab_message("Bu", 15),
                                        tab_message("Br", 25)});
    const Session merged = merge_sessions(ours, stored, Ids{"u1", "a1", "Au"});
    CHECK(merged_ids(merged) == Ids{"u1", "a1", "Bu", "Au", "Br"});
    CHECK(merged.messages[2] == stored.messages[2]);
}

TEST_CASE("session_merge: two tabs that write in turn both end with every message")
{
    const Session opened = tab_session({tab_message("u1", 10)});
    Session a = opened, b = opened;
    a.messages.push_back(tab_message("A1", 20));
    b.messages.push_back(tab_message("B1", 21));
    Ids a_known = merged_ids(a), b_known = merged_ids(b);

    const Session file1 = merge_sessions(a, opened, a_known);  // A writes first
    const Session file2 = merge_sessions(b, file1, b_known);   // then B, over it
    CHECK(merged_ids(file2) == Ids{"u1", "A1", "B1"});
    // A, still without B1 in memory, writes again: B1 stays.
    a.messages.push_back(tab_message("A2", 30));
    a_known.push_back("A2");
    CHECK(merged_ids(merge_sessions(a, file2, a_known)) == Ids{"u1", "A1", "B1", "A2"});
}

TEST_CASE("session_merge: at equal times ours come first, and each side keeps its own order")
{
    // Out of time order on both sides (a clock set back): merged, never re-sorted.
    const Session ours = tab_session({tab_message("o1", 30), tab_message("o2", 10), tab_message("o3", 40)});
    const Session stored = tab_session({tab_message("t1", 40), tab_message("t2", 20)});
    CHECK(merged_ids(merge_sessions(ours, stored, Ids{})) == Ids{"o1", "o2", "o3", "t1", "t2"});

    const Session tied = tab_session({tab_message("t", 10)});
    CHECK(merged_ids(merge_sessions(tab_session({tab_message("o", 10)}), tied, Ids{})) == Ids{"o", "t"});
}

TEST_CASE("session_merge: a message this tab held and dropped stays dropped")
{
    // A retried reply (r1 replaced by r2), or a deleted message.
    const Session ours = tab_session({tab_message("u1", 10), tab_message("r2", 30)});
    const Session stored = tab_session({tab_message("u1", 10), tab_message("r1", 20)});
    CHECK(merged_ids(merge_sessions(ours, stored, Ids{"u1", "r1", "r2"})) == Ids{"u1", "r2"});
    // Without the memory of r1 it is another tab's message, and kept.
    CHECK(merged_ids(merge_sessions(ours, stored, Ids{"u1", "r2"})) == Ids{"u1", "r1", "r2"});
}

TEST_CASE("session_merge: a message deleted in the other tab comes back while this tab holds it")
{
    const Session ours = tab_session({tab_message("u1", 10), tab_message("a1", 11)});
    const Session stored = tab_session({tab_message("u1", 10)});
    CHECK(merged_ids(merge_sessions(ours, stored, Ids{"u1", "a1"})) == Ids{"u1", "a1"});
}

TEST_CASE("session_merge: a message already in ours is never added twice")
{
    // Ours holds Bu from an earlier merge whose flush failed, so no save of this tab held it.
    const Session ours = tab_session({tab_message("u1", 10), tab_message("Bu", 15)});
    const Session stored = tab_session({tab_message("u1", 10), tab_message("Bu", 15)});
    CHECK(merged_ids(merge_sessions(ours, stored, Ids{"u1"})) == Ids{"u1", "Bu"});
}

TEST_CASE("session_merge: a stored message without an id adds nothing")
{
    const Session ours = tab_session({tab_message("u1", 10)});
    const Session stored = tab_session({tab_message("u1", 10), tab_message("", 12, "no id")});
    CHECK(merge_sessions(ours, stored, Ids{"u1"}) == ours);
}

TEST_CASE("session_merge: a message both hold is ours, unless ours was caught mid-stream")
{
    Message partial = tab_message("r1", 20, "Par");
    partial.role = Role::assistant;
    partial.incomplete = true;
    partial.incomplete_reason = "still streaming";
    Message finished = partial;
    finished.content = "Paris is the capital.";
    finished.incomplete = false;
    finished.incomplete_reason.clear();
    Message stopped = finished;
    stopped.content = "Paris is";
    stopped.incomplete = true;
    stopped.incomplete_reason = "stopped";

    const Session stale = tab_session({tab_message("u1", 10), partial, tab_message("u2", 30)});
    // The tab that streamed r1 finished it after this tab read it: its copy wins.
    const Session done = merge_sessions(stale, tab_session({tab_message("u1", 10), finished}), Ids{"u1", "r1", "u2"});
    CHECK(done.messages[1] == finished);
    CHECK(merged_ids(done) == Ids{"u1", "r1", "u2"});
    CHECK(merge_sessions(stale, tab_session({stopped}), Ids{"r1"}).messages[1] == stopped);
    // Still streaming on both sides, or finished here: ours.
    Message longer = partial;
    longer.content = "Paris i";
    CHECK(merge_sessions(stale, tab_session({longer}), Ids{"r1"}).messages[1] == partial);
    const Session ended = tab_session({finished});
    CHECK(merge_sessions(ended, tab_session({partial}), Ids{"r1"}) == ended);
    CHECK(merge_sessions(tab_session({stopped}), ended, Ids{"r1"}).messages[0] == stopped);
    // An edit of either side's finished message: ours.
    Message edited = finished;
    edited.pinned = true;
    CHECK(merge_sessions(ended, tab_session({edited}), Ids{"r1"}) == ended);
}

TEST_CASE("session_merge: summaries the other tab added are kept, in time order, once")
{
    Session ours = tab_session({tab_message("u1", 10), tab_message("a1", 11)});
    Session stored = ours;
    ours.summaries = {summary_at("ours", 100), summary_at("both", 300)};
    stored.summaries = {summary_at("theirs", 200), summary_at("both", 300), summary_at("later", 400)};
    const Session merged = merge_sessions(ours, stored, Ids{"u1", "a1"});
    std::vector<std::string> texts;
    for (const Summary& s : merged.summaries) texts.push_back(s.text);
    CHECK(texts == std::vector<std::string>{"ours", "theirs", "both", "later"});
}

TEST_CASE("session_merge: the title, the times and the members this version does not know")
{
    Session ours = tab_session({tab_message("u1", 10)});
    Session stored = ours;
    ours.updated_ms = 50;
    stored.updated_ms = 70;
    stored.title = "Renamed elsewhere";
    ours.settings.model = "ours-model";
    stored.settings.model = "their-model";
    ours.extra = {{"color", "blue"}};
    stored.extra = {{"color", "red"}, {"folder", "work"}};
    stored.settings.extra = {{"seed", 7}};

    Session merged = merge_sessions(ours, stored, Ids{"u1"});
    CHECK(merged.title == "Paris");
    CHECK(merged.updated_ms == 70);
    CHECK(merged.created_ms == ours.created_ms);
    CHECK(merged.settings.model == "ours-model");
    CHECK(merged.extra == json{{"color", "blue"}, {"folder", "work"}});
    CHECK(merged.settings.extra == json{{"seed", 7}});

    ours.title.clear();
    ours.updated_ms = 90;
    merged = merge_sessions(ours, stored, Ids{"u1"});
    CHECK(merged.title == "Renamed elsewhere");
    CHECK(merged.updated_ms == 90);
}

TEST_CASE("session_merge: of two titles, the one set later is kept, whichever tab saves")
{
    Session ours = tab_session({tab_message("u1", 10)});
    ours.titled_ms = 100;
    Session stored = ours;
    stored.title = "Renamed elsewhere";
    stored.titled_ms = 200;  // after ours was set: a rename in the other tab, which this one has not seen
    Session merged = merge_sessions(ours, stored, Ids{"u1"});
    CHECK(merged.title == "Renamed elsewhere");
    CHECK(merged.titled_ms == 200);
    CHECK(merge_sessions(merged, stored, Ids{"u1"}) == merged);

    ours.title = "Renamed here";
    ours.titled_ms = 300;  // and a rename here since
    merged = merge_sessions(ours, stored, Ids{"u1"});
    CHECK(merged.title == "Renamed here");
    CHECK(merged.titled_ms == 300);

    ours.titled_ms = 200;  // at the same time: ours
    CHECK(merge_sessions(ours, stored, Ids{"u1"}).title == "Renamed here");
    ours.title.clear();  // unless ours has none
    CHECK(merge_sessions(ours, stored, Ids{"u1"}).title == "Renamed elsewhere");
    // A file from before titles had times: its title is older than any set with one.
    ours.title = "Renamed here";
    stored.titled_ms = 0;
    CHECK(merge_sessions(ours, stored, Ids{"u1"}).title == "Renamed here");
}

TEST_CASE("session_merge: a stored copy of another session adds nothing")
{
    const Session ours = tab_session({tab_message("u1", 10)});
    Session other = tab_session({tab_message("x1", 5)});
    other.id = "s2";
    other.title.clear();
    CHECK(merge_sessions(ours, other, Ids{}) == ours);
    // A copy without an id is taken for this one.
    other.id.clear();
    CHECK(merged_ids(merge_sessions(ours, other, Ids{})) == Ids{"x1", "u1"});
}

TEST_CASE("session_merge: merging a copy with itself, or merging again, changes nothing")
{
    Session busy = tab_session({tab_message("u1", 10), tab_message("a1", 11), tab_message("", 12)});
    busy.messages[1].incomplete = true;
    busy.messages[1].incomplete_reason = "still streaming";
    busy.summaries = {summary_at("s", 100), summary_at("s", 100)};
    busy.extra = {{"folder", "work"}};
    const std::vector<Session> copies = {Session{}, tab_session({}), busy};
    for (const Session& s : copies) {
        CHECK(merge_sessions(s, s, Ids{}) == s);
        CHECK(merge_sessions(s, s, merged_ids(s)) == s);
    }
    const Session stored = tab_session({tab_message("u1", 10), tab_message("Bu", 15), tab_message("Br", 16)});
    for (const Session& ours : copies) {
        const Session once = merge_sessions(ours, stored, Ids{"u1"});
        CHECK(merge_sessions(once, stored, Ids{"u1"}) == once);
    }
}

TEST_CASE("session_merge: files: ours byte for byte when nothing is added or a copy does not load")
{
    const Session ours = tab_session({tab_message("u1", 10)});
    // Not as save_session writes it (spaces, another key order): kept as it is all the same.
    const std::string loose = R"({ "version": 1, "format": "confab.session", "id": "s1", "title": "Paris",
        "created_ms": 1, "updated_ms": 1, "messages": [ {"role": "user", "id": "u1", "content": "u1", "created_ms": 10} ] })";
    const Ids known{"u1"};
    CHECK(merge_session_files(loose, confab::save_session(ours), known) == loose);
    CHECK(merge_session_files(loose, loose, known) == loose);

    const std::string stored = confab::save_session(tab_session({tab_message("u1", 10), tab_message("Bu", 15)}));
    for (const std::string& damaged : {std::string(""), stored.substr(0, stored.size() / 2), std::string("[]"),
                                       std::string(R"({"format":"confab.session","version":2,"messages":[]})")}) {
        CHECK(merge_session_files(loose, damaged, known) == loose);
        CHECK(merge_session_files(damaged, stored, known) == damaged);
    }
}

TEST_CASE("session_merge: files: a merge is written as save_session writes the merged session")
{
    const Session ours = tab_session({tab_message("u1", 10), tab_message("Au", 20)});
    const Session stored = tab_session({tab_message("u1", 10), tab_message("Bu", 15)});
    const Ids known{"u1", "Au"};
    const std::string bytes = merge_session_files(confab::save_session(ours), confab::save_session(stored), known);
    CHECK(bytes == confab::save_session(merge_sessions(ours, stored, known)));
    const auto loaded = confab::load_session(bytes);
    REQUIRE(loaded.session);
    CHECK(merged_ids(*loaded.session) == Ids{"u1", "Bu", "Au"});
}

namespace {

// A copy of session "s1" as a tab may hold it, drawn from `seed`: some of messages m0..m11
// (times out of order now and then, a reply caught mid-stream or finished), a summary or two,
// a title set at some time, and members of a newer version.
Session drawn_copy(unsigned seed)
{
    auto next = [&seed](unsigned n) {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 16) % n;
    };
    Session s = tab_session({});
    for (int k = 0; k < 12; ++k) {
        if (next(3) == 0) continue;
        Message m = tab_message("m" + std::to_string(k), 10 * k + std::int64_t(next(25)), next(4) == 0 ? "" : "text \"" + std::to_string(k) + "\" é");
        if (next(5) == 0) m.id.clear();
        if (next(6) == 0) m.id = "m\"" + std::to_string(k);  // escaped in the file
        if (next(8) == 0) m.created_ms = -m.created_ms;
        if (next(4) == 0) {
            m.role = Role::assistant;
            m.incomplete = next(2) == 0;
            m.incomplete_reason = m.incomplete ? (next(3) == 0 ? "stopped" : "still streaming") : "";
        }
        if (next(6) == 0) m.extra = {{"rating", int(next(5))}};
        s.messages.push_back(std::move(m));
    }
    for (unsigned k = next(3); k > 0; --k) s.summaries.push_back(summary_at("summary " + std::to_string(next(3)), next(50)));
    s.title = next(4) == 0 ? "" : "title " + std::to_string(next(3));
    s.titled_ms = next(3);
    s.updated_ms = next(100);
    if (next(4) == 0) s.extra = {{"folder", "f" + std::to_string(next(2))}};
    if (next(4) == 0) s.settings.extra = {{"voice", "v" + std::to_string(next(2))}};
    if (next(8) == 0) s.id = "s2";
    return s;
}

// `bytes` as another writer might lay them out: spaces and line breaks between the tokens.
std::string loosened(const std::string& bytes)
{
    std::string out;
    bool in_string = false;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out += bytes[i];
        if (bytes[i] == '\\' && in_string) out += bytes[++i];
        else if (bytes[i] == '"') in_string = !in_string;
        else if (!in_string && (bytes[i] == ',' || bytes[i] == ':' || bytes[i] == '[' || bytes[i] == '{')) out += " \n";
    }
    return out;
}

} // namespace

TEST_CASE("session_merge: files: merged from the messages' bytes, as a whole load, merge and save would")
{
    // merge_session_files places the messages as bytes and loads only the stored ones it takes:
    // for files save_session wrote, its bytes are save_session's of merge_sessions' result (or
    // ours when that adds nothing); for files laid out otherwise, they load to that result.
    int merges = 0;
    for (unsigned seed = 1; seed <= 400; ++seed) {
        const Session ours = drawn_copy(seed);
        const Session stored = drawn_copy(seed * 7919u);
        Ids known;
        if (seed % 3 == 0) known = merged_ids(drawn_copy(seed * 31u));
        CAPTURE(seed);
        const Session merged = merge_sessions(ours, stored, known);
        const std::string ours_bytes = confab::save_session(ours);
        const std::string bytes = merge_session_files(ours_bytes, confab::save_session(stored), known);
        if (merged == ours) {
            CHECK(bytes == ours_bytes);
        } else {
            CHECK(bytes == confab::save_session(merged));
            ++merges;
        }
        const auto loaded = confab::load_session(merge_session_files(loosened(ours_bytes), loosened(confab::save_session(stored)), known));
        REQUIRE(loaded.session);
        CHECK(*loaded.session == merged);
    }
    CHECK(merges > 200);
}

TEST_CASE("session_merge: files: a stored message that does not load is never taken")
{
    const std::string ours = confab::save_session(tab_session({tab_message("u1", 10)}));
    const std::string added = R"({"content":"from B","created_ms":15,"id":"Bu","role":"user"})";
    const auto stored_with = [&](std::string_view message) {
        return R"({"format":"confab.session","id":"s1","messages":[{"content":"u1","created_ms":10,"id":"u1","role":"user"},)" +
               std::string(message) + "," + added + R"(],"title":"Paris","updated_ms":1,"version":1})";
    };
    // One the merge takes (an id this tab never held) that does not load: the stored copy does not
    // load, and this tab's bytes are kept as they are.
    for (const std::string_view damaged : {R"({"id":"Bx","role":"robot"})", R"({"id":"By","role":"user","content":7})",
                                           R"({"id":"Bz","role":"user","created_ms":1.5})", R"({"id":["B"],"role":"user"})"}) {
        CAPTURE(damaged);
        CHECK(merge_session_files(ours, stored_with(damaged), Ids{"u1"}) == ours);
    }
    // A member name written with escapes is read as load_session reads it (the file is merged whole).
    const std::string escaped = stored_with(R"({"i\u0064":"Bw","role":"user","created_ms":12})");
    CHECK(merge_session_files(ours, escaped, Ids{"u1"}) ==
          confab::save_session(merge_sessions(*confab::load_session(ours).session, *confab::load_session(escaped).session, Ids{"u1"})));
    // One it does not take (an id this tab has held, and dropped): the rest is merged.
    const std::string bytes = merge_session_files(ours, stored_with(R"({"id":"gone","role":"robot"})"), Ids{"u1", "gone"});
    const auto loaded = confab::load_session(bytes);
    REQUIRE(loaded.session);
    CHECK(merged_ids(*loaded.session) == Ids{"u1", "Bu"});
}
