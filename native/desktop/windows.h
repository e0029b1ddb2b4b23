// native/desktop/windows.h
// The harness's windows: Chat (with the session list), Request, Stream, Tools, Cost and
// Settings, drawn each frame from the App's view models. Drawing only: every action calls an
// App method, and what is shown is what the App (and through it the engine) says.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "native/desktop/app.h"
#include "native/desktop/chat_view.h"
#include "native/desktop/gui.h"
#include "native/desktop/markdown.h"

namespace confab::desktop {

// What the windows remember between frames that is not the App's: text being typed, which
// row is selected, cached layouts.
struct UiState {
    std::string draft;                       // the Chat input
    std::optional<std::size_t> editing;      // the message being edited for edit-and-resend
    std::string edit_text;
    std::string rename_path, rename_text;
    std::string import_path, export_path;
    std::uint64_t stream_serial = 0;         // the capture shown; 0 = the newest
    std::string replay_path;
    int replay_chunk = 16;
    float replay_speed = 4000;               // bytes per second; 0 = at once
    std::map<std::string, std::string> tool_answers;
    std::string tools_path;
    std::optional<DesktopSettings> settings_edit;
    std::string focus_window;                // brought to the front next frame
    std::vector<std::string> drawn;          // the windows drawn this frame, by title
    RowHeights heights;
    std::uint64_t heights_revision = 0;      // the session the heights belong to
    std::string heights_session;
    std::map<std::size_t, std::pair<std::uint64_t, MarkdownDoc>> markdown;  // row -> (revision, parsed)
    bool follow = true;                      // keep the newest message in view
};

// Draws every window for this frame. `now` is the clock the App's actions take.
void draw_windows(App& app, UiState& ui, const Fonts& fonts, std::int64_t now);

void draw_chat_window(App& app, UiState& ui, const Fonts& fonts, std::int64_t now);  // chat_window.cpp

// Places a window on first use in a grid over the display, so all six show at once.
void place_window(const char* title);
// Begin() with the focus request and the record of what was drawn.
bool begin_window(const char* title, UiState& ui);

} // namespace confab::desktop
