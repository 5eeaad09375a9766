// The GSM 03.38 default alphabet (3GPP TS 23.038 6.2.1): basic table and extension table, as
// Unicode <-> unpacked septets (one septet per octet, as SMPP data_coding 0 carries them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mail2sms::sms::gsm7 {

inline constexpr std::uint8_t escape = 0x1B;  // the next septet is read from the extension table

// Septet -> character. 0x1B is the escape, not a character: its slot holds 0.
inline constexpr std::array<char32_t, 128> basic_table{
    U'@',      U'\u00A3', U'$',      U'\u00A5', U'\u00E8', U'\u00E9', U'\u00F9', U'\u00EC',
    U'\u00F2', U'\u00C7', U'\n',     U'\u00D8', U'\u00F8', U'\r',     U'\u00C5', U'\u00E5',
    U'\u0394', U'_',      U'\u03A6', U'\u0393', U'\u039B', U'\u03A9', U'\u03A0', U'\u03A8',
    U'\u03A3', U'\u0398', U'\u039E', 0,         U'\u00C6', U'\u00E6', U'\u00DF', U'\u00C9',
    U' ',      U'!',      U'"',      U'#',      U'\u00A4', U'%',      U'&',      U'\'',
    U'(',      U')',      U'*',      U'+',      U',',      U'-',      U'.',      U'/',
    U'0',      U'1',      U'2',      U'3',      U'4',      U'5',      U'6',      U'7',
    U'8',      U'9',      U':',      U';',      U'<',      U'=',      U'>',      U'?',
    U'\u00A1', U'A',      U'B',      U'C',      U'D',      U'E',      U'F',      U'G',
    U'H',      U'I',      U'J',      U'K',      U'L',      U'M',      U'N',      U'O',
    U'P',      U'Q',      U'R',      U'S',      U'T',      U'U',      U'V',      U'W',
    U'X',      U'Y',      U'Z',      U'\u00C4', U'\u00D6', U'\u00D1', U'\u00DC', U'\u00A7',
    U'\u00BF', U'a',      U'b',      U'c',      U'd',      U'e',      U'f',      U'g',
    U'h',      U'i',      U'j',      U'k',      U'l',      U'm',      U'n',      U'o',
    U'p',      U'q',      U'r',      U's',      U't',      U'u',      U'v',      U'w',
    U'x',      U'y',      U'z',      U'\u00E4', U'\u00F6', U'\u00F1', U'\u00FC', U'\u00E0',
};

struct extension_entry {
  std::uint8_t septet;  // follows the 0x1B escape
  char32_t character;
};

// The characters the extension table defines; every other septet after 0x1B is reserved.
inline constexpr std::array<extension_entry, 10> extension_table{{
    {0x0A, U'\f'},
    {0x14, U'^'},
    {0x28, U'{'},
    {0x29, U'}'},
    {0x2F, U'\\'},
    {0x3C, U'['},
    {0x3D, U'~'},
    {0x3E, U']'},
    {0x40, U'|'},
    {0x65, U'\u20AC'},
}};

// Where a character lives: its septet, and whether the 0x1B escape precedes it.
struct septet_code {
  std::uint8_t septet = 0;
  bool extended = false;
};

namespace detail {

// Every GSM character but the euro sign is below U+0400 (Latin-1 and a few Greek capitals), so a
// dense reverse table, built at compile time, covers them; the euro sign is checked on its own.
// In the header so that the per-character look-ups of encoding a text are inlined: they were a
// fifth of the SMTP server's CPU time on 1 KiB mails as out-of-line calls.
inline constexpr char32_t dense_limit = 0x400;
inline constexpr std::uint16_t no_code = 0xFFFF;
inline constexpr std::uint16_t extended_flag = 0x100;
inline constexpr std::uint8_t euro_septet = 0x65;

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

inline constexpr auto reverse_table = build_reverse_table();

}  // namespace detail

inline std::optional<septet_code> lookup(char32_t c) {
  if (c == U'\u20AC') return septet_code{detail::euro_septet, true};
  if (c >= detail::dense_limit || detail::reverse_table[c] == detail::no_code) return std::nullopt;
  const std::uint16_t code = detail::reverse_table[c];
  return septet_code{static_cast<std::uint8_t>(code & 0x7F), (code & detail::extended_flag) != 0};
}

// Septets `c` takes: 1 (basic), 2 (escape + extension), 0 (no GSM form).
inline std::size_t septet_count(char32_t c) {
  const auto code = lookup(c);
  if (!code) return 0;
  return code->extended ? 2 : 1;
}

// The unpacked septets of a text (escape pairs for extension characters), or nullopt as soon as
// a character has no GSM form.
std::optional<std::vector<std::uint8_t>> to_septets(std::u32string_view code_points);

// Unpacked septets back to UTF-8; see sms::decode for how reserved codes are shown.
std::string to_utf8(std::span<const std::uint8_t> septets);

}  // namespace mail2sms::sms::gsm7
