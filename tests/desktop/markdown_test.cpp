// tests/desktop/markdown_test.cpp
#include <doctest/doctest.h>

#include "native/desktop/markdown.h"

using namespace confab::desktop;
using Kind = MarkdownBlock::Kind;

TEST_CASE("markdown: headings, paragraphs and inline styles")
{
    const auto doc = parse_markdown("# Title\n\nSome **bold**, *em*, `code`, ~~gone~~ and [a link](https://x.y).\nSame paragraph.");
    REQUIRE(doc.blocks.size() == 2);
    CHECK(doc.blocks[0].kind == Kind::heading);
    CHECK(doc.blocks[0].level == 1);
    CHECK(plain_text(doc.blocks[0].spans) == "Title");
    const auto& spans = doc.blocks[1].spans;
    CHECK(plain_text(spans) == "Some bold, em, code, gone and a link. Same paragraph.");
    const auto find = [&](const std::string& text) {
        for (const auto& span : spans)
            if (span.text == text) return span;
        FAIL("no span " << text);
        return MarkdownSpan{};
    };
    CHECK(find("bold").strong);
    CHECK(find("em").emphasis);
    CHECK(find("code").code);
    CHECK(find("gone").strike);
    CHECK(find("a link").link == "https://x.y");
    CHECK_FALSE(find("Some ").strong);
}

TEST_CASE("markdown: lists carry their depth and markers; task items their box")
{
    const auto doc = parse_markdown("- one\n- two\n  1. inner\n  2. next\n- [x] done\n\n3. three\n4. four\n");
    std::vector<std::tuple<std::string, int, std::string>> seen;
    for (const auto& block : doc.blocks) seen.emplace_back(block.marker, block.indent, plain_text(block.spans));
    const std::vector<std::tuple<std::string, int, std::string>> expected = {
        {"•", 1, "one"}, {"•", 1, "two"}, {"1.", 2, "inner"}, {"2.", 2, "next"}, {"☑", 1, "done"}, {"3.", 1, "three"}, {"4.", 1, "four"}};
    CHECK(seen == expected);
}

TEST_CASE("markdown: fenced code keeps its language and its text exactly")
{
    const auto doc = parse_markdown("Before\n\n```cpp\nint main() {\n    return 0;\n}\n```\n\n> quoted *text*\n\n---\n");
    REQUIRE(doc.blocks.size() == 4);
    CHECK(doc.blocks[1].kind == Kind::code);
    CHECK(doc.blocks[1].language == "cpp");
    CHECK(doc.blocks[1].code == "int main() {\n    return 0;\n}");
    CHECK(doc.blocks[2].quote == 1);
    CHECK(plain_text(doc.blocks[2].spans) == "quoted text");
    CHECK(doc.blocks[3].kind == Kind::rule);
}

TEST_CASE("markdown: tables become rows of cells, the header first")
{
    const auto doc = parse_markdown("| Model | Price |\n|---|--:|\n| gpt-4o-mini | **$0.15** |\n| other | $1 |\n");
    REQUIRE(doc.blocks.size() == 1);
    const auto& table = doc.blocks[0];
    CHECK(table.kind == Kind::table);
    REQUIRE(table.rows.size() == 3);
    REQUIRE(table.rows[1].size() == 2);
    CHECK(plain_text(table.rows[0][0]) == "Model");
    CHECK(plain_text(table.rows[1][1]) == "$0.15");
    CHECK(table.rows[1][1][0].strong);
    CHECK(plain_text(table.rows[2][0]) == "other");
}

TEST_CASE("markdown: a reply cut mid-stream parses as far as it goes")
{
    const std::string full = "Here:\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
    for (std::size_t cut = 0; cut <= full.size(); ++cut) {
        const auto doc = parse_markdown(std::string_view(full).substr(0, cut));
        if (cut >= 5) REQUIRE_FALSE(doc.blocks.empty());
    }
    const auto open_fence = parse_markdown("```python\nprint('hi')");
    REQUIRE(open_fence.blocks.size() == 1);
    CHECK(open_fence.blocks[0].code == "print('hi')");
}

TEST_CASE("markdown: entities and hard breaks; raw HTML is text, never markup")
{
    const auto doc = parse_markdown("a &amp; b &#x263A;  \nnext <b>x</b>");
    REQUIRE(doc.blocks.size() == 1);
    CHECK(plain_text(doc.blocks[0].spans) == "a & b ☺\nnext <b>x</b>");
}
