// native/desktop/markdown.cpp
#include "native/desktop/markdown.h"

#include <md4c.h>

#include <cstdint>
#include <cstdlib>

#include "core/utf8.h"

namespace confab::desktop {

namespace {

struct ListContext {
    bool ordered = false;
    unsigned next = 1;
};

struct Builder {
    MarkdownDoc doc;
    std::vector<ListContext> lists;
    int quote = 0;
    std::string pending_marker;     // for the next block opened in a list item
    long current = -1;              // the block receiving inline text (an index: blocks grow)
    bool in_code_block = false;
    bool in_table = false;
    int strong = 0, emphasis = 0, code = 0, strike = 0;
    std::vector<std::string> links;

    MarkdownBlock& open(MarkdownBlock::Kind kind)
    {
        MarkdownBlock block;
        block.kind = kind;
        block.indent = int(lists.size());
        block.quote = quote;
        block.marker = std::move(pending_marker);
        pending_marker.clear();
        doc.blocks.push_back(std::move(block));
        current = long(doc.blocks.size()) - 1;
        return doc.blocks.back();
    }

    MarkdownLine* line()
    {
        if (in_table) {
            auto& table = doc.blocks.back();
            if (table.rows.empty()) table.rows.emplace_back();
            if (table.rows.back().empty()) table.rows.back().emplace_back();
            return &table.rows.back().back();
        }
        if (current < 0) open(MarkdownBlock::Kind::paragraph);  // text of a tight list item
        return &doc.blocks[std::size_t(current)].spans;
    }

