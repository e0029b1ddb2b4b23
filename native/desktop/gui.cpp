// native/desktop/gui.cpp
#include "native/desktop/gui.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <unistd.h>

namespace confab::desktop {

namespace {

// 15 px at scale 1: ImGui's own default is 13, which reads small with a proportional font.
constexpr float base_font_px = 15;

bool readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

std::string first_readable(std::initializer_list<const char*> paths)
{
    for (const char* path : paths)
        if (readable(path)) return path;
    return {};
}

// Latin (with extensions), Greek, Cyrillic, general punctuation, arrows, box drawing, the
// symbols models like (☐ ☑ ✓ ✗), and U+FFFD.
const ImWchar* text_ranges()
{
    static const ImWchar ranges[] = {0x0020, 0x024F, 0x0370, 0x03FF, 0x0400, 0x052F, 0x2000, 0x206F, 0x20A0, 0x20CF,
                                     0x2190, 0x21FF, 0x2200, 0x22FF, 0x2500, 0x259F, 0x25A0, 0x25FF, 0x2600, 0x26FF,
                                     0x2700, 0x27BF, 0xFFFD, 0xFFFD, 0};
    return ranges;
}

void on_content_scale(GLFWwindow*, float, float) { Gui::wake(); }

} // namespace

Gui::~Gui()
{
    if (imgui_ready_) {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
    }
    if (window_ != nullptr) glfwDestroyWindow(window_);
    glfwTerminate();
}

bool Gui::open(const Options& options, std::string& error)
{
    glfwSetErrorCallback([](int code, const char* text) { std::fprintf(stderr, "confab-desktop: GLFW %d: %s\n", code, text); });
    if (!glfwInit()) {
        error = "no display (is DISPLAY set? headless runs need xvfb-run)";
        return false;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    window_ = glfwCreateWindow(options.width, options.height, "confab-desktop", nullptr, nullptr);
    if (window_ == nullptr) {
        error = "could not open an OpenGL 3.3 window";
        return false;
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(options.headless ? 0 : 1);
    glfwSetWindowContentScaleCallback(window_, on_content_scale);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ini_path_ = options.ini_path;
    ImGui::GetIO().IniFilename = ini_path_.empty() ? nullptr : ini_path_.c_str();
    ImGui::GetIO().ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    ImGui::StyleColorsDark();
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");
    imgui_ready_ = true;

    float x = 1, y = 1;
    glfwGetWindowContentScale(window_, &x, &y);
    load_fonts(std::max(1.0f, std::max(x, y)));
    return true;
}

void Gui::load_fonts(float scale)
{
    scale_ = scale;
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    fonts_ = Fonts{};
    fonts_.scale = scale;
    const float size = base_font_px * scale;

    const auto regular = first_readable({"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                                         "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
                                         "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"});
    const auto bold = first_readable({"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                                      "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
                                      "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"});
    const auto italic = first_readable({"/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf",
                                        "/usr/share/fonts/truetype/noto/NotoSans-Italic.ttf",
                                        "/usr/share/fonts/truetype/liberation/LiberationSans-Italic.ttf"});
    const auto mono = first_readable({"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                                      "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
                                      "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"});
    const auto cjk = first_readable({"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                                     "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"});

    // Each face with CJK merged in after it, so any style can show any script installed.
    const auto add = [&](const std::string& path, float px) -> ImFont* {
        if (path.empty()) return nullptr;
        ImFontConfig config;
        config.OversampleH = 2;
        ImFont* font = io.Fonts->AddFontFromFileTTF(path.c_str(), px, &config, text_ranges());
        if (font != nullptr && !cjk.empty()) {
            ImFontConfig merge;
            merge.MergeMode = true;
            merge.OversampleH = 1;
            io.Fonts->AddFontFromFileTTF(cjk.c_str(), px, &merge, io.Fonts->GetGlyphRangesChineseSimplifiedCommon());
            io.Fonts->AddFontFromFileTTF(cjk.c_str(), px, &merge, io.Fonts->GetGlyphRangesJapanese());
        }
        return font;
    };
    fonts_.regular = add(regular, size);
    if (fonts_.regular == nullptr) {
        ImFontConfig config;
        config.SizePixels = 13 * scale;
        fonts_.regular = io.Fonts->AddFontDefault(&config);
        fonts_.source = "ImGui default";
    } else {
        fonts_.source = regular;
    }
    fonts_.bold = add(bold, size);
    fonts_.italic = add(italic, size);
    fonts_.mono = add(mono, size);
    fonts_.heading = add(bold, size * 1.3f);
    for (ImFont** font : {&fonts_.bold, &fonts_.italic, &fonts_.mono, &fonts_.heading})
        if (*font == nullptr) *font = fonts_.regular;
    io.FontDefault = fonts_.regular;

    ImGuiStyle& style = ImGui::GetStyle();
    style = ImGuiStyle();
    ImGui::StyleColorsDark(&style);
    style.WindowRounding = 4;
    style.FrameRounding = 3;
    style.ScaleAllSizes(scale);

    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
}

bool Gui::should_close() const { return glfwWindowShouldClose(window_) != 0; }

void Gui::wait(double seconds)
{
    if (seconds <= 0) glfwPollEvents();
    else glfwWaitEventsTimeout(seconds);
}

void Gui::wake() { glfwPostEmptyEvent(); }

void Gui::begin_frame()
{
    float x = 1, y = 1;
    glfwGetWindowContentScale(window_, &x, &y);
    const float scale = std::max(1.0f, std::max(x, y));
    if (scale != scale_) load_fonts(scale);  // moved to a screen with another density
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

void Gui::end_frame(bool capture)
{
    ImGui::Render();
    int width = 0, height = 0;
    glfwGetFramebufferSize(window_, &width, &height);
    glViewport(0, 0, width, height);
    glClearColor(0.10f, 0.11f, 0.13f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (capture) {
        // Read before the swap: the back buffer holds exactly this frame.
        std::vector<unsigned char> bottom_up(std::size_t(width) * std::size_t(height) * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadBuffer(GL_BACK);
        glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, bottom_up.data());
        pixels_.resize(bottom_up.size());
        const std::size_t row = std::size_t(width) * 4;
        for (int y = 0; y < height; ++y)
            std::copy_n(bottom_up.data() + std::size_t(height - 1 - y) * row, row, pixels_.data() + std::size_t(y) * row);
        captured_width_ = width;
        captured_height_ = height;
    }
    glfwSwapBuffers(window_);
}

bool Gui::write_png(const std::string& path, std::string& error) const
{
    if (pixels_.empty()) {
        error = "no frame was captured";
        return false;
    }
    if (stbi_write_png(path.c_str(), captured_width_, captured_height_, 4, pixels_.data(), captured_width_ * 4) == 0) {
        error = path + ": could not write the PNG";
        return false;
    }
    return true;
}

std::size_t Gui::captured_colours() const
{
    std::set<std::uint32_t> colours;
    for (std::size_t i = 0; i + 3 < pixels_.size(); i += 4)
        colours.insert(std::uint32_t(pixels_[i]) << 16 | std::uint32_t(pixels_[i + 1]) << 8 | pixels_[i + 2]);
    return colours.size();
}

} // namespace confab::desktop
