// native/serve/demo_model.cpp
#include "native/serve/demo_model.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/json_util.h"
#include "core/token_estimator.h"

namespace confab::serve {

namespace {

using nlohmann::json;

std::string lower(std::string_view text)
{
    std::string out(text);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// FNV-1a, 64 bits: a stable name for a request, not a secret.
std::uint64_t fnv1a(std::string_view bytes)
{
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

std::string hex(std::uint64_t value)
{
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return text;
}

// "1 word", "3 words".
std::string count_of(std::size_t n, std::string_view noun)
{
    return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::size_t words_in(std::string_view text)
{
    std::size_t words = 0;
    bool in_word = false;
    for (char c : text) {
        const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
        if (!space && !in_word) ++words;
        in_word = !space;
    }
    return words;
}

// ---- words of the user's text, for tool arguments --------------------------------------

struct Candidates {
    std::vector<std::string> quoted;     // "Paris, France", 'x'
    std::vector<std::string> with_digits;  // A-1042, 1042
    std::vector<std::string> capitalised;  // Paris
    std::vector<double> numbers;
    std::vector<std::string> used;

    std::optional<std::string> take(const std::vector<std::string>& from)
    {
        for (const auto& word : from) {
            if (std::find(used.begin(), used.end(), word) != used.end()) continue;
            used.push_back(word);
            return word;
        }
        return std::nullopt;
    }
};

Candidates candidates_from(std::string_view text, const std::vector<std::string>& tool_names)
{
    Candidates found;
    // Quoted phrases.
    for (char quote : {'"', '\''}) {
        std::size_t at = 0;
        while ((at = text.find(quote, at)) != std::string_view::npos) {
            const auto end = text.find(quote, at + 1);
            if (end == std::string_view::npos) break;
            // An apostrophe inside a word ("what's") is not a quote.
            const bool opens = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
            if (opens && end > at + 1) found.quoted.emplace_back(text.substr(at + 1, end - at - 1));
            at = opens ? end + 1 : at + 1;
        }
    }
    // Words: split at spaces and punctuation other than - / _ . # inside a word.
    std::vector<std::string> words;
    std::string word;
    auto flush = [&] {
        while (!word.empty() && (word.back() == '.' || word.back() == '-' || word.back() == '/')) word.pop_back();
        if (!word.empty() && word.front() == '#') word.erase(0, 1);
        if (!word.empty()) words.push_back(word);
        word.clear();
    };
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || u >= 0x80 || c == '-' || c == '/' || c == '_' || c == '#' ||
            (c == '.' && !word.empty()))
            word += c;
        else
            flush();
    }
    flush();
    const std::string lowered_text = lower(text);
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto& w = words[i];
        if (std::find(tool_names.begin(), tool_names.end(), w) != tool_names.end()) continue;
        const bool has_digit = std::any_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
        const bool all_number = !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
            return (c >= '0' && c <= '9') || c == '.' || c == '-';
        });
        if (has_digit) found.with_digits.push_back(w);
        if (all_number && has_digit) found.numbers.push_back(std::strtod(w.c_str(), nullptr));
        // A capital that starts the message or follows a full stop says nothing; "I" neither.
        const bool capital = std::isupper(static_cast<unsigned char>(w[0])) != 0;
        if (capital && !has_digit && i > 0 && w != "I" && w.find('_') == std::string::npos)
            found.capitalised.push_back(w);
    }
    return found;
}

bool contains_any(std::string_view name, std::initializer_list<std::string_view> parts)
{
    const std::string lowered = lower(name);
    return std::any_of(parts.begin(), parts.end(),
                       [&](std::string_view part) { return lowered.find(part) != std::string::npos; });
}

// ---- arguments from a schema -------------------------------------------------------------

struct ArgumentBuilder {
    const json& root;
    std::string lowered_text;
    Candidates words;

