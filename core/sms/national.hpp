// National language shift tables (3GPP TS 23.038 annex A) for Turkish, Spanish and Portuguese:
// alphabets in which more of a language's letters are one septet (or an escape pair) instead of
// forcing UCS-2. A message that uses one says so in its UDH (TS 23.040 9.2.3.24.15 and .16).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/sms/gsm7.hpp"

namespace mail2sms::sms {

// National language identifiers (TS 23.038 6.2.1.2.4).
enum class national_language : std::uint8_t { none = 0, turkish = 1, spanish = 2, portuguese = 3 };

std::string_view to_string(national_language l);  // "none", "turkish", ...
bool parse_national_language(std::string_view name, national_language& out);

// An alphabet: the locking shift table (the basic table of the default alphabet, or a national
// locking shift table) and the single shift table behind the 0x1B escape (the default extension
// table, or a national single shift table). locking_id / single_id are the national language
// identifiers the UDH names; 0 with the default tables (and no UDH element then).
struct alphabet {
  const std::array<char32_t, 128>* locking = &gsm7::basic_table;
  std::span<const gsm7::extension_entry> single = gsm7::extension_table;
  std::uint8_t locking_id = 0;
  std::uint8_t single_id = 0;

  bool is_default() const { return locking_id == 0 && single_id == 0; }
  // UDH octets its information elements take (3 each: IEI, length 1, language).
  std::size_t udh_octets() const { return (locking_id != 0 ? 3 : 0) + (single_id != 0 ? 3 : 0); }
};

// The alphabets to try for a language, cheapest UDH first: the default; the national single
// shift table; the national locking shift table (Turkish, Portuguese) with the default extension
// table; both national tables.
std::vector<alphabet> alphabets_for(national_language l);

// Septets a character takes in a national alphabet: 1, 2 (escape pair), 0 (no form there).
std::size_t national_septet_count(char32_t c, const alphabet& a);

// Septets a character takes in `a`: 1, 2 (escape pair), 0 (no form there). The default alphabet
// inline: encoding a text asks once or twice per character.
inline std::size_t septet_count(char32_t c, const alphabet& a) {
  return a.is_default() ? gsm7::septet_count(c) : national_septet_count(c, a);
}

// Unpacked septets, or nullopt when a character has no form in `a`.
std::optional<std::vector<std::uint8_t>> to_septets(std::u32string_view text, const alphabet& a);

// Unpacked septets back to UTF-8 in `a` (reserved codes as in gsm7::to_utf8).
std::string to_utf8(std::span<const std::uint8_t> septets, const alphabet& a);

// The UDH information elements `a` needs: 25 01 LOCKING and/or 24 01 SINGLE.
std::vector<std::uint8_t> national_information_elements(const alphabet& a);

// The alphabet a received UDH names (its 0x24 / 0x25 elements), for reading parts back.
alphabet alphabet_of_udh(std::span<const std::uint8_t> udh);

}  // namespace mail2sms::sms
