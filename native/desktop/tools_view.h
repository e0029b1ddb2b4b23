// native/desktop/tools_view.h
// The Tools window's state: the tools offered to the model (loaded from a JSON file), and
// every call the model made with its arguments, what the core's validation said of them, and
// its answer. The file is the one `confab chat --tools` reads (docs/tools.md): a JSON array of
// {name, description, parameters, command}, plus two members of the harness's own:
//
//   "answer": "…"   a scripted answer: every call gets this text as its result, at once
//   "mode": "manual" | "scripted" | "command"   how calls are answered (default: "command"
//                   when there is a command, "scripted" when there is an answer, else
//                   "manual": the developer types the result in the Tools window)
//
// Validation is the core's (ToolRegistry::check_call): a call that fails it never becomes a
// RunTool; the engine answers it itself, and this view shows that answer beside the call.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/boundary.h"
#include "core/request_builder.h"
#include "core/tool_registry.h"

namespace confab::desktop {

struct ToolDefinition {
    enum class Mode { manual, scripted, command };
    ToolSpec spec;
    Mode mode = Mode::manual;
    std::string answer;    // scripted
    std::string command;   // run through /bin/sh, the arguments as JSON on stdin
};

struct ToolsLoad {
    std::vector<ToolDefinition> tools;
    std::optional<std::string> error;  // the first problem; `tools` is then empty
};
// Reads a tools file's bytes. Each tool's schema is checked by a scratch ToolRegistry, so a
// file that loads here registers cleanly.
ToolsLoad load_tools(std::string_view bytes);

struct ToolCallRow {
    // closed: the engine sent the model a result while the tool was still waiting or running
    // (it timed out, or the user stopped the reply); the result says which.
    enum class State { streaming, refused, waiting, running, answered, failed, closed };
    std::string call_id;
    std::string name;
    std::string arguments;       // raw text, as the model wrote it
    std::string validation;      // "valid", or the core's refusal sent back instead
    State state = State::streaming;
    std::string result;          // the tool message the model got
    std::size_t message_index = 0;  // the assistant message that made the call
};

class ToolsView {
public:
    void set_tools(std::vector<ToolDefinition> tools) { tools_ = std::move(tools); }
    const std::vector<ToolDefinition>& tools() const { return tools_; }
    const ToolDefinition* find(std::string_view name) const;

    // Follows the engine's messages: calls appear with an assistant message, results with tool
    // messages. `registry` is the conversation's, for the validation column.
    void apply(const ShowMessage& show, const ToolRegistry& registry);
    void apply(const RunTool& run);
    // The driver started a command for this call, or an answer went back to the engine.
    void running(const std::string& call_id);
    void answered(const std::string& call_id, bool ok, const std::string& result);

    const std::vector<ToolCallRow>& calls() const { return calls_; }
    // Calls waiting for the developer's answer, oldest first.
    std::vector<std::string> waiting() const;
    void clear() { calls_.clear(); }

private:
    ToolCallRow* find_call(const std::string& call_id);

    std::vector<ToolDefinition> tools_;
    std::vector<ToolCallRow> calls_;
};

std::string_view to_string(ToolCallRow::State state);
std::string_view to_string(ToolDefinition::Mode mode);

} // namespace confab::desktop
