// native/desktop/markdown_view.h
// Draws a parsed reply (markdown.h) with ImGui: words flow and wrap across spans of different
// fonts (bold, italic, mono), headings are larger, code blocks sit on a darker background with
// a Copy button, tables are ImGui tables, links are coloured (and copied when clicked: the
// harness opens nothing on its own).
#pragma once

#include "native/desktop/gui.h"
#include "native/desktop/markdown.h"

namespace confab::desktop {

void draw_markdown(const MarkdownDoc& doc, const Fonts& fonts);

// Plain text that wraps at the window's edge, in the given font.
void draw_wrapped(const char* text, ImFont* font);

} // namespace confab::desktop
