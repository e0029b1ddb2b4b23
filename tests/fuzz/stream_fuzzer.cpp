// tests/fuzz/stream_fuzzer.cpp
// libFuzzer target for the SSE parser + chunk assembler. Besides "no crash, no leak, no
// undefined behaviour" it checks two promises: the assembled reply does not depend on where
// the network cut the bytes (the first input byte picks the cuts), and the fast chunk
// scanner reads every event exactly as nlohmann's tree does, or declines it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/chunk_assembler.h"
#include "core/chunk_scanner.h"
#include "core/json_util.h"

namespace {

std::string assemble(std::string_view bytes, std::size_t seed)
{
    // Small limits so the fuzzer also reaches the over-the-limit paths.
    confab::OpenAiStream stream(confab::SseLimits{.max_line_bytes = 4096, .max_event_bytes = 8192});
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::size_t size = seed == 0 ? bytes.size() : 1 + (at * 31 + seed) % (seed + 1);
        stream.feed(bytes.substr(at, size));
        at += size;
    }
    stream.finish();
    return confab::dump_safely(stream.reply().to_replay_json());
}

void check_scanner(std::string_view text)
{
    confab::ChunkFields fast;
    if (!confab::scan_chunk(text, fast)) return;
    const auto tree = confab::parse_json(text);
    if (tree.is_discarded() || !(fast == confab::fields_from_json(tree))) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    const std::size_t seed = data[0] % 17;
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    if (assemble(bytes, 0) != assemble(bytes, seed)) std::abort();

    check_scanner(bytes);
    confab::SseParser parser;
    for (const auto& event : parser.feed(bytes)) check_scanner(event.data);
    return 0;
}
