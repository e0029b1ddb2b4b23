// core/chunk_fields.h
// What one `chat.completion.chunk` (or one non-streamed `chat.completion`) says, reduced to
// the fields the assembler uses. Two readers produce it: chunk_scanner.h, a fast scanner for
// the common shape, and fields_from_json() below, which reads any parsed JSON value. Both
// must give the same fields for the same text; tests/chunk_scanner_test.cpp and the fuzz
// target check that they do.
//
// Text fields are views: into the chunk's own text (scanner) or into the parsed JSON value
// (fields_from_json), or into `decoded` for strings that held escapes. A ChunkFields is
// used while its source is alive, then dropped; no text is copied on the way.
#pragma once

#include <cstdint>
#include <forward_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace confab {

struct ChunkFields {
    // Text of choice 0, in the order it appears in `content` (a string, or typed parts).
    struct Piece {
        bool reasoning = false;  // a "thinking" part rather than text
        std::string_view text;
        bool operator==(const Piece&) const = default;
    };
    struct ToolFragment {
        std::int64_t index = 0;  // its `index`, or its position when it has none
        std::optional<std::string_view> id, type, name, arguments;  // only string values
        bool operator==(const ToolFragment&) const = default;
    };
    struct Choice {
        std::vector<Piece> content;
        std::optional<std::string_view> reasoning_content;  // DeepSeek and most servers
        std::optional<std::string_view> reasoning;          // OpenRouter, Groq, Ollama
        std::optional<std::string_view> refusal;
        std::vector<ToolFragment> tool_calls;
        std::optional<std::string_view> finish_reason;      // any non-null value, as text
        bool operator==(const Choice&) const = default;
    };

    std::optional<std::string_view> id;     // only when a non-empty string
    std::optional<std::string_view> model;  // only when a non-empty string
    nlohmann::json usage;                // null when absent or null
    nlohmann::json error;                // null when absent or null
    std::vector<Choice> choices;         // the choices whose index is 0, in order
    std::forward_list<std::string> decoded;  // storage for strings that held escapes

    // Equal fields; where their text is stored does not matter.
    bool operator==(const ChunkFields& other) const
    {
        return id == other.id && model == other.model && usage == other.usage && error == other.error &&
               choices == other.choices;
    }
};

// Reads a parsed chunk. `part` is "delta" for streamed chunks and "message" for a whole
// non-streamed completion.
// Its views point into `chunk`, which must outlive the result.
ChunkFields fields_from_json(const nlohmann::json& chunk, const char* part = "delta");

} // namespace confab