    // A local $ref ("#/$defs/city"), followed by hand: json_pointer throws on a malformed one.
    const json& resolve(const json& schema, int depth = 0) const
    {
        const auto ref = get_string_view(schema, "$ref");
        if (!ref || depth > 16 || !ref->starts_with("#")) return schema;
        const json* at = &root;
        std::string_view path = ref->substr(1);
        while (!path.empty()) {
            if (path.front() != '/') return schema;
            path.remove_prefix(1);
            const auto end = path.find('/');
            std::string token(path.substr(0, end));
            path = end == std::string_view::npos ? std::string_view() : path.substr(end);
            for (std::size_t i = 0; (i = token.find('~', i)) != std::string::npos; ++i) {
                if (i + 1 < token.size() && token[i + 1] == '1') token.replace(i, 2, "/");
                else if (i + 1 < token.size() && token[i + 1] == '0') token.replace(i, 2, "~");
            }
            const json* next = find_member(*at, token);
            if (next == nullptr) return schema;
            at = next;
        }
        return resolve(*at, depth + 1);
    }

    std::string type_of(const json& schema) const
    {
        const auto* type = find_member(schema, "type");
        if (type != nullptr && type->is_string()) return type->get<std::string>();
        if (type != nullptr && type->is_array()) {
            for (const auto& t : *type)
                if (t.is_string() && t != "null") return t.get<std::string>();
        }
        if (find_member(schema, "properties") != nullptr) return "object";
        if (find_member(schema, "items") != nullptr) return "array";
        if (const auto* values = find_member(schema, "enum"); values != nullptr && values->is_array() && !values->empty()) {
            if ((*values)[0].is_string()) return "string";
            if ((*values)[0].is_number()) return "number";
        }
        return "string";
    }

    json value_for(const json& raw_schema, std::string_view name, int depth)
    {
        const json& schema = resolve(raw_schema);
        if (depth > 16 || !schema.is_object()) return "demo";
        if (const auto* constant = find_member(schema, "const")) return *constant;
        if (const auto* values = find_member(schema, "enum"); values != nullptr && values->is_array() && !values->empty()) {
            for (const auto& value : *values) {
                if (value.is_string() && lowered_text.find(lower(value.get<std::string>())) != std::string::npos)
                    return value;
            }
            return (*values)[0];
        }
        if (const auto* value = find_member(schema, "default")) return *value;
        for (const char* choice : {"anyOf", "oneOf", "allOf"}) {
            const auto* branches = find_member(schema, choice);
            if (branches != nullptr && branches->is_array() && !branches->empty())
                return value_for((*branches)[0], name, depth + 1);
        }
        const std::string type = type_of(schema);
        if (type == "object") return object_for(schema, depth);
        if (type == "array") {
            json items = json::array();
            const auto* item_schema = find_member(schema, "items");
            const auto min_items = get_int(schema, "minItems").value_or(1);
            const auto max_items = get_int(schema, "maxItems").value_or(1);
            const auto count = std::clamp<std::int64_t>(std::max<std::int64_t>(min_items, 1), 0, std::max<std::int64_t>(max_items, min_items));
            for (std::int64_t i = 0; i < std::min<std::int64_t>(count, 8); ++i)
                items.push_back(value_for(item_schema != nullptr ? *item_schema : json::object(), name, depth + 1));
            return items;
        }
        if (type == "integer" || type == "number") {
            double value = 1;
            if (!words.numbers.empty()) {
                value = words.numbers.front();
                words.numbers.erase(words.numbers.begin());
            } else if (auto minimum = get_number(schema, "minimum")) {
                value = *minimum;
            }
            if (auto minimum = get_number(schema, "minimum")) value = std::max(value, *minimum);
            if (auto maximum = get_number(schema, "maximum")) value = std::min(value, *maximum);
            if (type == "integer") return std::int64_t(value);
            return value;
        }
        if (type == "boolean") return false;
        if (type == "null") return nullptr;
        return string_for(schema, name);
    }

    std::string string_for(const json& schema, std::string_view name)
    {
        const auto format = get_string(schema, "format").value_or("");
        std::string value;
        if (format == "date-time") value = "2025-01-01T12:00:00Z";
        else if (format == "date") value = "2025-01-01";
        else if (format == "time") value = "12:00:00";
        else if (format == "email") value = "demo@example.com";
        else if (format == "uri" || format == "url") value = "https://example.com/";
        else if (contains_any(name, {"timezone", "time_zone", "zone", "tz"})) value = time_zone(name);
        else {
            const bool id_like = contains_any(name, {"id", "number", "code", "order", "ref", "sku", "zip"});
            std::optional<std::string> found = words.take(words.quoted);
            if (id_like) {
                if (auto digits = words.take(words.with_digits)) found = digits;
            }
            if (!found) found = words.take(words.capitalised);
            if (!found) found = words.take(words.with_digits);
            value = found.value_or("demo");
        }
        const auto min_length = std::size_t(std::max<std::int64_t>(0, get_int(schema, "minLength").value_or(0)));
        const auto max_length = get_int(schema, "maxLength");
        while (value.size() < min_length) value += 'x';
        if (max_length && *max_length >= 0 && value.size() > std::size_t(*max_length)) {
            value.resize(std::size_t(*max_length));
            while (!value.empty() && (static_cast<unsigned char>(value.back()) & 0xC0) == 0x80) value.pop_back();
            if (!value.empty() && static_cast<unsigned char>(value.back()) >= 0xC0) value.pop_back();
        }
        return value;
    }

