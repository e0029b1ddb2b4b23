// native/desktop/command_runner.cpp
#include "native/desktop/command_runner.h"

#include "native/system/run_command.h"


namespace confab::desktop {

CommandRunner::~CommandRunner()
{
    std::lock_guard lock(mutex_);
    for (auto& thread : threads_) thread.join();
}

void CommandRunner::run(std::string call_id, std::string command, std::string input, std::int64_t timeout_ms)
{
    std::lock_guard lock(mutex_);
    threads_.emplace_back([this, call_id = std::move(call_id), command = std::move(command), input = std::move(input),
                           timeout_ms] {
        auto [ok, result] = native::run_command(command, input, timeout_ms);
        queue_.push(QueuedInput{ToolFinished{call_id, ok, std::move(result)}, {}});
    });
}

} // namespace confab::desktop
