// Header text with RFC 2047 encoded words ("=?UTF-8?B?...?=", "=?ISO-8859-1?Q?...?=") to UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace mail2sms::mail {

// The raw value of an unstructured header (Subject) as one line of UTF-8:
//  - folding line breaks removed; other control characters become spaces; trimmed;
//  - encoded words decoded in their charset (see to_utf8); whitespace between adjacent encoded
//    words dropped; adjacent words in the same charset decoded together, so a character split
//    across two words (seen from some mailers) survives;
//  - text that only looks like an encoded word (no "?=", unknown encoding, spaces inside) is
//    kept as it stands; raw 8-bit text is read as UTF-8 if it is, Windows-1252 otherwise.
std::string decode_header_text(std::string_view raw);

}  // namespace mail2sms::mail