    // An IANA zone for a zone-like property: one the text spells out ("Europe/Paris"), else a
    // well-known city's, else UTC. A tool such as `new Date().toLocaleTimeString(..., {timeZone})`
    // refuses anything else.
    std::string time_zone(std::string_view)
    {
        static constexpr std::pair<std::string_view, std::string_view> cities[] = {
            {"paris", "Europe/Paris"},     {"london", "Europe/London"},     {"berlin", "Europe/Berlin"},
            {"madrid", "Europe/Madrid"},   {"rome", "Europe/Rome"},         {"oslo", "Europe/Oslo"},
            {"amsterdam", "Europe/Amsterdam"}, {"tokyo", "Asia/Tokyo"},     {"singapore", "Asia/Singapore"},
            {"sydney", "Australia/Sydney"}, {"york", "America/New_York"},   {"chicago", "America/Chicago"},
            {"angeles", "America/Los_Angeles"}, {"toronto", "America/Toronto"}, {"delhi", "Asia/Kolkata"},
            {"mumbai", "Asia/Kolkata"},    {"shanghai", "Asia/Shanghai"},   {"beijing", "Asia/Shanghai"},
            {"dubai", "Asia/Dubai"},       {"cairo", "Africa/Cairo"},       {"utc", "UTC"},
        };
        for (const auto& word : words.with_digits)
            if (word.find('/') != std::string::npos) return word;
        for (const auto& word : words.capitalised) {
            if (word.find('/') != std::string::npos) return word;
            const std::string lowered = lower(word);
            for (const auto& [city, zone] : cities)
                if (lowered == city) return std::string(zone);
        }
        return "UTC";
    }

    json object_for(const json& schema, int depth)
    {
        json object = json::object();
        const auto* properties = find_member(schema, "properties");
        if (properties == nullptr || !properties->is_object()) return object;
        const auto* required = find_member(schema, "required");
        const bool all = required == nullptr || !required->is_array();
        for (const auto& [name, property] : properties->items()) {
            const bool wanted = all || std::find(required->begin(), required->end(), json(name)) != required->end();
            if (wanted) object[name] = value_for(property, name, depth + 1);
        }
        return object;
    }
};

// ---- replies --------------------------------------------------------------------------------

std::vector<std::string> tool_names(const json& tools)
{
    std::vector<std::string> names;
    if (!tools.is_array()) return names;
    for (const auto& tool : tools) {
        const auto* function = find_member(tool, "function");
        if (auto name = function != nullptr ? get_string(*function, "name") : std::nullopt) names.push_back(*name);
    }
    return names;
}

const json* tool_parameters(const json& tools, std::string_view name)
{
    for (const auto& tool : tools) {
        const auto* function = find_member(tool, "function");
        if (function != nullptr && get_string(*function, "name") == std::optional<std::string>(std::string(name)))
            return find_member(*function, "parameters");
    }
    return nullptr;
}

