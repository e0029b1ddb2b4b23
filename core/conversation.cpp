// core/conversation.cpp
#include "core/conversation.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "core/json_util.h"
#include "core/provider_error.h"
#include "core/request_builder.h"

namespace confab {

namespace {

bool is_event_stream(std::string_view content_type)
{
    return content_type.find("text/event-stream") != std::string_view::npos;
}

std::string plain_usd(double usd)
{
    char text[32];
    std::snprintf(text, sizeof text, "$%.4f", usd);
    return text;
}

// A call's id pairs it with its result: in the next request (OpenAI's rule: each tool message's
// tool_call_id answers a call of the assistant message before it, and a call without an id
// cannot be answered), and in the ToolFinished a driver reports. Some providers send no id, or
// the same ones in every reply ("call_0"); then a tool that timed out in one round and answers
// during the next would be taken for that round's call. So a call whose id is missing, or
// already held by another call of the session, gets its own: "call_" + its message's id + "_" +
// its index (with "_" added until no call holds it).
void give_calls_ids(Message& reply, const std::vector<Message>& messages)
{
    if (reply.tool_calls.empty()) return;
    std::unordered_set<std::string> taken;
    for (const auto& message : messages) {
        if (&message == &reply) continue;
        for (const auto& call : message.tool_calls)
            if (call.id) taken.insert(*call.id);
    }
    for (std::size_t k = 0; k < reply.tool_calls.size(); ++k) {
        auto& id = reply.tool_calls[k].id;
        if (id && !id->empty() && taken.insert(*id).second) continue;
        std::string own = "call_" + reply.id + "_" + std::to_string(k);
        while (!taken.insert(own).second) own += '_';
        id = std::move(own);
    }
}

} // namespace

std::string_view to_string(TurnStatus status)
{
    switch (status) {
    case TurnStatus::done: return "done";
    case TurnStatus::stopped: return "stopped";
    case TurnStatus::failed: return "failed";
    case TurnStatus::incomplete: return "incomplete";
    }
    return "done";
}

struct Conversation::Out {
    std::vector<Effect> effects;
    template <class E>
    void operator()(E effect) { effects.emplace_back(std::move(effect)); }
};

Conversation::Conversation(ConversationConfig config, Session session, TokenEstimator estimator)
    : config_(std::move(config)), session_(std::move(session)), estimator_(std::move(estimator)), jitter_(config_.seed)
{
    next_message_number_ = session_.messages.size() + 1;
}

std::vector<Effect> Conversation::handle(const Input& input, std::int64_t now_ms)
{
    Out out;
    std::visit(
        [&](const auto& event) {
            using E = std::decay_t<decltype(event)>;
            if constexpr (std::is_same_v<E, UserSent>) {
                if (phase_ == Phase::idle) start_turn(event.text, now_ms, out);
                else out(ShowError{"Wait for the reply to finish, or stop it, before sending another message.", false});
            } else if constexpr (std::is_same_v<E, UserStopped>) {
                if (phase_ != Phase::idle) stop(now_ms, out);
            } else if constexpr (std::is_same_v<E, UserRetried>) {
                if (phase_ == Phase::idle) retry_turn(now_ms, out);
            } else if constexpr (std::is_same_v<E, UserRenamed>) {
                rename(event.title, now_ms, out);
            } else if constexpr (std::is_same_v<E, HttpHead>) {
                if (event.request == request_ && phase_ != Phase::idle) on_head(event, now_ms);
            } else if constexpr (std::is_same_v<E, HttpBody>) {
                if (event.request == request_ && phase_ != Phase::idle) on_body(event, now_ms, out);
            } else if constexpr (std::is_same_v<E, HttpEnd>) {
                if (event.request == request_ && phase_ != Phase::idle) on_end(now_ms, out);
            } else if constexpr (std::is_same_v<E, HttpFailed>) {
                if (event.request == request_ && phase_ != Phase::idle) on_failed(event.reason, now_ms, out);
            } else if constexpr (std::is_same_v<E, ToolFinished>) {
                if (phase_ == Phase::running_tools) on_tool(event, now_ms, out);
            } else if constexpr (std::is_same_v<E, TimerFired>) {
                on_timer(event.timer, now_ms, out);
            }
        },
        input);
    return std::move(out.effects);
}

// ---- the turn -------------------------------------------------------------------------------

void Conversation::start_turn(const std::string& text, std::int64_t now, Out& out)
{
    Message user;
    user.role = Role::user;
    user.content = text;
    add_message(std::move(user), now, out);
    begin_turn(now, out);
}

void Conversation::begin_turn(std::int64_t now, Out& out)
{
    save(now, out);  // the user's words are stored before anything is sent
    tool_rounds_ = 0;
    summary_failed_ = false;
    summary_asked_ = false;
    turn_cost_ = {};
    turn_tokens_ = {};
    send_next(now, out);
}

void Conversation::retry_turn(std::int64_t now, Out& out)
{
    // Retry asks the model again where the last turn stopped: after the user's message, or
    // after the results of the tools it called (the request that follows a tool round failed,
    // the round hit its cap, or the user stopped it). Those results stay: the tools ran, and
    // running them again could do twice what they did. A reply that failed or was cut off (an
    // incomplete assistant message, whose calls never run) is replaced. After a finished reply
    // there is nothing to retry, and nothing changes.
    auto& messages = session_.messages;
    const bool cut_off = !messages.empty() && messages.back().role == Role::assistant && messages.back().incomplete;
    const std::size_t asked = messages.size() - (cut_off ? 1 : 0);  // the messages the model is asked about
    if (asked == 0 || (messages[asked - 1].role != Role::user && messages[asked - 1].role != Role::tool)) {
        out(ShowError{"There is nothing to retry.", false});
        return;
    }
    if (cut_off) messages.pop_back();
    begin_turn(now, out);
}

void Conversation::send_next(std::int64_t now, Out& out)
{
    attempt_ = 0;
    const TrimOptions options = trim_options();
    const TrimPlan plan = plan_context(session_, estimator_, options);
    if (plan.error) {
        out(ShowError{*plan.error, false});
        end_turn(TurnStatus::failed, *plan.error, out);
        return;
    }
    if (plan.summary_needed && options.summaries && !summary_asked_) {
        summary_asked_ = true;  // once per turn: a second plan uses what the first one stored
        send_summary(plan, now, out);
        return;
    }
    send_reply_request(out);
}

void Conversation::send_summary(const TrimPlan& plan, std::int64_t now, Out& out)
{
    ChatRequest request;
    request.model = config_.summary_model;
    request.messages = summary_request_messages(session_, *plan.summary_needed);
    request.stream = false;
    if (plan.summary_needed->text_tokens > 0) request.max_tokens = plan.summary_needed->text_tokens;
    const auto built = build_request(request);
    if (built.error) {  // a summary that cannot be asked for is a summary that failed
        summary_failed_ = true;
        send_next(now, out);
        return;
    }
    summary_plan_ = plan;
    open_request(Phase::summarizing, true);
    out(StartRequest{request_, config_.summary_endpoint.empty() ? session_.settings.endpoint : config_.summary_endpoint,
                     config_.headers, dump_safely(built.body), true});
    first_byte_timer_ = start_timer(config_.first_byte_timeout_ms, out);
}

void Conversation::send_reply_request(Out& out)
{
    const Preview next = preview("");
    if (next.error) {
        out(ShowError{*next.error, false});
        end_turn(TurnStatus::failed, *next.error, out);
        return;
    }
    std::string why;
    if (attempt_ == 0 && over_budget(next.estimated_cost.charged, why)) {
        out(ShowError{why, false});
        end_turn(TurnStatus::failed, why, out);
        return;
    }
    open_request(Phase::requesting, false);
    stream_ = OpenAiStream();
    reply_index_.reset();
    request_sent_ = estimator_.sent(messages_to_send(session_, next.plan), tools_tokens());
    out(StartRequest{request_, session_.settings.endpoint, config_.headers, request_writer_.write(next.body), false});
    first_byte_timer_ = start_timer(config_.first_byte_timeout_ms, out);
}

Conversation::Preview Conversation::preview(const std::string& next_user_text) const
{
    Preview result;
    Session draft;
    const Session* source = &session_;
    if (!next_user_text.empty()) {
        draft = session_;
        Message user;
        user.role = Role::user;
        user.content = next_user_text;
        draft.messages.push_back(std::move(user));
        source = &draft;
    }
    // Planned exactly as send_next() plans, so the request sent is the one planned (with the
    // room for, and the text of, a stored summary); a preview itself never asks for one.
    result.plan = plan_context(*source, estimator_, trim_options());
    if (result.plan.error) {
        result.error = result.plan.error;
        return result;
    }
    ChatRequest request;
    request.model = session_.settings.model;
    request.messages = messages_to_send(*source, result.plan);
    request.stream = true;
    request.include_usage = true;
    request.tools = tools_.tools();
    request.temperature = session_.settings.temperature;
    request.top_p = session_.settings.top_p;
    request.max_tokens = session_.settings.max_tokens;
    auto built = build_request(request);
    if (built.error) {
        result.error = built.error;
        return result;
    }
    result.body = std::move(built.body);
    result.estimated_input_tokens =
        estimator_.estimate_messages(request.messages, session_.settings.model, tools_tokens());
    Tokens tokens;
    tokens.input = result.estimated_input_tokens;
    tokens.estimated = true;
    result.estimated_cost = cost_of(config_.pricing, tokens);
    return result;
}

void Conversation::open_request(Phase phase, bool summary)
{
    phase_ = phase;
    request_is_summary_ = summary;
    ++attempt_;
    request_ = next_request_id_++;
    status_ = 0;
    streaming_ = false;
    first_byte_ = false;
    body_.clear();
    retry_after_ms_.reset();
}

std::int64_t Conversation::tools_tokens() const
{
    return TokenEstimator::estimate_tools(tools_.tools());
}

TrimOptions Conversation::trim_options() const
{
    TrimOptions options;
    options.summaries = config_.summaries && !summary_failed_;
    options.tools = tools_tokens();
    return options;
}

bool Conversation::over_budget(double next_cost, std::string& why) const
{
    if (!config_.session_cap_usd && !config_.daily_cap_usd) return false;  // and no need to add up the session
    const double spent = session_cost().charged;
    if (config_.session_cap_usd && spent + next_cost > *config_.session_cap_usd) {
        why = "This conversation has reached its budget of " + plain_usd(*config_.session_cap_usd) + " (spent " +
              plain_usd(spent) + "; the next message would cost about " + plain_usd(next_cost) +
              "). Nothing was sent.";
        return true;
    }
    if (config_.daily_cap_usd && config_.spent_today_usd + spent + next_cost > *config_.daily_cap_usd) {
        why = "Today's budget of " + plain_usd(*config_.daily_cap_usd) + " is used up (spent " +
              plain_usd(config_.spent_today_usd + spent) + "). Nothing was sent.";
        return true;
    }
    return false;
}

// ---- the response -----------------------------------------------------------------------------

void Conversation::on_head(const HttpHead& head, std::int64_t now)
{
    status_ = head.status;
    streaming_ = head.status >= 200 && head.status < 300 && is_event_stream(head.content_type);
    if (!head.retry_after.empty()) retry_after_ms_ = parse_retry_after_ms(head.retry_after, now);
}

void Conversation::on_body(const HttpBody& body, std::int64_t now, Out& out)
{
    if (first_byte_timer_ != 0 && !body.bytes.empty()) {
        out(CancelTimer{first_byte_timer_});
        first_byte_timer_ = 0;
        // Only a successful reply's bytes count as its start: after them nothing is resent.
        first_byte_ = status_ >= 200 && status_ < 300;
        if (streaming_) idle_timer_ = start_timer(config_.idle_timeout_ms, out);
    }
    last_byte_ms_ = now;
    if (!streaming_) {
        // A JSON reply or an error body: kept whole (errors only up to a bound).
        const std::size_t room = status_ >= 200 && status_ < 300 ? body.bytes.size()
                               : config_.max_error_body_bytes - std::min(config_.max_error_body_bytes, body_.size());
        body_.append(body.bytes.substr(0, room));
        return;
    }
    std::vector<StreamDelta> deltas;
    stream_.feed(body.bytes, deltas);
    take_deltas(deltas, now, out);
}

void Conversation::take_deltas(std::vector<StreamDelta>& deltas, std::int64_t now, Out& out)
{
    for (auto& delta : deltas) {
        const bool visible = delta.kind == StreamDelta::Kind::content || delta.kind == StreamDelta::Kind::reasoning ||
                             delta.kind == StreamDelta::Kind::refusal || delta.kind == StreamDelta::Kind::tool_call;
        if (!visible) continue;
        if (!reply_index_) {
            Message reply;
            reply.role = Role::assistant;
            reply.content = std::string();
            reply.model = session_.settings.model;
            add_message(std::move(reply), now, out);
            reply_index_ = session_.messages.size() - 1;
        }
        auto& message = session_.messages[*reply_index_];
        // A call takes the assembler's copy: it keeps every field the provider sent with it.
        if (delta.kind == StreamDelta::Kind::tool_call) message.tool_calls = stream_.reply().tool_calls;
        else apply_delta(message, delta);
        out(ShowDelta{*reply_index_, std::move(delta)});
    }
    if (reply_index_ && now - last_save_ms_ >= config_.save_interval_ms) save(now, out, /*reply_arriving=*/true);
}

void Conversation::on_end(std::int64_t now, Out& out)
{
    cancel_timers(out);
    if (status_ < 200 || status_ >= 300) {
        const auto error = parse_provider_error(status_, body_);
        request_failed(error.message, error.retryable, retry_after_ms_, now, out);
        return;
    }
    if (request_is_summary_) {
        ChunkAssembler assembler;
        const auto json = parse_json(body_);
        assembler.take_completion(json);
        assembler.finish();
        finish_summary(assembler.reply(), now, out);
        return;
    }
    if (streaming_) {
        auto deltas = stream_.finish();
        take_deltas(deltas, now, out);
        finish_reply(stream_.reply(), now, out);
        return;
    }
    // A 2xx JSON body: the provider ignored "stream": true, or answered with an error object.
    const auto json = parse_json(body_);
    if (json.is_discarded() || find_member(json, "choices") == nullptr) {
        const auto error = parse_provider_error(status_, body_);
        request_failed(error.message, error.retryable, retry_after_ms_, now, out);
        return;
    }
    ChunkAssembler assembler;
    auto deltas = assembler.take_completion(json);
    auto rest = assembler.finish();
    deltas.insert(deltas.end(), rest.begin(), rest.end());
    stream_ = OpenAiStream();
    take_deltas(deltas, now, out);
    finish_reply(assembler.reply(), now, out);
}

void Conversation::on_failed(const std::string& reason, std::int64_t now, Out& out)
{
    cancel_timers(out);
    if (first_byte_ && !request_is_summary_) {
        // After the first byte the reply is the user's: keep it, do not resend.
        keep_partial("the connection dropped: " + reason, out);
        save(now, out);
        out(ShowError{"The connection dropped before the reply finished (" + reason + "). The partial reply is kept.",
                      true});
        end_turn(TurnStatus::incomplete, "connection dropped", out);
        return;
    }
    request_failed("Could not reach the model: " + reason, true, std::nullopt, now, out);
}

void Conversation::request_failed(std::string text, bool retryable, std::optional<std::int64_t> retry_after_ms,
                                  std::int64_t now, Out& out)
{
    if (request_is_summary_) {
        // The turn goes on without a summary: plain dropping.
        summary_failed_ = true;
        summary_plan_.reset();
        send_next(now, out);
        return;
    }
    if (retryable && !first_byte_) {
        if (const auto delay = retry_delay_ms(config_.retry, attempt_ + 1, retry_after_ms, jitter_)) {
            phase_ = Phase::waiting_retry;
            retry_timer_ = start_timer(*delay, out);
            return;
        }
    }
    if (reply_index_) keep_partial(text, out);
    save(now, out);
    out(ShowError{text, retryable});
    end_turn(TurnStatus::failed, text, out);
}

void Conversation::finish_summary(const AssembledReply& reply, std::int64_t now, Out& out)
{
    if (reply.content.empty() || !summary_plan_ || !summary_plan_->summary_needed) {
        summary_failed_ = true;
    } else {
        Summary summary;
        summary.text = reply.content;
        summary.first_message_id = summary_plan_->summary_needed->first_message_id;
        summary.last_message_id = summary_plan_->summary_needed->last_message_id;
        summary.model = config_.summary_model;
        summary.created_ms = now;
        const auto reported = tokens_from_usage(reply.usage);
        summary.tokens = reported && reported->output > 0 ? reported->output : TokenEstimator::estimate_text(summary.text);
        session_.summaries.push_back(std::move(summary));
        save(now, out);
    }
    summary_plan_.reset();
    if (const auto tokens = tokens_from_usage(reply.usage)) turn_tokens_.input += tokens->input;
    send_next(now, out);
}

void Conversation::finish_reply(const AssembledReply& reply, std::int64_t now, Out& out)
{
    if (!reply_index_ && (!reply.tool_calls.empty() || reply.finish_reason)) {
        Message empty;
        empty.role = Role::assistant;
        empty.content = std::string();
        add_message(std::move(empty), now, out);
        reply_index_ = session_.messages.size() - 1;
    }

    // This request's cost, from the reported usage or the estimate.
    Tokens tokens;
    if (const auto reported = tokens_from_usage(reply.usage)) {
        tokens = *reported;
        if (reported->input > 0) estimator_.calibrate(session_.settings.model, request_sent_, reported->input);
    } else {
        tokens.input = request_sent_.estimated;
        tokens.output = TokenEstimator::estimate_text(reply.content) + TokenEstimator::estimate_text(reply.reasoning);
        tokens.estimated = true;
    }
    turn_tokens_.input += tokens.input;
    turn_tokens_.cached_input += tokens.cached_input;
    turn_tokens_.output += tokens.output;
    turn_tokens_.estimated = turn_tokens_.estimated || tokens.estimated;
    turn_cost_ += cost_of(config_.pricing, tokens);

    if (!reply_index_) {
        // Nothing at all came back.
        const std::string why = reply.errors.empty() ? "The model sent an empty reply."
                                                     : "The model reported an error: " + error_text(reply.errors.front());
        save(now, out);
        out(ShowError{why, true});
        end_turn(TurnStatus::failed, why, out);
        return;
    }

    auto& message = session_.messages[*reply_index_];
    message.content = reply.content;
    if (message.content->empty() && !reply.tool_calls.empty()) message.content.reset();
    message.reasoning = reply.reasoning;
    message.refusal = reply.refusal;
    message.tool_calls = reply.tool_calls;
    give_calls_ids(message, session_.messages);
    message.finish_reason = reply.finish_reason;
    message.usage = reply.usage;
    if (!reply.model.empty()) message.model = reply.model;

    // A call without a name can be neither run nor answered: OpenAI's rules want a name, so no
    // later request of the session could be built with it. The reply is damaged, as one with an
    // event that could not be used is.
    std::optional<std::string> damage;
    if (!reply.problems.empty()) damage = reply.problems.front();
    for (std::size_t k = 0; k < message.tool_calls.size() && !damage; ++k)
        if (message.tool_calls[k].name.empty()) damage = "tool call " + std::to_string(k) + " has no name";
    if (!reply.errors.empty() || damage) {
        const std::string why = !reply.errors.empty() ? "The model reported an error: " + error_text(reply.errors.front())
                                                      : "The reply was damaged: " + *damage;
        message.incomplete = true;
        message.incomplete_reason = why;
        message.tool_calls.clear();  // calls from a broken reply are not run
        out(ShowMessage{*reply_index_, message});
        save(now, out);
        out(ShowError{why, true});
        end_turn(TurnStatus::incomplete, why, out);
        return;
    }

    estimator_.calibrate_reply(session_.settings.model, message, reply.usage);
    out(ShowMessage{*reply_index_, message});
    save(now, out);
    if (!message.tool_calls.empty()) {
        run_tools(now, out);
        return;
    }
    end_turn(TurnStatus::done, "", out);
}

// ---- tools ------------------------------------------------------------------------------------

void Conversation::run_tools(std::int64_t now, Out& out)
{
    const auto& message = session_.messages[*reply_index_];
    calls_.clear();
    const bool over_cap = tool_rounds_ >= config_.max_tool_rounds;
    for (const auto& call : message.tool_calls) {
        PendingCall pending;
        pending.id = call.id.value_or("");
        pending.name = call.name;
        if (over_cap) {
            pending.result = tool_error_result(call.name, "not run: this turn reached its limit of " +
                                                              std::to_string(config_.max_tool_rounds) + " tool rounds");
        } else {
            auto checked = tools_.check_call(call.name, call.arguments);
            if (checked.arguments) {
                pending.running = true;
                out(RunTool{pending.id, call.name, std::move(*checked.arguments)});
            } else {
                pending.result = std::move(checked.result);
            }
        }
        calls_.push_back(std::move(pending));
    }
    ++tool_rounds_;
    phase_ = Phase::running_tools;
    if (over_cap) {
        close_tool_round(now, out);
        return;
    }
    const bool waiting = std::any_of(calls_.begin(), calls_.end(), [](const PendingCall& c) { return !c.result; });
    if (waiting) tool_timer_ = start_timer(config_.tool_timeout_ms, out);
    else close_tool_round(now, out);
}

void Conversation::on_tool(const ToolFinished& done, std::int64_t now, Out& out)
{
    auto it = std::find_if(calls_.begin(), calls_.end(),
                           [&](const PendingCall& c) { return c.id == done.call_id && c.running && !c.result; });
    if (it == calls_.end()) return;
    it->result = done.ok ? done.result : tool_error_result(it->name, done.result);
    if (std::all_of(calls_.begin(), calls_.end(), [](const PendingCall& c) { return c.result.has_value(); })) {
        out(CancelTimer{tool_timer_});
        tool_timer_ = 0;
        close_tool_round(now, out);
    }
}

void Conversation::close_tool_round(std::int64_t now, Out& out)
{
    // Results go back in call order, whatever order they finished in.
    for (auto& call : calls_) {
        Message result;
        result.role = Role::tool;
        result.tool_call_id = call.id;
        result.name = call.name;
        result.content = call.result.value_or("");
        add_message(std::move(result), now, out);
    }
    calls_.clear();
    save(now, out);
    if (tool_rounds_ > config_.max_tool_rounds) {
        const std::string why = "Stopped after " + std::to_string(config_.max_tool_rounds) +
                                " rounds of tool calls in one turn; the model kept calling tools.";
        out(ShowError{why, false});
        end_turn(TurnStatus::failed, why, out);
        return;
    }
    reply_index_.reset();
    send_next(now, out);
}

// ---- stop, timers -------------------------------------------------------------------------------

void Conversation::stop(std::int64_t now, Out& out)
{
    if (request_ != 0 && (phase_ == Phase::requesting || phase_ == Phase::summarizing)) out(CancelRequest{request_});
    cancel_timers(out);
    if (phase_ == Phase::running_tools) {
        for (auto& call : calls_)
            if (!call.result) call.result = tool_error_result(call.name, "cancelled: the user stopped the reply");
        for (auto& call : calls_) {
            Message result;
            result.role = Role::tool;
            result.tool_call_id = call.id;
            result.name = call.name;
            result.content = *call.result;
            add_message(std::move(result), now, out);
        }
        calls_.clear();
    } else if (phase_ == Phase::requesting) {
        if (reply_index_) {
            auto deltas = stream_.finish();
            (void)deltas;
            keep_partial("stopped", out);
        }
    }
    request_ = 0;
    save(now, out);
    end_turn(TurnStatus::stopped, "stopped by the user", out);
}

void Conversation::keep_partial(const std::string& reason, Out& out)
{
    if (!reply_index_) return;
    auto& message = session_.messages[*reply_index_];
    message.incomplete = true;
    message.incomplete_reason = reason;
    message.tool_calls.clear();  // half a tool call is never run
    if (message.content && message.content->empty()) message.content = std::string();
    out(ShowMessage{*reply_index_, message});
}

void Conversation::on_timer(std::uint64_t timer, std::int64_t now, Out& out)
{
    if (timer == 0) return;
    if (timer == retry_timer_) {
        retry_timer_ = 0;
        if (phase_ != Phase::waiting_retry) return;
        if (request_is_summary_) send_next(now, out);
        else send_reply_request(out);
        return;
    }
    if (timer == first_byte_timer_) {
        first_byte_timer_ = 0;
        out(CancelRequest{request_});
        const auto seconds = std::to_string(config_.first_byte_timeout_ms / 1000);
        request_failed("The model did not answer within " + seconds + " s.", true, std::nullopt, now, out);
        return;
    }
    if (timer == idle_timer_) {
        idle_timer_ = 0;
        const auto quiet = now - last_byte_ms_;
        if (quiet < config_.idle_timeout_ms) {
            idle_timer_ = start_timer(config_.idle_timeout_ms - quiet, out);
            return;
        }
        out(CancelRequest{request_});
        request_ = 0;
        const auto seconds = std::to_string(config_.idle_timeout_ms / 1000);
        keep_partial("the stream stalled for " + seconds + " s", out);
        save(now, out);
        out(ShowError{"The reply stalled for " + seconds + " s and was cut off. The partial reply is kept.", true});
        end_turn(TurnStatus::incomplete, "stalled", out);
        return;
    }
    if (timer == tool_timer_) {
        tool_timer_ = 0;
        for (auto& call : calls_)
            if (!call.result) call.result = tool_timeout_result(call.name, config_.tool_timeout_ms);
        close_tool_round(now, out);
    }
}

void Conversation::cancel_timers(Out& out)
{
    for (auto* timer : {&first_byte_timer_, &idle_timer_, &retry_timer_, &tool_timer_}) {
        if (*timer != 0) out(CancelTimer{*timer});
        *timer = 0;
    }
}

std::uint64_t Conversation::start_timer(std::int64_t delay_ms, Out& out)
{
    const auto id = next_timer_id_++;
    out(StartTimer{id, delay_ms});
    return id;
}

void Conversation::end_turn(TurnStatus status, std::string reason, Out& out)
{
    phase_ = Phase::idle;
    request_ = 0;
    reply_index_.reset();
    out(TurnFinished{status, std::move(reason), turn_cost_, turn_tokens_});
}

// ---- the session ---------------------------------------------------------------------------------

void Conversation::save(std::int64_t now, Out& out, bool reply_arriving)
{
    session_.updated_ms = now;
    last_save_ms_ = now;
    write(out, reply_arriving);
}

void Conversation::write(Out& out, bool reply_arriving)
{
    // A reply still arriving is stored as a crash would leave it, cut off, until it ends.
    Message* reply = reply_arriving ? &session_.messages[*reply_index_] : nullptr;
    if (reply) {
        reply->incomplete = true;
        reply->incomplete_reason = still_streaming_reason;
    }
    SaveSession effect{config_.session_key, writer_.write(session_), session_.id, session_.title,
                       session_.created_ms, session_.updated_ms, {}};
    if (reply) {
        reply->incomplete = false;
        reply->incomplete_reason.clear();
    }
    effect.message_ids.reserve(session_.messages.size());
    for (const Message& message : session_.messages) effect.message_ids.push_back(message.id);
    out(std::move(effect));
}

void Conversation::rename(std::string title, std::int64_t now, Out& out)
{
    session_.title = std::move(title);
    session_.titled_ms = now;
    // Stored at once, so a list shows it; but nothing was said, so its time of last change (by
    // which lists sort) stays. Between events, a reply is arriving exactly when this holds.
    write(out, /*reply_arriving=*/phase_ == Phase::requesting && reply_index_.has_value());
}

Message& Conversation::add_message(Message message, std::int64_t now, Out& out)
{
    message.id = next_message_id();
    message.created_ms = now;
    session_.messages.push_back(std::move(message));
    out(ShowMessage{session_.messages.size() - 1, session_.messages.back()});
    return session_.messages.back();
}

std::string Conversation::next_message_id()
{
    for (;;) {
        std::string id = config_.message_id_prefix + std::to_string(next_message_number_++);
        const bool taken = std::any_of(session_.messages.begin(), session_.messages.end(),
                                       [&](const Message& m) { return m.id == id; });
        if (!taken) return id;
    }
}

Cost Conversation::session_cost() const
{
    // Without reported usage, a reply's input is estimated as everything before it (the
    // untrimmed upper bound), summed as it goes rather than re-estimated per reply.
    Cost total;
    std::int64_t before = estimator_.estimate_messages({}, session_.settings.model, tools_tokens());
    for (const auto& message : session_.messages) {
        if (message.role == Role::assistant && !message.incomplete) {
            Tokens tokens;
            if (const auto reported = tokens_from_usage(message.usage)) {
                tokens = *reported;
            } else {
                tokens.input = before;
                tokens.output = estimator_.content_tokens(message);
                tokens.estimated = true;
            }
            total += cost_of(config_.pricing, tokens);
        }
        before += estimator_.estimate_message(message, session_.settings.model);
    }
    return total;
}

} // namespace confab
