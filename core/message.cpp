// core/message.cpp
// Role names, spelled as on the OpenAI wire.
#include "core/message.h"

#include <cassert>

namespace confab {

std::string_view to_string(Role role)
{
    switch (role) {
    case Role::system: return "system";
    case Role::user: return "user";
    case Role::assistant: return "assistant";
    case Role::tool: return "tool";
    }
    assert(false && "not a Role");
    return "";
}

std::optional<Role> role_from_string(std::string_view text)
{
    for (Role role : {Role::system, Role::user, Role::assistant, Role::tool})
        if (to_string(role) == text) return role;
    return std::nullopt;
}

} // namespace confab
