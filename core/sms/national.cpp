// The Turkish, Spanish and Portuguese tables of 3GPP TS 23.038 annex A (A.2.1-A.2.3 single shift,
// A.3.1 and A.3.3 locking shift; Spanish has no locking shift table), and lookups over them.
#include "core/sms/national.hpp"

#include <algorithm>

#include "core/sms/utf8.hpp"

namespace mail2sms::sms {
namespace {

using entry = gsm7::extension_entry;

// The single shift tables share the default extension table's characters at the same septets;
// each adds its language's letters.
constexpr std::array<entry, 17> turkish_single{{
    {0x0A, U'\f'},
    {0x14, U'^'},
    {0x28, U'{'},
    {0x29, U'}'},
    {0x2F, U'\\'},
    {0x3C, U'['},
    {0x3D, U'~'},
    {0x3E, U']'},
    {0x40, U'|'},
    {0x47, U'\u011E'},
    {0x49, U'\u0130'},
    {0x53, U'\u015E'},
    {0x63, U'\u00E7'},
    {0x65, U'\u20AC'},
    {0x67, U'\u011F'},
    {0x69, U'\u0131'},
    {0x73, U'\u015F'},
}};

constexpr std::array<entry, 19> spanish_single{{
    {0x09, U'\u00E7'}, {0x0A, U'\f'},     {0x14, U'^'},      {0x28, U'{'},      {0x29, U'}'},
    {0x2F, U'\\'},     {0x3C, U'['},      {0x3D, U'~'},      {0x3E, U']'},      {0x40, U'|'},
    {0x41, U'\u00C1'}, {0x49, U'\u00CD'}, {0x4F, U'\u00D3'}, {0x55, U'\u00DA'}, {0x61, U'\u00E1'},
    {0x65, U'\u20AC'}, {0x69, U'\u00ED'}, {0x6F, U'\u00F3'}, {0x75, U'\u00FA'},
}};

constexpr std::array<entry, 37> portuguese_single{{
    {0x05, U'\u00EA'}, {0x09, U'\u00E7'}, {0x0A, U'\f'},     {0x0B, U'\u00D4'}, {0x0C, U'\u00F4'},
    {0x0E, U'\u00C1'}, {0x0F, U'\u00E1'}, {0x12, U'\u03A6'}, {0x13, U'\u0393'}, {0x14, U'^'},
    {0x15, U'\u03A9'}, {0x16, U'\u03A0'}, {0x17, U'\u03A8'}, {0x18, U'\u03A3'}, {0x19, U'\u0398'},
    {0x1F, U'\u00CA'}, {0x28, U'{'},      {0x29, U'}'},      {0x2F, U'\\'},     {0x3C, U'['},
    {0x3D, U'~'},      {0x3E, U']'},      {0x40, U'|'},      {0x41, U'\u00C0'}, {0x49, U'\u00CD'},
    {0x4F, U'\u00D3'}, {0x55, U'\u00DA'}, {0x5B, U'\u00C3'}, {0x5C, U'\u00D5'}, {0x61, U'\u00C2'},
    {0x65, U'\u20AC'}, {0x69, U'\u00ED'}, {0x6F, U'\u00F3'}, {0x75, U'\u00FA'}, {0x7B, U'\u00E3'},
    {0x7C, U'\u00F5'}, {0x7F, U'\u00E2'},
}};

// Locking shift tables: 0x1B is the escape, its slot 0 as in gsm7::basic_table.
constexpr std::array<char32_t, 128> turkish_locking{
    U'@',      U'\u00A3', U'$',      U'\u00A5', U'\u20AC', U'\u00E9', U'\u00F9', U'\u0131',
    U'\u00F2', U'\u00C7', U'\n',     U'\u011E', U'\u011F', U'\r',     U'\u00C5', U'\u00E5',
    U'\u0394', U'_',      U'\u03A6', U'\u0393', U'\u039B', U'\u03A9', U'\u03A0', U'\u03A8',
    U'\u03A3', U'\u0398', U'\u039E', 0,         U'\u015E', U'\u015F', U'\u00DF', U'\u00C9',
    U' ',      U'!',      U'"',      U'#',      U'\u00A4', U'%',      U'&',      U'\'',
    U'(',      U')',      U'*',      U'+',      U',',      U'-',      U'.',      U'/',
    U'0',      U'1',      U'2',      U'3',      U'4',      U'5',      U'6',      U'7',
    U'8',      U'9',      U':',      U';',      U'<',      U'=',      U'>',      U'?',
    U'\u0130', U'A',      U'B',      U'C',      U'D',      U'E',      U'F',      U'G',
    U'H',      U'I',      U'J',      U'K',      U'L',      U'M',      U'N',      U'O',
    U'P',      U'Q',      U'R',      U'S',      U'T',      U'U',      U'V',      U'W',
    U'X',      U'Y',      U'Z',      U'\u00C4', U'\u00D6', U'\u00D1', U'\u00DC', U'\u00A7',
    U'\u00E7', U'a',      U'b',      U'c',      U'd',      U'e',      U'f',      U'g',
    U'h',      U'i',      U'j',      U'k',      U'l',      U'm',      U'n',      U'o',
    U'p',      U'q',      U'r',      U's',      U't',      U'u',      U'v',      U'w',
    U'x',      U'y',      U'z',      U'\u00E4', U'\u00F6', U'\u00F1', U'\u00FC', U'\u00E0',
};

constexpr std::array<char32_t, 128> portuguese_locking{
    U'@',      U'\u00A3', U'$',      U'\u00A5', U'\u00EA', U'\u00E9', U'\u00FA', U'\u00ED',
    U'\u00F3', U'\u00E7', U'\n',     U'\u00D4', U'\u00F4', U'\r',     U'\u00C1', U'\u00E1',
    U'\u0394', U'_',      U'\u00AA', U'\u00C7', U'\u00C0', U'\u221E', U'^',      U'\\',
    U'\u20AC', U'\u00D3', U'|',      0,         U'\u00C2', U'\u00E2', U'\u00CA', U'\u00C9',
    U' ',      U'!',      U'"',      U'#',      U'\u00BA', U'%',      U'&',      U'\'',
    U'(',      U')',      U'*',      U'+',      U',',      U'-',      U'.',      U'/',
    U'0',      U'1',      U'2',      U'3',      U'4',      U'5',      U'6',      U'7',
    U'8',      U'9',      U':',      U';',      U'<',      U'=',      U'>',      U'?',
    U'\u00CD', U'A',      U'B',      U'C',      U'D',      U'E',      U'F',      U'G',
    U'H',      U'I',      U'J',      U'K',      U'L',      U'M',      U'N',      U'O',
    U'P',      U'Q',      U'R',      U'S',      U'T',      U'U',      U'V',      U'W',
    U'X',      U'Y',      U'Z',      U'\u00C3', U'\u00D5', U'\u00DA', U'\u00DC', U'\u00A7',
    U'~',      U'a',      U'b',      U'c',      U'd',      U'e',      U'f',      U'g',
    U'h',      U'i',      U'j',      U'k',      U'l',      U'm',      U'n',      U'o',
    U'p',      U'q',      U'r',      U's',      U't',      U'u',      U'v',      U'w',
    U'x',      U'y',      U'z',      U'\u00E3', U'\u00F5', U'`',      U'\u00FC', U'\u00E0',
};

constexpr std::uint8_t iei_single_shift = 0x24;
constexpr std::uint8_t iei_locking_shift = 0x25;

std::span<const entry> single_table(std::uint8_t id) {
  switch (id) {
    case 1:
      return turkish_single;
    case 2:
      return spanish_single;
    case 3:
      return portuguese_single;
    default:
      return gsm7::extension_table;
  }
}

const std::array<char32_t, 128>* locking_table(std::uint8_t id) {
  if (id == 1) return &turkish_locking;
  if (id == 3) return &portuguese_locking;
  return &gsm7::basic_table;
}

std::optional<gsm7::septet_code> find(char32_t c, const alphabet& a) {
  if (a.locking_id == 0) {
    // The default basic table: gsm7's compile-time reverse table.
    if (const auto code = gsm7::lookup(c); code && !code->extended) return code;
  } else if (c != 0) {
    const auto it = std::find(a.locking->begin(), a.locking->end(), c);
    if (it != a.locking->end()) {
      return gsm7::septet_code{static_cast<std::uint8_t>(it - a.locking->begin()), false};
    }
  }
  for (const entry& e : a.single) {
    if (e.character == c) return gsm7::septet_code{e.septet, true};
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(national_language l) {
  switch (l) {
    case national_language::turkish:
      return "turkish";
    case national_language::spanish:
      return "spanish";
    case national_language::portuguese:
      return "portuguese";
    default:
      return "none";
  }
}

bool parse_national_language(std::string_view name, national_language& out) {
  for (auto l : {national_language::none, national_language::turkish, national_language::spanish,
                 national_language::portuguese}) {
    if (name == to_string(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

std::vector<alphabet> alphabets_for(national_language l) {
  std::vector<alphabet> out{alphabet{}};
  const auto id = static_cast<std::uint8_t>(l);
  if (id == 0) return out;
  out.push_back({locking_table(0), single_table(id), 0, id});
  if (locking_table(id) != &gsm7::basic_table) {
    out.push_back({locking_table(id), single_table(0), id, 0});
    out.push_back({locking_table(id), single_table(id), id, id});
  }
  return out;
}

std::size_t national_septet_count(char32_t c, const alphabet& a) {
  const auto code = find(c, a);
  return !code ? 0 : code->extended ? 2 : 1;
}

std::optional<std::vector<std::uint8_t>> to_septets(std::u32string_view text, const alphabet& a) {
  if (a.is_default()) return gsm7::to_septets(text);
  std::vector<std::uint8_t> septets;
  septets.reserve(text.size());
  for (char32_t c : text) {
    const auto code = find(c, a);
    if (!code) return std::nullopt;
    if (code->extended) septets.push_back(gsm7::escape);
    septets.push_back(code->septet);
  }
  return septets;
}

std::string to_utf8(std::span<const std::uint8_t> septets, const alphabet& a) {
  if (a.is_default()) return gsm7::to_utf8(septets);
  std::string out;
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const std::uint8_t s = septets[i];
    if (s >= 128) {
      utf8::append(out, utf8::replacement_character);
    } else if (s != gsm7::escape) {
      utf8::append(out, (*a.locking)[s]);
    } else if (i + 1 < septets.size()) {
      const std::uint8_t next = septets[++i];
      const auto it = std::find_if(a.single.begin(), a.single.end(),
                                   [next](const entry& e) { return e.septet == next; });
      if (it != a.single.end()) {
        utf8::append(out, it->character);
      } else if (next == gsm7::escape) {
        out += ' ';
      } else {
        utf8::append(out, next < 128 ? (*a.locking)[next] : utf8::replacement_character);
      }
    } else {
      out += ' ';
    }
  }
  return out;
}

std::vector<std::uint8_t> national_information_elements(const alphabet& a) {
  std::vector<std::uint8_t> out;
  if (a.locking_id != 0) out.insert(out.end(), {iei_locking_shift, 0x01, a.locking_id});
  if (a.single_id != 0) out.insert(out.end(), {iei_single_shift, 0x01, a.single_id});
  return out;
}

alphabet alphabet_of_udh(std::span<const std::uint8_t> udh) {
  alphabet a;
  std::size_t i = 1;  // after UDHL
  while (i + 1 < udh.size()) {
    const std::uint8_t iei = udh[i];
    const std::uint8_t length = udh[i + 1];
    if (i + 2 + length > udh.size()) break;
    if (length == 1 && (iei == iei_single_shift || iei == iei_locking_shift)) {
      const std::uint8_t id = udh[i + 2];
      if (id <= 3) {
        if (iei == iei_single_shift) {
          a.single = single_table(id);
          a.single_id = id;
        } else if (locking_table(id) != &gsm7::basic_table) {
          a.locking = locking_table(id);
          a.locking_id = id;
        }
      }
    }
    i += 2 + length;
  }
  return a;
}

}  // namespace mail2sms::sms
