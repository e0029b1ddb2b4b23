// native/system/run_command.h
// Runs a tool's command: `/bin/sh -c COMMAND` with the call's arguments as JSON on standard
// input; standard output is the result, a non-zero exit (or a timeout) an error with standard
// error as its text (docs/tools.md). Used by `confab chat --tools` and confab-desktop.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace confab::native {

// Runs one command to its end (or `timeout_ms`, then kills it): {ok, output or error}.
// Writes stdin while reading stdout and stderr, so it cannot deadlock against a command that
// answers before reading everything; a command that never reads its input is no problem.
std::pair<bool, std::string> run_command(const std::string& command, const std::string& input, std::int64_t timeout_ms);

} // namespace confab::native
