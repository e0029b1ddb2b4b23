// native/cli/commands.h
// The subcommands of `confab`. Each takes the arguments after its name and returns the
// process exit status: 0 done, 1 the input could not be used, 2 bad usage.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace confab::cli {

int replay(const std::vector<std::string_view>& args);
int tokens(const std::vector<std::string_view>& args);  // tokens_command.cpp
int trim(const std::vector<std::string_view>& args);    // trim_command.cpp
int chat(const std::vector<std::string_view>& args);    // chat_command.cpp
int serve(const std::vector<std::string_view>& args);   // native/serve/serve_command.cpp

// Reads a whole file, or standard input for "-". Empty optional: unreadable, with the
// reason written to `error`.
std::optional<std::string> read_input(std::string_view path, std::string& error);

} // namespace confab::cli
