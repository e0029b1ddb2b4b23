// native/desktop/markdown.h
// Markdown (CommonMark with GitHub's tables, strikethrough and task lists, through md4c) as a
// flat list of blocks the Chat window can draw with ImGui: paragraphs and headings of styled
// spans, code blocks with their language, rules, and tables of cells. Lists and quotes are
// not blocks of their own: each block carries its list depth, its quote depth and, for the
// first block of a list item, its marker ("•", "3.", "☐").
//
// A reply is parsed again whenever it grows while streaming: md4c reads a few KiB in
// microseconds, and a half-written table or fence simply parses as text until it is whole.
// Deliberately not done: raw HTML (shown as text, never interpreted), images (their alt text).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace confab::desktop {

struct MarkdownSpan {
    std::string text;
    bool strong = false;
    bool emphasis = false;
    bool code = false;
    bool strike = false;
    std::string link;            // the target, for a link's text
    bool line_break = false;     // a hard break; `text` is empty

    bool operator==(const MarkdownSpan&) const = default;
};

using MarkdownLine = std::vector<MarkdownSpan>;

struct MarkdownBlock {
    enum class Kind { paragraph, heading, code, rule, table };
    Kind kind = Kind::paragraph;
    int level = 0;               // heading: 1-6
    int indent = 0;              // list nesting depth
    int quote = 0;               // blockquote depth
    std::string marker;          // first block of a list item: "•", "3.", "☐", "☑"
    MarkdownLine spans;          // paragraph, heading
    std::string code;            // code: the text, ending without a final newline
    std::string language;        // code: the fence's info word
    std::vector<std::vector<MarkdownLine>> rows;  // table: rows of cells; rows[0] is the header

    bool operator==(const MarkdownBlock&) const = default;
};

struct MarkdownDoc {
    std::vector<MarkdownBlock> blocks;
};

MarkdownDoc parse_markdown(std::string_view text);

// The text of a line without its styles (for tests, copying and measuring).
std::string plain_text(const MarkdownLine& line);

} // namespace confab::desktop
