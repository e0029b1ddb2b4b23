// native/desktop/chat_window.cpp
// The Chat window: the session list on the left, the conversation on the right (markdown,
// reasoning folded, tool calls and results inline, streaming as it arrives), and the input
// with Send, Stop and Retry. Long sessions draw only the messages on screen (RowHeights).
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

#include "native/desktop/markdown_view.h"
#include "native/desktop/windows.h"

namespace confab::desktop {

namespace {

ImVec4 role_colour(Role role)
{
    switch (role) {
    case Role::user: return ImVec4(0.55f, 0.80f, 1.00f, 1);
    case Role::assistant: return ImVec4(0.60f, 0.95f, 0.60f, 1);
    case Role::tool: return ImVec4(1.00f, 0.80f, 0.45f, 1);
    case Role::system: return ImVec4(0.80f, 0.80f, 0.80f, 1);
    }
    return ImVec4(1, 1, 1, 1);
}

void draw_sessions(App& app, UiState& ui, std::int64_t now)
{
    if (ImGui::Button("New")) app.new_session(now);
    ImGui::SameLine();
    if (ImGui::Button("Import…")) ImGui::OpenPopup("import");
    ImGui::SameLine();
    if (ImGui::Button("Export…")) ImGui::OpenPopup("export");
    if (ImGui::BeginPopup("import")) {
        ImGui::SetNextItemWidth(320);
        ImGui::InputTextWithHint("##from", "session file exported by the widget", &ui.import_path);
        if (ImGui::Button("Import") && app.import_session(ui.import_path, now)) ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }
    if (ImGui::BeginPopup("export")) {
        ImGui::SetNextItemWidth(320);
        ImGui::InputTextWithHint("##to", "file to write", &ui.export_path);
        if (ImGui::Button("Export") && app.export_session(ui.export_path)) ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }
    ImGui::Separator();
    const auto sessions = app.sessions();  // a copy: actions below may re-read the list
    ImGuiListClipper clipper;
    clipper.Begin(int(sessions.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const auto& entry = sessions[std::size_t(i)];
            ImGui::PushID(i);
            const bool current = entry.path == app.session_path();
            if (!entry.error.empty()) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.5f, 0.5f, 1));
            if (ImGui::Selectable(entry.title.c_str(), current) && !current && entry.error.empty()) app.open_session(entry.path, now);
            if (!entry.error.empty()) ImGui::PopStyleColor();
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s\n%zu messages\n%s", entry.path.c_str(), entry.messages, entry.error.c_str());
            if (ImGui::BeginPopupContextItem("actions")) {
                if (ImGui::MenuItem("Rename…")) {
                    ui.rename_path = entry.path;
                    ui.rename_text = entry.title;
                }
                if (ImGui::MenuItem("Delete")) app.delete_session(entry.path, now);
                ImGui::EndPopup();
            }
            ImGui::PopID();
        }
    }
    if (!ui.rename_path.empty()) {
        ImGui::Separator();
        ImGui::SetNextItemWidth(-1);
        const bool enter = ImGui::InputText("##rename", &ui.rename_text, ImGuiInputTextFlags_EnterReturnsTrue);
        if (enter || ImGui::Button("Rename")) {
            app.rename_session(ui.rename_path, ui.rename_text, now);
            ui.rename_path.clear();
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) ui.rename_path.clear();
    }
}

void draw_tool_calls(const Message& message, const App& app)
{
    for (const auto& call : message.tool_calls) {
        ImGui::PushStyleColor(ImGuiCol_Text, role_colour(Role::tool));
        ImGui::Text("→ %s", call.name.c_str());
        ImGui::PopStyleColor();
        ImGui::SameLine();
        ImGui::TextDisabled("%s", call.id.value_or("").c_str());
        for (const auto& row : app.tools().calls())
            if (row.call_id == call.id.value_or("")) {
                ImGui::SameLine();
                ImGui::TextDisabled("[%s]", std::string(to_string(row.state)).c_str());
            }
        ImGui::Indent();
        ImGui::PushTextWrapPos(0);
        ImGui::TextUnformatted(call.arguments.c_str());
        ImGui::PopTextWrapPos();
        ImGui::Unindent();
    }
}

