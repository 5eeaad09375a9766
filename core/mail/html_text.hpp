// HTML mail to plain text with gumbo (a real HTML5 parser): what a person sees in a mail client,
// as lines of text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mail2sms::mail {

// UTF-8 HTML -> UTF-8 text:
//  - script, style, head, template, noscript and comments dropped; images dropped;
//  - block elements (p, div, li, tr, h1-h6, table, blockquote, ...) and br end a line; p,
//    headings, lists, blockquote and pre are paragraphs (a blank line, as their margins show);
//    table cells are separated by a space;
//  - entities decoded (gumbo); runs of whitespace one space (pre keeps its lines); a
//    non-breaking space is a space; zero-width filler (U+200B, U+200C, U+2060, U+FEFF, soft
//    hyphen, U+034F) is dropped;
//  - a link keeps its text; a link without text shows its address.
// Adjacent inline elements join as the browser shows them ("<b>Bold</b>er" is "Bolder"); words
// separated by markup that a browser shows apart are never glued together.
// Nothing for a document with more than max_html_tags tags (none that a person wrote).
inline constexpr std::size_t max_html_tags = 20000;
// Nor for one whose parse would hold more memory than this (a few tags can make a huge tree).
inline constexpr std::size_t max_html_parse_memory = 64 * 1024 * 1024;
std::optional<std::string> html_to_text(std::string_view html);

// The charset an HTML document declares in <meta charset> or <meta http-equiv content>, looked
// for in its first 1024 octets; empty when none.
std::string html_declared_charset(std::string_view html);

}  // namespace mail2sms::mail
