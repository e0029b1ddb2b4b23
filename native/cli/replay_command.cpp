// native/cli/replay_command.cpp
// `confab replay [--chunk N] FILE|-`: feeds a recorded response body through the core's
// stream parser N bytes at a time and prints the assembled assistant message (choice 0).
// The output must not depend on N; tests/replay_fixtures.cmake checks that it does not.
#include <charconv>
#include <cstdio>

#include "core/chunk_assembler.h"
#include "core/json_util.h"
#include "native/cli/commands.h"

namespace confab::cli {

namespace {

constexpr const char* replay_usage =
    "usage: confab replay [--chunk N] FILE|-\n"
    "  Reads raw SSE bytes of a chat-completions stream (FILE, or standard input for -) and\n"
    "  prints the assembled assistant message of choice 0 as one JSON object: content,\n"
    "  reasoning, refusal, tool_calls, finish_reason, usage, errors (and problems, when the\n"
    "  stream itself was damaged).\n"
    "  --chunk N   feed the bytes N at a time (default: all at once)\n";

} // namespace

int replay(const std::vector<std::string_view>& args)
{
    std::size_t chunk = 0;
    std::optional<std::string_view> path;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto arg = args[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(replay_usage, stdout);
            return 0;
        }
        if (arg == "--chunk") {
            const auto value = i + 1 < args.size() ? args[++i] : std::string_view();
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), chunk);
            if (ec != std::errc() || end != value.data() + value.size() || chunk == 0) {
                std::fprintf(stderr, "confab replay: --chunk needs a positive number of bytes\n");
                return 2;
            }
        } else if (!path && (arg == "-" || !arg.starts_with("-"))) {
            path = arg;
        } else {
            std::fprintf(stderr, "confab replay: unexpected argument \"%.*s\"\n%s", int(arg.size()), arg.data(), replay_usage);
            return 2;
        }
    }
    if (!path) {
        std::fputs(replay_usage, stderr);
        return 2;
    }

    std::string error;
    const auto bytes = read_input(*path, error);
    if (!bytes) {
        std::fprintf(stderr, "confab replay: %s\n", error.c_str());
        return 1;
    }

    OpenAiStream stream;
    const std::string_view all(*bytes);
    const std::size_t step = chunk == 0 ? std::max<std::size_t>(all.size(), 1) : chunk;
    for (std::size_t at = 0; at < all.size(); at += step) stream.feed(all.substr(at, step));
    stream.finish();

    const auto text = dump_safely(stream.reply().to_replay_json(), 2);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
}

} // namespace confab::cli
