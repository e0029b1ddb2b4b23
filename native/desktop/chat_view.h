// native/desktop/chat_view.h
// The Chat window's state: the session's messages as the engine shows them. It applies the
// display effects (ShowMessage, ShowDelta, ShowError, TurnFinished) and nothing else; what
// a message says is always what the engine said. Drawing lives in chat_window.cpp.
//
// Also the one edit a developer makes to history, edit-and-resend: the session is cut
// before the edited message and the new text is sent as a new turn (the engine then plans
// the request from the shortened history as from any other).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/boundary.h"
#include "core/session.h"

namespace confab::desktop {

struct ChatRow {
    Message message;
    bool streaming = false;         // deltas are arriving for it
    std::uint64_t revision = 0;     // grows on every change, so views can cache what they derive
};

struct ChatNotice {                 // an error the engine asked to show
    std::string text;
    bool can_retry = false;
};

class ChatView {
public:
    // Shows a whole session (after opening one): every message, nothing streaming.
    void load(const Session& session);

    void apply(const ShowMessage& show);
    void apply(const ShowDelta& show);
    void apply(const ShowError& show);
    void apply(const TurnFinished& finished);
    // A user action started a turn: clears the notices of the last one.
    void turn_started();

    const std::vector<ChatRow>& rows() const { return rows_; }
    const std::vector<ChatNotice>& notices() const { return notices_; }
    std::optional<std::size_t> streaming() const { return streaming_; }
    bool busy() const { return busy_; }
    // How the last turn ended; nothing before the first one.
    const std::optional<TurnFinished>& last_turn() const { return last_turn_; }
    // Retry is offered after a failed or cut-off reply, or an error the engine marks retryable.
    bool can_retry() const;

private:
    ChatRow& row(std::size_t index);
    void touch(ChatRow& row);

    std::vector<ChatRow> rows_;
    std::vector<ChatNotice> notices_;
    std::optional<std::size_t> streaming_;
    std::optional<TurnFinished> last_turn_;
    bool busy_ = false;
    std::uint64_t next_revision_ = 1;
};

// Which rows of a long list of rows of different heights are on screen. ImGuiListClipper
// needs rows of one height; chat messages are not, so each row's height is remembered once
// drawn (an estimate until then) and the rows between `top` and `bottom` are found from the
// running sum. 10,000 rows cost 10,000 additions a frame: nothing beside drawing them.
class RowHeights {
public:
    // Keeps known heights; new rows start at `estimate`.
    void resize(std::size_t rows, float estimate);
    void set(std::size_t row, float height) { if (row < heights_.size()) heights_[row] = height; }
    float height(std::size_t row) const { return heights_[row]; }
    std::size_t size() const { return heights_.size(); }
    float offset(std::size_t row) const;  // where the row starts
    float total() const;
    // The rows [first, last) that overlap [top, bottom).
    std::pair<std::size_t, std::size_t> visible(float top, float bottom) const;
    void clear() { heights_.clear(); }

private:
    std::vector<float> heights_;
};

// The session with messages [index, end) removed: what edit-and-resend continues from.
// Stored summaries that named a removed message are removed too, since they no longer cover
// a range of this history.
Session cut_before(const Session& session, std::size_t index);

// A short single-line preview of a text: the first `max_chars` code points with line breaks
// as spaces, and "…" when cut. Never splits a UTF-8 sequence.
std::string one_line(std::string_view text, std::size_t max_chars);

} // namespace confab::desktop
