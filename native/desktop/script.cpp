// native/desktop/script.cpp
#include "native/desktop/script.h"

#include <cstdlib>
#include <map>

#include "native/desktop/app.h"

namespace confab::desktop {

namespace {

// Each step and how its line continues: words (min..max of them), or the rest as one text.
struct StepShape {
    int min_words = 0;
    int max_words = 0;
    bool text = false;
};

const std::map<std::string, StepShape, std::less<>>& shapes()
{
    static const std::map<std::string, StepShape, std::less<>> table = {
        {"endpoint", {1, 1}}, {"model", {1, 1}}, {"summary-model", {1, 1}}, {"key-env", {1, 1}},
        {"system", {1, 1, true}}, {"context", {1, 1}}, {"tools", {1, 1}}, {"new", {0, 0}},
        {"open", {1, 1}}, {"send", {1, 1, true}}, {"draft", {1, 1, true}}, {"wait", {0, 1}},
        {"stop", {0, 0}}, {"retry", {0, 0}}, {"answer", {1, 1, true}}, {"fail", {1, 1, true}},
        {"replay", {1, 3}}, {"window", {1, 1}}, {"frames", {1, 1}}, {"sleep", {1, 1}},
        {"expect", {1, 1}}, {"export", {1, 1}},
    };
    return table;
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

std::optional<double> number(const std::string& text)
{
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0' || value < 0) return std::nullopt;
    return value;
}

// A wait that never ends is a test that never ends: every waiting step has a deadline.
constexpr std::int64_t default_wait_ms = 60'000;

} // namespace

const std::vector<std::string>& window_names()
{
    static const std::vector<std::string> names = {"Chat", "Request", "Stream", "Tools", "Cost", "Settings"};
    return names;
}

ScriptParse parse_script(std::string_view text)
{
    ScriptParse parse;
    int line_number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        auto line = trim(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        ++line_number;
        if (line.empty() || line.front() == '#') continue;
        const auto space = line.find_first_of(" \t");
        const std::string command(line.substr(0, space));
        auto rest = space == std::string_view::npos ? std::string_view() : trim(line.substr(space));
        const auto shape = shapes().find(command);
        const std::string where = "line " + std::to_string(line_number) + ": ";
        if (shape == shapes().end()) {
            parse.error = where + "unknown step \"" + command + "\"";
            return parse;
        }
        ScriptStep step{command, {}, line_number};
        if (shape->second.text) {
            if (!rest.empty()) step.args.emplace_back(rest);
        } else {
            while (!rest.empty()) {
                const auto gap = rest.find_first_of(" \t");
                step.args.emplace_back(rest.substr(0, gap));
                rest = gap == std::string_view::npos ? std::string_view() : trim(rest.substr(gap));
            }
        }
        const int words = int(step.args.size());
        if (words < shape->second.min_words || words > shape->second.max_words) {
            parse.error = where + "\"" + command + "\" takes " +
                          (shape->second.text ? std::string("a text")
                           : shape->second.min_words == shape->second.max_words
                               ? std::to_string(shape->second.min_words) + " argument(s)"
                               : std::to_string(shape->second.min_words) + " to " + std::to_string(shape->second.max_words) +
                                     " arguments");
            return parse;
        }
        const auto numeric = [&](std::size_t i) { return i >= step.args.size() || number(step.args[i]).has_value(); };
        if ((command == "wait" || command == "frames" || command == "sleep" || command == "context") && !numeric(0)) {
            parse.error = where + "\"" + command + "\" takes a number";
            return parse;
        }
        if (command == "replay" && (!numeric(1) || !numeric(2))) {
            parse.error = where + "replay FILE [CHUNK [BYTES_PER_SECOND]]: CHUNK and BYTES_PER_SECOND are numbers";
            return parse;
        }
        if (command == "expect" && step.args[0] != "done" && step.args[0] != "stopped" && step.args[0] != "failed" &&
            step.args[0] != "incomplete") {
            parse.error = where + "expect done|stopped|failed|incomplete";
            return parse;
        }
        if (command == "window") {
            bool known = false;
            for (const auto& name : window_names()) known = known || name == step.args[0];
            if (!known) {
                parse.error = where + "unknown window \"" + step.args[0] + "\"";
                return parse;
            }
        }
        parse.steps.push_back(std::move(step));
    }
    return parse;
}

void ScriptRunner::fail(const ScriptStep& step, std::string why)
{
    failure_ = "line " + std::to_string(step.line) + " (" + step.command + "): " + why;
}

void ScriptRunner::frame_drawn()
{
    if (frames_left_ > 0) --frames_left_;
}

void ScriptRunner::tick(App& app, std::int64_t now)
{
    while (!finished()) {
        if (frames_left_ > 0) return;
        if (!run(steps_[next_], app, now)) return;
        ++next_;
        wait_until_.reset();
    }
}

bool ScriptRunner::run(const ScriptStep& step, App& app, std::int64_t now)
{
    const auto& c = step.command;
    const auto arg = [&](std::size_t i) { return i < step.args.size() ? step.args[i] : std::string(); };
    const auto deadline = [&](std::int64_t ms) {
        if (!wait_until_) wait_until_ = now + ms;
        return now >= *wait_until_;
    };
    const auto settings_with = [&](auto change) {
        auto settings = app.settings();
        change(settings);
        app.apply_settings(settings, now);
    };
    const auto notes_before = app.notes().size();
    const auto noted = [&] { return app.notes().size() > notes_before ? app.notes().back() : std::string("failed"); };

    if (c == "endpoint") settings_with([&](DesktopSettings& s) { s.endpoint = arg(0); });
    else if (c == "model") settings_with([&](DesktopSettings& s) { s.model = arg(0); });
    else if (c == "summary-model") settings_with([&](DesktopSettings& s) { s.summary_model = arg(0); });
    else if (c == "key-env") settings_with([&](DesktopSettings& s) { s.api_key_env = arg(0); });
    else if (c == "system") settings_with([&](DesktopSettings& s) { s.system_prompt = arg(0); });
    else if (c == "context") settings_with([&](DesktopSettings& s) { s.context_window = std::int64_t(*number(arg(0))); });
    else if (c == "tools") {
        if (!app.load_tools_file(arg(0), now)) fail(step, noted());
    } else if (c == "new") app.new_session(now);
    else if (c == "open") {
        if (!app.open_session(arg(0), now)) fail(step, noted());
    } else if (c == "send") app.send(arg(0), now);
    else if (c == "draft") draft = arg(0);
    else if (c == "stop") app.stop(now);
    else if (c == "retry") app.retry(now);
    else if (c == "wait") {
        if (app.busy()) {
            const auto seconds = step.args.empty() ? default_wait_ms / 1000.0 : *number(arg(0));
            if (deadline(std::int64_t(seconds * 1000))) fail(step, "the turn did not end in time");
            return failure_.has_value();
        }
    } else if (c == "answer" || c == "fail") {
        const auto waiting = app.tools().waiting();
        if (waiting.empty()) {
            // Waits for the model's call; a turn that ends without one has nothing to answer.
            if (!app.busy()) fail(step, "no tool call is waiting for an answer");
            else if (deadline(default_wait_ms)) fail(step, "no tool call came");
            return failure_.has_value();
        }
        for (const auto& id : waiting) app.answer_tool(id, c == "answer", arg(0), now);
    } else if (c == "replay") {
        const auto chunk = step.args.size() > 1 ? std::size_t(*number(arg(1))) : std::size_t(64);
        const auto pace = step.args.size() > 2 ? *number(arg(2)) : 0.0;
        if (!app.start_replay(arg(0), chunk, pace, now)) fail(step, noted());
    } else if (c == "window") focus_window = arg(0);
    else if (c == "frames") frames_left_ = int(*number(arg(0)));
    else if (c == "sleep") {
        if (!deadline(std::int64_t(*number(arg(0))))) return false;
    } else if (c == "expect") {
        const auto& turns = app.finished_turns();
        const std::string status = turns.empty() ? "none" : std::string(to_string(turns.back().status));
        if (status != arg(0)) fail(step, "the last turn ended " + status + ", not " + arg(0));
    } else if (c == "export") {
        if (!app.export_session(arg(0))) fail(step, noted());
    }
    return true;
}

} // namespace confab::desktop