// The tools the text names, in the order it names them: "get_time", or "get time".
std::vector<std::string> tools_named(std::string_view text, const std::vector<std::string>& names)
{
    const std::string lowered = lower(text);
    std::vector<std::pair<std::size_t, std::string>> found;
    for (const auto& name : names) {
        std::string spaced = lower(name);
        std::replace(spaced.begin(), spaced.end(), '_', ' ');
        std::replace(spaced.begin(), spaced.end(), '-', ' ');
        auto at = lowered.find(lower(name));
        if (at == std::string::npos) at = lowered.find(spaced);
        if (at != std::string::npos) found.emplace_back(at, name);
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> ordered;
    for (auto& [at, name] : found) ordered.push_back(std::move(name));
    return ordered;
}

std::string fenced(std::string_view text, std::string_view language)
{
    const std::string fence = text.find("```") == std::string_view::npos ? "```" : "~~~~";
    std::string out = fence + std::string(language) + "\n" + std::string(text);
    if (out.back() != '\n') out += '\n';
    return out + fence + "\n";
}

// A markdown table cell: one line, no pipes.
std::string cell(const json& value)
{
    std::string text = value.is_string() ? value.get<std::string>() : dump_safely(value);
    if (text.size() > 80) {
        text.resize(77);
        while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
        if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
        text += "...";
    }
    for (auto& c : text) {
        if (c == '|') c = '/';
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
}

constexpr std::string_view demo_label =
    "*This is **Confab's demo model**, built into `confab serve`. It is not a language model: "
    "it gives the same kind of answer whatever you ask, so the widget can be tried with no "
    "network and no API key.*\n\n";

// A tip per user turn, so that a conversation shows a different one each time.
constexpr std::string_view tips[] = {
    "Reload the page: the conversation comes back, because it is stored in your browser.",
    "Press **Stop** while a reply streams: what arrived so far is kept, marked as incomplete.",
    "Ask the page's tools by name (try `get_time`) and watch the tool call and its result.",
    "Pick `confab-demo-reasoner` to see reasoning stream before the answer.",
    "Export the conversation and open it in the desktop harness: it is the same file format.",
};

std::string answer_text(const DemoRequest& request, std::size_t user_turns, std::int64_t prompt_tokens,
                        std::string_view last_user)
{
    const auto names = tool_names(request.tools);
    std::string tools_cell = names.empty() ? "none" : "";
    for (const auto& name : names) tools_cell += (tools_cell.empty() ? "`" : ", `") + name + "`";

    std::string text = "## What you are looking at\n\n";
    text += demo_label;
    text += "You sent " + count_of(words_in(last_user), "word") + ". A real model would answer them; "
            "this reply instead shows what the chat window can do:\n\n";
    text += "- **Streaming**: this text arrives a few words at a time, and the markdown is drawn as it comes.\n"
            "- **History**: the conversation lives in this browser, so it survives a reload and works offline.\n"
            "- **Stop and retry**: stop a reply half-way; what arrived stays, marked incomplete.\n"
            "- **Tools**: the page can give the model tools; name one in a message and the demo model calls it.\n\n";
    text += "### This turn\n\n";
    text += "| what | value |\n|---|---:|\n";
    text += "| model | `" + request.model + "` |\n";
    text += "| messages sent | " + std::to_string(request.messages.size()) + " |\n";
    text += "| prompt tokens (estimated) | " + std::to_string(prompt_tokens) + " |\n";
    text += "| tools offered | " + tools_cell + " |\n\n";
    text += "### Use a real model\n\n";
    text += "Run the relay with a provider; the key stays on the server:\n\n";
    text += fenced("OPENAI_API_KEY=sk-... confab serve \\\n"
                   "    --upstream https://api.openai.com/v1 \\\n"
                   "    --models chat=gpt-4o-mini",
                   "sh");
    text += "\n**Tip:** " + std::string(tips[(user_turns == 0 ? 0 : user_turns - 1) % std::size(tips)]) + "\n";
    return text;
}

std::string reasoning_text(std::string_view last_user, bool has_tools)
{
    std::string text = "The visitor sent " + count_of(words_in(last_user), "word") + ". ";
    text += "I am the Confab demo reasoner, so I do not really think: this paragraph is here to show how the "
            "widget displays a model's reasoning before its answer. ";
    text += has_tools ? "The page offers tools, but none was named, so I will explain the page instead. "
                      : "No tools are offered, so I will explain what the page shows. ";
    text += "Plan: say that this is a demo, list what the widget does, give the numbers of this turn, "
            "and show how to connect a real model.";
    return text;
}

std::string results_text(const std::vector<const Message*>& results, const std::vector<Message>& messages)
{
    std::string text = "## Tool results\n\n";
    text += demo_label;
    for (const Message* result : results) {
        std::string name = result->name;
        if (name.empty()) {
            for (const auto& message : messages) {
                for (const auto& call : message.tool_calls)
                    if (call.id && *call.id == result->tool_call_id) name = call.name;
            }
        }
        if (name.empty()) name = "a tool";
        const std::string output = result->content.value_or("");
        const json parsed = parse_json(output);
        text += "The page ran `" + name + "`, which returned:\n\n";
        if (!parsed.is_discarded()) {
            text += fenced(dump_safely(parsed, 2), "json");
            if (parsed.is_object() && !parsed.empty()) {
                text += "\nRead as a table:\n\n| field | value |\n|---|---|\n";
                for (const auto& [key, value] : parsed.items()) text += "| " + cell(key) + " | " + cell(value) + " |\n";
            }
        } else {
            text += fenced(output, "text");
        }
        text += "\n";
    }
    text += "A real model would now answer your question from " +
            std::string(results.size() == 1 ? "this result" : "these results") +
            "; the demo model shows " + (results.size() == 1 ? "it" : "them") + " back to you, so you can see the "
            "whole loop: your message, the tool call, the page running the tool, and this answer.\n";
    return text;
}

// Cuts `text` into pieces of about `target` bytes, after a space where one is near, never
// inside a UTF-8 sequence.
std::vector<std::string> pieces_of(std::string_view text, std::size_t target)
{
    std::vector<std::string> pieces;
    while (!text.empty()) {
        std::size_t cut = std::min(text.size(), target);
        if (cut < text.size()) {
            const auto space = text.find_first_of(" \n", cut);
            if (space != std::string_view::npos && space < cut + 12) cut = space + 1;
            while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
        }
        pieces.emplace_back(text.substr(0, cut));
        text.remove_prefix(cut);
    }
    return pieces;
}

json chunk(const DemoReply& reply, std::string_view model, std::int64_t created, json delta,
           json finish_reason = nullptr)
{
    return {{"id", reply.id},
            {"object", "chat.completion.chunk"},
            {"created", created},
            {"model", model},
            {"system_fingerprint", "confab-demo"},
            {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}})}};
}

