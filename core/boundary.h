// core/boundary.h
// Everything that crosses between the core and a driver: what happened (Input) and what
// to do (Effect). A driver reports each event with Conversation::handle(input, now_ms)
// and carries out every effect it gets back, in order. The core keeps no clock: time
// arrives as `now_ms`, and waits are timers the driver runs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chunk_assembler.h"
#include "core/message.h"
#include "core/pricing.h"

namespace confab {

// ---- Inputs ------------------------------------------------------------------------------

struct UserSent {              // the user sent a message
    std::string text;
};
struct UserStopped {};         // the user pressed stop
struct UserRetried {};         // the user asked to retry the last failed or cut-off reply
struct UserRenamed {           // the user named the conversation (at any time, a reply streaming or not)
    std::string title;
};
struct HttpHead {              // the status line and headers of a response arrived
    std::uint64_t request = 0;
    int status = 0;
    std::string content_type;
    std::string retry_after;   // the Retry-After header, as sent ("" when absent)
};
struct HttpBody {              // bytes of the body arrived: any slice, unchanged
    std::uint64_t request = 0;
    std::string_view bytes;    // valid during handle() only
};
struct HttpEnd {               // the body ended normally
    std::uint64_t request = 0;
};
struct HttpFailed {            // the request failed: no connection, reset, TLS error...
    std::uint64_t request = 0;
    std::string reason;        // plain words from the transport
};
struct ToolFinished {          // a RunTool finished
    std::string call_id;
    bool ok = true;            // false: `result` is the error the tool raised
    std::string result;
};
struct TimerFired {            // a StartTimer's delay passed
    std::uint64_t timer = 0;
};

using Input = std::variant<UserSent, UserStopped, UserRetried, UserRenamed, HttpHead, HttpBody, HttpEnd,
                           HttpFailed, ToolFinished, TimerFired>;

// ---- Effects -----------------------------------------------------------------------------

struct StartRequest {          // send this HTTP request; report with the same id
    std::uint64_t id = 0;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;          // JSON
    bool summary = false;      // a summary of dropped turns, not the user's reply
};
struct CancelRequest {         // abort it; no more inputs for it are wanted
    std::uint64_t id = 0;
};
struct StartTimer {
    std::uint64_t id = 0;
    std::int64_t delay_ms = 0;
};
struct CancelTimer {
    std::uint64_t id = 0;
};
struct RunTool {               // run a host tool with validated arguments
    std::string call_id;
    std::string name;
    nlohmann::json arguments;
};
struct SaveSession {           // persist these bytes under this key (atomically)
    std::string key;
    std::string bytes;
    // What a list of sessions shows of them (the session's id, title and times; the count is
    // message_ids.size()), and the ids of the messages they hold (what a later merge is told
    // this copy held: core/session_merge.h), so that a driver need not parse the bytes for either.
    std::string id;
    std::string title;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::vector<std::string> message_ids;
};
struct ShowMessage {           // message `index` of the session appeared or changed
    std::size_t index = 0;
    Message message;
};
struct ShowDelta {             // message `index` grew by this piece while streaming
    std::size_t index = 0;
    StreamDelta delta;
};
struct ShowError {             // tell the user, in plain words
    std::string text;
    bool can_retry = false;
};

enum class TurnStatus { done, stopped, failed, incomplete };

struct TurnFinished {          // the turn is over; the engine is idle again
    TurnStatus status = TurnStatus::done;
    std::string reason;        // why it is not `done`
    Cost cost;                 // this turn's cost (all its requests)
    Tokens tokens;
};

using Effect = std::variant<StartRequest, CancelRequest, StartTimer, CancelTimer, RunTool, SaveSession, ShowMessage,
                            ShowDelta, ShowError, TurnFinished>;

std::string_view to_string(TurnStatus status);

} // namespace confab
