// native/serve/client_connection.cpp
#include "native/serve/client_connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace confab::serve {

namespace {

thread_local ClientConnection* serving = nullptr;

void set_timeout(int fd, int option, std::time_t seconds, suseconds_t microseconds = 0)
{
    timeval limit{};
    limit.tv_sec = seconds;
    limit.tv_usec = microseconds;
    ::setsockopt(fd, SOL_SOCKET, option, &limit, sizeof limit);
}

// The numeric address and port of one end, as httplib gives them (getnameinfo, numeric).
void describe(const sockaddr_storage& address, socklen_t size, std::string& ip, int& port)
{
    char host[NI_MAXHOST] = "";
    if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), size, host, sizeof host, nullptr, 0,
                      NI_NUMERICHOST) == 0)
        ip = host;
    if (address.ss_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
    if (address.ss_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
}

} // namespace

ClientConnection::ClientConnection(int fd, std::time_t read_timeout_s, std::time_t write_timeout_s)
    : fd_(fd), read_timeout_ms_(int(read_timeout_s * 1000)), write_timeout_ms_(int(write_timeout_s * 1000))
{
    set_timeout(fd, SO_RCVTIMEO, 0, wait_step_ms * 1000);
    set_timeout(fd, SO_SNDTIMEO, write_timeout_s);
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) describe(address, size, remote_ip_, remote_port_);
    size = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) describe(address, size, local_ip_, local_port_);
}

ClientConnection* ClientConnection::current() { return serving; }

bool ClientConnection::wait_for_request(int idle_ms, const std::function<bool()>& stopping)
{
    hold_next_write_ = true;  // the first write of the coming response is its head
    return buffered() > 0 || fill(idle_ms, &stopping) > 0;
}

std::size_t ClientConnection::fill(int timeout_ms, const std::function<bool()>* stopping)
{
    begin_ = end_ = 0;
    for (int waited = 0;;) {
        const ssize_t n = ::recv(fd_, buffer_, sizeof buffer_, 0);
        if (n > 0) {
            end_ = std::size_t(n);
            return end_;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            closed_ = true;
            return 0;
        }
        // A step of the receive timeout passed with nothing (httplib's read fails at its
        // read timeout too).
        waited += wait_step_ms;
        if (waited >= timeout_ms || (stopping != nullptr && (*stopping)())) return 0;
    }
}

int ClientConnection::wait_readable(int timeout_ms) const
{
    pollfd watch{fd_, POLLIN, 0};
    int ready;
    do {
        ready = ::poll(&watch, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    return ready;
}

bool ClientConnection::is_readable() const { return buffered() > 0 || wait_readable(read_timeout_ms_) > 0; }

// httplib asks before each piece of a streamed body: writable, and the client still there.
bool ClientConnection::is_writable() const
{
    if (closed_) return false;
    pollfd watch{fd_, POLLOUT | POLLRDHUP, 0};
    return ::poll(&watch, 1, write_timeout_ms_) > 0 && watch.revents == POLLOUT;
}

ssize_t ClientConnection::read(char* ptr, std::size_t size)
{
    if (!held_.empty() && !flush()) return -1;  // a 100 Continue, before the body it asks for
    if (buffered() == 0 && fill(read_timeout_ms_, nullptr) == 0) return closed_ ? 0 : -1;
    const std::size_t n = std::min(size, buffered());
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    return ssize_t(n);
}

ssize_t ClientConnection::write(const char* ptr, std::size_t size)
{
    if (hold_next_write_) {
        hold_next_write_ = false;
        held_.assign(ptr, size);
        return ssize_t(size);
    }
    return send_all(ptr, size) ? ssize_t(size) : -1;
}

bool ClientConnection::flush() { return held_.empty() || send_all(nullptr, 0); }

bool ClientConnection::send_all(const char* bytes, std::size_t size)
{
    iovec parts[2] = {{held_.data(), held_.size()}, {const_cast<char*>(bytes), size}};
    std::size_t part = held_.empty() ? 1 : 0;
    while (part < 2) {
        msghdr message{};
        message.msg_iov = parts + part;
        message.msg_iovlen = 2 - part;
        // MSG_NOSIGNAL: a client that left is an error here, not a SIGPIPE for the process.
        ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // gone, reset, or the write timeout passed
            closed_ = true;
            held_.clear();
            return false;
        }
        while (part < 2 && std::size_t(n) >= parts[part].iov_len) {
            n -= ssize_t(parts[part].iov_len);
            parts[part].iov_len = 0;
            ++part;
        }
        if (part < 2) {
            parts[part].iov_base = static_cast<char*>(parts[part].iov_base) + n;
            parts[part].iov_len -= std::size_t(n);
        }
    }
    held_.clear();
    return true;
}

bool ClientConnection::gone() const
{
    pollfd watch{fd_, POLLRDHUP, 0};
    return ::poll(&watch, 1, 0) > 0 && (watch.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void ClientConnection::get_remote_ip_and_port(std::string& ip, int& port) const
{
    ip = remote_ip_;
    port = remote_port_;
}

void ClientConnection::get_local_ip_and_port(std::string& ip, int& port) const
{
    ip = local_ip_;
    port = local_port_;
}

void Listener::widen_backlog(int backlog) { ::listen(svr_sock_, backlog); }

bool Listener::process_and_close_socket(socket_t sock)
{
    bool served = false;
    {
        ClientConnection connection(sock, read_timeout_sec_, write_timeout_sec_);
        serving = &connection;
        const std::function<bool()> stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
        for (std::size_t left = keep_alive_max_count_; left > 0 && !stopping(); --left) {
            if (!connection.wait_for_request(int(keep_alive_timeout_sec_ * 1000), stopping)) break;
            bool closed = false;
            served = process_request(connection, left == 1, closed, nullptr);
            if (!connection.flush() || !served || closed) break;
        }
        serving = nullptr;
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return served;
}

} // namespace confab::serve
