// native/serve/static_files.h
// The widget's files and the demo page, served from one folder: which file a URL path
// names, with what type, encoding and caching.
//
// A path names a file only if it stays inside the root once every symlink is resolved
// (realpath, then a prefix check): "..", encoded or not, and links that point out of the
// root are refused alike. "/" is index.html, or shell.html (the demo page) when there is
// no index.html. A precompressed sibling (`confab.wasm.br`, `confab.js.gz`) is chosen when
// the request's Accept-Encoding allows it; the type is always the original file's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace confab::serve {

struct StaticFile {
    std::string path;           // the file to send (maybe the .br or .gz sibling)
    std::string content_type;   // of the original file
    std::string encoding;       // "", "br" or "gzip"
    std::string cache_control;
    std::string etag;           // a strong validator from the sent file's size and mtime
    std::uint64_t size = 0;
    bool compressible = false;  // whether the type has precompressed variants (Vary: Accept-Encoding)
};

class StaticFiles {
public:
    // `root` need not exist; then nothing is found.
    explicit StaticFiles(const std::string& root);

    // The file a request for `url_path` (already percent-decoded) gets, or nullopt: no such
    // file, a directory, a path out of the root, or no root.
    std::optional<StaticFile> find(std::string_view url_path, std::string_view accept_encoding) const;

    const std::string& root() const { return root_; }
    bool usable() const { return !root_.empty(); }

private:
    std::optional<std::string> inside_root(const std::string& candidate) const;
    std::string root_;  // realpath of the root, "" when it does not exist
};

// "text/html; charset=utf-8" for "shell.html", "application/wasm" for "confab.wasm", ...;
// "application/octet-stream" for an unknown extension.
std::string content_type_for(std::string_view path);

// Whether `accept_encoding` (an Accept-Encoding header value) accepts `coding` ("br",
// "gzip"): listed, or "*", and not with q=0.
bool accepts_encoding(std::string_view accept_encoding, std::string_view coding);

} // namespace confab::serve
