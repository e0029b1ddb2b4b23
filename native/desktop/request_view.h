// native/desktop/request_view.h
// The Request window's state: the exact JSON body of the last request sent and of the next
// one (Conversation::preview, after trimming), every message of the session with its token
// estimate and whether the next request keeps it, drops it or sends a summary in its place
// (with the trimmer's reason), and the budget's parts for the bar. All of it is the core's
// answer; this file only lines it up for display.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/conversation.h"

namespace confab::desktop {

struct RequestRow {
    enum class Fate { kept, dropped, summarized, draft };  // draft: the text being typed
    std::size_t index = 0;          // in session.messages (the draft: one past the end)
    Role role = Role::user;
    std::string id;
    std::string preview;            // one line of the text
    std::int64_t tokens = 0;        // the estimator's count, as the budget counts it
    Fate fate = Fate::kept;
    std::string reason;             // why it is not sent (dropped, summarized)
    bool pinned = false;
};

struct RequestView {
    std::string next_body;          // pretty JSON; empty when the next request cannot be built
    std::string last_body;          // pretty JSON of the last request sent; empty before the first
    std::vector<RequestRow> rows;
    std::int64_t estimated_tokens = 0;   // what the next request's messages take
    ContextBudget budget;
    std::optional<std::string> summary;  // the stored summary sent in place of dropped turns
    std::optional<std::string> summary_needed;  // what a new summary would cover
    std::optional<std::string> error;     // why nothing can be sent
    Cost estimated_cost;
    std::size_t kept = 0, dropped = 0, summarized = 0;

    // The bar: the part of the budget the request fills (may exceed 1).
    double fill() const;
};

// Builds the view for the next message `draft` ("" = the request as the session stands, as
// a retry would send it). `last_body` is the body of the last StartRequest, as sent.
RequestView make_request_view(const Conversation& conversation, const std::string& draft, const std::string& last_body);

// JSON text re-indented for reading; the text itself when it is not JSON.
std::string pretty_json(const std::string& text);

std::string_view to_string(RequestRow::Fate fate);

} // namespace confab::desktop
