// native/serve/client_connection.h
// One client's connection to the relay, as the httplib::Stream its requests are read from and
// its responses written to, and the keep-alive loop that serves it (Listener).
//
// httplib 0.11's own connection loop polls before every read and twice before every write,
// asks the kernel for both addresses on every request, and sends a response's head and body
// as two TCP segments. The relay serves many short requests, so this loop does the same work
// with fewer system calls: a read blocks in the socket itself, in steps of its receive timeout
// (SO_RCVTIMEO) up to httplib's read timeout, a write up to the write timeout (SO_SNDTIMEO);
// the addresses are read once per connection; and a response's head waits for its first body
// bytes, to go out in one segment with them.
//
// What a held head promises: it leaves before this connection waits on anything (a read, the
// next request, a pace, the provider: see flush), so a client never waits on a head the relay
// already has. The connection also gives the relay the client's socket, which httplib does not
// hand to a handler: `gone()` notices a client that left while nothing was being written.
//
// Not done here: TLS (the relay listens on plain HTTP; a TLS terminator sits in front), and
// anything httplib decides (parsing, routing, framing): process_request does all of that.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <ctime>
#include <functional>
#include <string>

namespace confab::serve {

class ClientConnection final : public httplib::Stream {
public:
    // Takes the accepted socket (the caller closes it). Timeouts in whole seconds, as httplib's.
    ClientConnection(int fd, std::time_t read_timeout_s, std::time_t write_timeout_s);
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    // The connection this thread is serving, or nullptr (a thread serves one at a time).
    static ClientConnection* current();

    // Waits until the next request's first bytes are here. False when the client closed, or
    // sent nothing for `idle_ms`, or `stopping()` turned true (heard within wait_step_ms).
    bool wait_for_request(int idle_ms, const std::function<bool()>& stopping);

    // Sends a held response head now. Call before waiting on anything while a response is
    // open; false when the client can no longer be written to.
    bool flush();

    // The client closed its end or reset the connection. A request it pipelines meanwhile is
    // no reason.
    bool gone() const;

    // httplib::Stream
    bool is_readable() const override;
    bool is_writable() const override;
    ssize_t read(char* ptr, std::size_t size) override;
    ssize_t write(const char* ptr, std::size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    socket_t socket() const override { return fd_; }

private:
    // A blocked read wakes this often (the socket's receive timeout) to hear `stopping`.
    static constexpr int wait_step_ms = 100;

    std::size_t buffered() const { return end_ - begin_; }
    // Reads into the empty buffer what the socket has, waiting up to `timeout_ms` for it.
    // Returns the bytes read: 0 when the time passed, `stopping` said so, or the connection
    // ended (then closed_ is set).
    std::size_t fill(int timeout_ms, const std::function<bool()>* stopping);
    // poll(2) for input: >0 ready, 0 timed out, <0 failed.
    int wait_readable(int timeout_ms) const;
    // Sends `held_` and then `bytes` in one call where the kernel allows; false on failure.
    bool send_all(const char* bytes, std::size_t size);

    int fd_;
    int read_timeout_ms_, write_timeout_ms_;
    bool closed_ = false;            // the client's end is closed (or failed)
    bool hold_next_write_ = false;
    std::string held_;               // a response head waiting for its body
    std::string remote_ip_, local_ip_;
    int remote_port_ = 0, local_port_ = 0;
    // A request's line and headers arrive in one read as a rule; httplib reads them a byte at
    // a time, so they are served from here.
    char buffer_[16384];
    std::size_t begin_ = 0, end_ = 0;
};

// httplib's server with the relay's connection loop (ClientConnection) in place of its own.
class Listener : public httplib::Server {
public:
    // httplib listens with a backlog of 5: a burst of new connections would wait a second for
    // a SYN retry. Linux lets listen() be called again to raise it.
    void widen_backlog(int backlog);

private:
    // httplib's ThreadPool calls this (virtually) for each accepted socket. Same contract as
    // httplib's: up to keep_alive_max_count_ requests, each waited for at most
    // keep_alive_timeout_sec_, no new request once stop() was called; then shutdown, close.
    bool process_and_close_socket(socket_t sock) override;
};

} // namespace confab::serve
