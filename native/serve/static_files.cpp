// native/serve/static_files.cpp
#include "native/serve/static_files.h"

#include <sys/stat.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "native/serve/ascii_lower.h"

namespace confab::serve {

namespace {

std::string_view extension_of(std::string_view path)
{
    const auto slash = path.rfind('/');
    const auto dot = path.rfind('.');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
    return path.substr(dot + 1);
}

bool is_regular_file(const std::string& path, struct stat& info)
{
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}


} // namespace

std::string content_type_for(std::string_view path)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> types = {{
        {"html", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"wasm", "application/wasm"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"ico", "image/x-icon"},
        {"webp", "image/webp"},
        {"woff2", "font/woff2"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"sse", "text/event-stream"},
    }};
    const std::string extension = ascii_lower(extension_of(path));
    for (const auto& [name, type] : types)
        if (name == extension) return std::string(type);
    return "application/octet-stream";
}

bool accepts_encoding(std::string_view accept_encoding, std::string_view coding)
{
    // RFC 9110 §12.5.3: a comma-separated list of codings, each with an optional weight.
    while (!accept_encoding.empty()) {
        const auto comma = accept_encoding.find(',');
        std::string_view item = accept_encoding.substr(0, comma);
        accept_encoding = comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
        const auto semicolon = item.find(';');
        std::string_view name = item.substr(0, semicolon);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (ascii_lower(name) != coding && name != "*") continue;
        if (semicolon != std::string_view::npos) {
            std::string weight = ascii_lower(item.substr(semicolon + 1));
            std::erase(weight, ' ');
            // "q=0", "q=0.", "q=0.0", "q=0.000": refused.
            if (weight.starts_with("q=0") && weight.find_first_not_of("0.", 2) == std::string::npos) return false;
        }
        return true;
    }
    return false;
}

StaticFiles::StaticFiles(const std::string& root)
{
    char resolved[PATH_MAX];
    if (!root.empty() && ::realpath(root.c_str(), resolved) != nullptr) root_ = resolved;
}

std::optional<std::string> StaticFiles::inside_root(const std::string& candidate) const
{
    char resolved[PATH_MAX];
    if (::realpath(candidate.c_str(), resolved) == nullptr) return std::nullopt;
    const std::string real = resolved;
    if (real.size() <= root_.size() || !real.starts_with(root_) || real[root_.size()] != '/') return std::nullopt;
    return real;
}

std::optional<StaticFile> StaticFiles::find(std::string_view url_path, std::string_view accept_encoding) const
{
    if (root_.empty() || !url_path.starts_with('/')) return std::nullopt;
    if (url_path.find('\0') != std::string_view::npos || url_path.find('\\') != std::string_view::npos)
        return std::nullopt;
    // Refuse any ".." segment outright, before the file system is asked anything.
    for (std::size_t at = 0; at < url_path.size();) {
        const auto end = std::min(url_path.find('/', at + 1), url_path.size());
        if (url_path.substr(at, end - at) == "/..") return std::nullopt;
        at = end;
    }

    std::string relative(url_path);
    if (relative == "/") {
        struct stat info {};
        relative = is_regular_file(root_ + "/index.html", info) ? "/index.html" : "/shell.html";
    }
    const auto real = inside_root(root_ + relative);
    struct stat info {};
    if (!real || !is_regular_file(*real, info)) return std::nullopt;

    StaticFile file;
    file.path = *real;
    file.content_type = content_type_for(*real);
    const std::string_view type = file.content_type;
    file.compressible = type.starts_with("text/") || type.starts_with("application/json") ||
                        type == "application/wasm" || type == "image/svg+xml";
    if (file.compressible) {
        for (const auto& [suffix, coding] : {std::pair{".br", "br"}, std::pair{".gz", "gzip"}}) {
            if (!accepts_encoding(accept_encoding, coding)) continue;
            const auto sibling = inside_root(*real + suffix);
            struct stat sibling_info {};
            if (sibling && is_regular_file(*sibling, sibling_info)) {
                file.path = *sibling;
                file.encoding = coding;
                info = sibling_info;
                break;
            }
        }
    }
    file.size = std::uint64_t(info.st_size);
    char etag[64];
    std::snprintf(etag, sizeof etag, "\"%llx-%llx%s\"", static_cast<unsigned long long>(info.st_size),
                  static_cast<unsigned long long>(info.st_mtim.tv_sec) * 1000 +
                      static_cast<unsigned long long>(info.st_mtim.tv_nsec / 1'000'000),
                  file.encoding.empty() ? "" : file.encoding == "br" ? "-br" : "-gz");
    file.etag = etag;
    // HTML is the entry point and must be revalidated every time (its ETag makes that cheap);
    // the rest keeps for five minutes: confab.js has no content hash in its name.
    file.cache_control = type.starts_with("text/html") ? "no-cache" : "public, max-age=300";
    return file;
}

} // namespace confab::serve
