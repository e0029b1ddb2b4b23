// native/desktop/script.h
// Headless runs: a script of steps (docs/desktop.md, "Scripts") that drives the App as a
// developer would, for tests and screenshots. One step per line, `#` starts a comment:
//
//   endpoint URL | model NAME | summary-model NAME | key-env NAME | system TEXT | context N
//   tools FILE | new | open FILE | send TEXT | draft TEXT | wait [SECONDS] | stop | retry
//   answer TEXT | fail TEXT | replay FILE [CHUNK [BYTES_PER_SECOND]] | window NAME
//   frames N | sleep MS | expect done|stopped|failed|incomplete | export FILE
//
// The runner is a small state machine the frame loop ticks: it runs steps until one has to
// wait (for the turn, for frames to be drawn, for time), so the window keeps drawing while
// the engine works.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace confab::desktop {

class App;

struct ScriptStep {
    std::string command;
    std::vector<std::string> args;  // the words after it; for TEXT steps, one argument: the rest of the line
    int line = 0;
};

struct ScriptParse {
    std::vector<ScriptStep> steps;
    std::optional<std::string> error;  // "line 3: unknown step \"sned\""
};

ScriptParse parse_script(std::string_view text);

// The names the Window step accepts, as the windows are titled.
const std::vector<std::string>& window_names();

class ScriptRunner {
public:
    explicit ScriptRunner(std::vector<ScriptStep> steps) : steps_(std::move(steps)) {}

    // Runs steps until one must wait. Call once a frame, after App::step.
    void tick(App& app, std::int64_t now);
    // The frame loop drew a frame.
    void frame_drawn();

    bool finished() const { return failure_.has_value() || next_ >= steps_.size(); }
    const std::optional<std::string>& failure() const { return failure_; }

    // For the frame loop: the text to put in the Chat input, and a window to bring forward.
    std::string draft;
    std::string focus_window;

private:
    bool run(const ScriptStep& step, App& app, std::int64_t now);  // false: wait, call again
    void fail(const ScriptStep& step, std::string why);

    std::vector<ScriptStep> steps_;
    std::size_t next_ = 0;
    std::optional<std::string> failure_;
    int frames_left_ = 0;
    std::optional<std::int64_t> wait_until_;  // the deadline of the step waiting now
};

} // namespace confab::desktop
