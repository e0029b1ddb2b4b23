// native/desktop/main.cpp
// confab-desktop: the developer harness (docs/desktop.md). Interactive by default; with
// --script or --screenshot it runs headless steps, writes a PNG of the window and prints one
// JSON line of facts (what was drawn, how the turns ended), for tests under xvfb-run.
//
// Threads: the UI thread owns the App and so the engine; the network runs on a worker
// (NetworkWorker), tool commands on their own threads, and both report through the InputQueue.
#include <algorithm>
#include <chrono>
#include <numeric>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <imgui.h>

#include "core/json_util.h"
#include "native/desktop/app.h"
#include "native/desktop/gui.h"
#include "native/desktop/network_worker.h"
#include "native/desktop/script.h"
#include "native/desktop/session_store.h"
#include "native/desktop/windows.h"

using namespace confab;
using namespace confab::desktop;

namespace {

constexpr const char* usage =
    "usage: confab-desktop [options]\n"
    "  --config FILE         settings file (default $XDG_CONFIG_HOME/confab/desktop.json)\n"
    "  --endpoint URL        an OpenAI-compatible base URL (…/v1)\n"
    "  --model M             the model to ask\n"
    "  --tools FILE          tools to offer the model (docs/desktop.md)\n"
    "  --sessions DIR        the sessions folder\n"
    "  --open FILE           open this session file at start\n"
    "  --size WxH            window size (default 1400x900; 1280x800 headless)\n"
    "Headless (for tests, under xvfb-run):\n"
    "  --script FILE         run the steps in FILE (docs/desktop.md, \"Scripts\")\n"
    "  --send TEXT           send one message and wait for the turn to end\n"
    "  --screenshot OUT.png  write a PNG of the window when the steps are done, then exit\n"
    "  --frames N            frames to draw after the last step, before the screenshot (default 3)\n"
    "Exit status (headless): 0 when every step ran and every turn ended done; 1 otherwise; 2 bad usage;\n"
    "3 no display.\n";

std::int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Arguments {
    std::string config, endpoint, model, tools, sessions, open, script, send, screenshot;
    int frames = 3;
    int width = 0, height = 0;
};

bool parse(int argc, char** argv, Arguments& out)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&](std::string& to) {
            if (i + 1 >= argc) return false;
            to = argv[++i];
            return true;
        };
        std::string number;
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage, stdout);
            std::exit(0);
        } else if (arg == "--config") {
            if (!value(out.config)) return false;
        } else if (arg == "--endpoint") {
            if (!value(out.endpoint)) return false;
        } else if (arg == "--model") {
            if (!value(out.model)) return false;
        } else if (arg == "--tools") {
            if (!value(out.tools)) return false;
        } else if (arg == "--sessions") {
            if (!value(out.sessions)) return false;
        } else if (arg == "--open") {
            if (!value(out.open)) return false;
        } else if (arg == "--script") {
            if (!value(out.script)) return false;
        } else if (arg == "--send") {
            if (!value(out.send)) return false;
        } else if (arg == "--screenshot") {
            if (!value(out.screenshot)) return false;
        } else if (arg == "--frames") {
            if (!value(number)) return false;
            out.frames = std::atoi(number.c_str());
            if (out.frames < 1) return false;
        } else if (arg == "--size") {
            if (!value(number) || std::sscanf(number.c_str(), "%dx%d", &out.width, &out.height) != 2 || out.width < 200 ||
                out.height < 200)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    Arguments args;
    if (!parse(argc, argv, args)) {
        std::fputs(usage, stderr);
        return 2;
    }
    const bool headless = !args.script.empty() || !args.screenshot.empty() || !args.send.empty();

    // Settings: the config file, then the flags over it.
    App::Options options;
    options.config_path = args.config.empty() ? default_config_path() : args.config;
    {
        std::string error;
        if (const auto bytes = native::read_file(options.config_path, error)) {
            auto load = load_settings(*bytes);
            for (const auto& problem : load.problems)
                std::fprintf(stderr, "confab-desktop: %s: %s\n", options.config_path.c_str(), problem.c_str());
            options.settings = std::move(load.settings);
        }
    }
    if (!args.endpoint.empty()) options.settings.endpoint = args.endpoint;
    if (!args.model.empty()) options.settings.model = args.model;
    if (!args.tools.empty()) options.settings.tools_file = args.tools;
    if (!args.sessions.empty()) options.settings.sessions_dir = args.sessions;
    options.seed = std::uint64_t(now_ms());

    // The headless steps: a script, or the short form (one message), or nothing but a picture.
    std::vector<ScriptStep> steps;
    if (!args.script.empty()) {
        std::string error;
        const auto text = native::read_file(args.script, error);
        auto parsed = text ? parse_script(*text) : ScriptParse{{}, error};
        if (parsed.error) {
            std::fprintf(stderr, "confab-desktop: %s: %s\n", args.script.c_str(), parsed.error->c_str());
            return 2;
        }
        steps = std::move(parsed.steps);
    }
    if (!args.send.empty()) {
        steps.push_back(ScriptStep{"send", {args.send}, 0});
        steps.push_back(ScriptStep{"wait", {"120"}, 0});
    }
    ScriptRunner runner(std::move(steps));

    Gui gui;
    Gui::Options window;
    window.width = args.width > 0 ? args.width : headless ? 1280 : 1400;
    window.height = args.height > 0 ? args.height : headless ? 800 : 900;
    window.headless = headless;
    if (!headless) {
        const auto slash = options.config_path.rfind('/');
        window.ini_path = (slash == std::string::npos ? std::string(".") : options.config_path.substr(0, slash)) + "/imgui.ini";
    }
    std::string error;
    if (!gui.open(window, error)) {
        std::fprintf(stderr, "confab-desktop: %s\n", error.c_str());
        return 3;
    }

    InputQueue queue;
    queue.set_wake([] { Gui::wake(); });
    int status = 0;
    {
        NetworkWorker network(queue);
        App app(options, network, queue, now_ms());
        if (!args.open.empty()) app.open_session(args.open, now_ms());
        UiState ui;
        int frames_after = args.frames;
        std::vector<double> frame_ms;  // the frames drawn after the last step: how smooth it is
        bool captured = false;

        while (!gui.should_close()) {
            const auto now = now_ms();
            app.step(now);
            if (headless) {
                runner.tick(app, now);
                if (!runner.draft.empty()) ui.draft = std::exchange(runner.draft, std::string());
                if (!runner.focus_window.empty()) ui.focus_window = std::exchange(runner.focus_window, std::string());
            }
            const bool last_frame = headless && runner.finished() && frames_after == 1;
            const auto frame_start = std::chrono::steady_clock::now();
            gui.begin_frame();
            draw_windows(app, ui, gui.fonts(), now);
            gui.end_frame(last_frame);
            if (headless && runner.finished())
                frame_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - frame_start).count());
            if (headless) {
                runner.frame_drawn();
                if (runner.finished() && --frames_after <= 0) {
                    captured = last_frame;
                    break;
                }
                gui.wait(0.005);
            } else {
                // Streaming: draw at the display's rate. Idle: sleep until input, a network
                // report (the queue wakes us), or the next timer.
                double wait = 0.5;
                if (app.busy()) wait = 1.0 / 60;
                if (const auto deadline = app.next_deadline()) wait = std::min(wait, std::max(0.0, double(*deadline - now) / 1000));
                gui.wait(wait);
            }
        }

        if (headless) {
            const auto& turns = app.finished_turns();
            bool all_done = !runner.failure().has_value();
            nlohmann::json turn_list = nlohmann::json::array();
            for (const auto& turn : turns) {
                turn_list.push_back({{"status", to_string(turn.status)}, {"reason", turn.reason}});
                all_done = all_done && turn.status == TurnStatus::done;
            }
            if (!args.send.empty() && turns.empty()) all_done = false;
            std::string png_error;
            bool wrote = false;
            if (!args.screenshot.empty()) {
                wrote = captured && gui.write_png(args.screenshot, png_error);
                if (!wrote) std::fprintf(stderr, "confab-desktop: %s\n", png_error.empty() ? "no frame captured" : png_error.c_str());
            }
            nlohmann::json facts = {
                {"event", "finished"},
                {"screenshot", wrote ? nlohmann::json(args.screenshot) : nlohmann::json(nullptr)},
                {"width", gui.width()},
                {"height", gui.height()},
                {"colours", gui.captured_colours()},
                {"windows", ui.drawn},
                {"turns", turn_list},
                {"messages", app.conversation().session().messages.size()},
                {"session", app.session_path()},
                {"font", gui.fonts().source},
                {"scale", gui.fonts().scale},
                {"script_error", runner.failure() ? nlohmann::json(*runner.failure()) : nlohmann::json(nullptr)},
                {"notes", app.notes()},
                {"frame_ms_mean", frame_ms.empty() ? 0.0 : std::accumulate(frame_ms.begin(), frame_ms.end(), 0.0) / double(frame_ms.size())},
                {"frame_ms_max", frame_ms.empty() ? 0.0 : *std::max_element(frame_ms.begin(), frame_ms.end())},
            };
            std::printf("%s\n", dump_safely(facts).c_str());
            std::fflush(stdout);
            status = all_done && (args.screenshot.empty() || wrote) ? 0 : 1;
        }
    }
    return status;
}
