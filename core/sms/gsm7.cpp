// GSM 03.38 lookups: a reverse table built at compile time from the tables in gsm7.hpp.
#include "core/sms/gsm7.hpp"

#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"

namespace mail2sms::sms::gsm7 {
namespace {

// Every GSM character but the euro sign is below U+0400 (Latin-1 and a few Greek capitals), so a
// dense table covers them; the euro sign is checked on its own.
constexpr char32_t dense_limit = 0x400;
constexpr std::uint16_t no_code = 0xFFFF;
constexpr std::uint16_t extended_flag = 0x100;

constexpr std::array<std::uint16_t, dense_limit> build_reverse_table() {
  std::array<std::uint16_t, dense_limit> table{};
  table.fill(no_code);
  for (std::size_t septet = 0; septet < basic_table.size(); ++septet) {
    if (septet != escape) table[basic_table[septet]] = static_cast<std::uint16_t>(septet);
  }
  for (const auto& entry : extension_table) {
    if (entry.character < dense_limit) table[entry.character] = extended_flag | entry.septet;
  }
  return table;
}

constexpr auto reverse_table = build_reverse_table();
constexpr std::uint8_t euro_septet = 0x65;

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

std::optional<septet_code> lookup(char32_t c) {
  if (c == U'\u20AC') return septet_code{euro_septet, true};
  if (c >= dense_limit || reverse_table[c] == no_code) return std::nullopt;
  const std::uint16_t code = reverse_table[c];
  return septet_code{static_cast<std::uint8_t>(code & 0x7F), (code & extended_flag) != 0};
}

std::size_t septet_count(char32_t c) {
  const auto code = lookup(c);
  if (!code) return 0;
  return code->extended ? 2 : 1;
}

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

namespace mail2sms::sms {

bool is_gsm7(char32_t c) { return gsm7::lookup(c).has_value(); }

}  // namespace mail2sms::sms