    void add_text(std::string_view text, bool as_code)
    {
        if (text.empty()) return;
        auto* spans = line();
        MarkdownSpan span;
        span.strong = strong > 0;
        span.emphasis = emphasis > 0;
        span.code = as_code || code > 0;
        span.strike = strike > 0;
        if (!links.empty()) span.link = links.back();
        if (!spans->empty()) {
            auto& last = spans->back();
            if (!last.line_break && last.strong == span.strong && last.emphasis == span.emphasis &&
                last.code == span.code && last.strike == span.strike && last.link == span.link) {
                last.text += text;
                return;
            }
        }
        span.text = std::string(text);
        spans->push_back(std::move(span));
    }
};

// The few entities chat models write; others stay as written.
std::string decode_entity(std::string_view entity)
{
    if (entity == "&amp;") return "&";
    if (entity == "&lt;") return "<";
    if (entity == "&gt;") return ">";
    if (entity == "&quot;") return "\"";
    if (entity == "&apos;") return "'";
    if (entity == "&nbsp;") return "\u00a0";
    if (entity.size() > 3 && entity[1] == '#') {
        const bool hex = entity[2] == 'x' || entity[2] == 'X';
        const std::string digits(entity.substr(hex ? 3 : 2, entity.size() - (hex ? 4 : 3)));
        const unsigned long code = std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10);
        if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return "\uFFFD";
        std::string out;
        append_utf8(out, char32_t(code));
        return out;
    }
    return std::string(entity);
}

int enter_block(MD_BLOCKTYPE type, void* detail, void* user)
{
    auto& b = *static_cast<Builder*>(user);
    switch (type) {
    case MD_BLOCK_QUOTE: ++b.quote; break;
    case MD_BLOCK_UL: b.lists.push_back({false, 1}); break;
    case MD_BLOCK_OL: b.lists.push_back({true, static_cast<MD_BLOCK_OL_DETAIL*>(detail)->start}); break;
    case MD_BLOCK_LI: {
        const auto* li = static_cast<MD_BLOCK_LI_DETAIL*>(detail);
        b.current = -1;
        if (li->is_task) b.pending_marker = (li->task_mark == ' ') ? "☐" : "☑";
        else if (!b.lists.empty() && b.lists.back().ordered) b.pending_marker = std::to_string(b.lists.back().next++) + ".";
        else b.pending_marker = "•";
        break;
    }
    case MD_BLOCK_HR: b.open(MarkdownBlock::Kind::rule); b.current = -1; break;
    case MD_BLOCK_H: b.open(MarkdownBlock::Kind::heading).level = int(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level); break;
    case MD_BLOCK_CODE: {
        const auto* code = static_cast<MD_BLOCK_CODE_DETAIL*>(detail);
        b.open(MarkdownBlock::Kind::code).language = std::string(code->lang.text, code->lang.size);
        b.in_code_block = true;
        break;
    }
    case MD_BLOCK_HTML: b.open(MarkdownBlock::Kind::code); b.in_code_block = true; break;
    case MD_BLOCK_P: b.open(MarkdownBlock::Kind::paragraph); break;
    case MD_BLOCK_TABLE: b.open(MarkdownBlock::Kind::table); b.in_table = true; break;
    case MD_BLOCK_TR: b.doc.blocks.back().rows.emplace_back(); break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD: b.doc.blocks.back().rows.back().emplace_back(); break;
    default: break;
    }
    return 0;
}

int leave_block(MD_BLOCKTYPE type, void*, void* user)
{
    auto& b = *static_cast<Builder*>(user);
    switch (type) {
    case MD_BLOCK_QUOTE: --b.quote; break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        if (!b.lists.empty()) b.lists.pop_back();
        b.current = -1;
        break;
    case MD_BLOCK_LI: b.current = -1; b.pending_marker.clear(); break;
    case MD_BLOCK_CODE:
    case MD_BLOCK_HTML:
        if (b.current >= 0 && b.doc.blocks[std::size_t(b.current)].code.ends_with('\n'))
            b.doc.blocks[std::size_t(b.current)].code.pop_back();
        b.in_code_block = false;
        b.current = -1;
        break;
    case MD_BLOCK_H:
    case MD_BLOCK_P: b.current = -1; break;
    case MD_BLOCK_TABLE: b.in_table = false; b.current = -1; break;
    default: break;
    }
    return 0;
}

int enter_span(MD_SPANTYPE type, void* detail, void* user)
{
    auto& b = *static_cast<Builder*>(user);
    switch (type) {
    case MD_SPAN_EM: ++b.emphasis; break;
    case MD_SPAN_STRONG: ++b.strong; break;
    case MD_SPAN_CODE: ++b.code; break;
    case MD_SPAN_DEL: ++b.strike; break;
    case MD_SPAN_A: {
        const auto* a = static_cast<MD_SPAN_A_DETAIL*>(detail);
        b.links.emplace_back(a->href.text, a->href.size);
        break;
    }
    default: break;
    }
    return 0;
}

int leave_span(MD_SPANTYPE type, void*, void* user)
{
    auto& b = *static_cast<Builder*>(user);
    switch (type) {
    case MD_SPAN_EM: --b.emphasis; break;
    case MD_SPAN_STRONG: --b.strong; break;
    case MD_SPAN_CODE: --b.code; break;
    case MD_SPAN_DEL: --b.strike; break;
    case MD_SPAN_A:
        if (!b.links.empty()) b.links.pop_back();
        break;
    default: break;
    }
    return 0;
}

int text(MD_TEXTTYPE type, const MD_CHAR* data, MD_SIZE size, void* user)
{
    auto& b = *static_cast<Builder*>(user);
    const std::string_view piece(data, size);
    if (b.in_code_block) {
        if (b.current >= 0) b.doc.blocks[std::size_t(b.current)].code += piece;
        return 0;
    }
    switch (type) {
    case MD_TEXT_NULLCHAR: b.add_text("\uFFFD", false); break;
    case MD_TEXT_BR: {
        MarkdownSpan br;
        br.line_break = true;
        b.line()->push_back(br);
        break;
    }
    case MD_TEXT_SOFTBR: b.add_text(" ", false); break;
    case MD_TEXT_ENTITY: b.add_text(decode_entity(piece), false); break;
    case MD_TEXT_CODE:
    case MD_TEXT_LATEXMATH: b.add_text(piece, true); break;
    default: b.add_text(piece, false); break;
    }
    return 0;
}

} // namespace

MarkdownDoc parse_markdown(std::string_view source)
{
    Builder builder;
    MD_PARSER parser{};
    parser.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | MD_FLAG_PERMISSIVEURLAUTOLINKS |
                   MD_FLAG_PERMISSIVEWWWAUTOLINKS | MD_FLAG_NOHTMLSPANS;
    parser.enter_block = enter_block;
    parser.leave_block = leave_block;
    parser.enter_span = enter_span;
    parser.leave_span = leave_span;
    parser.text = text;
    if (md_parse(source.data(), MD_SIZE(source.size()), &parser, &builder) != 0) {
        MarkdownDoc fallback;  // md4c failed (out of memory): show the text as it is
        MarkdownBlock block;
        MarkdownSpan span;
        span.text = std::string(source);
        block.spans.push_back(std::move(span));
        fallback.blocks.push_back(std::move(block));
        return fallback;
    }
    return std::move(builder.doc);
}

std::string plain_text(const MarkdownLine& line)
{
    std::string out;
    for (const auto& span : line) out += span.line_break ? "\n" : span.text;
    return out;
}

} // namespace confab::desktop
