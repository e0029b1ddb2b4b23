// native/serve/upstream_transfer.cpp
#include "native/serve/upstream_transfer.h"

#include <curl/curl.h>

#include <string_view>

namespace confab::serve {

namespace {

static_assert(CURL_ERROR_SIZE <= 256);

// A client that reads slower than the provider writes: past this much unsent, the provider
// is paused (TCP flow control then slows it) instead of the relay holding the whole reply.
constexpr std::size_t pause_above_bytes = std::size_t{1} << 20;

struct ThreadMulti {
    CURLM* multi = nullptr;
    ThreadMulti()
    {
        static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
        (void)initialised;
        multi = curl_multi_init();
    }
    ~ThreadMulti() { curl_multi_cleanup(multi); }
};

CURLM* thread_multi()
{
    thread_local ThreadMulti multi;
    return multi.multi;
}

// One easy handle per thread too, set up once for the provider and reused: creating one
// allocates its buffers afresh, and resetting and setting every option again costs more than
// the few options a transfer changes (its body and where its bytes go).
struct ThreadEasy {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string set_up_for;  // the URL, key and connect timeout the options were set for
    bool in_use = false;

    void discard()
    {
        curl_easy_cleanup(easy);
        curl_slist_free_all(headers);
        easy = nullptr;
        headers = nullptr;
        set_up_for.clear();
    }
    ~ThreadEasy() { discard(); }
};

ThreadEasy& thread_easy()
{
    thread_local ThreadEasy easy;
    return easy;
}

curl_slist* request_headers(const UpstreamRequest& request)
{
    auto* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: text/event-stream, application/json");
    if (!request.api_key.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + request.api_key).c_str());
    return headers;
}

// The options every transfer to this provider shares.
void set_up(CURL* easy, const UpstreamRequest& request, curl_slist* headers)
{
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
}

} // namespace

UpstreamTransfer::UpstreamTransfer(const UpstreamRequest& request) : request_body_(request.body)
{
    multi_ = thread_multi();
    ThreadEasy& spare = thread_easy();
    CURL* easy = nullptr;
    const std::string key = request.url + '\n' + request.api_key + '\n' + std::to_string(request.connect_timeout_ms);
    if (!spare.in_use) {
        if (spare.easy == nullptr || spare.set_up_for != key) {
            spare.discard();
            spare.easy = curl_easy_init();
            spare.headers = request_headers(request);
            set_up(spare.easy, request, spare.headers);
            spare.set_up_for = key;
        }
        spare.in_use = true;
        easy = spare.easy;
    } else {
        // A second transfer on this thread at once (never, as the relay is written): its own.
        easy = curl_easy_init();
        headers_ = request_headers(request);
        set_up(easy, request, static_cast<curl_slist*>(headers_));
    }
    easy_ = easy;
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request_body_.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request_body_.size()));
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &UpstreamTransfer::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &UpstreamTransfer::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_);
    // A POST is not repeated by libcurl on a reused connection that turns out dead after the
    // request was sent; the relay's own retry covers that, before the first byte only.
    curl_multi_add_handle(static_cast<CURLM*>(multi_), easy);
}

UpstreamTransfer::~UpstreamTransfer()
{
    auto* easy = static_cast<CURL*>(easy_);
    curl_multi_remove_handle(static_cast<CURLM*>(multi_), easy);
    // The buffer named here goes away with this transfer.
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
    ThreadEasy& spare = thread_easy();
    if (spare.easy == easy) {
        spare.in_use = false;
        // A transfer left paused is not handed on; the next one starts from a fresh handle.
        if (paused_) spare.discard();
    } else {
        curl_easy_cleanup(easy);
        curl_slist_free_all(static_cast<curl_slist*>(headers_));
    }
}

std::size_t UpstreamTransfer::on_header(char* data, std::size_t size, std::size_t count, void* user)
{
    auto* self = static_cast<UpstreamTransfer*>(user);
    const std::string_view line(data, size * count);
    if (self->head_.take(line)) {
        long status = 0;
        curl_easy_getinfo(static_cast<CURL*>(self->easy_), CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200) {
            self->status_ = int(status);
            self->head_done_ = true;
        }
    }
    return size * count;
}

std::size_t UpstreamTransfer::on_body(char* data, std::size_t size, std::size_t count, void* user)
{
    auto* self = static_cast<UpstreamTransfer*>(user);
    if (self->body_.size() > pause_above_bytes) {
        self->paused_ = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    self->body_.append(data, size * count);
    return size * count;
}

void UpstreamTransfer::pump(int timeout_ms)
{
    if (finished_) return;
    auto* multi = static_cast<CURLM*>(multi_);
    int running = 0;
    curl_multi_perform(multi, &running);
    if (running > 0 && body_.empty()) {
        curl_multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
        curl_multi_perform(multi, &running);
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg != CURLMSG_DONE || message->easy_handle != easy_) continue;
        finished_ = true;
        if (message->data.result != CURLE_OK)
            failure_ = error_[0] != '\0' ? error_ : curl_easy_strerror(message->data.result);
        else if (!head_done_) {
            long status = 0;
            curl_easy_getinfo(static_cast<CURL*>(easy_), CURLINFO_RESPONSE_CODE, &status);
            status_ = int(status);
            head_done_ = true;
        }
    }
}

std::string UpstreamTransfer::take_body()
{
    std::string bytes = std::move(body_);
    body_.clear();
    if (paused_) {
        paused_ = false;
        curl_easy_pause(static_cast<CURL*>(easy_), CURLPAUSE_CONT);
    }
    return bytes;
}

} // namespace confab::serve
