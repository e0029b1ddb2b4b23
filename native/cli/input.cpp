// native/cli/input.cpp
// Reading a command's input file (or standard input) whole, in binary.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "native/cli/commands.h"

namespace confab::cli {

std::optional<std::string> read_input(std::string_view path, std::string& error)
{
    const bool from_stdin = path == "-";
    std::FILE* file = from_stdin ? stdin : std::fopen(std::string(path).c_str(), "rb");
    if (file == nullptr) {
        error = std::string(path) + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string bytes;
    char buffer[1 << 16];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.append(buffer, n);
    const bool failed = std::ferror(file) != 0;
    const int saved_errno = errno;
    if (!from_stdin) std::fclose(file);
    if (failed) {
        error = std::string(path) + ": " + std::strerror(saved_errno);
        return std::nullopt;
    }
    return bytes;
}

} // namespace confab::cli
