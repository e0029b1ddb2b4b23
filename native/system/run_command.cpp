// native/system/run_command.cpp
#include "native/system/run_command.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace confab::native {

namespace {

std::int64_t steady_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

std::pair<bool, std::string> run_command(const std::string& command, const std::string& input, std::int64_t timeout_ms)
{
    int to_child[2], from_child[2], err_child[2];
    if (pipe(to_child) != 0) return {false, std::strerror(errno)};
    if (pipe(from_child) != 0 || pipe(err_child) != 0) {
        close(to_child[0]);
        close(to_child[1]);
        return {false, std::strerror(errno)};
    }
    const pid_t pid = fork();
    if (pid < 0) return {false, std::strerror(errno)};
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        dup2(err_child[1], 2);
        for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1], err_child[0], err_child[1]}) close(fd);
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    close(err_child[1]);

    // Writes stdin while reading stdout and stderr, so a command that answers before it has
    // read everything cannot deadlock against us.
    std::string out, err;
    std::size_t written = 0;
    const auto deadline = steady_ms() + timeout_ms;
    pollfd fds[3] = {{from_child[0], POLLIN, 0}, {err_child[0], POLLIN, 0}, {to_child[1], POLLOUT, 0}};
    if (input.empty()) {
        close(to_child[1]);
        fds[2].fd = -1;
    }
    bool timed_out = false;
    std::signal(SIGPIPE, SIG_IGN);  // a command that never reads its input must not kill us
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left = deadline - steady_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        if (::poll(fds, 3, int(left)) <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buffer[4096];
            const auto n = read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
            } else {
                (i == 0 ? out : err).append(buffer, std::size_t(n));
            }
        }
        if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            const auto n = write(fds[2].fd, input.data() + written, input.size() - written);
            if (n > 0) written += std::size_t(n);
            if (n <= 0 || written == input.size()) {
                close(fds[2].fd);
                fds[2].fd = -1;
            }
        }
    }
    if (timed_out) kill(pid, SIGKILL);
    for (auto& fd : fds)
        if (fd.fd >= 0) close(fd.fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (timed_out) return {false, "timed out after " + std::to_string(timeout_ms) + " ms"};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, out};
    return {false, !err.empty() ? err : !out.empty() ? out : "exited with status " + std::to_string(WEXITSTATUS(status))};
}

} // namespace confab::native
