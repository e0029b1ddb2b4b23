// native/desktop/network_worker.h
// The network on its own thread: a CurlTransport (native/net/curl_transport.h) pumped by a
// worker, so the UI thread never waits for a socket. Starts and cancels are posted to the
// worker; what the transport reports goes into the InputQueue, bytes copied as they arrived.
//
// Implements: StartRequest, CancelRequest (as the Network the App drives).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "native/desktop/input_queue.h"
#include "native/net/curl_transport.h"

namespace confab::desktop {

class NetworkWorker final : public Network {
public:
    explicit NetworkWorker(InputQueue& queue);
    ~NetworkWorker() override;  // cancels what is open and joins the worker
    NetworkWorker(const NetworkWorker&) = delete;
    NetworkWorker& operator=(const NetworkWorker&) = delete;

    void start(const StartRequest& request) override;
    void cancel(std::uint64_t id) override;

private:
    struct Cancel {
        std::uint64_t id = 0;
    };
    using Command = std::variant<StartRequest, Cancel>;

    void run();
    void wake();

    InputQueue& queue_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Command> commands_;
    std::atomic<bool> quit_{false};
    native::CurlTransport transport_;  // used on the worker's thread, but for wake()
    std::thread thread_;               // last: starts once everything above exists
};

} // namespace confab::desktop
