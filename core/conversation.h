// core/conversation.h
// The conversation engine: the state machine that turns a user message into a finished
// turn. It decides everything (what to send, what to trim, when to retry, which tool
// calls run, what a turn costs) and does nothing itself: each handle() returns the
// effects a driver carries out (core/boundary.h). Time, the random seed and ids come in
// from outside, so the same inputs always give the same effects.
//
// One turn: the user's message is stored (SaveSession) before the request is sent; the
// context is trimmed to the model's budget (summarising dropped turns with a cheaper model
// when enabled); the reply streams in as ShowDelta effects and is saved at a bounded rate;
// tool calls are validated and run (RunTool), their results sent back, for at most
// `max_tool_rounds` rounds; the finished reply is saved and TurnFinished closes the turn.
// Failures before the first byte are retried with backoff; a reply cut off after it keeps
// its text, marked incomplete, and the user may retry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/boundary.h"
#include "core/chunk_assembler.h"
#include "core/context_trimmer.h"
#include "core/pricing.h"
#include "core/retry_policy.h"
#include "core/session.h"
#include "core/token_estimator.h"
#include "core/tool_registry.h"

namespace confab {

struct ConversationConfig {
    std::string session_key;                 // SaveSession's key
    std::string message_id_prefix = "m";     // ids are prefix + a sequence number
    std::uint64_t seed = 1;                  // for the retry jitter
    // Headers every request carries (the driver's Authorization, for instance). The core
    // never logs or stores them.
    std::vector<std::pair<std::string, std::string>> headers;

    RetryPolicy retry;
    std::int64_t first_byte_timeout_ms = 60'000;  // reasoning models think before the first byte
    std::int64_t idle_timeout_ms = 30'000;        // silence between chunks that counts as a stall
    std::int64_t tool_timeout_ms = 30'000;        // a tool round's results must arrive by then
    int max_tool_rounds = 8;
    std::int64_t save_interval_ms = 1'000;        // a streaming reply is saved at most this often
    std::size_t max_error_body_bytes = 64 * 1024; // of a non-2xx body, kept for its message

    // Tiered routing: a cheaper model condenses dropped turns (ContextTrimmer decides when).
    bool summaries = false;
    std::string summary_endpoint;            // "" = the session's endpoint
    std::string summary_model;

    Pricing pricing;                         // of the session's model
    std::optional<double> session_cap_usd;   // refuse a request that would pass it
    std::optional<double> daily_cap_usd;
    double spent_today_usd = 0;              // by other sessions today, as the driver knows it
};

class Conversation {
public:
    // `estimator` carries over what an earlier Conversation learned from reported usage
    // (calibration is per model, not per session): pass the old one's estimator() when a
    // driver opens another session or changes settings, so the next estimate stays calibrated.
    Conversation(ConversationConfig config, Session session, TokenEstimator estimator = {});

    // Reports one event; returns what to do, in order.
    std::vector<Effect> handle(const Input& input, std::int64_t now_ms);

    const Session& session() const { return session_; }
    // The session as its file holds it (save_session's bytes), by the writer its saves use, so
    // the first save after this writes only what changed since.
    std::string session_file() { return writer_.write(session_); }
    // Writes the text of about `budget` bytes of messages the session writer has not written
    // yet (SessionWriter::prime): a session just opened, a step at a time while the page is
    // idle, so that its first save is cheap. True once all are written.
    bool prime_session_file(std::size_t budget) { return writer_.prime(session_, budget); }
    ToolRegistry& tools() { return tools_; }
    const TokenEstimator& estimator() const { return estimator_; }
    bool busy() const { return phase_ != Phase::idle; }

    // The request the next user message would send, as it would be sent (after trimming),
    // with its estimated tokens and cost: what the harness and the CLI show before sending.
    struct Preview {
        nlohmann::json body;
        TrimPlan plan;
        std::int64_t estimated_input_tokens = 0;
        Cost estimated_cost;
        std::optional<std::string> error;
    };
    Preview preview(const std::string& next_user_text) const;

    // What the session has cost so far: reported usage where the provider sent it, the
    // estimate elsewhere, under both pricing models.
    Cost session_cost() const;

    // The per-day spend known to the driver changed (a new day, or another session spent).
    void set_spent_today(double usd) { config_.spent_today_usd = usd; }

private:
    enum class Phase { idle, summarizing, requesting, running_tools, waiting_retry };

