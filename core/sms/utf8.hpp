// UTF-8 <-> Unicode scalar values. Decoding never fails: each maximal ill-formed subpart becomes
// one U+FFFD (Unicode 15, 3.9 "U+FFFD substitution of maximal subparts"), as browsers do.
#pragma once

#include <string>
#include <string_view>

namespace mail2sms::sms::utf8 {

inline constexpr char32_t replacement_character = U'\uFFFD';

std::u32string decode(std::string_view text);

// Appends `c` as UTF-8; a surrogate or a value above U+10FFFF is appended as U+FFFD.
void append(std::string& out, char32_t c);

std::string encode(std::u32string_view code_points);

}  // namespace mail2sms::sms::utf8
