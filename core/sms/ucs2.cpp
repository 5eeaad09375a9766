// UTF-16 encoding of scalar values, and big-endian UCS-2/UTF-16 payloads back to UTF-8.
#include "core/sms/ucs2.hpp"

#include "core/sms/utf8.hpp"

namespace mail2sms::sms::ucs2 {

std::vector<char16_t> to_utf16(std::u32string_view code_points) {
  std::vector<char16_t> units;
  units.reserve(code_points.size());
  for (char32_t c : code_points) {
    if (c <= 0xFFFF) {
      units.push_back(static_cast<char16_t>(c));
    } else {
      const char32_t offset = c - 0x10000;
      units.push_back(static_cast<char16_t>(0xD800 + (offset >> 10)));
      units.push_back(static_cast<char16_t>(0xDC00 + (offset & 0x3FF)));
    }
  }
  return units;
}

void append_big_endian(std::vector<std::uint8_t>& out, std::span<const char16_t> units) {
  out.reserve(out.size() + units.size() * 2);
  for (char16_t u : units) {
    out.push_back(static_cast<std::uint8_t>(u >> 8));
    out.push_back(static_cast<std::uint8_t>(u & 0xFF));
  }
}

std::string to_utf8(std::span<const std::uint8_t> big_endian) {
  std::string out;
  out.reserve(big_endian.size());
  const std::size_t unit_total = big_endian.size() / 2;
  auto unit_at = [&](std::size_t i) {
    return static_cast<char16_t>((big_endian[2 * i] << 8) | big_endian[2 * i + 1]);
  };
  for (std::size_t i = 0; i < unit_total; ++i) {
    const char16_t u = unit_at(i);
    if (is_high_surrogate(u) && i + 1 < unit_total && is_low_surrogate(unit_at(i + 1))) {
      const char16_t low = unit_at(++i);
      utf8::append(out, 0x10000 + ((char32_t{u} - 0xD800) << 10) + (char32_t{low} - 0xDC00));
    } else {
      utf8::append(out, u);  // a lone surrogate is not a scalar: append() writes U+FFFD
    }
  }
  if (big_endian.size() % 2 != 0) utf8::append(out, utf8::replacement_character);
  return out;
}

}  // namespace mail2sms::sms::ucs2
