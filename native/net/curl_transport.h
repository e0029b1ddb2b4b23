// native/net/curl_transport.h
// The native HTTP driver: carries out StartRequest / CancelRequest effects with libcurl's
// multi interface (TLS, HTTP/2, proxies from the environment) and reports what happens as
// core Inputs (HttpHead, HttpBody, HttpEnd, HttpFailed). One thread: the caller pumps it
// with poll(), which waits at most the given time for network activity.
//
// Implements: StartRequest, CancelRequest. Everything else belongs to other drivers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/boundary.h"

namespace confab::native {

class CurlTransport {
public:
    using Report = std::function<void(const Input&)>;

    explicit CurlTransport(Report report);
    ~CurlTransport();
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    void start(const StartRequest& request);
    void cancel(std::uint64_t id);

    // Waits up to `timeout_ms` for activity, then reports what arrived. Reports are made
    // from inside poll(), on the caller's thread.
    void poll(int timeout_ms);

    // Ends a poll() that is waiting, at once. The one member that may be called from
    // another thread (curl_multi_wakeup is thread-safe): a thread that hands this
    // transport's thread new work calls it so the work is not left until the timeout.
    void wake();

    bool idle() const { return transfers_.empty(); }

private:
    struct Transfer;
    void finish(Transfer& transfer, int curl_code);

    struct Pending {
        Input input;
        std::string bytes;  // an HttpBody's bytes, owned until it is reported
    };

    Report report_;
    void* multi_ = nullptr;  // CURLM*
    std::vector<Pending> pending_;
    std::map<std::uint64_t, std::unique_ptr<Transfer>> transfers_;
};

} // namespace confab::native
