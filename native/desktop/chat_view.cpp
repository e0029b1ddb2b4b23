// native/desktop/chat_view.cpp
#include "native/desktop/chat_view.h"

#include <algorithm>

namespace confab::desktop {

void ChatView::load(const Session& session)
{
    rows_.clear();
    notices_.clear();
    streaming_.reset();
    last_turn_.reset();
    busy_ = false;
    rows_.reserve(session.messages.size());
    for (const auto& message : session.messages) {
        rows_.push_back(ChatRow{message, false, 0});
        touch(rows_.back());
    }
}

ChatRow& ChatView::row(std::size_t index)
{
    if (index >= rows_.size()) rows_.resize(index + 1);
    return rows_[index];
}

void ChatView::touch(ChatRow& row) { row.revision = next_revision_++; }

void ChatView::apply(const ShowMessage& show)
{
    auto& target = row(show.index);
    target.message = show.message;
    touch(target);
    busy_ = true;
}

void ChatView::apply(const ShowDelta& show)
{
    auto& target = row(show.index);
    auto& message = target.message;
    message.role = Role::assistant;
    apply_delta(message, show.delta);  // finish reasons, usage and the rest arrive with the final ShowMessage
    if (streaming_ && *streaming_ != show.index && *streaming_ < rows_.size()) rows_[*streaming_].streaming = false;
    target.streaming = true;
    streaming_ = show.index;
    touch(target);
    busy_ = true;
}

void ChatView::apply(const ShowError& show) { notices_.push_back(ChatNotice{show.text, show.can_retry}); }

void ChatView::apply(const TurnFinished& finished)
{
    for (auto& row : rows_)
        if (row.streaming) {
            row.streaming = false;
            touch(row);
        }
    streaming_.reset();
    busy_ = false;
    last_turn_ = finished;
}

void ChatView::turn_started()
{
    notices_.clear();
    busy_ = true;
}

bool ChatView::can_retry() const
{
    if (busy_) return false;
    if (last_turn_ && (last_turn_->status == TurnStatus::failed || last_turn_->status == TurnStatus::incomplete ||
                       last_turn_->status == TurnStatus::stopped))
        return true;
    return std::any_of(notices_.begin(), notices_.end(), [](const ChatNotice& n) { return n.can_retry; });
}

void RowHeights::resize(std::size_t rows, float estimate) { heights_.resize(rows, estimate); }

float RowHeights::offset(std::size_t row) const
{
    float sum = 0;
    for (std::size_t i = 0; i < row && i < heights_.size(); ++i) sum += heights_[i];
    return sum;
}

float RowHeights::total() const { return offset(heights_.size()); }

std::pair<std::size_t, std::size_t> RowHeights::visible(float top, float bottom) const
{
    std::size_t first = heights_.size();
    float y = 0;
    std::size_t i = 0;
    for (; i < heights_.size(); ++i) {
        if (y + heights_[i] > top) {
            first = i;
            break;
        }
        y += heights_[i];
    }
    for (; i < heights_.size() && y < bottom; ++i) y += heights_[i];
    return {first, std::max(first, i)};
}

Session cut_before(const Session& session, std::size_t index)
{
    Session cut = session;
    if (index < cut.messages.size()) cut.messages.erase(cut.messages.begin() + std::ptrdiff_t(index), cut.messages.end());
    const auto present = [&](const std::string& id) {
        return std::any_of(cut.messages.begin(), cut.messages.end(), [&](const Message& m) { return m.id == id; });
    };
    std::erase_if(cut.summaries, [&](const Summary& s) { return !present(s.first_message_id) || !present(s.last_message_id); });
    return cut;
}

std::string one_line(std::string_view text, std::size_t max_chars)
{
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const bool starts_char = (c & 0xC0) != 0x80;
        if (starts_char && chars == max_chars) return out + "…";
        if (starts_char) ++chars;
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : char(c);
    }
    return out;
}

} // namespace confab::desktop
