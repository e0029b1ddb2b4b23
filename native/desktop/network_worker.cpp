// native/desktop/network_worker.cpp
#include "native/desktop/network_worker.h"

namespace confab::desktop {

NetworkWorker::NetworkWorker(InputQueue& queue)
    : queue_(queue),
      transport_([this](const Input& input) {
          QueuedInput item{input, {}};
          if (auto* body = std::get_if<HttpBody>(&input)) item.bytes = std::string(body->bytes);
          queue_.push(std::move(item));
      }),
      thread_([this] { run(); })
{
}

NetworkWorker::~NetworkWorker()
{
    {
        // Under the lock, so the worker cannot be between checking quit_ and waiting when
        // the notification comes (it would sleep through it, and join() would never return).
        std::lock_guard lock(mutex_);
        quit_ = true;
    }
    wake();
    thread_.join();
}

void NetworkWorker::wake()
{
    wake_.notify_all();    // an idle worker waits here...
    transport_.wake();     // ...a busy one in the transport's poll
}

void NetworkWorker::start(const StartRequest& request)
{
    {
        std::lock_guard lock(mutex_);
        commands_.emplace_back(request);
    }
    wake();
}

void NetworkWorker::cancel(std::uint64_t id)
{
    {
        std::lock_guard lock(mutex_);
        commands_.emplace_back(Cancel{id});
    }
    wake();
}

void NetworkWorker::run()
{
    while (!quit_) {
        std::vector<Command> commands;
        {
            std::unique_lock lock(mutex_);
            // Idle: sleep until a command comes. Busy: wait in the transport's poll, which
            // start() and cancel() end at once through wake().
            if (transport_.idle()) wake_.wait(lock, [&] { return quit_ || !commands_.empty(); });
            commands.swap(commands_);
        }
        for (auto& command : commands) {
            if (auto* start = std::get_if<StartRequest>(&command)) transport_.start(*start);
            else transport_.cancel(std::get<Cancel>(command).id);
        }
        // No wake-up is lost between taking the commands and polling: curl_multi_wakeup(3),
        // "If the function is called when there is no curl_multi_poll call, it causes the next
        // call to return immediately." The timeout is a backstop only.
        if (!transport_.idle()) transport_.poll(1000);
    }
}

} // namespace confab::desktop
