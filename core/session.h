// core/session.h
// A saved conversation and its file format: versioned JSON, `"format": "confab.session"`,
// `"version": 1`, specified in docs/session-format.md. Also the stored JSON shape of one
// Message; the OpenAI wire shape is a subset of it (see message_to_json).
//
// Promises, for sessions whose strings are valid UTF-8 and whose numbers are finite:
// load_session(save_session(s)) == s, and save_session(load_session(text)) is stable (a second
// round trip changes nothing). Members this version does not know are kept on re-save at
// every level (file, settings, message, tool call, summary), so a newer writer loses nothing
// through an older reader. Loading never throws and never crashes, whatever the bytes; a
// refusal names the place, as in `messages[3].role: unknown role "robot"`.
//
// How two writers' copies of one session combine (two browser tabs) is core/session_merge.h.
//
// Deliberately not done: I/O (drivers read and write the bytes), and checks between messages.
// A tool result whose call is gone, an unanswered call or a repeated id still loads as it is:
// it is the user's history, and whoever sends it to a model must cope with such gaps anyway,
// since the user can delete messages.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/message.h"

namespace confab {

inline constexpr std::string_view session_format = "confab.session";
// Changes only when an older reader would misread the file; additions an older reader can
// carry along unread keep it, so readers refuse any newer version.
inline constexpr int session_version = 1;
// Confab itself writes 6 levels (file, messages, message, tool_calls, call, function), and
// providers' usage objects add 2 below a message. nlohmann parses iteratively, but dump, copy
// and == recurse: 100000 nested arrays overflow a native 8 MiB stack, and a 64 KiB WebAssembly
// stack survives 512 levels but not 1024 (measured at -Oz). 128 keeps a margin of 4.
inline constexpr int max_session_depth = 128;

// How the session talks to the model. Empty strings and unset numbers mean "not chosen here":
// the widget's configuration (or the provider's default) applies.
struct SessionSettings {
    std::string endpoint;                          // chat-completions URL; never an API key
    std::string model;
    std::string system_prompt;
    std::optional<double> temperature;             // sampling, sent as is when set
    std::optional<double> top_p;
    std::optional<std::int64_t> max_tokens;
    std::optional<std::int64_t> context_window;    // context budget, in tokens
    std::optional<std::int64_t> reserved_output;
    std::optional<std::int64_t> safety_margin;
    nlohmann::json extra = nlohmann::json::object();  // members this version does not know

    bool operator==(const SessionSettings&) const = default;
};

// What a cheaper model wrote about messages that trimming left out of the context (tiered
// routing; see core/context_trimmer.h). The messages themselves stay in `messages`: a summary
// only changes what is sent. It names the messages it covers by id, not by position, so that
// deleting or adding other messages does not shift it; a summary whose ends are gone (or whose
// ids are repeated) covers nothing and is never sent, but it loads and is kept all the same.
struct Summary {
    std::string text;
    std::string first_message_id;                  // the first message it covers
    std::string last_message_id;                   // the last one, inclusive
    std::string model;                             // the model that wrote it
    std::int64_t created_ms = 0;                   // passed in by the driver, never read from a clock
    // Its size when stored: the summary model's completion_tokens, or an estimate. For display;
    // the trimmer estimates the summary afresh, like every message it sends.
    std::int64_t tokens = 0;
    nlohmann::json extra = nlohmann::json::object();  // members this version does not know

    bool operator==(const Summary&) const = default;
};

struct Session {
    std::string id;
    std::string title;
    // When the title was last set (a rename, or the first message naming the session): of two
    // copies' titles, the later one's is kept (core/session_merge.h). 0: never, or not known.
    std::int64_t titled_ms = 0;
    std::int64_t created_ms = 0;                   // passed in by the driver, never read from a clock
    std::int64_t updated_ms = 0;
    SessionSettings settings;
    std::vector<Message> messages;
    std::vector<Summary> summaries;                // oldest first; written only when there are any
    nlohmann::json extra = nlohmann::json::object();  // top-level members this version does not know

    bool operator==(const Session&) const = default;
};

// Why a file was refused: `where` is a path into the document ("messages[0].tool_calls[1]",
// "settings.temperature", or "(root)"), `message` says what is wrong there.
struct SessionError {
    std::string where;
    std::string message;

