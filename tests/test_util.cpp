// tests/test_util.cpp
#include "tests/test_util.h"

#include <algorithm>
#include <dirent.h>

namespace confab::test {

std::vector<std::string> fixture_streams()
{
    std::vector<std::string> names;
    if (DIR* dir = opendir(CONFAB_FIXTURES)) {
        while (const dirent* entry = readdir(dir)) {
            const std::string_view name = entry->d_name;
            if (name.size() > 4 && name.ends_with(".sse")) names.emplace_back(name.substr(0, name.size() - 4));
        }
        closedir(dir);
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace confab::test
