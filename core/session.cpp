// core/session.cpp
// The session file format of docs/session-format.md, read and written without exceptions.
#include "core/session.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <climits>
#include <cstring>
#include <functional>
#include <span>
#include <utility>

#include "core/json_util.h"

namespace confab {
namespace {

using nlohmann::json;
using Keys = std::span<const std::string_view>;

// The members each level knows; every other member is kept as `extra` and written back.
constexpr std::array<std::string_view, 10> session_keys = {
    "format", "version", "id", "title", "titled_ms", "created_ms", "updated_ms", "settings", "messages", "summaries"};
constexpr std::array<std::string_view, 9> settings_keys = {
    "endpoint", "model", "system_prompt", "temperature", "top_p",
    "max_tokens", "context_window", "reserved_output", "safety_margin"};
constexpr std::array<std::string_view, 15> message_keys = {
    "role", "content", "name", "tool_calls", "tool_call_id", "id", "created_ms", "reasoning",
    "refusal", "model", "finish_reason", "usage", "incomplete", "incomplete_reason", "pinned"};
constexpr std::array<std::string_view, 4> tool_call_keys = {"id", "type", "function", "index"};
constexpr std::array<std::string_view, 2> function_keys = {"name", "arguments"};
constexpr std::array<std::string_view, 6> summary_keys = {
    "text", "first_message_id", "last_message_id", "model", "created_ms", "tokens"};

bool contains(Keys keys, std::string_view key)
{
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The members of `object` that `known` does not name. A null `object` has none.
json unknown_members(const json& object, Keys known)
{
    assert((object.is_object() || object.is_null()) && "extra must be a JSON object");
    json unknown = json::object();
    if (!object.is_object()) return unknown;
    for (auto it = object.begin(); it != object.end(); ++it)
        if (!contains(known, it.key())) unknown[it.key()] = it.value();
    return unknown;
}

std::string member_path(std::string_view where, std::string_view key)
{
    std::string path(where);
    if (!path.empty()) path += '.';
    return path.append(key);
}

std::string item_path(std::string_view where, std::size_t index)
{
    return std::string(where) + "[" + std::to_string(index) + "]";
}

SessionError error_at(std::string_view where, std::string message)
{
    return {where.empty() ? "(root)" : std::string(where), std::move(message)};
}

// `text` cut to at most `limit` bytes, at a UTF-8 character boundary, marked "..." when cut.
std::string abbreviated(std::string_view text, std::size_t limit)
{
    if (text.size() <= limit) return std::string(text);
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return std::string(text.substr(0, end)) + "...";
}

// The integer `value` holds, if it holds one that fits in 64 bits.
std::optional<std::int64_t> as_int64(const json& value)
{
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        if (number > std::uint64_t(INT64_MAX)) return std::nullopt;
        return static_cast<std::int64_t>(number);
    }
    if (value.is_number_integer()) return value.get<std::int64_t>();
    return std::nullopt;
}

// Reads the known members of one JSON object, treating null as absent. The first problem
// stays in `error`, and reads after it do nothing; unknown() gives the members left over.
class MemberReader {
public:
    MemberReader(const json& object, std::string_view where, Keys known)
        : object_(object), where_(where), known_(known) {}

    // The member `key`; nullptr if it is absent or null, or if an error came first.
    const json* find(std::string_view key)
    {
        assert(contains(known_, key));
        const json* value = find_member(object_, key);
        return error || value == nullptr || value->is_null() ? nullptr : value;
    }

    void fail(std::string_view key, std::string message)
    {
        if (!error) error = error_at(member_path(where_, key), std::move(message));
    }

    void read(std::string_view key, std::string& out)
    {
        if (const json* value = find(key)) {
            if (value->is_string()) out = value->get<std::string>();
            else fail(key, "expected a string");
        }
    }

    void read(std::string_view key, std::optional<std::string>& out)
    {
        if (const json* value = find(key)) {
            if (value->is_string()) out = value->get<std::string>();
            else fail(key, "expected a string");
        }
    }

    void read(std::string_view key, bool& out)
    {
        if (const json* value = find(key)) {
            if (value->is_boolean()) out = value->get<bool>();
            else fail(key, "expected true or false");
        }
    }

    void read(std::string_view key, std::optional<double>& out)
    {
        if (const json* value = find(key)) {
            if (value->is_number()) out = value->get<double>();
            else fail(key, "expected a number");
        }
    }

