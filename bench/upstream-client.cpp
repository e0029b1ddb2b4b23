// The relay's upstream leg alone: N streamed chat requests, back to back on one kept-alive
// connection, to the provider bench/relay.mjs starts, sent the way `confab serve` sends them
// (libcurl, a multi handle and one reused easy handle, native/serve/upstream_transfer.cpp), or
// with plain blocking socket calls: what any client pays the kernel for the same request.
// Prints the CPU each request cost this process, in microseconds: libcurl's minus the plain
// socket's is what the library itself costs a request, a cost the relay cannot go below while
// its upstream client is libcurl. Built and run by bench/relay.mjs:
//
//   g++ -O2 -std=c++20 bench/upstream-client.cpp -o upstream-client -lcurl
//   upstream-client curl|socket PORT N
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

const std::string body = R"({"model":"bench","stream":true,"messages":[{"role":"user","content":"How does the relay work?"}]})";

std::size_t ignore(char*, std::size_t size, std::size_t count, void*) { return size * count; }

// As UpstreamTransfer does: one multi handle, one easy handle set up once, added per request.
bool with_curl(int port, int n)
{
    CURL* easy = curl_easy_init();
    CURLM* multi = curl_multi_init();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Authorization: Bearer bench-key");
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions";
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, long(body.size()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ignore);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, ignore);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    for (int i = 0; i < n; ++i) {
        curl_multi_add_handle(multi, easy);
        int running = 1;
        while (running) {
            curl_multi_perform(multi, &running);
            if (running) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
        }
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &left))
            if (message->msg == CURLMSG_DONE && message->data.result != CURLE_OK) return false;
        curl_multi_remove_handle(multi, easy);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    curl_easy_cleanup(easy);
    return true;
}

// The same request written by hand; the provider's reply (nginx's `return 200 "..."`, one
// segment) read in one call.
bool with_socket(int port, int n)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::uint16_t(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return false;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nAccept: */*\r\nContent-Type: application/json\r\nAuthorization: Bearer bench-key\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    char reply[65536];
    for (int i = 0; i < n; ++i) {
        if (send(fd, request.data(), request.size(), 0) != ssize_t(request.size())) return false;
        if (recv(fd, reply, sizeof reply, 0) <= 0) return false;
    }
    close(fd);
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: upstream-client curl|socket PORT N\n");
        return 2;
    }
    const std::string mode = argv[1];
    const int port = std::atoi(argv[2]);
    const int n = std::atoi(argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const std::clock_t start = std::clock();
    const bool ok = mode == "curl" ? with_curl(port, n) : with_socket(port, n);
    const double seconds = double(std::clock() - start) / CLOCKS_PER_SEC;
    if (!ok) {
        std::fprintf(stderr, "upstream-client: a request failed\n");
        return 1;
    }
    std::printf("%.1f\n", seconds / n * 1e6);
    return 0;
}
