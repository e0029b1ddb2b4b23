// native/desktop/network_worker.cpp
#include "native/desktop/network_worker.h"

#include "native/net/curl_transport.h"

namespace confab::desktop {

NetworkWorker::NetworkWorker(InputQueue& queue) : queue_(queue), thread_([this] { run(); }) {}

NetworkWorker::~NetworkWorker()
{
    quit_ = true;
    wake_.notify_all();
    thread_.join();
}

void NetworkWorker::start(const StartRequest& request)
{
    {
        std::lock_guard lock(mutex_);
        commands_.emplace_back(request);
    }
    wake_.notify_all();
}

void NetworkWorker::cancel(std::uint64_t id)
{
    {
        std::lock_guard lock(mutex_);
        commands_.emplace_back(Cancel{id});
    }
    wake_.notify_all();
}

void NetworkWorker::run()
{
    native::CurlTransport transport([this](const Input& input) {
        QueuedInput item{input, {}};
        if (auto* body = std::get_if<HttpBody>(&input)) item.bytes = std::string(body->bytes);
        queue_.push(std::move(item));
    });
    while (!quit_) {
        std::vector<Command> commands;
        {
            std::unique_lock lock(mutex_);
            // Idle: sleep until a command comes. Busy: poll the sockets, waking every 10 ms to
            // take new commands (CurlTransport's poll cannot be woken from another thread).
            if (transport.idle()) wake_.wait(lock, [&] { return quit_ || !commands_.empty(); });
            commands.swap(commands_);
        }
        for (auto& command : commands) {
            if (auto* start = std::get_if<StartRequest>(&command)) transport.start(*start);
            else transport.cancel(std::get<Cancel>(command).id);
        }
        if (!transport.idle()) transport.poll(10);
    }
}

} // namespace confab::desktop