    void read(std::string_view key, std::int64_t& out)
    {
        if (const json* value = find(key)) {
            if (const auto number = as_int64(*value)) out = *number;
            else fail(key, "expected an integer");
        }
    }

    // A string without which the object means nothing.
    void read_required(std::string_view key, std::string& out)
    {
        if (error) return;
        if (find(key) == nullptr) fail(key, "missing");
        else read(key, out);
    }

    // A count of tokens: a negative one has no meaning and would upset size arithmetic.
    void read_count(std::string_view key, std::optional<std::int64_t>& out)
    {
        if (const json* value = find(key)) {
            if (const auto number = as_int64(*value); number && *number >= 0) out = *number;
            else fail(key, "expected a non-negative integer");
        }
    }

    void read_count(std::string_view key, std::int64_t& out)
    {
        std::optional<std::int64_t> count;
        read_count(key, count);
        if (count) out = *count;
    }

    json unknown() const { return unknown_members(object_, known_); }

    std::optional<SessionError> error;

private:
    const json& object_;
    std::string where_;
    Keys known_;
};

// Why `bytes` are not JSON, in nlohmann's words, which give line and column. The parser only
// tells through a SAX handler, so this one ignores every event but the error.
class ParseErrorReporter final : public json::json_sax_t {
public:
    std::string message;

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool key(string_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_object() override { return true; }
    bool end_array() override { return true; }

    bool parse_error(std::size_t, const std::string&, const json::exception& error) override
    {
        // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
        std::string_view what = error.what();
        if (const auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
        if (what.starts_with("parse error at ")) what.remove_prefix(15);
        // "last read" can quote the whole of a truncated message; 200 bytes keep the position
        // and enough of what was read to find the place.
        message = abbreviated(what, 200);
        return false;
    }
};

std::string why_not_json(std::string_view bytes)
{
    ParseErrorReporter reporter;
    const bool parsed = json::sax_parse(bytes.begin(), bytes.end(), &reporter);
    assert(!parsed && !reporter.message.empty());
    (void)parsed;
    return reporter.message;
}

json tool_call_to_json(const ToolCall& call, std::size_t position)
{
    json out = unknown_members(call.extra, tool_call_keys);
    const json* function_extra = find_member(call.extra, "function");
    json function = unknown_members(function_extra != nullptr ? *function_extra : json(), function_keys);
    if (call.id) out["id"] = *call.id;
    out["type"] = call.type;
    // Other types of call (OpenAI's "custom") carry their payload in a member of their own.
    if (call.type == "function" || !call.name.empty() || !call.arguments.empty() || !function.empty()) {
        function["name"] = call.name;
        function["arguments"] = call.arguments;
        out["function"] = std::move(function);
    }
    if (std::cmp_not_equal(call.index, position)) out["index"] = call.index;
    return out;
}

std::optional<SessionError> tool_call_from_json(const json& value, std::string_view where,
                                                std::size_t position, ToolCall& out)
{
    if (!value.is_object()) return error_at(where, "expected an object");
    ToolCall call;
    call.index = static_cast<int>(position);
    MemberReader read(value, where, tool_call_keys);
    read.read("id", call.id);
    read.read("type", call.type);
    json function_extra = json::object();
    if (const json* function = read.find("function")) {
        if (!function->is_object()) return error_at(member_path(where, "function"), "expected an object");
        MemberReader function_read(*function, member_path(where, "function"), function_keys);
        function_read.read("name", call.name);
        function_read.read("arguments", call.arguments);
        if (function_read.error) return function_read.error;
        function_extra = function_read.unknown();
    }
    if (const json* index = read.find("index")) {
        const auto number = as_int64(*index);
        if (number && *number >= 0 && *number <= INT_MAX) call.index = static_cast<int>(*number);
        else read.fail("index", "expected an integer from 0 to " + std::to_string(INT_MAX));
    }
    if (read.error) return read.error;
    call.extra = read.unknown();
    if (!function_extra.empty()) call.extra["function"] = std::move(function_extra);
    out = std::move(call);
    return std::nullopt;
}

json settings_to_json(const SessionSettings& settings)
{
    json out = unknown_members(settings.extra, settings_keys);
    if (!settings.endpoint.empty()) out["endpoint"] = settings.endpoint;
    if (!settings.model.empty()) out["model"] = settings.model;
    if (!settings.system_prompt.empty()) out["system_prompt"] = settings.system_prompt;
    if (settings.temperature) out["temperature"] = *settings.temperature;
    if (settings.top_p) out["top_p"] = *settings.top_p;
    if (settings.max_tokens) out["max_tokens"] = *settings.max_tokens;
    if (settings.context_window) out["context_window"] = *settings.context_window;
    if (settings.reserved_output) out["reserved_output"] = *settings.reserved_output;
    if (settings.safety_margin) out["safety_margin"] = *settings.safety_margin;
    return out;
}

std::optional<SessionError> settings_from_json(const json& value, SessionSettings& out)
{
    if (!value.is_object()) return error_at("settings", "expected an object");
    SessionSettings settings;
    MemberReader read(value, "settings", settings_keys);
    read.read("endpoint", settings.endpoint);
    read.read("model", settings.model);
    read.read("system_prompt", settings.system_prompt);
    read.read("temperature", settings.temperature);
    read.read("top_p", settings.top_p);
    read.read_count("max_tokens", settings.max_tokens);
    read.read_count("context_window", settings.context_window);
    read.read_count("reserved_output", settings.reserved_output);
    read.read_count("safety_margin", settings.safety_margin);
    if (read.error) return read.error;
    settings.extra = read.unknown();
    out = std::move(settings);
    return std::nullopt;
}

// A summary is its text and the range it covers, so those three are always written and required
// on reading; the rest follows the rule of every other level (defaults left out).
json summary_to_json(const Summary& summary)
{
    json out = unknown_members(summary.extra, summary_keys);
    out["text"] = summary.text;
    out["first_message_id"] = summary.first_message_id;
    out["last_message_id"] = summary.last_message_id;
    if (!summary.model.empty()) out["model"] = summary.model;
    if (summary.created_ms != 0) out["created_ms"] = summary.created_ms;
    if (summary.tokens != 0) out["tokens"] = summary.tokens;
    return out;
}

std::optional<SessionError> summary_from_json(const json& value, std::string_view where, Summary& out)
{
    if (!value.is_object()) return error_at(where, "expected an object");
    Summary summary;
    MemberReader read(value, where, summary_keys);
    read.read_required("text", summary.text);
    read.read_required("first_message_id", summary.first_message_id);
    read.read_required("last_message_id", summary.last_message_id);
    read.read("model", summary.model);
    read.read("created_ms", summary.created_ms);
    read.read_count("tokens", summary.tokens);
    if (read.error) return read.error;
    summary.extra = read.unknown();
    out = std::move(summary);
    return std::nullopt;
}

SessionLoad refused(SessionError error)
{
    return {std::nullopt, std::move(error)};
}

} // namespace

json message_to_json(const Message& message)
{
    json out = unknown_members(message.extra, message_keys);
    out["role"] = std::string(to_string(message.role));
    if (message.content) out["content"] = *message.content;
    if (!message.name.empty()) out["name"] = message.name;
    if (!message.tool_calls.empty()) {
        json calls = json::array();
        for (std::size_t i = 0; i < message.tool_calls.size(); ++i)
            calls.push_back(tool_call_to_json(message.tool_calls[i], i));
        out["tool_calls"] = std::move(calls);
    }
    if (!message.tool_call_id.empty()) out["tool_call_id"] = message.tool_call_id;
    if (!message.id.empty()) out["id"] = message.id;
    if (message.created_ms != 0) out["created_ms"] = message.created_ms;
    if (!message.reasoning.empty()) out["reasoning"] = message.reasoning;
    if (message.refusal) out["refusal"] = *message.refusal;
    if (!message.model.empty()) out["model"] = message.model;
    if (message.finish_reason) out["finish_reason"] = *message.finish_reason;
    if (!message.usage.is_null()) out["usage"] = message.usage;
    if (message.incomplete) out["incomplete"] = true;
    if (!message.incomplete_reason.empty()) out["incomplete_reason"] = message.incomplete_reason;
    if (message.pinned) out["pinned"] = true;
    return out;
}

std::optional<SessionError> message_from_json(const json& value, std::string_view where, Message& out)
{
    if (!value.is_object()) return error_at(where, "expected an object");
    Message message;
    MemberReader read(value, where, message_keys);

    const json* role = read.find("role");
    if (role == nullptr) return error_at(member_path(where, "role"), "missing");
    if (!role->is_string()) return error_at(member_path(where, "role"), "expected a string");
    const std::optional<Role> known_role = role_from_string(role->get_ref<const std::string&>());
    if (!known_role) {
        // Roles are one short word; 40 bytes show any mistake without quoting a whole message.
        const std::string shown = abbreviated(role->get_ref<const std::string&>(), 40);
        return error_at(member_path(where, "role"), "unknown role " + dump_safely(json(shown)));
    }
    message.role = *known_role;

    read.read("content", message.content);
    read.read("name", message.name);
    if (const json* calls = read.find("tool_calls")) {
        if (!calls->is_array()) return error_at(member_path(where, "tool_calls"), "expected an array");
        const std::string calls_where = member_path(where, "tool_calls");
        for (std::size_t i = 0; i < calls->size(); ++i) {
            ToolCall call;
            if (auto problem = tool_call_from_json((*calls)[i], item_path(calls_where, i), i, call))
                return problem;
            message.tool_calls.push_back(std::move(call));
        }
    }
    read.read("tool_call_id", message.tool_call_id);
    read.read("id", message.id);
    read.read("created_ms", message.created_ms);
    read.read("reasoning", message.reasoning);
    read.read("refusal", message.refusal);
    read.read("model", message.model);
    read.read("finish_reason", message.finish_reason);
    // The provider's object as sent, whatever its shape: whoever reads it checks it.
    if (const json* usage = read.find("usage")) message.usage = *usage;
    read.read("incomplete", message.incomplete);
    read.read("incomplete_reason", message.incomplete_reason);
    read.read("pinned", message.pinned);
    if (read.error) return read.error;

    message.extra = read.unknown();
    out = std::move(message);
    return std::nullopt;
}

namespace {

// The file's members but `messages`.
json session_head(const Session& session)
{
    json out = unknown_members(session.extra, session_keys);
    out["format"] = std::string(session_format);
    out["version"] = session_version;
    if (!session.id.empty()) out["id"] = session.id;
    if (!session.title.empty()) out["title"] = session.title;
    if (session.titled_ms != 0) out["titled_ms"] = session.titled_ms;
    if (session.created_ms != 0) out["created_ms"] = session.created_ms;
    if (session.updated_ms != 0) out["updated_ms"] = session.updated_ms;
    if (json settings = settings_to_json(session.settings); !settings.empty())
        out["settings"] = std::move(settings);
    if (!session.summaries.empty()) {
        json summaries = json::array();
        for (const Summary& summary : session.summaries) summaries.push_back(summary_to_json(summary));
        out["summaries"] = std::move(summaries);
    }
    return out;
}

} // namespace

std::string save_session(const Session& session)
{
    json out = session_head(session);
    json messages = json::array();
    for (const Message& message : session.messages) messages.push_back(message_to_json(message));
    out["messages"] = std::move(messages);
    return dump_safely(out);
}

std::size_t SessionWriter::refresh(const Session& session, std::size_t i)
{
    Written& written = written_[i];
    if (written.text.empty() || !(written.message == session.messages[i])) {
        written.message = session.messages[i];
        written.text = dump_safely(message_to_json(written.message));
    }
    return written.text.size();
}

std::string SessionWriter::write(const Session& session)
{
    written_.resize(session.messages.size());
    std::vector<std::string_view> texts;
    texts.reserve(session.messages.size());
    for (std::size_t i = 0; i < session.messages.size(); ++i) {
        refresh(session, i);
        texts.push_back(written_[i].text);
    }
    return save_session_with(session, texts);
}

bool SessionWriter::prime(const Session& session, std::size_t budget)
{
    written_.resize(session.messages.size());
    std::size_t size = 0;
    for (std::size_t i = 0; i < session.messages.size(); ++i) {
        if (size >= budget) return false;
        if (written_[i].text.empty()) size += refresh(session, i);
    }
    return true;
}

SessionLoad load_session(std::string_view bytes)
{
    // Before any recursive code (dump, copy, ==) can see a deep document.
    if (nests_deeper_than(bytes, max_session_depth))
        return refused(error_at("", "nested deeper than " + std::to_string(max_session_depth) + " levels"));
    // nlohmann takes a NUL byte for the end of input, so `{...}\0garbage` would pass.
    if (const auto nul = bytes.find('\0'); nul != std::string_view::npos)
        return refused(error_at("", "not JSON: a NUL byte at offset " + std::to_string(nul)));
    // Both checks of parse_json are made above: a 6 MB file is scanned once for each, not twice.
    const json root = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return refused(error_at("", "not JSON: " + why_not_json(bytes)));
    if (!root.is_object()) return refused(error_at("", "expected an object"));

    // Format and version first: a foreign or newer file is refused as such, not for its details.
    MemberReader read(root, "", session_keys);
    const json* format = read.find("format");
    if (format == nullptr || !format->is_string() || format->get_ref<const std::string&>() != session_format)
        return refused(error_at("format", "expected \"confab.session\""));
    const json* version = read.find("version");
    if (version == nullptr) return refused(error_at("version", "missing"));
    if (!version->is_number_unsigned() || version->get<std::uint64_t>() < 1)
        return refused(error_at("version", "expected a positive integer"));
    if (*version != session_version)
        return refused(error_at("version", version->dump() + " is newer than this reader (" +
                                               std::to_string(session_version) + ")"));

    Session session;
    read.read("id", session.id);
    read.read("title", session.title);
    read.read("titled_ms", session.titled_ms);
    read.read("created_ms", session.created_ms);
    read.read("updated_ms", session.updated_ms);
    if (const json* settings = read.find("settings"))
        if (auto problem = settings_from_json(*settings, session.settings)) return refused(*problem);
    if (const json* messages = read.find("messages")) {
        if (!messages->is_array()) return refused(error_at("messages", "expected an array"));
        session.messages.reserve(messages->size());
        for (std::size_t i = 0; i < messages->size(); ++i) {
            Message message;
            if (auto problem = message_from_json((*messages)[i], item_path("messages", i), message))
                return refused(*problem);
            session.messages.push_back(std::move(message));
        }
    }
    if (const json* summaries = read.find("summaries")) {
        if (!summaries->is_array()) return refused(error_at("summaries", "expected an array"));
        for (std::size_t i = 0; i < summaries->size(); ++i) {
            Summary summary;
            if (auto problem = summary_from_json((*summaries)[i], item_path("summaries", i), summary))
                return refused(*problem);
            session.summaries.push_back(std::move(summary));
        }
    }
    if (read.error) return refused(*read.error);

    session.extra = read.unknown();
    return {std::move(session), std::nullopt};
}

namespace {

// Positions in JSON text for SessionLoader, which only needs them right for text that parses:
// nlohmann parses what lies between them, and anything unexpected sends the file to
// load_session whole. npos when the text ends first.
constexpr auto npos = std::string_view::npos;

// RFC 8259, section 2: insignificant whitespace is space, tab, line feed and carriage return.
std::size_t skip_space(std::string_view s, std::size_t i)
{
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

// One past the closing quote of the string that opens at s[i]. The quotes are found with
// memchr, which skips long texts many bytes at a time; a quote after an odd number of
// backslashes is escaped. (Splitting a 5.9 MB session for a merge: 8.3 -> 4.1 ms natively.)
std::size_t string_end(std::string_view s, std::size_t i)
{
    for (std::size_t from = i + 1; from < s.size();) {
        const void* quote = std::memchr(s.data() + from, '"', s.size() - from);
        if (quote == nullptr) return npos;
        const std::size_t at = std::size_t(static_cast<const char*>(quote) - s.data());
        std::size_t backslashes = 0;
        while (at - backslashes > from && s[at - backslashes - 1] == '\\') ++backslashes;
        if (backslashes % 2 == 0) return at + 1;
        from = at + 1;
    }
    return npos;
}

// One past the value that starts at s[i]; `depth` is how deep its arrays and objects nest.
std::size_t value_end(std::string_view s, std::size_t i, int& depth)
{
    depth = 0;
    if (i >= s.size()) return npos;
    if (s[i] == '"') return string_end(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int open = 0;
        for (; i < s.size(); ++i) {
            const char c = s[i];
            if (c == '"') {
                i = string_end(s, i);
                if (i == npos) return npos;
                --i;
            } else if (c == '{' || c == '[') {
                depth = std::max(depth, ++open);
            } else if ((c == '}' || c == ']') && --open == 0) {
                return i + 1;
            }
        }
        return npos;
    }
    // A number, true, false or null: up to what may follow a value.
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && skip_space(s, i) == i) ++i;
    return i;
}

// Reads the object member whose name starts at s[i] (after `{` or `,` and spaces), up to its
// value: where the value starts and the member's name, or npos for anything unexpected,
// names written with escapes included (they may spell "messages").
std::size_t member_value(std::string_view s, std::size_t i, std::string_view& name)
{
    if (i >= s.size() || s[i] != '"') return npos;
    const std::size_t name_end = string_end(s, i);
    if (name_end == npos || s.substr(i, name_end - i).find('\\') != std::string_view::npos) return npos;
    name = s.substr(i + 1, name_end - i - 2);
    i = skip_space(s, name_end);
    if (i >= s.size() || s[i] != ':') return npos;
    return skip_space(s, i + 1);
}

// The file `s` with its messages' array, s[begin, end), written `[]`: the rest of it, to load.
std::string without_messages(std::string_view s, std::size_t begin, std::size_t end)
{
    std::string rest;
    rest.reserve(s.size() - (end - begin) + 2);
    rest.append(s.substr(0, begin)).append("[]").append(s.substr(end));
    return rest;
}

} // namespace

SessionLoader::SessionLoader(std::string bytes) : bytes_(std::move(bytes)) {}

bool SessionLoader::whole()
{
    result_ = load_session(bytes_);
    done_ = true;
    return true;
}

// Reads the members before the messages (in the writer's key order, "created_ms", "format" and
// "id") up to the first message; false when the file is to be loaded whole.
bool SessionLoader::start()
{
    const std::string_view s = bytes_;
    std::size_t i = skip_space(s, 0);
    if (i >= s.size() || s[i] != '{') return false;
    i = skip_space(s, i + 1);
    for (;;) {
        std::string_view name;
        i = member_value(s, i, name);
        if (i == npos) return false;
        if (name == "messages") break;
        int depth = 0;
        i = skip_space(s, value_end(s, i, depth));
        if (i >= s.size() || s[i] != ',') return false;
        i = skip_space(s, i + 1);
    }
    if (i >= s.size() || s[i] != '[') return false;
    array_begin_ = i;
    at_ = skip_space(s, i + 1);
    if (at_ < s.size() && s[at_] == ']') array_end_ = ++at_;
    return true;
}

// Reads the members after the messages and loads the file without them, as load_session
// would, with `"messages": []` in their place; then gives it the messages.
bool SessionLoader::finish()
{
    const std::string_view s = bytes_;
    std::size_t i = skip_space(s, at_);
    while (i < s.size() && s[i] == ',') {
        std::string_view name;
        i = member_value(s, skip_space(s, i + 1), name);
        if (i == npos || name == "messages") return false;
        int depth = 0;
        i = skip_space(s, value_end(s, i, depth));
    }
    if (i >= s.size() || s[i] != '}') return false;
    SessionLoad loaded = load_session(without_messages(s, array_begin_, array_end_));
    if (loaded.error || !loaded.session->messages.empty()) return false;
    loaded.session->messages = std::move(messages_);
    result_ = std::move(loaded);
    done_ = true;
    return true;
}

bool SessionLoader::step(std::size_t budget)
{
    if (done_) return true;
    if (!started_) {
        started_ = true;
        if (!start()) return whole();
    }
    const std::string_view s = bytes_;
    // At least one message a step, whatever the budget.
    for (std::size_t read = 0, first = messages_.size(); array_end_ == 0 && (messages_.size() == first || read < budget);) {
        // A message nests 2 levels below the file: it may nest max_session_depth - 2 itself.
        int depth = 0;
        const std::size_t end = value_end(s, at_, depth);
        if (end == npos || depth > max_session_depth - 2 || s.substr(at_, end - at_).find('\0') != npos) return whole();
        const json value = json::parse(s.begin() + std::ptrdiff_t(at_), s.begin() + std::ptrdiff_t(end), nullptr,
                                       /*allow_exceptions=*/false);
        Message message;
        if (value.is_discarded() || message_from_json(value, "", message)) return whole();
        messages_.push_back(std::move(message));
        read += end - at_;
        at_ = skip_space(s, end);
        if (at_ < s.size() && s[at_] == ',') {
            at_ = skip_space(s, at_ + 1);
            if (at_ < s.size() && s[at_] == ']') return whole();  // no value after the comma
        } else if (at_ < s.size() && s[at_] == ']') {
            array_end_ = ++at_;
        } else {
            return whole();
        }
    }
    if (array_end_ == 0) return false;
    return finish() || whole();
}

namespace {

// The edit made to the whole session, and the file saved whole: what edit_session_head does
// when it cannot do less.
EditedSession edit_whole(std::string_view bytes, const std::function<void(Session&)>& edit)
{
    EditedSession out;
    SessionLoad loaded = load_session(bytes);
    if (loaded.error) {
        out.error = std::move(loaded.error);
        return out;
    }
    Session& session = *loaded.session;
    edit(session);
    out.bytes = save_session(session);
    out.message_count = session.messages.size();
    session.messages.clear();
    out.head = std::move(session);
    return out;
}

// A top-level member: its name, and its value's bytes [value, end).
struct MemberSpan {
    std::string_view name;
    std::size_t value = 0;
    std::size_t end = 0;
};

// The members of the object that is all of `s`, in order; nullopt for anything unexpected (as
// member_value and value_end see it), a name given twice included. Where the value of
// "messages" ends is `messages(value)`'s to say when given (npos: unexpected): a caller that
// reads the messages one by one spares a scan of the whole array.
std::optional<std::vector<MemberSpan>> top_members(std::string_view s,
                                                   const std::function<std::size_t(std::size_t)>& messages = {})
{
    std::size_t i = skip_space(s, 0);
    if (i >= s.size() || s[i] != '{') return std::nullopt;
    std::vector<MemberSpan> members;
    for (i = skip_space(s, i + 1);;) {
        MemberSpan member;
        member.value = member_value(s, i, member.name);
        if (member.value == npos) return std::nullopt;
        int depth = 0;
        member.end = messages && member.name == "messages" ? messages(member.value) : value_end(s, member.value, depth);
        if (member.end == npos || member.end == member.value) return std::nullopt;
        for (const auto& other : members)
            if (other.name == member.name) return std::nullopt;
        members.push_back(member);
        i = skip_space(s, member.end);
        if (i < s.size() && s[i] == ',') {
            i = skip_space(s, i + 1);
        } else if (i < s.size() && s[i] == '}' && skip_space(s, i + 1) == s.size()) {
            return members;
        } else {
            return std::nullopt;
        }
    }
}

// How many values the array s[begin, end) holds, as value_end sees them; nullopt for anything
// unexpected (two values without a comma between them, a comma without a value).
std::optional<std::size_t> array_count(std::string_view s, std::size_t begin, std::size_t end)
{
    std::size_t i = skip_space(s, begin + 1);
    if (i < end && s[i] == ']') return i + 1 == end ? std::optional<std::size_t>(0) : std::nullopt;
    for (std::size_t count = 1;; ++count) {
        int depth = 0;
        const std::size_t value = value_end(s, i, depth);
        if (value == npos || value == i || value > end) return std::nullopt;
        i = skip_space(s, value);
        if (i < end && s[i] == ',') i = skip_space(s, i + 1);
        else if (i + 1 == end && s[i] == ']') return count;
        else return std::nullopt;
    }
}

} // namespace

EditedSession edit_session_head(std::string_view bytes, const std::function<void(Session&)>& edit)
{
    const auto members = top_members(bytes);
    if (!members) return edit_whole(bytes, edit);
    const auto messages = std::find_if(members->begin(), members->end(), [](const MemberSpan& m) { return m.name == "messages"; });
    if (messages == members->end() || bytes[messages->value] != '[') return edit_whole(bytes, edit);
    const auto count = array_count(bytes, messages->value, messages->end);
    if (!count) return edit_whole(bytes, edit);

    // The rest of the file is loaded: it is checked, and gives the head.
    const std::string_view array = bytes.substr(messages->value, messages->end - messages->value);
    const std::string rest = without_messages(bytes, messages->value, messages->end);
    SessionLoad loaded = load_session(rest);
    if (loaded.error) return edit_whole(bytes, edit);  // its first problem may lie among the messages

    EditedSession out;
    out.head = std::move(*loaded.session);
    edit(out.head);
    out.head.messages.clear();
    out.message_count = *count;
    // As save_session writes it, the messages' array as it was.
    out.bytes = dump_object_with(session_head(out.head), "messages", rest.size() + array.size() + 4096,
                                 [&](std::string& text) { text.append(array); });
    return out;
}

} // namespace confab

namespace confab {
namespace {

// Whether `text` is a JSON integer written as digits alone (after a minus sign, if any) that
// fits in 64 bits: then `out` is its value.
bool plain_integer(std::string_view text, std::int64_t& out)
{
    const std::size_t digits = text.starts_with('-') ? 1 : 0;
    if (text.size() == digits || text.size() - digits > 18 || (text[digits] == '0' && text.size() > digits + 1))
        return false;
    std::int64_t value = 0;
    for (std::size_t i = digits; i < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        value = value * 10 + (text[i] - '0');
    }
    out = digits ? -value : value;
    return true;
}

// Reads the message object at s[i] for split_session: its bytes and what tells it apart, into
// `out`; one past its end, or npos for anything unexpected (see split_session).
std::size_t mark_message(std::string_view s, std::size_t i, MarkedMessage& out)
{
    if (i >= s.size() || s[i] != '{') return npos;
    const std::size_t begin = i;
    i = skip_space(s, i + 1);
    if (i < s.size() && s[i] == '}') {
        out.bytes = s.substr(begin, i + 1 - begin);
        return i + 1;
    }
    static constexpr std::string_view marks[] = {"id", "created_ms", "incomplete", "incomplete_reason"};
    unsigned seen = 0;
    bool incomplete = false;
    std::string reason;
    for (;;) {
        std::string_view name;
        const std::size_t value = member_value(s, i, name);
        if (value == npos) return npos;
        int depth = 0;
        const std::size_t end = value_end(s, value, depth);
        if (end == npos || end == value) return npos;
        for (unsigned k = 0; k < std::size(marks); ++k) {
            if (name != marks[k]) continue;
            if (seen & (1u << k)) return npos;
            seen |= 1u << k;
            // As message_from_json reads them: null is absent, anything else of another type
            // refused. A string without escapes and a plain integer are read without the parser
            // (a third of the time it took to split a long session in WebAssembly).
            const std::string_view text = s.substr(value, end - value);
            if ((k == 0 || k == 3) && text.size() >= 2 && text.front() == '"' && text.back() == '"' && text.find('\\') == npos) {
                (k == 0 ? out.id : reason) = text.substr(1, text.size() - 2);
                continue;
            }
            if (k == 1 && plain_integer(text, out.created_ms)) continue;
            const json v = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
            if (v.is_discarded()) return npos;
            if (v.is_null()) continue;
            if (k == 0 || k == 3) {
                if (!v.is_string()) return npos;
                (k == 0 ? out.id : reason) = v.get<std::string>();
            } else if (k == 1) {
                const auto number = as_int64(v);
                if (!number) return npos;
                out.created_ms = *number;
            } else {
                if (!v.is_boolean()) return npos;
                incomplete = v.get<bool>();
            }
        }
        i = skip_space(s, end);
        if (i < s.size() && s[i] == ',') {
            i = skip_space(s, i + 1);
        } else if (i < s.size() && s[i] == '}') {
            out.bytes = s.substr(begin, i + 1 - begin);
            out.still_streaming = incomplete && reason == still_streaming_reason;
            return i + 1;
        } else {
            return npos;
        }
    }
}

} // namespace

std::optional<SplitSession> split_session(std::string_view bytes)
{
    SplitSession out;
    // The messages' array, read one message at a time: one past its end, or npos.
    const auto read_messages = [&](std::size_t i) -> std::size_t {
        if (i >= bytes.size() || bytes[i] != '[' || !out.messages.empty()) return npos;
        i = skip_space(bytes, i + 1);
        if (i < bytes.size() && bytes[i] == ']') return i + 1;
        for (;;) {
            MarkedMessage& message = out.messages.emplace_back();
            const std::size_t end = mark_message(bytes, i, message);
            if (end == npos) return npos;
            i = skip_space(bytes, end);
            if (i < bytes.size() && bytes[i] == ',') i = skip_space(bytes, i + 1);
            else if (i < bytes.size() && bytes[i] == ']') return i + 1;
            else return npos;
        }
    };
    const auto members = top_members(bytes, read_messages);
    if (!members) return std::nullopt;
    const auto array = std::find_if(members->begin(), members->end(), [](const MemberSpan& m) { return m.name == "messages"; });
    if (array == members->end()) return std::nullopt;
    SessionLoad loaded = load_session(without_messages(bytes, array->value, array->end));
    if (loaded.error) return std::nullopt;
    out.head = std::move(*loaded.session);
    return out;
}

std::string save_session_with(const Session& head, const std::vector<std::string_view>& messages)
{
    std::size_t size = 0;
    for (const std::string_view message : messages) size += message.size() + 1;
    return dump_object_with(session_head(head), "messages", size + 4096, [&](std::string& out) {
        out += '[';
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (i > 0) out += ',';
            out += messages[i];
        }
        out += ']';
    });
}

} // namespace confab