    std::string text() const { return where + ": " + message; }
    bool operator==(const SessionError&) const = default;
};

// Exactly one of the two is set.
struct SessionLoad {
    std::optional<Session> session;
    std::optional<SessionError> error;
};

// The stored shape of one message: the OpenAI wire members (`role`, `content`, `name`,
// `tool_calls` as [{"id", "type", "function": {"name", "arguments"}}], `tool_call_id`) beside
// Confab's own (`id`, `created_ms`, `reasoning`, `refusal`, `model`, `finish_reason`, `usage`,
// `incomplete`, `incomplete_reason`, `pinned`) and the unknown ones from `extra` (known names
// win over `extra`). Every member at its default value is left out, except `role` and each
// function call's `type`, `function.name` and `function.arguments`, which the wire requires.
// A tool call's `index` appears only when it differs from its position in the array. To get
// the wire shape, keep the wire members and drop `index` from each tool call.
nlohmann::json message_to_json(const Message& message);

// Reads the stored shape of one message. `where` names it in errors ("messages[3]"; empty for
// a message on its own). null counts as absent for every member but `role`, which is required.
// On success fills `out`; on error leaves it untouched.
std::optional<SessionError> message_from_json(const nlohmann::json& value, std::string_view where,
                                              Message& out);

// The file's bytes: compact JSON (one line, keys in sorted order), deterministic. Never throws:
// invalid UTF-8 in a string is written as U+FFFD.
std::string save_session(const Session& session);

// Writes session files as save_session does, byte for byte, keeping each message's text from
// its last write: a conversation's file is written again at every save (before a request, once
// a second while a reply streams, when it ends), and escaping its unchanged messages again was
// most of that (escaping took 145 ms of a turn's main thread in the widget, with 5.9 MB
// stored: the saves and the request body). A message is written again when it differs from the
// one last written at its position (compared whole: no hash decides what the file holds).
// Keeps a copy of the messages it wrote, and their text.
class SessionWriter {
public:
    std::string write(const Session& session);
    // Writes the text of messages not written yet, in order, until about `budget` bytes of it
    // are written: a session just opened, a step at a time, so that its first save is cheap
    // and no single call writes all of a long one. True once every message has its text.
    bool prime(const Session& session, std::size_t budget);

private:
    struct Written {
        Message message;
        std::string text;
    };
    // Writes message `i` again when it differs from the one last written there; its text's size.
    std::size_t refresh(const Session& session, std::size_t i);
    std::vector<Written> written_;
};

// Reads a file written by any version-1 writer. Refuses, with the first problem found: bytes
// that are not JSON or nest deeper than max_session_depth, another format, a newer version,
// a member of the wrong type, an unknown role, and a summary without its text or range.
SessionLoad load_session(std::string_view bytes);

// Loads a session file as load_session does, a step at a time, so a driver with one thread
// can let its page draw between steps: opening a 2,000-message session (5.9 MB) in one call
// held the widget's main thread for about 200 ms. Each step reads messages until about
// `budget` bytes of them are read (one at least); the last also reads the members after them
// and loads everything but the messages as load_session does. Success and failure are
// load_session's for the same bytes, errors word for word: at the first thing this reader does
// not expect (bytes that do not load, a member name written with escapes, "messages" given
// twice or not as an array) the file is handed to load_session whole, in that step.
class SessionLoader {
public:
    explicit SessionLoader(std::string bytes);
    // Does the next step; true once the load is done (take() has it).
    bool step(std::size_t budget);
    // The load, once step() returned true.
    SessionLoad take() { return std::move(result_); }

private:
    bool whole();
    bool start();
    bool finish();
    std::string bytes_;
    std::size_t at_ = 0;                 // where reading goes on: the next message, or what follows them
    std::size_t array_begin_ = 0;        // the bytes of the messages' array: [begin, end)
    std::size_t array_end_ = 0;
    bool started_ = false;
    bool done_ = false;
    std::vector<Message> messages_;
    SessionLoad result_;
};

// A session file with its members other than the messages changed by `edit` (a new title or
// id), and what a list of sessions shows of it. Those members are a few hundred bytes of a file
// that holds a whole conversation: loading and saving all of a 2,000-message session (5.9 MB)
// to rename it held the widget's main thread for 0.46-0.72 s. So only they are loaded, and
// checked as load_session checks them; `edit` gets the session without its messages; and the
// file is written as save_session writes it, with the messages' array kept byte for byte: it is
// only scanned, for where it ends and how many it holds.
//
// For a file save_session wrote, the bytes are save_session's for the edited session. A file
// that loads gives one that loads to the edited session. A file whose messages do not load is
// edited all the same, and still does not load; one whose other members do not load is refused
// as load_session refuses it. What this reader does not expect (bytes that do not scan as one
// object, a member name written with escapes, a member given twice, no messages' array) is
// loaded and saved whole, `edit` getting all of it, and refused when it does not load.
struct EditedSession {
    std::optional<SessionError> error;  // set alone when the file is refused
    std::string bytes;                  // the new file
    Session head;                       // the edited session, its messages left out
    std::size_t message_count = 0;
};
EditedSession edit_session_head(std::string_view bytes, const std::function<void(Session&)>& edit);

// A session file read as edit_session_head reads it, for what combines messages of two files
// without loading them all (merge_session_files: two tabs each holding a copy of a
// 2,000-message session loaded, merged and saved both whole, 0.7-0.9 s at every save while a
// reply streamed): the session without its messages, loaded and checked as load_session does,
// and each message's bytes as the file holds them, unread but for what tells them apart.
struct MarkedMessage {
    std::string_view bytes;
    std::string id;
    std::int64_t created_ms = 0;
    bool still_streaming = false;  // incomplete, for still_streaming_reason
};
struct SplitSession {
    Session head;
    std::vector<MarkedMessage> messages;
};
// nullopt where edit_session_head would load the file whole (bytes that do not scan as one
// object, a member name written with escapes, a member given twice, no messages' array), where
// its head does not load, and where a message does not scan as an object or its id,
// created_ms, incomplete or incomplete_reason is not what message_from_json takes, is given
// twice or has its name written with escapes. The other members of a message are not read:
// a message that does not load is split all the same.
std::optional<SplitSession> split_session(std::string_view bytes);

// What save_session writes for `head` with these messages instead of its own, given as the text
// message_to_json's dump would write for each: copied as they are.
std::string save_session_with(const Session& head, const std::vector<std::string_view>& messages);

} // namespace confab
