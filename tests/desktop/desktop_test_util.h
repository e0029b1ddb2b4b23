// tests/desktop/desktop_test_util.h
// Helpers for the harness's tests: a network that records what it was asked to do, a temporary
// folder, and small recorded-looking streams.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/desktop/input_queue.h"

namespace confab::desktop::support {

struct FakeNetwork final : Network {
    std::vector<StartRequest> started;
    std::vector<std::uint64_t> cancelled;
    void start(const StartRequest& request) override { started.push_back(request); }
    void cancel(std::uint64_t id) override { cancelled.push_back(id); }
};

struct TempDir {
    std::string path;
    TempDir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "confab-desktop-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name) const { return path + "/" + name; }
};

inline std::string sse_chunk(const nlohmann::json& delta, const nlohmann::json& finish = nullptr,
                             const nlohmann::json& usage = nullptr)
{
    nlohmann::json chunk = {{"object", "chat.completion.chunk"}, {"model", "test-model"},
                            {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}}}};
    if (!usage.is_null()) chunk["usage"] = usage;
    return "data: " + chunk.dump() + "\n\n";
}

// A streamed reply of `text`, 5 bytes a chunk, then usage and [DONE].
inline std::string text_stream(const std::string& text, const nlohmann::json& usage = nullptr)
{
    std::string out = sse_chunk({{"role", "assistant"}, {"content", ""}});
    for (std::size_t at = 0; at < text.size(); at += 5) out += sse_chunk({{"content", text.substr(at, 5)}});
    out += sse_chunk(nlohmann::json::object(), "stop", usage);
    return out + "data: [DONE]\n\n";
}

inline std::string tool_stream(const std::string& id, const std::string& name, const std::string& arguments)
{
    std::string out = sse_chunk({{"tool_calls", {{{"index", 0}, {"id", id}, {"type", "function"},
                                                  {"function", {{"name", name}, {"arguments", arguments}}}}}}});
    out += sse_chunk(nlohmann::json::object(), "tool_calls");
    return out + "data: [DONE]\n\n";
}

// What the network would report for one whole response.
inline void respond(InputQueue& queue, std::uint64_t id, const std::string& body, int status = 200,
                    const std::string& type = "text/event-stream")
{
    queue.push(QueuedInput{HttpHead{id, status, type, ""}, {}});
    for (std::size_t at = 0; at < body.size(); at += 17) queue.push(QueuedInput{HttpBody{id, {}}, body.substr(at, 17)});
    queue.push(QueuedInput{HttpEnd{id}, {}});
}

} // namespace confab::desktop::support
