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

// The octets append() writes for `c`.
inline std::size_t encoded_size(char32_t c) {
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c < 0x10000 || c > 0x10FFFF) return 3;  // a surrogate or an invalid value: U+FFFD
  return 4;
}

std::string encode(std::u32string_view code_points);

}  // namespace mail2sms::sms::utf8
