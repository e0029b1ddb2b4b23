// native/net/curl_transport.cpp
#include "native/net/curl_transport.h"

#include <curl/curl.h>

#include <string_view>

#include "native/net/response_head.h"

namespace confab::native {

struct CurlTransport::Transfer {
    CurlTransport* owner = nullptr;
    std::uint64_t id = 0;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string body;
    bool head_reported = false;
    ResponseHead head;
    char error[CURL_ERROR_SIZE] = {};

    void report_head()
    {
        if (head_reported) return;
        head_reported = true;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        owner->pending_.push_back({HttpHead{id, int(status), head.content_type, head.retry_after}, {}});
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto* self = static_cast<Transfer*>(user);
        const std::string_view line(data, size * count);
        self->head.take(line);
        return size * count;
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto* self = static_cast<Transfer*>(user);
        self->report_head();
        // Forwarded as it arrives: one network read, one HttpBody, bytes untouched.
        self->owner->pending_.push_back({HttpBody{self->id, {}}, std::string(data, size * count)});
        return size * count;
    }
};

CurlTransport::CurlTransport(Report report) : report_(std::move(report))
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi_ = curl_multi_init();
}

CurlTransport::~CurlTransport()
{
    while (!transfers_.empty()) cancel(transfers_.begin()->first);
    curl_multi_cleanup(static_cast<CURLM*>(multi_));
    curl_global_cleanup();
}

void CurlTransport::start(const StartRequest& request)
{
    auto transfer = std::make_unique<Transfer>();
    transfer->owner = this;
    transfer->id = request.id;
    transfer->body = request.body;
    transfer->easy = curl_easy_init();
    CURL* easy = transfer->easy;

    transfer->headers = curl_slist_append(transfer->headers, "Content-Type: application/json");
    transfer->headers = curl_slist_append(transfer->headers, "Accept: text/event-stream, application/json");
    for (const auto& [name, value] : request.headers)
        transfer->headers = curl_slist_append(transfer->headers, (name + ": " + value).c_str());

    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(transfer->body.size()));
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);  // HTTP/2 over TLS, 1.1 in the clear
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
    // Timeouts of the reply are the core's (first byte, idle); libcurl only connects.

    curl_multi_add_handle(static_cast<CURLM*>(multi_), easy);
    transfers_[request.id] = std::move(transfer);
}

void CurlTransport::cancel(std::uint64_t id)
{
    const auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    curl_multi_remove_handle(static_cast<CURLM*>(multi_), it->second->easy);
    curl_easy_cleanup(it->second->easy);
    curl_slist_free_all(it->second->headers);
    transfers_.erase(it);
}

void CurlTransport::poll(int timeout_ms)
{
    auto* multi = static_cast<CURLM*>(multi_);
    int running = 0;
    curl_multi_perform(multi, &running);
    curl_multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
    curl_multi_perform(multi, &running);

    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        for (auto& [id, transfer] : transfers_) {
            if (transfer->easy != message->easy_handle) continue;
            finish(*transfer, int(message->data.result));
            break;
        }
    }

    // Reported only now, outside libcurl's callbacks, so whatever the reports lead to
    // (a CancelRequest, a new StartRequest) may touch the transfers freely.
    auto events = std::move(pending_);
    pending_.clear();
    for (auto& event : events) {
        if (auto* body = std::get_if<HttpBody>(&event.input)) body->bytes = event.bytes;
        report_(event.input);
    }
}

void CurlTransport::wake()
{
    curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void CurlTransport::finish(Transfer& transfer, int curl_code)
{
    const auto id = transfer.id;
    if (curl_code == CURLE_OK) {
        transfer.report_head();  // an empty body still has a status
        cancel(id);
        pending_.push_back({HttpEnd{id}, {}});
        return;
    }
    std::string reason = transfer.error[0] != '\0' ? transfer.error : curl_easy_strerror(CURLcode(curl_code));
    cancel(id);
    pending_.push_back({HttpFailed{id, reason}, {}});
}

} // namespace confab::native
