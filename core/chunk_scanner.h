// core/chunk_scanner.h
// A fast reader for the common shape of a `chat.completion.chunk`, straight from its text:
// no JSON tree is built, members the assembler does not use are skipped (and validated), and
// only `usage` and `error` values, which come about once per stream, go through nlohmann.
//
// It exists because a stream is thousands of small JSON objects and building a tree for
// each costs several times more than the rest of the work (bench/stream.mjs measures it).
// It declines rather than guesses: whenever the text is not valid JSON (RFC 8259), or holds
// something it does not read itself (content parts, integers past 18 digits, top-level
// values that are not objects), it returns nothing and the caller falls back to
// fields_from_json(), which gives the answer for every input.
//
// It fills a caller's ChunkFields, so a stream reuses one and its buffers: the views point
// into `text`, which must outlive the fields.
#pragma once

#include <string_view>

#include "core/chunk_fields.h"

namespace confab {

// True when it read the chunk into `fields`; false when the caller must use
// fields_from_json() instead (then `fields` holds nothing useful).
bool scan_chunk(std::string_view text, ChunkFields& fields);

} // namespace confab
