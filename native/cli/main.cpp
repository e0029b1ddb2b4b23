// native/cli/main.cpp
// `confab`: the command-line driver of the core. Each subcommand lives in its own file;
// this one only picks it.
#include <cstdio>
#include <string_view>
#include <vector>

#include "native/cli/commands.h"

namespace {

constexpr const char* usage_text =
    "usage: confab <command> [options]\n"
    "\n"
    "commands:\n"
    "  replay [--chunk N] FILE|-   assemble a recorded chat-completions stream and print the\n"
    "                              assistant message as JSON (N: bytes fed at a time)\n"
    "\n"
    "confab <command> --help shows the options of one command.\n";

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(usage_text, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    const auto command = args[0];
    args.erase(args.begin());
    if (command == "replay") return confab::cli::replay(args);
    std::fprintf(stderr, "confab: unknown command \"%.*s\"\n\n%s", int(command.size()), command.data(), usage_text);
    return 2;
}
