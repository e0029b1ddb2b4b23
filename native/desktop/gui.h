// native/desktop/gui.h
// The window the harness draws in: GLFW + OpenGL 3 + Dear ImGui's backends, fonts scaled to
// the monitor's content scale (rebuilt when the window moves to a screen with another one),
// and the pixels of a frame written as a PNG for headless runs.
//
// Fonts: the first installed TTF of a short list (DejaVu, Noto, Liberation) in regular, bold,
// italic and mono, with Noto CJK merged in when present; ImGui's built-in font when none is
// installed (ASCII only, one style). Nothing is ever downloaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct GLFWwindow;
struct ImFont;

namespace confab::desktop {

struct Fonts {
    ImFont* regular = nullptr;
    ImFont* bold = nullptr;
    ImFont* italic = nullptr;
    ImFont* mono = nullptr;
    ImFont* heading = nullptr;   // bold, larger
    float scale = 1;             // the content scale they were built for
    std::string source;          // the regular font's file, or "ImGui default"
};

class Gui {
public:
    struct Options {
        int width = 1400;
        int height = 900;
        bool headless = false;   // no imgui.ini, vsync off
        std::string ini_path;    // where ImGui keeps window positions ("" = nowhere)
    };

    Gui() = default;
    ~Gui();
    Gui(const Gui&) = delete;
    Gui& operator=(const Gui&) = delete;

    // False, with the reason, when there is no display or no OpenGL 3.
    bool open(const Options& options, std::string& error);

    bool should_close() const;
    // Waits for input (or a wake()) at most `seconds`; 0 only polls.
    void wait(double seconds);
    // Wakes wait() from any thread.
    static void wake();

    void begin_frame();
    // Renders the frame; with `capture`, keeps its pixels for write_png().
    void end_frame(bool capture);
    bool write_png(const std::string& path, std::string& error) const;
    // How many distinct colours the captured frame holds (a blank frame has one).
    std::size_t captured_colours() const;

    const Fonts& fonts() const { return fonts_; }
    int width() const { return captured_width_; }
    int height() const { return captured_height_; }

private:
    void load_fonts(float scale);

    GLFWwindow* window_ = nullptr;
    Fonts fonts_;
    float scale_ = 1;
    bool imgui_ready_ = false;
    std::string ini_path_;
    std::vector<unsigned char> pixels_;  // RGBA, top row first
    int captured_width_ = 0;
    int captured_height_ = 0;
};

} // namespace confab::desktop