    struct PendingCall {
        std::string id;
        std::string name;
        bool running = false;              // a RunTool is out for it
        std::optional<std::string> result; // the tool result text, once known
    };

    struct Out;  // collects effects

    void start_turn(const std::string& text, std::int64_t now, Out& out);
    void send_next(std::int64_t now, Out& out);
    void send_summary(const TrimPlan& plan, std::int64_t now, Out& out);
    void send_reply_request(Out& out);
    void on_head(const HttpHead& head, std::int64_t now);
    void on_body(const HttpBody& body, std::int64_t now, Out& out);
    void on_end(std::int64_t now, Out& out);
    void on_failed(const std::string& reason, std::int64_t now, Out& out);
    void on_timer(std::uint64_t timer, std::int64_t now, Out& out);
    void on_tool(const ToolFinished& done, std::int64_t now, Out& out);
    void stop(std::int64_t now, Out& out);
    void retry_turn(std::int64_t now, Out& out);
    void begin_turn(std::int64_t now, Out& out);

    void take_deltas(std::vector<StreamDelta>& deltas, std::int64_t now, Out& out);
    void finish_reply(const AssembledReply& reply, std::int64_t now, Out& out);
    void finish_summary(const AssembledReply& reply, std::int64_t now, Out& out);
    void request_failed(std::string text, bool retryable, std::optional<std::int64_t> retry_after_ms,
                        std::int64_t now, Out& out);
    void run_tools(std::int64_t now, Out& out);
    void close_tool_round(std::int64_t now, Out& out);
    void keep_partial(const std::string& reason, Out& out);
    void end_turn(TurnStatus status, std::string reason, Out& out);
    void cancel_timers(Out& out);
    std::uint64_t start_timer(std::int64_t delay_ms, Out& out);
    // Stores the session as changed at `now` (SaveSession); `reply_arriving`: the reply being
    // streamed is stored as a crash would leave it, cut off, "still streaming".
    void save(std::int64_t now, Out& out, bool reply_arriving = false);
    void write(Out& out, bool reply_arriving);  // the SaveSession of save(), its times unchanged
    void rename(std::string title, std::int64_t now, Out& out);
    Message& add_message(Message message, std::int64_t now, Out& out);
    std::string next_message_id();
    bool over_budget(double next_cost, std::string& why) const;
    TrimOptions trim_options() const;
    std::int64_t tools_tokens() const;  // TokenEstimator::estimate_tools of the tools offered
    void open_request(Phase phase, bool summary);  // a new request id and a clean slate for it

    ConversationConfig config_;
    Session session_;
    ToolRegistry tools_;
    TokenEstimator estimator_;
    SessionWriter writer_;          // the session file of every save, unchanged messages kept written
    RequestWriter request_writer_;  // and the body of every reply request
    Jitter jitter_;

    Phase phase_ = Phase::idle;
    std::uint64_t next_request_id_ = 1;
    std::uint64_t next_timer_id_ = 1;
    std::uint64_t next_message_number_ = 1;

    // The request in flight.
    std::uint64_t request_ = 0;
    bool request_is_summary_ = false;
    int attempt_ = 0;                        // 1 for the first try of this request
    int status_ = 0;                         // its HTTP status, once known
    bool streaming_ = false;                 // its body is an event stream
    bool first_byte_ = false;
    std::string body_;                       // a non-stream body (JSON reply or error)
    std::optional<std::int64_t> retry_after_ms_;
    OpenAiStream stream_;
    TokenEstimator::SentRequest request_sent_;  // what was sent, for calibration; .estimated: uncalibrated input
    std::optional<TrimPlan> summary_plan_;   // the plan a summary request serves

    // The turn.
    int tool_rounds_ = 0;
    std::optional<std::size_t> reply_index_; // the assistant message being streamed
    std::vector<PendingCall> calls_;
    std::uint64_t first_byte_timer_ = 0;
    std::uint64_t idle_timer_ = 0;
    std::uint64_t retry_timer_ = 0;
    std::uint64_t tool_timer_ = 0;
    std::int64_t last_byte_ms_ = 0;
    std::int64_t last_save_ms_ = 0;
    bool summary_failed_ = false;            // this turn goes on with plain dropping
    bool summary_asked_ = false;             // this turn already asked for a summary
    Cost turn_cost_;
    Tokens turn_tokens_;
};

} // namespace confab
