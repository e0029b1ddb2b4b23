// native/serve/origin_policy.cpp
#include "native/serve/origin_policy.h"

#include <algorithm>

#include "native/serve/ascii_lower.h"

namespace confab::serve {

OriginVerdict judge_origin(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed,
                           std::string_view scheme)
{
    if (origin.empty()) return OriginVerdict::no_origin;
    // An origin is serialised as scheme://host[:port] (RFC 6454 §6.2), lower case.
    const std::string wanted = ascii_lower(origin);
    if (!host.empty() && wanted == ascii_lower(std::string(scheme) + "://" + std::string(host))) return OriginVerdict::same_origin;
    const bool listed = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& entry) {
        return entry == "*" || ascii_lower(entry) == wanted;
    });
    return listed ? OriginVerdict::allowed : OriginVerdict::refused;
}

} // namespace confab::serve