std::string event(const json& payload) { return "data: " + dump_safely(payload) + "\n\n"; }

} // namespace

json demo_arguments(const json& parameters, std::string_view text)
{
    ArgumentBuilder builder{parameters, lower(text), candidates_from(text, {})};
    if (!parameters.is_object()) return json::object();
    json value = builder.value_for(parameters, "", 0);
    return value.is_object() ? value : json::object();
}

DemoReply demo_reply(const DemoRequest& request)
{
    DemoReply reply;
    std::string fingerprint = request.model;
    for (const auto& message : request.messages) {
        fingerprint += '\x1f';
        fingerprint += std::string(to_string(message.role)) + ":" + message.content.value_or("");
        for (const auto& call : message.tool_calls) fingerprint += call.name + call.arguments;
    }
    reply.id = "chatcmpl-demo-" + hex(fnv1a(fingerprint));

    const TokenEstimator estimator;
    const std::int64_t prompt_tokens = estimator.estimate_messages(request.messages);
    std::size_t user_turns = 0;
    std::string last_user;
    for (const auto& message : request.messages) {
        if (message.role != Role::user) continue;
        ++user_turns;
        last_user = message.content.value_or("");
    }
    const Role last_role = request.messages.empty() ? Role::user : request.messages.back().role;
    const auto names = tool_names(request.tools);

    // Tool results at the end: show and use them.
    if (last_role == Role::tool) {
        std::vector<const Message*> results;
        for (auto it = request.messages.rbegin(); it != request.messages.rend() && it->role == Role::tool; ++it)
            results.insert(results.begin(), &*it);
        reply.content = results_text(results, request.messages);
    } else {
        // A tool the user named, unless tool_choice forbids calling one or names another.
        std::vector<std::string> calls;
        if (request.tool_choice != "none" && !names.empty() && last_role == Role::user) {
            const auto* forced = find_member(request.tool_choice, "function");
            if (auto name = forced != nullptr ? get_string(*forced, "name") : std::nullopt) calls = {*name};
            else calls = tools_named(last_user, names);
            if (calls.empty() && request.tool_choice == "required") calls = {names.front()};
        }
        if (!calls.empty()) {
            for (std::size_t i = 0; i < calls.size(); ++i) {
                ToolCall call;
                call.index = int(i);
                call.id = "call_demo_" + std::to_string(user_turns) + "_" + std::to_string(i + 1);
                call.name = calls[i];
                const json* parameters = tool_parameters(request.tools, calls[i]);
                ArgumentBuilder builder{parameters != nullptr ? *parameters : json::object(), lower(last_user),
                                        candidates_from(last_user, names)};
                json arguments = parameters != nullptr && parameters->is_object()
                                     ? builder.value_for(*parameters, "", 0)
                                     : json::object();
                if (!arguments.is_object()) arguments = json::object();
                call.arguments = dump_safely(arguments);
                reply.tool_calls.push_back(std::move(call));
            }
            reply.finish_reason = "tool_calls";
        } else {
            if (request.model == demo_reasoner_id) reply.reasoning = reasoning_text(last_user, !names.empty());
            reply.content = answer_text(request, user_turns, prompt_tokens, last_user);
        }
    }

    std::int64_t completion_tokens = TokenEstimator::estimate_text(reply.content);
    const std::int64_t reasoning_tokens = TokenEstimator::estimate_text(reply.reasoning);
    completion_tokens += reasoning_tokens;
    for (const auto& call : reply.tool_calls) {
        completion_tokens += TokenEstimator::tokens_per_tool_call + TokenEstimator::estimate_text(call.name) +
                             TokenEstimator::estimate_text(call.arguments);
    }
    reply.usage = {{"prompt_tokens", prompt_tokens},
                   {"completion_tokens", completion_tokens},
                   {"total_tokens", prompt_tokens + completion_tokens}};
    if (reasoning_tokens > 0) reply.usage["completion_tokens_details"] = {{"reasoning_tokens", reasoning_tokens}};
    return reply;
}

