// Making text fit GSM 03.38: "smart" replacements of typographic characters by their GSM
// equivalents, and full transliteration (ICU "Any-Latin; Latin-ASCII") of what has no GSM form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mail2sms::sms {

// The GSM text a character stands for when smart GSM is on, or nothing:
//  - quotes ‘ ’ ‚ ‛ ′ ´ ʼ → '   “ ” „ ‟ ″ « » → "   ‹ › → < >
//  - dashes ‐ ‑ ‒ – — ― − → -   ellipsis … → ...   bullet • → *   middle dot · → .
//  - no-break, en, em, thin, hair, narrow and ideographic spaces, and tab → space;
//    line and paragraph separators → line feed
//  - zero-width space, word joiner, soft hyphen and byte order mark → nothing
//  - ç → Ç (GSM has only the capital; the 3GPP default alphabet's own substitute)
//  - fullwidth ASCII forms (！ to ～) → ASCII
std::optional<std::u32string_view> smart_replacement(char32_t c);

// Each maximal run of characters without a GSM form, through ICU's "Any-Latin; Latin-ASCII";
// characters with a GSM form are kept as they are (é stays é). What cannot be transliterated
// stays as it was (and so keeps the text in UCS-2).
std::u32string transliterate_non_gsm(std::u32string_view text);

}  // namespace mail2sms::sms
