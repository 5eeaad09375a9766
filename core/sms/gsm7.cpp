// GSM 03.38: texts to septets and back (the look-ups are inline in gsm7.hpp).
#include "core/sms/gsm7.hpp"

#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"

namespace mail2sms::sms::gsm7 {
namespace {

constexpr std::array<char32_t, 128> build_extension_by_septet() {
  std::array<char32_t, 128> table{};
  for (const auto& entry : extension_table) table[entry.septet] = entry.character;
  return table;
}

constexpr auto extension_by_septet = build_extension_by_septet();

// The character an escaped septet shows. Reserved codes show the basic-table character, and
// 0x1B 0x1B (reserved for a further extension table) a space, as TS 23.038 6.2.1.1 asks.
char32_t escaped_character(std::uint8_t septet) {
  if (septet >= extension_by_septet.size()) return utf8::replacement_character;
  if (extension_by_septet[septet] != 0) return extension_by_septet[septet];
  if (septet == escape) return U' ';
  return basic_table[septet];
}

}  // namespace

std::optional<std::vector<std::uint8_t>> to_septets(std::u32string_view code_points) {
  std::vector<std::uint8_t> septets;
  septets.reserve(code_points.size());
  for (char32_t c : code_points) {
    const auto code = lookup(c);
    if (!code) return std::nullopt;
    if (code->extended) septets.push_back(escape);
    septets.push_back(code->septet);
  }
  return septets;
}

std::string to_utf8(std::span<const std::uint8_t> septets) {
  std::string out;
  out.reserve(septets.size());
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const std::uint8_t septet = septets[i];
    if (septet >= basic_table.size()) {
      utf8::append(out, utf8::replacement_character);
    } else if (septet != escape) {
      utf8::append(out, basic_table[septet]);
    } else if (i + 1 < septets.size()) {
      utf8::append(out, escaped_character(septets[++i]));
    } else {
      out.push_back(' ');  // an escape with nothing after it
    }
  }
  return out;
}

}  // namespace mail2sms::sms::gsm7
