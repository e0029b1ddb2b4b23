// native/cli/tokens_command.cpp
// `confab tokens [--messages] [--lines] FILE|-`: the core's token estimate (token_estimator.h)
// of plain text, or of a JSON array of chat messages in the OpenAI wire shape with the chat
// format's overhead. `--lines` reads one JSON value per line and answers one line each, so a
// benchmark can ask about thousands of samples in one process. With `--messages`, the input
// may also be a request body ({"messages": [...], "tools": [...]}), whose tool definitions are
// then counted too; and with `--lines`, what the provider counted for it ("prompt_tokens": N),
// with the reply it got and the provider's count of that ("reply": {...}, "completion_tokens":
// N): each estimate is then calibrated by the reports of the lines before it, as the engine
// calibrates from a response's usage, which is how bench/tokens.mjs measures calibration.
#include <algorithm>
#include <cstdio>
#include <string>

#include "core/json_util.h"
#include "core/session.h"
#include "core/token_estimator.h"
#include "native/cli/commands.h"

namespace confab::cli {

namespace {

constexpr const char* tokens_usage =
    "usage: confab tokens [--messages] [--lines] [--profile] FILE|-\n"
    "  Estimates the o200k_base tokens of FILE (or standard input for -) and prints\n"
    "  {\"tokens\": N, \"chars\": N, \"bytes\": N} (chars: Unicode code points).\n"
    "  --messages  the input is a JSON array of chat messages in the OpenAI wire shape, or a\n"
    "              request body {\"messages\": [...], \"tools\": [...]}; prints {\"tokens\": N,\n"
    "              \"messages\": N, \"per_message\": [N, ...]}, where tokens includes the\n"
    "              per-message overhead, the reply priming and the tool definitions (a\n"
    "              request's result adds \"tools\": N, theirs, uncalibrated)\n"
    "  --lines     one JSON value per input line (a string of text, or with --messages an\n"
    "              array of messages or a request), one JSON object per output line; with\n"
    "              --messages a request may add \"prompt_tokens\": N: what a provider counted\n"
    "              for it, which calibrates the estimates of the lines after it (their\n"
    "              results add \"uncalibrated\": N); and with \"reply\": {...},\n"
    "              \"completion_tokens\": N, the reply it got and the provider's count of it\n"
    "  --profile   for plain text, add \"profile\": {...}: what the estimate counted in it, the\n"
    "              pieces of each class that it prices (bench/fit-tokens.mjs refits the rates)\n";

// The counts TokenEstimator::price prices, by the names of TextProfile's members.
std::string profile_json(const TextProfile& p)
{
    const std::pair<const char*, std::int64_t> counts[] = {
        {"ascii_words", p.ascii_words}, {"ascii_cut_tenths", p.ascii_cut_tenths},
        {"ascii_letters_past_6", p.ascii_letters_past_6}, {"ascii_letters_past_10", p.ascii_letters_past_10},
        {"caps_words", p.caps_words}, {"caps_letters_past_3", p.caps_letters_past_3}, {"led_words", p.led_words}, {"joined_words", p.joined_words}, {"latin_letters", p.latin_letters},
        {"han_chars", p.han_chars},
        {"han_runs", p.han_runs}, {"spaced_han_runs", p.spaced_han_runs}, {"han_pairs", p.han_pairs}, {"han_triples", p.han_triples},
        {"kana_chars", p.kana_chars}, {"hangul_chars", p.hangul_chars}, {"other_letters", p.other_letters},
        {"other_runs", p.other_runs}, {"digit_groups", p.digit_groups}, {"punct_runs", p.punct_runs},
        {"punct_marks", p.punct_marks}, {"repeats", p.repeats}, {"repeat_tokens", p.repeat_tokens}, {"wide_punct", p.wide_punct},
        {"symbols", p.symbols}, {"symbol_tokens", p.symbol_tokens}, {"emoji", p.emoji}, {"emoji_tokens", p.emoji_tokens},
        {"spaced_emoji_runs", p.spaced_emoji_runs}, {"emoji_modifiers", p.emoji_modifiers},
        {"space_pieces", p.space_pieces}, {"newline_runs", p.newline_runs},
        {"newlines_past_2", p.newlines_past_2}, {"invalid_bytes", p.invalid_bytes},
    };
    std::string json = "{";
    for (const auto& [name, count] : counts) {
        if (json.size() > 1) json += ", ";
        json += '"';
        json += name;
        json += "\": ";
        json += std::to_string(count);
    }
    return json + "}";
}

// Results are written by hand so their members keep the documented order.
std::string text_result(std::string_view text, bool with_profile)
{
    const TextProfile profile = TokenEstimator::profile(text);
    std::string result = "{\"tokens\": " + std::to_string(TokenEstimator::price(profile)) + ", \"chars\": " +
                         std::to_string(profile.chars) + ", \"bytes\": " + std::to_string(profile.bytes);
    if (with_profile) {
        result += ", \"profile\": ";
        result += profile_json(profile);
    }
    return result + "}";
}

// Calibration by reported counts is per model; a run of `--lines` is one model's.
constexpr std::string_view reports_model = "reported";

// The estimate of a JSON array of wire-shaped messages, or of a request {"messages": [...][,
// "tools": [...]][, "prompt_tokens": N[, "reply": {...}, "completion_tokens": N]]}, whose
// counts then calibrate `estimator`; empty, with `error` set, when the value is neither.
std::string messages_result(const nlohmann::json& input, TokenEstimator& estimator, std::string& error)
{
    const nlohmann::json* reported = nullptr;
    const nlohmann::json* array = &input;
    std::int64_t tools = 0;
    if (input.is_object() && input.contains("messages")) {
        array = find_member(input, "messages");
        reported = find_member(input, "prompt_tokens");
        if (reported != nullptr && !reported->is_number_integer()) {
            error = "expected {\"messages\": [...][, \"tools\": [...]][, \"prompt_tokens\": N]}";
            return {};
        }
        if (reported == nullptr && (input.contains("reply") || input.contains("completion_tokens"))) {
            error = "\"reply\" and \"completion_tokens\" come with \"prompt_tokens\"";
            return {};
        }
        if (const nlohmann::json* definitions = find_member(input, "tools")) {
            if (!definitions->is_array()) {
                error = "\"tools\" is not an array of tool definitions";
                return {};
            }
            std::vector<ToolSpec> specs;
            for (const auto& definition : *definitions) specs.push_back(tool_spec_from_json(definition));
            tools = TokenEstimator::estimate_tools(specs);
        }
    }
    const nlohmann::json& value = *array;
    if (!value.is_array()) {
        error = "the input is not a JSON array of messages, nor a request {\"messages\": [...]}";
        return {};
    }
    std::vector<Message> messages;
    messages.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        Message message;
        if (auto problem = message_from_json(value[i], "messages[" + std::to_string(i) + "]", message)) {
            error = problem->text();
            return {};
        }
        messages.push_back(std::move(message));
    }
    std::string per_message;
    for (const Message& message : messages)
        per_message += (per_message.empty() ? "" : ", ") + std::to_string(estimator.estimate_message(message));
    std::string result = "{\"tokens\": " + std::to_string(estimator.estimate_messages(messages, reports_model, tools)) +
                         ", \"messages\": " + std::to_string(messages.size()) + ", \"per_message\": [" + per_message + "]";
    if (find_member(input, "tools") != nullptr) result += ", \"tools\": " + std::to_string(tools);
    if (reported != nullptr) {
        const TokenEstimator::SentRequest sent = estimator.sent(messages, tools);
        result += ", \"uncalibrated\": " + std::to_string(sent.estimated);
        estimator.calibrate(reports_model, sent, reported->get<std::int64_t>());
        const auto reply = input.find("reply");
        const auto completion = input.find("completion_tokens");
        if (reply != input.end() || completion != input.end()) {
            Message answer;
            if (completion == input.end() || !completion->is_number_integer() || reply == input.end()) {
                error = "\"reply\" and \"completion_tokens\" (an integer) go together";
                return {};
            }
            if (auto problem = message_from_json(*reply, "reply", answer)) {
                error = problem->text();
                return {};
            }
            estimator.calibrate_reply(reports_model, answer, {{"completion_tokens", *completion}});
        }
    }
    return result + "}";
}

void print(const std::string& result)
{
    std::fwrite(result.data(), 1, result.size(), stdout);
    std::fputc('\n', stdout);
}

} // namespace

