// native/desktop/markdown_view.cpp
#include "native/desktop/markdown_view.h"

#include <imgui.h>

#include <algorithm>
#include <string>

namespace confab::desktop {

namespace {

const ImU32 link_colour = IM_COL32(110, 170, 255, 255);
const ImU32 code_background = IM_COL32(255, 255, 255, 24);

ImFont* font_for(const MarkdownSpan& span, const Fonts& fonts, ImFont* base)
{
    if (span.code) return fonts.mono;
    if (span.strong) return base == fonts.heading ? fonts.heading : fonts.bold;
    if (span.emphasis) return fonts.italic;
    return base;
}

// Lays out one line of spans word by word: a word that does not fit on what is left of the line
// starts the next one. Uses the window's cursor, so it composes with Indent() and tables.
void flow(const MarkdownLine& spans, const Fonts& fonts, ImFont* base)
{
    const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
    const float left = ImGui::GetCursorScreenPos().x;
    bool line_empty = true;
    const auto new_line = [&] {
        ImGui::NewLine();
        line_empty = true;
    };
    for (std::size_t s = 0; s < spans.size(); ++s) {
        const auto& span = spans[s];
        if (span.line_break) {
            if (line_empty) ImGui::NewLine();
            else new_line();
            continue;
        }
        ImFont* font = font_for(span, fonts, base);
        ImGui::PushFont(font);
        const std::string& text = span.text;
        std::size_t at = 0;
        while (at < text.size()) {
            // A word and the spaces after it.
            std::size_t end = text.find(' ', at);
            end = end == std::string::npos ? text.size() : text.find_first_not_of(' ', end);
            if (end == std::string::npos) end = text.size();
            const char* begin = text.data() + at;
            const char* stop = text.data() + end;
            const float width = ImGui::CalcTextSize(begin, stop).x;
            if (!line_empty) {
                ImGui::SameLine(0, 0);
                if (ImGui::GetCursorScreenPos().x + width > right && ImGui::GetCursorScreenPos().x > left) {
                    ImGui::NewLine();
                    line_empty = true;
                }
            }
            const ImVec2 at_pos = ImGui::GetCursorScreenPos();
            if (span.code) {
                ImGui::GetWindowDrawList()->AddRectFilled(at_pos, ImVec2(at_pos.x + width, at_pos.y + ImGui::GetTextLineHeight()),
                                                          code_background, 2);
            }
            if (!span.link.empty()) ImGui::PushStyleColor(ImGuiCol_Text, link_colour);
            ImGui::TextUnformatted(begin, stop);
            if (!span.link.empty()) {
                ImGui::PopStyleColor();
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s (click to copy)", span.link.c_str());
                if (ImGui::IsItemClicked()) ImGui::SetClipboardText(span.link.c_str());
            }
            if (span.strike || !span.link.empty()) {
                const float y = span.strike ? at_pos.y + ImGui::GetTextLineHeight() * 0.55f : at_pos.y + ImGui::GetTextLineHeight();
                ImGui::GetWindowDrawList()->AddLine(ImVec2(at_pos.x, y), ImVec2(at_pos.x + width, y),
                                                    span.strike ? ImGui::GetColorU32(ImGuiCol_Text) : link_colour);
            }
            line_empty = false;
            at = end;
        }
        ImGui::PopFont();
    }
    if (line_empty && spans.empty()) ImGui::NewLine();
}

void draw_code(const MarkdownBlock& block, const Fonts& fonts, int id)
{
    ImGui::PushID(id);
    const int lines = 1 + int(std::count(block.code.begin(), block.code.end(), '\n'));
    ImGui::PushFont(fonts.mono);
    const float line = ImGui::GetTextLineHeight();
    ImGui::PopFont();
    const float height = std::min(lines, 40) * line + ImGui::GetStyle().WindowPadding.y * 2 + ImGui::GetFrameHeight();
    ImGui::PushStyleColor(ImGuiCol_ChildBg, IM_COL32(0, 0, 0, 90));
    if (ImGui::BeginChild("code", ImVec2(0, height), true, ImGuiWindowFlags_HorizontalScrollbar)) {
        ImGui::TextDisabled("%s", block.language.empty() ? "code" : block.language.c_str());
        ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("Copy").x - 4);
        if (ImGui::SmallButton("Copy")) ImGui::SetClipboardText(block.code.c_str());
        ImGui::PushFont(fonts.mono);
        ImGui::TextUnformatted(block.code.data(), block.code.data() + block.code.size());
        ImGui::PopFont();
    }
    ImGui::EndChild();
    ImGui::PopStyleColor();
    ImGui::PopID();
}

void draw_table(const MarkdownBlock& block, const Fonts& fonts, int id)
{
    std::size_t columns = 0;
    for (const auto& row : block.rows) columns = std::max(columns, row.size());
    if (columns == 0) return;
    ImGui::PushID(id);
    if (ImGui::BeginTable("table", int(std::min<std::size_t>(columns, 64)),
                          ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        for (std::size_t r = 0; r < block.rows.size(); ++r) {
            ImGui::TableNextRow(r == 0 ? ImGuiTableRowFlags_Headers : 0);
            for (std::size_t c = 0; c < block.rows[r].size() && c < 64; ++c) {
                ImGui::TableSetColumnIndex(int(c));
                flow(block.rows[r][c], fonts, r == 0 ? fonts.bold : fonts.regular);
            }
        }
        ImGui::EndTable();
    }
    ImGui::PopID();
}

} // namespace

void draw_markdown(const MarkdownDoc& doc, const Fonts& fonts)
{
    const float indent_step = ImGui::GetFontSize() * 1.2f;
    int id = 0;
    for (const auto& block : doc.blocks) {
        const float indent = indent_step * float(block.indent + block.quote);
        if (indent > 0) ImGui::Indent(indent);
        if (block.quote > 0) {
            const ImVec2 p = ImGui::GetCursorScreenPos();
            ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x - indent_step * 0.6f, p.y),
                                                      ImVec2(p.x - indent_step * 0.45f, p.y + ImGui::GetTextLineHeight()),
                                                      IM_COL32(160, 160, 160, 160));
        }
        if (!block.marker.empty()) {
            ImGui::TextUnformatted(block.marker.c_str());
            ImGui::SameLine();
        }
        switch (block.kind) {
        case MarkdownBlock::Kind::heading:
            flow(block.spans, fonts, block.level <= 2 ? fonts.heading : fonts.bold);
            if (block.level <= 2) ImGui::Separator();
            break;
        case MarkdownBlock::Kind::code: draw_code(block, fonts, id); break;
        case MarkdownBlock::Kind::rule: ImGui::Separator(); break;
        case MarkdownBlock::Kind::table: draw_table(block, fonts, id); break;
        case MarkdownBlock::Kind::paragraph: flow(block.spans, fonts, fonts.regular); break;
        }
        if (indent > 0) ImGui::Unindent(indent);
        ++id;
    }
}

void draw_wrapped(const char* text, ImFont* font)
{
    ImGui::PushFont(font);
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::PopFont();
}

} // namespace confab::desktop
