// tests/desktop/session_store_test.cpp
#include <doctest/doctest.h>

#include <filesystem>

#include "native/desktop/session_store.h"
#include "tests/desktop/desktop_test_util.h"

using namespace confab;
using namespace confab::desktop;

namespace {

Session session_with(std::string id, std::int64_t updated, std::string first_question)
{
    Session session;
    session.id = std::move(id);
    session.updated_ms = updated;
    Message user;
    user.role = Role::user;
    user.content = std::move(first_question);
    session.messages.push_back(user);
    return session;
}

} // namespace

TEST_CASE("session_store: new sessions are listed newest first, titled by their first question")
{
    support::TempDir dir;
    SessionStore store(dir.file("sessions"));
    std::string error;
    REQUIRE(store.save(session_with("a", 100, "Old question"), error));
    REQUIRE(store.save(session_with("b", 200, "New question\nwith two lines"), error));
    const auto list = store.list();
    REQUIRE(list.size() == 2);
    CHECK(list[0].id == "b");
    CHECK(list[0].title == "New question with two lines");
    CHECK(list[0].messages == 1);
    CHECK(list[1].path == store.path_for("a"));
    CHECK_FALSE(std::filesystem::exists(store.path_for("a") + ".tmp"));  // written through a temporary, renamed
}

TEST_CASE("session_store: rename, open, delete")
{
    support::TempDir dir;
    SessionStore store(dir.path);
    std::string error;
    REQUIRE(store.save(session_with("s1", 1, "Hello"), error));
    const auto path = store.path_for("s1");
    REQUIRE(store.rename(path, "Greetings", error));
    const auto opened = store.open(path, error);
    REQUIRE(opened);
    CHECK(opened->title == "Greetings");
    CHECK(opened->messages.size() == 1);
    CHECK(store.list()[0].title == "Greetings");
    REQUIRE(store.remove(path, error));
    CHECK(store.list().empty());
    CHECK_FALSE(store.remove(path, error));
    CHECK(error.find("s1.json") != std::string::npos);
}

TEST_CASE("session_store: a file that is not a session is listed with its error, and never opened")
{
    support::TempDir dir;
    SessionStore store(dir.path);
    std::string error;
    REQUIRE(native::write_atomically(dir.file("broken.json"), R"({"format":"confab.session","version":1,"messages":[{"role":"robot"}]})", error));
    REQUIRE(native::write_atomically(dir.file("notes.txt"), "not listed", error));
    const auto list = store.list();
    REQUIRE(list.size() == 1);
    CHECK(list[0].error == "messages[0].role: unknown role \"robot\"");
    CHECK(list[0].title == "broken.json");
    CHECK_FALSE(store.open(list[0].path, error));
    CHECK(error.find("unknown role") != std::string::npos);
}

TEST_CASE("session_store: import copies a session in under a free id; export writes the widget's format")
{
    support::TempDir dir;
    SessionStore store(dir.file("store"));
    std::string error;
    const auto outside = dir.file("exported-from-browser.json");
    REQUIRE(native::write_atomically(outside, save_session(session_with("web-1", 5, "From the browser")), error));
    const auto first = store.import(outside, error);
    REQUIRE(first);
    CHECK(*first == store.path_for("web-1"));
    const auto second = store.import(outside, error);  // the same file again: never overwrites
    REQUIRE(second);
    CHECK(*second == store.path_for("web-1-2"));
    CHECK(store.list().size() == 2);

    const auto exported = dir.file("out.json");
    REQUIRE(store.export_to(*first, exported, error));
    const auto bytes = native::read_file(exported, error);
    REQUIRE(bytes);
    const auto loaded = load_session(*bytes);
    REQUIRE(loaded.session);
    CHECK(loaded.session->id == "web-1");
    CHECK(bytes->find("\"format\":\"confab.session\"") != std::string::npos);

    CHECK_FALSE(store.import(dir.file("missing.json"), error));
}

TEST_CASE("session_store: ids become safe file names")
{
    SessionStore store("/tmp/x");
    CHECK(store.path_for("../../etc/passwd") == "/tmp/x/session.._.._etc_passwd.json");
    CHECK(store.path_for("a b/c") == "/tmp/x/a_b_c.json");
    CHECK(store.path_for("") == "/tmp/x/session.json");
}