std::vector<std::string> demo_events(const DemoReply& reply, std::string_view model, std::int64_t created)
{
    // About four tokens a piece: what providers send in one chunk.
    constexpr std::size_t piece_bytes = 16;
    std::vector<std::string> events;
    events.push_back(event(chunk(reply, model, created, {{"role", "assistant"}, {"content", ""}})));
    for (const auto& piece : pieces_of(reply.reasoning, piece_bytes))
        events.push_back(event(chunk(reply, model, created, {{"reasoning_content", piece}})));
    for (const auto& piece : pieces_of(reply.content, piece_bytes))
        events.push_back(event(chunk(reply, model, created, {{"content", piece}})));
    for (const auto& call : reply.tool_calls) {
        json opening = {{"index", call.index},
                        {"id", call.id.value_or("")},
                        {"type", "function"},
                        {"function", {{"name", call.name}, {"arguments", ""}}}};
        events.push_back(event(chunk(reply, model, created, {{"tool_calls", json::array({opening})}})));
        for (const auto& piece : pieces_of(call.arguments, piece_bytes)) {
            json fragment = {{"index", call.index}, {"function", {{"arguments", piece}}}};
            events.push_back(event(chunk(reply, model, created, {{"tool_calls", json::array({fragment})}})));
        }
    }
    events.push_back(event(chunk(reply, model, created, json::object(), reply.finish_reason)));
    json usage = {{"id", reply.id},           {"object", "chat.completion.chunk"}, {"created", created},
                  {"model", model},           {"choices", json::array()},         {"usage", reply.usage}};
    events.push_back(event(usage));
    events.push_back("data: [DONE]\n\n");
    return events;
}

json demo_completion(const DemoReply& reply, std::string_view model, std::int64_t created)
{
    json message = {{"role", "assistant"}, {"content", reply.tool_calls.empty() ? json(reply.content) : json(nullptr)}};
    if (!reply.reasoning.empty()) message["reasoning_content"] = reply.reasoning;
    if (!reply.tool_calls.empty()) {
        json calls = json::array();
        for (const auto& call : reply.tool_calls) {
            calls.push_back({{"id", call.id.value_or("")},
                             {"type", "function"},
                             {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
        }
        message["tool_calls"] = std::move(calls);
    }
    return {{"id", reply.id},
            {"object", "chat.completion"},
            {"created", created},
            {"model", model},
            {"system_fingerprint", "confab-demo"},
            {"choices", json::array({{{"index", 0}, {"message", std::move(message)}, {"finish_reason", reply.finish_reason}}})},
            {"usage", reply.usage}};
}

} // namespace confab::serve