int tokens(const std::vector<std::string_view>& args)
{
    bool messages = false;
    bool lines = false;
    bool with_profile = false;
    std::optional<std::string_view> path;
    for (const auto arg : args) {
        if (arg == "--help" || arg == "-h") {
            std::fputs(tokens_usage, stdout);
            return 0;
        }
        if (arg == "--messages") messages = true;
        else if (arg == "--lines") lines = true;
        else if (arg == "--profile") with_profile = true;
        else if (!path && (arg == "-" || !arg.starts_with("-"))) path = arg;
        else {
            std::fprintf(stderr, "confab tokens: unexpected argument \"%.*s\"\n%s", int(arg.size()), arg.data(), tokens_usage);
            return 2;
        }
    }
    if (!path || (messages && with_profile)) {
        std::fputs(tokens_usage, stderr);
        return 2;
    }

    std::string error;
    const auto bytes = read_input(*path, error);
    if (!bytes) {
        std::fprintf(stderr, "confab tokens: %s\n", error.c_str());
        return 1;
    }

    if (!lines) {
        if (!messages) {
            print(text_result(*bytes, with_profile));
            return 0;
        }
        const auto value = parse_json(*bytes);
        if (value.is_discarded()) {
            std::fprintf(stderr, "confab tokens: the input is not JSON\n");
            return 1;
        }
        TokenEstimator estimator;
        const auto result = messages_result(value, estimator, error);
        if (result.empty()) {
            std::fprintf(stderr, "confab tokens: %s\n", error.c_str());
            return 1;
        }
        print(result);
        return 0;
    }

    // Every line is checked before anything is printed, so a bad line leaves no half output.
    std::vector<std::string> results;
    TokenEstimator estimator;  // calibrated by the lines that report a count
    const std::string_view all(*bytes);
    std::size_t number = 0;
    for (std::size_t at = 0; at < all.size();) {
        const std::size_t end = std::min(all.find('\n', at), all.size());
        const std::string_view line = all.substr(at, end - at);
        at = end + 1;
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        const auto value = parse_json(line);
        if (value.is_discarded() || (!messages && !value.is_string())) {
            std::fprintf(stderr, "confab tokens: line %zu is not a JSON %s\n", number, messages ? "value" : "string");
            return 1;
        }
        if (!messages) {
            results.push_back(text_result(value.get_ref<const std::string&>(), with_profile));
            continue;
        }
        auto result = messages_result(value, estimator, error);
        if (result.empty()) {
            std::fprintf(stderr, "confab tokens: line %zu: %s\n", number, error.c_str());
            return 1;
        }
        results.push_back(std::move(result));
    }
    for (const auto& result : results) print(result);
    return 0;
}

} // namespace confab::cli
