// native/desktop/tools_view.cpp
#include "native/desktop/tools_view.h"

#include <algorithm>

#include "core/json_util.h"

namespace confab::desktop {

ToolsLoad load_tools(std::string_view bytes)
{
    ToolsLoad load;
    const auto json = parse_json(bytes);
    if (json.is_discarded() || !json.is_array()) {
        load.error = "expected a JSON array of tools";
        return load;
    }
    ToolRegistry scratch;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const auto& entry = json[i];
        const std::string where = "tools[" + std::to_string(i) + "]";
        if (!entry.is_object()) {
            load.error = where + ": expected an object";
            load.tools.clear();
            return load;
        }
        ToolDefinition tool;
        tool.spec.name = get_string(entry, "name").value_or("");
        tool.spec.description = get_string(entry, "description").value_or("");
        if (const auto* parameters = find_member(entry, "parameters")) tool.spec.parameters = *parameters;
        tool.command = get_string(entry, "command").value_or("");
        tool.answer = get_string(entry, "answer").value_or("");
        tool.mode = !tool.command.empty() ? ToolDefinition::Mode::command
                    : find_member(entry, "answer") ? ToolDefinition::Mode::scripted
                                                    : ToolDefinition::Mode::manual;
        if (const auto mode = get_string(entry, "mode")) {
            if (*mode == "manual") tool.mode = ToolDefinition::Mode::manual;
            else if (*mode == "scripted") tool.mode = ToolDefinition::Mode::scripted;
            else if (*mode == "command") tool.mode = ToolDefinition::Mode::command;
            else {
                load.error = where + ".mode: expected \"manual\", \"scripted\" or \"command\", got \"" + *mode + "\"";
                load.tools.clear();
                return load;
            }
        }
        if (auto problem = scratch.add(tool.spec)) {
            load.error = where + ": " + *problem;
            load.tools.clear();
            return load;
        }
        load.tools.push_back(std::move(tool));
    }
    return load;
}

const ToolDefinition* ToolsView::find(std::string_view name) const
{
    for (const auto& tool : tools_)
        if (tool.spec.name == name) return &tool;
    return nullptr;
}

ToolCallRow* ToolsView::find_call(const std::string& call_id)
{
    for (auto& call : calls_)
        if (call.call_id == call_id) return &call;
    return nullptr;
}

void ToolsView::apply(const ShowMessage& show, const ToolRegistry& registry)
{
    const auto& message = show.message;
    if (message.role == Role::assistant) {
        for (const auto& call : message.tool_calls) {
            const std::string id = call.id.value_or("");
            auto* row = find_call(id);
            if (row == nullptr) {
                calls_.push_back(ToolCallRow{});
                row = &calls_.back();
                row->call_id = id;
            }
            row->name = call.name;
            row->arguments = call.arguments;
            row->message_index = show.index;
            const auto check = registry.check_call(call.name, call.arguments);
            row->validation = check.arguments ? "valid" : check.result.value_or("");
        }
    } else if (message.role == Role::tool) {
        if (auto* row = find_call(message.tool_call_id)) {
            row->result = message.content.value_or("");
            switch (row->state) {
            case ToolCallRow::State::streaming: row->state = ToolCallRow::State::refused; break;
            case ToolCallRow::State::waiting:
            case ToolCallRow::State::running: row->state = ToolCallRow::State::closed; break;
            default: break;  // answered or failed: the tool's own outcome stands
            }
        }
    }
}

void ToolsView::apply(const RunTool& run)
{
    auto* row = find_call(run.call_id);
    if (row == nullptr) {
        calls_.push_back(ToolCallRow{});
        row = &calls_.back();
        row->call_id = run.call_id;
        row->name = run.name;
        row->arguments = dump_safely(run.arguments);
        row->validation = "valid";
    }
    row->state = ToolCallRow::State::waiting;
}

void ToolsView::running(const std::string& call_id)
{
    if (auto* row = find_call(call_id)) row->state = ToolCallRow::State::running;
}

void ToolsView::answered(const std::string& call_id, bool ok, const std::string& result)
{
    if (auto* row = find_call(call_id)) {
        // Too late: the model already got the engine's result for it, which the row keeps.
        if (row->state == ToolCallRow::State::closed) return;
        row->state = ok ? ToolCallRow::State::answered : ToolCallRow::State::failed;
        row->result = result;
    }
}

std::vector<std::string> ToolsView::waiting() const
{
    std::vector<std::string> ids;
    for (const auto& call : calls_)
        if (call.state == ToolCallRow::State::waiting) ids.push_back(call.call_id);
    return ids;
}

std::string_view to_string(ToolCallRow::State state)
{
    switch (state) {
    case ToolCallRow::State::streaming: return "streaming";
    case ToolCallRow::State::refused: return "refused by validation";
    case ToolCallRow::State::waiting: return "waiting for an answer";
    case ToolCallRow::State::running: return "running";
    case ToolCallRow::State::answered: return "answered";
    case ToolCallRow::State::failed: return "failed";
    case ToolCallRow::State::closed: return "closed by the engine, unanswered";
    }
    return "streaming";
}

std::string_view to_string(ToolDefinition::Mode mode)
{
    switch (mode) {
    case ToolDefinition::Mode::manual: return "manual";
    case ToolDefinition::Mode::scripted: return "scripted";
    case ToolDefinition::Mode::command: return "command";
    }
    return "manual";
}

} // namespace confab::desktop
