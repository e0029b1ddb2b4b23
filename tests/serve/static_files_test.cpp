// tests/serve/static_files_test.cpp
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "native/serve/static_files.h"

using namespace confab::serve;
namespace fs = std::filesystem;

namespace {

struct TempSite {
    fs::path base;
    fs::path root;
    TempSite()
    {
        char pattern[] = "/tmp/confab-static-XXXXXX";
        base = mkdtemp(pattern);
        root = base / "dist";
        fs::create_directories(root / "assets");
        write(root / "shell.html", "<!doctype html>");
        write(root / "confab.js", "export {}");
        write(root / "confab.js.br", "BR");
        write(root / "confab.js.gz", "GZ");
        write(root / "confab.wasm", "\0asm");
        write(root / "assets" / "logo.svg", "<svg/>");
        write(base / "secret.txt", "secret");
        fs::create_symlink(base / "secret.txt", root / "leak.txt");
        fs::create_symlink(base, root / "up");
    }
    ~TempSite() { fs::remove_all(base); }
    static void write(const fs::path& path, std::string_view bytes) { std::ofstream(path, std::ios::binary) << bytes; }
};

} // namespace

TEST_CASE("static_files: types, the demo page at /, and caching")
{
    TempSite site;
    StaticFiles files(site.root.string());
    const auto shell = files.find("/", "");
    REQUIRE(shell);
    CHECK(shell->path.ends_with("/shell.html"));
    CHECK(shell->content_type == "text/html; charset=utf-8");
    CHECK(shell->cache_control == "no-cache");
    CHECK(shell->etag.starts_with("\""));
    CHECK(files.find("/confab.wasm", "")->content_type == "application/wasm");
    CHECK(files.find("/assets/logo.svg", "")->content_type == "image/svg+xml");
    const auto script = files.find("/confab.js", "");
    CHECK(script->content_type == "text/javascript; charset=utf-8");
    CHECK(script->cache_control == "public, max-age=300");
    CHECK(script->encoding.empty());
    TempSite::write(site.root / "index.html", "<p>index</p>");
    CHECK(files.find("/", "")->path.ends_with("/index.html"));
}

TEST_CASE("static_files: precompressed siblings when the client accepts them")
{
    TempSite site;
    StaticFiles files(site.root.string());
    const auto br = files.find("/confab.js", "gzip, deflate, br");
    CHECK(br->encoding == "br");
    CHECK(br->path.ends_with("confab.js.br"));
    CHECK(br->content_type == "text/javascript; charset=utf-8");
    CHECK(br->size == 2);
    CHECK(files.find("/confab.js", "gzip")->encoding == "gzip");
    CHECK(files.find("/confab.js", "br;q=0, gzip;q=0.5")->encoding == "gzip");
    CHECK(files.find("/confab.js", "identity")->encoding.empty());
    CHECK(files.find("/confab.wasm", "br")->encoding.empty());  // no sibling
    CHECK(files.find("/confab.js", "br")->etag != files.find("/confab.js", "")->etag);
}

TEST_CASE("static_files: traversal and links out of the root are refused")
{
    TempSite site;
    StaticFiles files(site.root.string());
    CHECK_FALSE(files.find("/../secret.txt", ""));
    CHECK_FALSE(files.find("/assets/../../secret.txt", ""));
    CHECK_FALSE(files.find("/leak.txt", ""));
    CHECK_FALSE(files.find("/up/secret.txt", ""));
    CHECK_FALSE(files.find("/assets", ""));          // a directory
    CHECK_FALSE(files.find("/missing.js", ""));
    CHECK_FALSE(files.find("relative", ""));
    CHECK_FALSE(StaticFiles("/no/such/dir").find("/", ""));
    CHECK(files.find("/assets/./logo.svg", ""));
}

TEST_CASE("static_files: Accept-Encoding weights")
{
    CHECK(accepts_encoding("gzip, br", "br"));
    CHECK(accepts_encoding("*", "br"));
    CHECK_FALSE(accepts_encoding("br;q=0", "br"));
    CHECK_FALSE(accepts_encoding("br; q=0.000", "br"));
    CHECK(accepts_encoding("br;q=0.1", "br"));
    CHECK_FALSE(accepts_encoding("", "gzip"));
    CHECK_FALSE(accepts_encoding("brotli", "br"));
}
