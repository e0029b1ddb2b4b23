// bench/stream_module.cpp
// The core's stream reader (SSE parser + chunk assembler) as a tiny WebAssembly module for
// bench/stream.mjs: bytes in through linear memory, the count of deltas out, the assembled
// message as JSON at the end. The same calls the widget's driver makes per network chunk.
#include <cstddef>
#include <string>
#include <vector>

#include <emscripten/emscripten.h>

#include "core/chunk_assembler.h"
#include "core/json_util.h"

namespace {

struct Reader {
    confab::OpenAiStream stream;
    std::vector<confab::StreamDelta> deltas;  // kept for the whole stream, as a driver would
    std::string result;
};

} // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE Reader* stream_new() { return new Reader(); }

EMSCRIPTEN_KEEPALIVE void stream_delete(Reader* reader) { delete reader; }

// Feeds `size` bytes at `bytes`; returns how many deltas they completed.
EMSCRIPTEN_KEEPALIVE std::size_t stream_feed(Reader* reader, const char* bytes, std::size_t size)
{
    reader->deltas.clear();
    reader->stream.feed(std::string_view(bytes, size), reader->deltas);
    return reader->deltas.size();
}

// Ends the stream; returns the assembled message (the `confab replay` JSON), NUL-terminated.
EMSCRIPTEN_KEEPALIVE const char* stream_finish(Reader* reader)
{
    reader->stream.finish();
    reader->result = confab::dump_safely(reader->stream.reply().to_replay_json());
    return reader->result.c_str();
}

} // extern "C"
