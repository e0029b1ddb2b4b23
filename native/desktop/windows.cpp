// native/desktop/windows.cpp
// Request, Stream, Tools, Cost and Settings, and what all windows share (placement, focus).
#include "native/desktop/windows.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>

#include "native/desktop/cost_view.h"
#include "native/desktop/markdown_view.h"
#include "native/desktop/script.h"

namespace confab::desktop {

namespace {

const ImVec4 dim(0.62f, 0.62f, 0.66f, 1);
const ImVec4 warn(1.0f, 0.65f, 0.3f, 1);
const ImVec4 bad(1.0f, 0.45f, 0.45f, 1);
const ImVec4 good(0.55f, 0.9f, 0.55f, 1);

// A read-only text box that fills the space given: the way to show long JSON in ImGui.
void text_box(const char* id, const std::string& text, float height)
{
    ImGui::InputTextMultiline(id, const_cast<std::string*>(&text), ImVec2(-1, height), ImGuiInputTextFlags_ReadOnly);
}

// Bytes as a developer wants to read them: printable text kept, line ends and other control
// bytes shown as escapes.
std::string visible_bytes(std::string_view bytes)
{
    std::string out;
    for (const char c : bytes) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (static_cast<unsigned char>(c) < 0x20) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\x%02x", static_cast<unsigned char>(c));
            out += escape;
        } else out += c;
    }
    return out;
}

