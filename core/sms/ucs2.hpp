// The UCS-2 side of SMS (data_coding 8), which in practice is UTF-16: characters outside the BMP
// travel as surrogate pairs, big-endian on the wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mail2sms::sms::ucs2 {

inline bool is_high_surrogate(char16_t u) { return u >= 0xD800 && u <= 0xDBFF; }
inline bool is_low_surrogate(char16_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

// UTF-16 code units `c` takes: 2 above U+FFFF, else 1.
inline std::size_t unit_count(char32_t c) { return c > 0xFFFF ? 2 : 1; }

// Precondition: every element is a Unicode scalar value (as utf8::decode yields).
std::vector<char16_t> to_utf16(std::u32string_view code_points);

void append_big_endian(std::vector<std::uint8_t>& out, std::span<const char16_t> units);

// Big-endian UTF-16 back to UTF-8; a lone surrogate or a trailing odd octet becomes U+FFFD.
std::string to_utf8(std::span<const std::uint8_t> big_endian);

}  // namespace mail2sms::sms::ucs2
