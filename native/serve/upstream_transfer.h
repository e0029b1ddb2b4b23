// native/serve/upstream_transfer.h
// One POST to the provider, on libcurl (TLS, HTTP/2, proxies from the environment), driven
// by the server thread that handles the request: pump() waits a little for the network and
// collects what arrived, so the caller can hand bytes to its client as they come and stop
// the moment its client is gone. Each server thread keeps one libcurl multi handle, and so
// its own cache of connections to the provider, reused from one request to the next, and one
// easy handle set up for the provider once and reused.
//
// The key goes in the Authorization header and nowhere else. Deliberately not done here:
// retrying (the relay does it with the core's RetryPolicy) and timeouts of the reply (the
// relay's, first byte and idle); libcurl only bounds the connect.
#pragma once

#include <cstddef>
#include <string>

#include "native/net/response_head.h"

namespace confab::serve {

struct UpstreamRequest {
    std::string url;               // the chat-completions URL
    std::string api_key;           // "" sends no Authorization header
    std::string body;              // JSON
    long connect_timeout_ms = 10'000;
};

class UpstreamTransfer {
public:
    explicit UpstreamTransfer(const UpstreamRequest& request);
    ~UpstreamTransfer();
    UpstreamTransfer(const UpstreamTransfer&) = delete;
    UpstreamTransfer& operator=(const UpstreamTransfer&) = delete;

    // Waits up to `timeout_ms` for the network, then collects what arrived.
    void pump(int timeout_ms);

    bool head_done() const { return head_done_; }      // status and headers are in
    int status() const { return status_; }
    const std::string& content_type() const { return head_.content_type; }
    const std::string& retry_after() const { return head_.retry_after; }

    // The body bytes that arrived since the last call, untouched.
    std::string take_body();
    std::size_t buffered() const { return body_.size(); }

    bool finished() const { return finished_; }         // the transfer is over
    const std::string& failure() const { return failure_; }  // why it failed; "" when it did not

private:
    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self);

    void* easy_ = nullptr;           // CURL*
    void* multi_ = nullptr;          // the thread's CURLM*
    void* headers_ = nullptr;        // curl_slist*
    std::string request_body_;
    std::string body_;
    bool paused_ = false;
    bool head_done_ = false;
    int status_ = 0;
    native::ResponseHead head_;
    bool finished_ = false;
    std::string failure_;
    char error_[256] = {};           // CURL_ERROR_SIZE
};

} // namespace confab::serve