void draw_request_window(App& app, UiState& ui)
{
    if (!begin_window("Request", ui)) return ImGui::End();
    const auto& view = app.request_view(ui.draft);
    const auto& budget = view.budget;
    char overlay[160];
    std::snprintf(overlay, sizeof overlay, "%lld / %lld tokens", (long long)view.estimated_tokens, (long long)budget.tokens);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, view.fill() > 1 ? bad : view.fill() > 0.85 ? warn : good);
    ImGui::ProgressBar(float(std::min(1.0, view.fill())), ImVec2(-1, 0), overlay);
    ImGui::PopStyleColor();
    if (budget.given) ImGui::TextDisabled("budget given: %lld", (long long)budget.tokens);
    else
        ImGui::TextDisabled("context %lld − reserved output %lld − margin %lld = %lld", (long long)budget.context_window,
                            (long long)budget.reserved_output, (long long)budget.safety_margin, (long long)budget.tokens);
    ImGui::Text("kept %zu · dropped %zu · summarized %zu · next request ≈ %s", view.kept, view.dropped, view.summarized,
                format_usd(view.estimated_cost.charged).c_str());
    if (view.error) ImGui::TextColored(bad, "%s", view.error->c_str());
    if (view.summary) ImGui::TextColored(warn, "%s", view.summary->c_str());
    if (view.summary_needed) ImGui::TextDisabled("%s", view.summary_needed->c_str());

    if (ImGui::BeginTabBar("request")) {
        if (ImGui::BeginTabItem("Messages")) {
            const auto flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable;
            if (ImGui::BeginTable("messages", 5, flags, ImVec2(0, 0))) {
                ImGui::TableSetupScrollFreeze(0, 1);
                ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("role", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("tokens", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("fate", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("text / why", ImGuiTableColumnFlags_WidthStretch);
                ImGui::TableHeadersRow();
                ImGuiListClipper clipper;
                clipper.Begin(int(view.rows.size()));
                while (clipper.Step())
                    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                        const auto& row = view.rows[std::size_t(i)];
                        ImGui::TableNextRow();
                        ImGui::TableNextColumn();
                        ImGui::Text("%zu%s", row.index, row.pinned ? " pin" : "");
                        ImGui::TableNextColumn();
                        ImGui::TextUnformatted(std::string(to_string(row.role)).c_str());
                        ImGui::TableNextColumn();
                        ImGui::Text("%lld", (long long)row.tokens);
                        ImGui::TableNextColumn();
                        const ImVec4 colour = row.fate == RequestRow::Fate::dropped      ? bad
                                              : row.fate == RequestRow::Fate::summarized ? warn
                                                                                          : good;
                        ImGui::TextColored(colour, "%s", std::string(to_string(row.fate)).c_str());
                        ImGui::TableNextColumn();
                        ImGui::TextUnformatted(row.reason.empty() ? row.preview.c_str() : row.reason.c_str());
                        if (ImGui::IsItemHovered() && !row.reason.empty()) ImGui::SetTooltip("%s", row.preview.c_str());
                    }
                ImGui::EndTable();
            }
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Next body")) {
            text_box("##next", view.next_body, -1);
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Last body")) {
            text_box("##last", view.last_body.empty() ? std::string("(nothing sent yet)") : view.last_body, -1);
            ImGui::EndTabItem();
        }
        ImGui::EndTabBar();
    }
    ImGui::End();
}

void draw_stream_window(App& app, UiState& ui, std::int64_t now)
{
    if (!begin_window("Stream", ui)) return ImGui::End();
    const auto& captures = app.stream().captures();
    const StreamCapture* shown = nullptr;
    for (const auto& capture : captures)
        if (capture.serial == ui.stream_serial) shown = &capture;
    if (shown == nullptr && !captures.empty()) shown = &captures.back();

    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
    const std::string label = shown == nullptr ? std::string("(no stream yet)")
                                               : "#" + std::to_string(shown->serial) + " " + shown->source;
    if (ImGui::BeginCombo("##capture", label.c_str())) {
        if (ImGui::Selectable("newest", ui.stream_serial == 0)) ui.stream_serial = 0;
        for (auto it = captures.rbegin(); it != captures.rend(); ++it) {
            const std::string name = "#" + std::to_string(it->serial) + (it->summary ? " summary " : " ") + it->source;
            if (ImGui::Selectable(name.c_str(), it->serial == ui.stream_serial)) ui.stream_serial = it->serial;
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::Button("Replay .sse…")) ImGui::OpenPopup("replay");
    if (ImGui::BeginPopup("replay")) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22);
        ImGui::InputTextWithHint("file", "tests/fixtures/openai-text-plain.sse", &ui.replay_path);
        ImGui::SliderInt("chunk bytes", &ui.replay_chunk, 1, 4096, "%d", ImGuiSliderFlags_Logarithmic);
        ImGui::SliderFloat("bytes/s", &ui.replay_speed, 0, 100000, ui.replay_speed == 0 ? "at once" : "%.0f",
                           ImGuiSliderFlags_Logarithmic);
        if (ImGui::Button("Replay") && app.start_replay(ui.replay_path, std::size_t(ui.replay_chunk), ui.replay_speed, now)) {
            ui.stream_serial = 0;
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndPopup();
    }
    if (shown == nullptr) return ImGui::End();
    ImGui::TextDisabled("HTTP %d %s · %zu bytes in %zu chunks · %zu events · %zu deltas · %s", shown->status,
                        shown->content_type.c_str(), shown->total_bytes, shown->chunks.size(), shown->events.size(),
                        shown->deltas.size(), shown->outcome.value_or("open").c_str());

    if (ImGui::BeginTabBar("stream")) {
        const auto table = [](const char* id, int columns) {
            return ImGui::BeginTable(id, columns, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                                      ImGuiTableFlags_Resizable);
        };
        if (ImGui::BeginTabItem("Bytes")) {
            if (table("bytes", 3)) {
                ImGui::TableSetupScrollFreeze(0, 1);
                ImGui::TableSetupColumn("ms", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("n", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("bytes as they arrived", ImGuiTableColumnFlags_WidthStretch);
                ImGui::TableHeadersRow();
                ImGuiListClipper clipper;
                clipper.Begin(int(shown->chunks.size()));
                while (clipper.Step())
                    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                        const auto& chunk = shown->chunks[std::size_t(i)];
                        ImGui::TableNextRow();
                        ImGui::TableNextColumn();
                        ImGui::Text("%lld", (long long)chunk.at_ms);
                        ImGui::TableNextColumn();
                        ImGui::Text("%zu", chunk.bytes.size());
                        ImGui::TableNextColumn();
                        ImGui::TextUnformatted(visible_bytes(chunk.bytes).c_str());
                    }
                ImGui::EndTable();
            }
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Events")) {
            if (table("events", 3)) {
                ImGui::TableSetupScrollFreeze(0, 1);
                ImGui::TableSetupColumn("ms", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("event", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("data", ImGuiTableColumnFlags_WidthStretch);
                ImGui::TableHeadersRow();
                ImGuiListClipper clipper;
                clipper.Begin(int(shown->events.size()));
                while (clipper.Step())
                    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                        const auto& row = shown->events[std::size_t(i)];
                        ImGui::TableNextRow();
                        ImGui::TableNextColumn();
                        ImGui::Text("%lld", (long long)row.at_ms);
                        ImGui::TableNextColumn();
                        ImGui::TextUnformatted(row.event.type.c_str());
                        ImGui::TableNextColumn();
                        ImGui::TextUnformatted(visible_bytes(row.event.data).c_str());
                    }
                ImGui::EndTable();
            }
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Deltas")) {
            if (table("deltas", 3)) {
                ImGui::TableSetupScrollFreeze(0, 1);
                ImGui::TableSetupColumn("ms", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("kind", ImGuiTableColumnFlags_WidthFixed);
                ImGui::TableSetupColumn("piece", ImGuiTableColumnFlags_WidthStretch);
                ImGui::TableHeadersRow();
                ImGuiListClipper clipper;
                clipper.Begin(int(shown->deltas.size()));
                while (clipper.Step())
                    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                        const auto& row = shown->deltas[std::size_t(i)];
                        ImGui::TableNextRow();
                        ImGui::TableNextColumn();
                        ImGui::Text("%lld", (long long)row.at_ms);
                        ImGui::TableNextColumn();
                        ImGui::TextUnformatted(std::string(to_string(row.delta.kind)).c_str());
                        ImGui::TableNextColumn();
                        std::string piece = visible_bytes(row.delta.text);
                        if (row.delta.kind == StreamDelta::Kind::tool_call)
                            piece = "[" + std::to_string(row.delta.tool_index) + "] " + row.delta.tool_name + " " + piece;
                        if (!row.delta.value.is_null()) piece += " " + row.delta.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                        ImGui::TextUnformatted(piece.c_str());
                    }
                ImGui::EndTable();
            }
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Assembled")) {
            text_box("##assembled", shown->reply().to_replay_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace), -1);
            ImGui::EndTabItem();
        }
        ImGui::EndTabBar();
    }
    ImGui::End();
}

void draw_tools_window(App& app, UiState& ui, std::int64_t now)
{
    if (!begin_window("Tools", ui)) return ImGui::End();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
    if (ui.tools_path.empty()) ui.tools_path = app.settings().tools_file;
    ImGui::InputTextWithHint("##tools", "tools.json", &ui.tools_path);
    ImGui::SameLine();
    if (ImGui::Button("Load")) app.load_tools_file(ui.tools_path, now);
    if (ImGui::CollapsingHeader("Registered tools", ImGuiTreeNodeFlags_DefaultOpen)) {
        if (app.tools().tools().empty()) ImGui::TextDisabled("none: load a JSON array of {name, description, parameters, …}");
        for (const auto& tool : app.tools().tools()) {
            if (ImGui::TreeNode(tool.spec.name.c_str(), "%s  [%s]", tool.spec.name.c_str(), std::string(to_string(tool.mode)).c_str())) {
                if (!tool.spec.description.empty()) ImGui::TextWrapped("%s", tool.spec.description.c_str());
                if (tool.mode == ToolDefinition::Mode::command) ImGui::TextDisabled("$ %s", tool.command.c_str());
                if (tool.mode == ToolDefinition::Mode::scripted) ImGui::TextDisabled("answers: %s", tool.answer.c_str());
                ImGui::TextUnformatted(tool.spec.parameters.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
                ImGui::TreePop();
            }
        }
    }
    if (ImGui::CollapsingHeader("Calls", ImGuiTreeNodeFlags_DefaultOpen)) {
        if (app.tools().calls().empty()) ImGui::TextDisabled("no calls yet");
        const auto calls = app.tools().calls();  // a copy: answering changes the list
        for (const auto& call : calls) {
            ImGui::PushID(call.call_id.c_str());
            ImGui::Separator();
            ImGui::Text("%s", call.name.c_str());
            ImGui::SameLine();
            ImGui::TextDisabled("%s · %s", call.call_id.c_str(), std::string(to_string(call.state)).c_str());
            ImGui::PushTextWrapPos(0);
            ImGui::TextUnformatted(call.arguments.c_str());
            if (call.validation == "valid") ImGui::TextColored(good, "arguments valid");
            else ImGui::TextColored(bad, "refused: %s", call.validation.c_str());
            if (!call.result.empty()) ImGui::TextColored(dim, "→ %s", call.result.c_str());
            ImGui::PopTextWrapPos();
            if (call.state == ToolCallRow::State::waiting) {
                auto& answer = ui.tool_answers[call.call_id];
                ImGui::InputTextMultiline("##answer", &answer, ImVec2(-1, ImGui::GetTextLineHeight() * 3));
                if (ImGui::Button("Answer")) app.answer_tool(call.call_id, true, answer, now);
                ImGui::SameLine();
                if (ImGui::Button("Fail")) app.answer_tool(call.call_id, false, answer, now);
            }
            ImGui::PopID();
        }
    }
    ImGui::End();
}

void draw_cost_window(App& app, UiState& ui)
{
    if (!begin_window("Cost", ui)) return ImGui::End();
    const auto& view = app.cost_view();
    const auto& pricing = app.settings().pricing;
    ImGui::Text("Session: %s charged (%s per token, %s per request)", format_usd(view.total.charged).c_str(),
                format_usd(view.total.per_token).c_str(), format_usd(view.total.per_request).c_str());
    ImGui::TextDisabled("%lld in · %lld out%s · $%g/M in, $%g/M out, $%g/request (%s)", (long long)view.total_tokens.input,
                        (long long)view.total_tokens.output, view.total_tokens.estimated ? " (partly estimated)" : "",
                        pricing.input_per_million, pricing.output_per_million, pricing.per_request,
                        pricing.per_request_billing ? "billed per request" : "billed per token");
    if (!view.turns.empty()) {
        // Both series on one scale, side by side, so the cheaper pricing is plain to see.
        const float top = std::max(view.cumulative_per_token.back(), view.cumulative_per_request.back()) * 1.1f + 1e-9f;
        const float width = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
        const std::string token_label = "per token " + format_usd(view.total.per_token);
        const std::string request_label = "per request " + format_usd(view.total.per_request);
        ImGui::PlotLines("##tokens", view.cumulative_per_token.data(), int(view.cumulative_per_token.size()), 0,
                         token_label.c_str(), 0, top, ImVec2(width, ImGui::GetFontSize() * 5));
        ImGui::SameLine();
        ImGui::PlotLines("##requests", view.cumulative_per_request.data(), int(view.cumulative_per_request.size()), 0,
                         request_label.c_str(), 0, top, ImVec2(width, ImGui::GetFontSize() * 5));
    }
    if (ImGui::BeginTable("turns", 6, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY)) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("turn", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableSetupColumn("req", ImGuiTableColumnFlags_WidthFixed);
        ImGui::TableSetupColumn("in (est.)", ImGuiTableColumnFlags_WidthFixed);
        ImGui::TableSetupColumn("out (est.)", ImGuiTableColumnFlags_WidthFixed);
        ImGui::TableSetupColumn("per token", ImGuiTableColumnFlags_WidthFixed);
        ImGui::TableSetupColumn("per request", ImGuiTableColumnFlags_WidthFixed);
        ImGui::TableHeadersRow();
        ImGuiListClipper clipper;
        clipper.Begin(int(view.turns.size()));
        while (clipper.Step())
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                const auto& turn = view.turns[std::size_t(i)];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(turn.question.c_str());
                ImGui::TableNextColumn();
                ImGui::Text("%d", turn.requests);
                ImGui::TableNextColumn();
                if (turn.reported) ImGui::Text("%lld (%lld)", (long long)turn.reported->input, (long long)turn.estimated.input);
                else ImGui::TextColored(dim, "— (%lld)", (long long)turn.estimated.input);
                ImGui::TableNextColumn();
                if (turn.reported) ImGui::Text("%lld (%lld)", (long long)turn.reported->output, (long long)turn.estimated.output);
                else ImGui::TextColored(dim, "— (%lld)", (long long)turn.estimated.output);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(format_usd(turn.cost.per_token).c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(format_usd(turn.cost.per_request).c_str());
            }
        ImGui::EndTable();
    }
    ImGui::End();
}

bool input_optional(const char* label, std::optional<std::int64_t>& value)
{
    long long number = value.value_or(0);
    bool on = value.has_value();
    bool changed = ImGui::Checkbox((std::string("##on") + label).c_str(), &on);
    ImGui::SameLine();
    ImGui::BeginDisabled(!on);
    changed |= ImGui::InputScalar(label, ImGuiDataType_S64, &number);
    ImGui::EndDisabled();
    value = on ? std::optional<std::int64_t>(number) : std::nullopt;
    return changed;
}

bool input_optional(const char* label, std::optional<double>& value, double fallback)
{
    double number = value.value_or(fallback);
    bool on = value.has_value();
    bool changed = ImGui::Checkbox((std::string("##on") + label).c_str(), &on);
    ImGui::SameLine();
    ImGui::BeginDisabled(!on);
    changed |= ImGui::InputDouble(label, &number, 0, 0, "%.4g");
    ImGui::EndDisabled();
    value = on ? std::optional<double>(number) : std::nullopt;
    return changed;
}

void draw_settings_window(App& app, UiState& ui, std::int64_t now)
{
    if (!begin_window("Settings", ui)) return ImGui::End();
    if (!ui.settings_edit) ui.settings_edit = app.settings();
    auto& s = *ui.settings_edit;
    ImGui::PushItemWidth(-ImGui::GetFontSize() * 7);  // room for the labels
    ImGui::InputText("endpoint", &s.endpoint);
    ImGui::InputText("model", &s.model);
    ImGui::InputText("summary model", &s.summary_model);
    ImGui::InputText("API key variable", &s.api_key_env);
    const char* key = s.api_key_env.empty() ? nullptr : std::getenv(s.api_key_env.c_str());
    ImGui::SameLine();
    ImGui::TextColored(key != nullptr ? good : dim, key != nullptr ? "set" : "not set");
    ImGui::InputTextMultiline("system prompt", &s.system_prompt, ImVec2(ImGui::GetFontSize() * 14, ImGui::GetTextLineHeight() * 3));
    if (ImGui::CollapsingHeader("Context and sampling", ImGuiTreeNodeFlags_DefaultOpen)) {
        input_optional("context window", s.context_window);
        input_optional("reserved output", s.reserved_output);
        input_optional("max tokens", s.max_tokens);
        input_optional("temperature", s.temperature, 1.0);
        input_optional("top_p", s.top_p, 1.0);
    }
    if (ImGui::CollapsingHeader("Pricing (USD)")) {
        ImGui::InputDouble("input / M tokens", &s.pricing.input_per_million, 0, 0, "%.4g");
        ImGui::InputDouble("cached input / M", &s.pricing.cached_input_per_million, 0, 0, "%.4g");
        ImGui::InputDouble("output / M tokens", &s.pricing.output_per_million, 0, 0, "%.4g");
        ImGui::InputDouble("per request", &s.pricing.per_request, 0, 0, "%.4g");
        ImGui::Checkbox("billed per request", &s.pricing.per_request_billing);
        input_optional("session cap", s.session_cap_usd, 1.0);
    }
    if (ImGui::CollapsingHeader("Retries and timeouts")) {
        ImGui::InputInt("attempts", &s.retry.max_attempts);
        ImGui::InputScalar("backoff base ms", ImGuiDataType_S64, &s.retry.base_ms);
        ImGui::InputScalar("backoff cap ms", ImGuiDataType_S64, &s.retry.cap_ms);
        ImGui::InputScalar("max Retry-After ms", ImGuiDataType_S64, &s.retry.max_retry_after_ms);
        ImGui::InputScalar("first byte ms", ImGuiDataType_S64, &s.first_byte_timeout_ms);
        ImGui::InputScalar("idle ms", ImGuiDataType_S64, &s.idle_timeout_ms);
        ImGui::InputScalar("tool ms", ImGuiDataType_S64, &s.tool_timeout_ms);
    }
    if (ImGui::CollapsingHeader("Files")) {
        ImGui::InputText("tools file", &s.tools_file);
        ImGui::InputText("sessions folder", &s.sessions_dir);
    }
    ImGui::PopItemWidth();
    const bool changed = !(s == app.settings());
    ImGui::BeginDisabled(!changed);
    if (ImGui::Button("Apply")) {
        const bool tools_changed = s.tools_file != app.settings().tools_file;
        app.apply_settings(s, now);
        if (tools_changed && !s.tools_file.empty()) app.load_tools_file(s.tools_file, now);
    }
    ImGui::SameLine();
    if (ImGui::Button("Revert")) ui.settings_edit = app.settings();
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Save to config file")) {
        app.apply_settings(s, now);
        app.save_settings_file();
    }
    ImGui::End();
}

} // namespace

void place_window(const char* title)
{
    // Below the menu bar: on the first frame the viewport's work area does not know of it yet.
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    const float menu = ImGui::GetFrameHeight();
    const ImVec2 origin(viewport->Pos.x, viewport->Pos.y + menu);
    const ImVec2 size(viewport->Size.x, viewport->Size.y - menu);
    const float left = size.x * 0.40f;            // Chat takes the left 40%
    const float column = (size.x - left) / 3;     // Request | Stream + Cost | Tools + Settings
    const float half = size.y / 2;
    struct Place {
        const char* title;
        float x, y, w, h;
    };
    const Place places[] = {
        {"Chat", 0, 0, left, size.y},
        {"Request", left, 0, column, size.y},
        {"Stream", left + column, 0, column, half},
        {"Cost", left + column, half, column, half},
        {"Tools", left + 2 * column, 0, column, half},
        {"Settings", left + 2 * column, half, column, half},
    };
    for (const auto& place : places)
        if (std::string_view(place.title) == title) {
            ImGui::SetNextWindowPos(ImVec2(origin.x + place.x, origin.y + place.y), ImGuiCond_FirstUseEver);
            ImGui::SetNextWindowSize(ImVec2(place.w, place.h), ImGuiCond_FirstUseEver);
        }
}

bool begin_window(const char* title, UiState& ui)
{
    place_window(title);
    if (ui.focus_window == title) {
        ImGui::SetNextWindowFocus();
        ImGui::SetNextWindowCollapsed(false);
        ui.focus_window.clear();
    }
    const bool open = ImGui::Begin(title);
    if (open) ui.drawn.push_back(title);
    return open;
}

void draw_windows(App& app, UiState& ui, const Fonts& fonts, std::int64_t now)
{
    ui.drawn.clear();
    if (ImGui::BeginMainMenuBar()) {
        if (ImGui::BeginMenu("Window")) {
            for (const auto& name : window_names())
                if (ImGui::MenuItem(name.c_str())) ui.focus_window = name;
            ImGui::EndMenu();
        }
        ImGui::TextDisabled("confab-desktop · %s · font %s", app.busy() ? "busy" : "idle", fonts.source.c_str());
        if (!app.notes().empty()) {
            ImGui::SameLine();
            ImGui::TextColored(warn, "%s", app.notes().back().c_str());
        }
        ImGui::EndMainMenuBar();
    }
    draw_chat_window(app, ui, fonts, now);
    draw_request_window(app, ui);
    draw_stream_window(app, ui, now);
    draw_tools_window(app, ui, now);
    draw_cost_window(app, ui);
    draw_settings_window(app, ui, now);
}

} // namespace confab::desktop
