// tests/test_util.h
// Helpers shared by the core's tests: reading fixtures, and feeding a stream cut in every
// way the network could cut it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace confab::test {

// The bytes of a file; an empty string if it cannot be read.
// A message of `role` holding `text` and nothing else.
inline Message text_message(Role role, std::string text)
{
    Message message;
    message.role = role;
    message.content = std::move(text);
    return message;
}

inline std::string read_file(const std::string& path)
{
    std::string bytes;
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) return bytes;
    std::vector<char> buffer(1 << 16);  // on the heap: the wasm stack is small
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) bytes.append(buffer.data(), n);
    std::fclose(file);
    return bytes;
}

// The bytes of tests/fixtures/<name>; an empty string if it cannot be read.
inline std::string read_fixture(const std::string& name)
{
    return read_file(std::string(CONFAB_FIXTURES) + "/" + name);
}

// The names of every recorded stream, without the ".sse".
std::vector<std::string> fixture_streams();

template <class T>
void append(std::vector<T>& to, std::vector<T>&& more)
{
    for (auto& item : more) to.push_back(std::move(item));
}

// Cuts `text` into pieces of `size` bytes (the last may be shorter).
inline std::vector<std::string_view> pieces_of(std::string_view text, std::size_t size)
{
    std::vector<std::string_view> pieces;
    for (std::size_t at = 0; at < text.size(); at += size) pieces.push_back(text.substr(at, size));
    return pieces;
}

// Cuts `text` at random sizes from 1 to `max_size`, reproducibly for a given seed.
inline std::vector<std::string_view> random_pieces(std::string_view text, std::uint32_t seed, std::size_t max_size)
{
    std::vector<std::string_view> pieces;
    std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (std::size_t at = 0; at < text.size();) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        const std::size_t size = 1 + std::size_t(state % max_size);
        pieces.push_back(text.substr(at, size));
        at += size;
    }
    return pieces;
}

// Calls `check` with `text` whole, cut once at every position, cut twice at every pair of
// positions (for short texts), and byte by byte.
inline void for_each_split(std::string_view text, const std::function<void(const std::vector<std::string_view>&)>& check)
{
    check({text});
    for (std::size_t i = 0; i <= text.size(); ++i) check({text.substr(0, i), text.substr(i)});
    if (text.size() <= 96)
        for (std::size_t i = 0; i <= text.size(); ++i)
            for (std::size_t j = i; j <= text.size(); ++j)
                check({text.substr(0, i), text.substr(i, j - i), text.substr(j)});
    check(pieces_of(text, 1));
}

} // namespace confab::test