void draw_message(App& app, UiState& ui, const ChatRow& row, std::size_t index, const Fonts& fonts, std::int64_t now)
{
    const auto& message = row.message;
    ImGui::PushID(int(index));
    ImGui::PushStyleColor(ImGuiCol_Text, role_colour(message.role));
    ImGui::PushFont(fonts.bold);
    ImGui::TextUnformatted(std::string(to_string(message.role)).c_str());
    ImGui::PopFont();
    ImGui::PopStyleColor();
    if (message.role == Role::tool) {
        ImGui::SameLine();
        ImGui::TextDisabled("%s ← %s", message.name.c_str(), message.tool_call_id.c_str());
    }
    if (!message.model.empty()) {
        ImGui::SameLine();
        ImGui::TextDisabled("%s", message.model.c_str());
    }
    if (row.streaming) {
        ImGui::SameLine();
        ImGui::TextDisabled("streaming…");
    }
    if (message.incomplete) {
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(1, 0.7f, 0.3f, 1), "incomplete: %s", message.incomplete_reason.c_str());
    }
    if (message.role == Role::user && !app.busy()) {
        ImGui::SameLine();
        if (ImGui::SmallButton("Edit")) {
            ui.editing = index;
            ui.edit_text = message.content.value_or("");
        }
    }

    if (!message.reasoning.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.65f, 0.65f, 0.70f, 1));
        if (ImGui::TreeNodeEx("reasoning", ImGuiTreeNodeFlags_None, "Reasoning (%zu chars)", message.reasoning.size())) {
            draw_wrapped(message.reasoning.c_str(), fonts.italic);
            ImGui::TreePop();
        }
        ImGui::PopStyleColor();
    }

    if (ui.editing == index) {
        ImGui::InputTextMultiline("##edit", &ui.edit_text, ImVec2(-1, ImGui::GetTextLineHeight() * 4));
        if (ImGui::Button("Resend")) {
            app.edit_and_resend(index, ui.edit_text, now);
            ui.editing.reset();
            ui.follow = true;
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) ui.editing.reset();
    } else if (message.content && !message.content->empty()) {
        if (message.role == Role::tool) {
            ImGui::PushFont(fonts.mono);
            ImGui::PushTextWrapPos(0);
            ImGui::TextUnformatted(message.content->c_str());
            ImGui::PopTextWrapPos();
            ImGui::PopFont();
        } else {
            auto& cached = ui.markdown[index];
            if (cached.first != row.revision) cached = {row.revision, parse_markdown(*message.content)};
            draw_markdown(cached.second, fonts);
        }
    }
    if (message.refusal) ImGui::TextColored(ImVec4(1, 0.5f, 0.5f, 1), "Refused: %s", message.refusal->c_str());
    draw_tool_calls(message, app);
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::PopID();
}

void draw_conversation(App& app, UiState& ui, const Fonts& fonts, std::int64_t now)
{
    const auto& rows = app.chat().rows();
    // A new session (or one reopened) starts its heights afresh.
    if (ui.heights_session != app.session_path() || rows.size() < ui.heights.size()) {
        ui.heights.clear();
        ui.markdown.clear();
        ui.heights_session = app.session_path();
    }
    const float estimate = ImGui::GetTextLineHeightWithSpacing() * 3;
    ui.heights.resize(rows.size(), estimate);

    const float top = ImGui::GetScrollY();
    const float bottom = top + ImGui::GetWindowHeight();
    const auto [first, last] = ui.heights.visible(top, bottom);
    const float start_y = ImGui::GetCursorPosY();
    ImGui::SetCursorPosY(start_y + ui.heights.offset(first));
    for (std::size_t i = first; i < last; ++i) {
        const float before = ImGui::GetCursorPosY();
        draw_message(app, ui, rows[i], i, fonts, now);
        ui.heights.set(i, ImGui::GetCursorPosY() - before);
    }
    // The space of the rows not drawn, so the scrollbar spans the whole session.
    ImGui::SetCursorPosY(start_y + ui.heights.total());
    ImGui::Dummy(ImVec2(1, 1));
    for (const auto& notice : app.chat().notices()) ImGui::TextColored(ImVec4(1, 0.45f, 0.45f, 1), "%s", notice.text.c_str());
    if (ui.follow && app.chat().busy()) ImGui::SetScrollHereY(1.0f);
    if (ImGui::GetScrollY() < ImGui::GetScrollMaxY() - 4 && ImGui::IsWindowHovered() && ImGui::GetIO().MouseWheel > 0)
        ui.follow = false;
    if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1) ui.follow = true;
}

} // namespace

void draw_chat_window(App& app, UiState& ui, const Fonts& fonts, std::int64_t now)
{
    if (!begin_window("Chat", ui)) {
        ImGui::End();
        return;
    }
    const float sessions_width = std::min(ImGui::GetContentRegionAvail().x * 0.28f, ImGui::GetFontSize() * 14);
    if (ImGui::BeginChild("sessions", ImVec2(sessions_width, 0), true)) draw_sessions(app, ui, now);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginGroup();
    const float input_height = ImGui::GetFrameHeightWithSpacing() * 3.2f;
    ImGui::TextDisabled("%s · %s · %zu messages", app.conversation().session().settings.model.c_str(),
                        app.conversation().session().settings.endpoint.c_str(), app.chat().rows().size());
    if (ImGui::BeginChild("conversation", ImVec2(0, -input_height), true)) draw_conversation(app, ui, fonts, now);
    ImGui::EndChild();

    ImGui::InputTextMultiline("##draft", &ui.draft, ImVec2(-1, ImGui::GetFrameHeight() * 2));
    const bool ctrl_enter = ImGui::IsItemFocused() && ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter));
    if (app.conversation().busy()) {
        if (ImGui::Button("Stop")) app.stop(now);
        ImGui::SameLine();
        ImGui::TextDisabled("waiting for the reply…");
    } else {
        if ((ImGui::Button("Send") || ctrl_enter) && !ui.draft.empty()) {
            app.send(ui.draft, now);
            ui.draft.clear();
            ui.follow = true;
        }
        ImGui::SameLine();
        ImGui::BeginDisabled(!app.chat().can_retry());
        if (ImGui::Button("Retry")) app.retry(now);
        ImGui::EndDisabled();
        if (const auto& last = app.chat().last_turn()) {
            ImGui::SameLine();
            ImGui::TextDisabled("last turn: %s %s", std::string(to_string(last->status)).c_str(), last->reason.c_str());
        }
    }
    ImGui::EndGroup();
    ImGui::End();
}

} // namespace confab::desktop
