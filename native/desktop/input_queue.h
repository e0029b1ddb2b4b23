// native/desktop/input_queue.h
// The one way into the UI thread: the network worker and tool commands push what happened
// (core Inputs) here from their threads, and the UI thread takes it all once a frame and
// reports it to the engine, so the engine is only ever called from one thread. Also the
// interface of the network as the App sees it, so tests can stand in for libcurl.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/boundary.h"

namespace confab::desktop {

// An Input that owns its bytes: HttpBody's view points into `bytes` once taken.
struct QueuedInput {
    Input input;
    std::string bytes;
};

class InputQueue {
public:
    // `wake` is called (from the pushing thread) after each push: the GUI posts an empty event
    // so that a sleeping frame loop wakes up.
    void set_wake(std::function<void()> wake)
    {
        std::lock_guard lock(mutex_);
        wake_ = std::move(wake);
    }

    void push(QueuedInput item)
    {
        std::function<void()> wake;
        {
            std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
            wake = wake_;
        }
        if (wake) wake();
    }

    // Everything pushed so far, oldest first; each HttpBody's view made to point at its bytes.
    std::vector<QueuedInput> take()
    {
        std::vector<QueuedInput> items;
        {
            std::lock_guard lock(mutex_);
            items.swap(items_);
        }
        for (auto& item : items)
            if (auto* body = std::get_if<HttpBody>(&item.input)) body->bytes = item.bytes;
        return items;
    }

private:
    std::mutex mutex_;
    std::vector<QueuedInput> items_;
    std::function<void()> wake_;
};

// Carries out StartRequest and CancelRequest; reports through an InputQueue.
class Network {
public:
    virtual ~Network() = default;
    virtual void start(const StartRequest& request) = 0;
    virtual void cancel(std::uint64_t id) = 0;
};

} // namespace confab::desktop
