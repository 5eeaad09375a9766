// Bytes in a MIME charset to UTF-8 (ICU converters), with the fallbacks mail needs: a missing or
// US-ASCII label on UTF-8 bytes, and labels or bytes no converter accepts.
#pragma once

#include <string>
#include <string_view>

namespace mail2sms::mail {

// Always returns valid UTF-8.
//  - An empty or US-ASCII label: ASCII and UTF-8 bytes pass through (mailers often send UTF-8
//    without saying so); anything else is read as Windows-1252.
//  - A label ICU knows (UTF-8, ISO-8859-*, Windows-125x, KOI8-R, Shift_JIS, ...): converted
//    strictly. ISO-8859-1 is read as Windows-1252, its superset, as browsers do: mail labelled
//    Latin-1 is very often Windows-1252 (curly quotes, euro sign).
//  - An unknown label, or bytes that are not valid in the named charset: the whole text is read
//    as Windows-1252. Every byte means something there, so the reader gets the text with some
//    characters wrong rather than no text at all.
std::string to_utf8(std::string_view bytes, std::string_view charset);

// Well-formed UTF-8: shortest forms only, no surrogates, nothing above U+10FFFF.
bool is_utf8(std::string_view bytes);

}  // namespace mail2sms::mail
