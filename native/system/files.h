// native/system/files.h
// Whole-file reads and atomic writes for the native drivers' session, settings and tool
// files. Errors come back as values with the path and the system's reason.
#pragma once

#include <optional>
#include <string>

namespace confab::native {

// Writes `bytes` to `path` through `path`.tmp, fsync and a rename, so a crash or a full disk
// leaves the old file whole. False with the reason in `error`.
bool write_atomically(const std::string& path, const std::string& bytes, std::string& error);

// The whole file; nothing (with the reason in `error`) when it cannot be read.
std::optional<std::string> read_file(const std::string& path, std::string& error);

} // namespace confab::native
