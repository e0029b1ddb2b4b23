// native/desktop/command_runner.h
// Runs a tool's command off the UI thread: `/bin/sh -c COMMAND` with the call's arguments as
// JSON on standard input; standard output is the result, a non-zero exit (or a timeout) an
// error with standard error as its text. The outcome goes into the InputQueue as a
// ToolFinished. The same contract as `confab chat --tools` (docs/tools.md).
//
// Implements: RunTool, for tools whose mode is "command".
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "native/desktop/input_queue.h"

namespace confab::desktop {

class CommandRunner {
public:
    explicit CommandRunner(InputQueue& queue) : queue_(queue) {}
    ~CommandRunner();  // waits for running commands (each is bounded by its timeout)
    CommandRunner(const CommandRunner&) = delete;
    CommandRunner& operator=(const CommandRunner&) = delete;

    void run(std::string call_id, std::string command, std::string input, std::int64_t timeout_ms);

private:
    InputQueue& queue_;
    std::mutex mutex_;
    std::vector<std::thread> threads_;
};

} // namespace confab::desktop
