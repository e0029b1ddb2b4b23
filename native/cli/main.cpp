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
    "  tokens [--messages] FILE|-  estimate the tokens of text, or of a JSON array of messages\n"
    "  trim --budget N SESSION     show which messages a request would keep within N tokens\n"
    "  chat --endpoint URL --model M [--session FILE] [--system TEXT] [--tools FILE]\n"
    "                              talk to a model in the terminal (API key from $OPENAI_API_KEY)\n"
    "  serve [--port N] [--upstream URL --models LIST] [--static DIR]\n"
    "                              serve the widget and relay chat requests, keeping the API key\n"
    "                              here; with no --upstream, answer with the offline demo model\n"
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
    if (command == "tokens") return confab::cli::tokens(args);
    if (command == "trim") return confab::cli::trim(args);
    if (command == "chat") return confab::cli::chat(args);
    if (command == "serve") return confab::cli::serve(args);
    std::fprintf(stderr, "confab: unknown command \"%.*s\"\n\n%s", int(command.size()), command.data(), usage_text);
    return 2;
}
