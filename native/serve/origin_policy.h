// native/serve/origin_policy.h
// Which web pages may call the relay (CORS, the Fetch standard's "CORS protocol"). Nothing
// is allowed by default except the relay's own origin; the operator lists others with
// --allow-origin (or "*" for any). A browser sends Origin on every cross-origin request and
// on same-origin POSTs; a request without one (curl, a server) is not a page's and passes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace confab::serve {

enum class OriginVerdict {
    no_origin,    // not from a page: nothing to allow or refuse
    same_origin,  // the page was served by this relay
    allowed,      // listed: answer with Access-Control-Allow-Origin
    refused,      // a page from elsewhere: no CORS headers, and a POST is refused with 403
};

// `host` is the request's Host header, `scheme` the relay's ("http").
OriginVerdict judge_origin(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed,
                           std::string_view scheme = "http");

// The request headers a page may send (answered in Access-Control-Allow-Headers), and the
// response headers it may read (Access-Control-Expose-Headers).
inline constexpr std::string_view cors_allow_headers =
    "Content-Type, Authorization, X-Confab-Session, X-Confab-Fault";
inline constexpr std::string_view cors_expose_headers = "Retry-After, X-Confab-Dropped-Fields";

} // namespace confab::serve
