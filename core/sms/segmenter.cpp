// Text -> SMS: picks GSM 03.38 or UCS-2 (after smart replacements or transliteration when they
// make the text GSM), splits into parts at grapheme boundaries without breaking an escape pair or
// a surrogate pair, and adds the concatenation UDH to each part of a multipart message; and
// decode(), which reads one part back.
#include <algorithm>
#include <optional>
#include <span>
#include <utility>

#include "core/sms/graphemes.hpp"
#include "core/sms/gsm7.hpp"
#include "core/sms/gsm_substitution.hpp"
#include "core/sms/national.hpp"
#include "core/sms/sms.hpp"
#include "core/sms/ucs2.hpp"
#include "core/sms/udh.hpp"
#include "core/sms/utf8.hpp"

namespace mail2sms::sms {
namespace {

// Units that fit one SMS alone, and one part of a multipart SMS. 140 octets carry the UDH
// (UDHL octet included) and the text; GSM text is packed 7 bits a septet after the UDH, which
// is padded to a septet boundary.
struct part_limits {
  std::size_t single = 0;
  std::size_t multi = 0;
};

std::size_t capacity(encoding coding, std::size_t udh_octets) {
  if (coding == encoding::gsm7) return (140 * 8 - ((udh_octets * 8 + 6) / 7) * 7) / 7;
  return (140 - udh_octets) / 2;
}

// National language elements are in every part's UDH, the concatenation element in a multipart
// message's; the UDHL octet comes with the first element.
part_limits limits_for(encoding coding, bool reference_16bit, const alphabet& a) {
  const std::size_t national = a.udh_octets();
  const std::size_t concat = reference_16bit ? 6 : 5;
  return {capacity(coding, national == 0 ? 0 : 1 + national),
          capacity(coding, 1 + concat + national)};
}

std::size_t units_of(encoding coding, char32_t c, const alphabet& a) {
  return coding == encoding::gsm7 ? septet_count(c, a) : ucs2::unit_count(c);
}

// Ranges [begin, end) of the parts of a text of `length` characters: a part takes whole
// graphemes while they fit; a grapheme longer than a whole part (a pathological run of combining
// marks) is cut between code points, which still never splits an escape pair or a surrogate
// pair. units_at(i): the units character i takes; starts_at(i): whether a grapheme starts at i.
template <typename UnitsAt, typename StartsAt>
std::vector<std::pair<std::size_t, std::size_t>> split_ranges(std::size_t length,
                                                              std::size_t part_units,
                                                              UnitsAt units_at,
                                                              StartsAt starts_at) {
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  std::size_t begin = 0;
  while (begin < length) {
    std::size_t end = begin;     // end of the whole graphemes taken
    std::size_t cp_end = begin;  // end of the code points that would fit
    std::size_t used = 0;
    while (cp_end < length) {
      const std::size_t u = units_at(cp_end);
      if (used + u > part_units) break;
      used += u;
      ++cp_end;
      if (cp_end == length || starts_at(cp_end)) end = cp_end;
    }
    if (end == begin) end = cp_end;  // one grapheme larger than a part
    parts.emplace_back(begin, end);
    begin = end;
  }
  return parts;
}

// Code point ranges [begin, end) of the parts.
std::vector<std::pair<std::size_t, std::size_t>> split(std::u32string_view cps, encoding coding,
                                                       const alphabet& a, part_limits limits,
                                                       std::size_t total) {
  if (total <= limits.single) return {{0, cps.size()}};
  const std::vector<bool> starts = grapheme_starts(cps);
  return split_ranges(
      cps.size(), limits.multi, [&](std::size_t i) { return units_of(coding, cps[i], a); },
      [&](std::size_t i) { return starts[i]; });
}

// Each part's UDH: the concatenation element (multipart messages of at most 255 parts), then the
// national language elements.
void add_headers(encoded_message& message, const encode_options& options, const alphabet& a) {
  const std::size_t total = message.segments.size();
  const std::vector<std::uint8_t> national = national_information_elements(a);
  const bool concatenated = total >= 2 && total <= max_segments;
  if (!concatenated && national.empty()) return;
  for (std::size_t i = 0; i < total; ++i) {
    // The concatenation UDH as it comes (UDHL first), the national elements after it: one
    // allocation per part where there are none.
    std::vector<std::uint8_t> header;
    if (concatenated) {
      header = udh::concatenation_header({
          .reference = options.reference,
          .reference_16bit = options.reference_16bit,
          .total = static_cast<std::uint8_t>(total),
          .sequence = static_cast<std::uint8_t>(i + 1),
      });
    } else {
      header.push_back(0);
    }
    if (!national.empty()) {
      header.insert(header.end(), national.begin(), national.end());
      header[0] = static_cast<std::uint8_t>(header.size() - 1);
    }
    message.segments[i].udh = std::move(header);
  }
}

bool all_gsm(std::u32string_view cps) {
  return std::all_of(cps.begin(), cps.end(), [](char32_t c) { return is_gsm7(c); });
}

std::u32string smart_replaced(std::u32string_view cps) {
  std::u32string out;
  out.reserve(cps.size());
  for (char32_t c : cps) {
    if (const auto r = smart_replacement(c)) {
      out += *r;
    } else {
      out += c;
    }
  }
  return out;
}

struct choice {
  std::u32string cps;
  encoding coding = encoding::ucs2;
  alphabet letters;
};

// The alphabet among `alphabets` that carries `cps` in the fewest parts (the first, the cheapest
// UDH, on a tie), or nothing when none carries it.
std::optional<alphabet> best_alphabet(std::u32string_view cps,
                                      const std::vector<alphabet>& alphabets,
                                      bool reference_16bit) {
  std::optional<alphabet> best;
  std::size_t best_parts = 0;
  for (const alphabet& a : alphabets) {
    std::size_t units = 0;
    bool fits = true;
    for (char32_t c : cps) {
      const std::size_t u = septet_count(c, a);
      if (u == 0) {
        fits = false;
        break;
      }
      units += u;
    }
    if (!fits) continue;
    const part_limits limits = limits_for(encoding::gsm7, reference_16bit, a);
    const std::size_t parts =
        units <= limits.single ? 1 : (units + limits.multi - 1) / limits.multi;
    if (!best || parts < best_parts) {
      best = a;
      best_parts = parts;
    }
  }
  return best;
}

// The code points to send, their encoding and alphabet: the text as it is, with smart
// replacements, then transliterated, in GSM (national tables allowed) if it fits; else UCS-2.
choice choose(std::u32string cps, const encode_options& options) {
  if (all_gsm(cps)) return {std::move(cps), encoding::gsm7, alphabet{}};
  const std::vector<alphabet> alphabets = alphabets_for(options.national);
  std::vector<std::u32string> candidates{cps};
  if (options.smart_gsm) candidates.push_back(smart_replaced(cps));
  if (options.transliterate) {
    std::u32string t = transliterate_non_gsm(candidates.back());
    candidates.push_back(options.smart_gsm ? smart_replaced(t) : std::move(t));
  }
  for (std::u32string& candidate : candidates) {
    if (const auto a = best_alphabet(candidate, alphabets, options.reference_16bit)) {
      return {std::move(candidate), encoding::gsm7, *a};
    }
  }
  return {std::move(cps), encoding::ucs2, alphabet{}};
}

// The payload of `cps` in `coding` (GSM in alphabet `a`); nullopt when `a` lacks a character.
// What encode() puts in a part and what payload_of() makes again from a stored text.
std::optional<std::vector<std::uint8_t>> payload_in(std::u32string_view cps, encoding coding,
                                                    const alphabet& a) {
  if (coding == encoding::gsm7) return to_septets(cps, a);
  std::vector<std::uint8_t> payload;
  ucs2::append_big_endian(payload, ucs2::to_utf16(cps));
  return payload;
}

segment segment_of(std::u32string_view cps, encoding coding, const alphabet& a) {
  return {.udh = {}, .payload = payload_in(cps, coding, a).value_or(std::vector<std::uint8_t>{})};
}

// Plain GSM text: every octet ASCII and in the GSM default alphabet, which is what alerts and
// most mail bodies are. Its octets are its code points, it is already the text the parts carry
// (no replacement applies to a GSM text), and no character in it joins another but CR LF (UAX
// #29 GB3): encode() then needs no conversion to code points and back and no grapheme look-up,
// and gives what the general path would (tests/unit/sms/segmenter_test.cpp compares them).
// Nothing for any other text.
std::optional<encoded_message> encode_plain_gsm(std::string_view text,
                                                const encode_options& options) {
  // The dense table's codes (septet, extended_flag for an escape pair), not gsm7::lookup: its
  // std::optional went through the stack, a stall per character.
  using gsm7::detail::extended_flag;
  auto code_of = [&](std::size_t i) {
    return gsm7::detail::reverse_table[static_cast<unsigned char>(text[i])];
  };
  std::size_t units = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint16_t code = code_of(i);
    if (static_cast<unsigned char>(text[i]) >= 0x80 || code == gsm7::detail::no_code)
      return std::nullopt;
    units += (code & extended_flag) != 0 ? 2 : 1;
  }
  const alphabet a{};
  encoded_message message{.coding = encoding::gsm7,
                          .units = units,
                          .segments = {},
                          .text = std::string(text),
                          .locking_shift = static_cast<national_language>(a.locking_id),
                          .single_shift = static_cast<national_language>(a.single_id),
                          .text_sizes = {},
                          .has_payloads = options.payloads};
  // Without escape pairs (units == characters) a part's septets are written straight into it.
  const bool one_unit_each = units == text.size();
  auto add_part = [&](std::size_t begin, std::size_t end) {
    segment& part = message.segments.emplace_back();
    message.text_sizes.push_back(end - begin);  // ASCII: an octet a character
    if (!options.payloads) return;
    if (one_unit_each) {
      part.payload.resize(end - begin);
      for (std::size_t i = begin; i < end; ++i) {
        part.payload[i - begin] = static_cast<std::uint8_t>(code_of(i) & 0x7F);
      }
      return;
    }
    part.payload.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      const std::uint16_t code = code_of(i);
      if ((code & extended_flag) != 0) part.payload.push_back(gsm7::escape);
      part.payload.push_back(static_cast<std::uint8_t>(code & 0x7F));
    }
  };
  const part_limits limits = limits_for(encoding::gsm7, options.reference_16bit, a);
  if (units <= limits.single) {
    add_part(0, text.size());
  } else if (one_unit_each) {
    // split_ranges' cuts without its walk over every character: a part is `multi` characters,
    // one fewer where that would cut a CRLF (the one place a grapheme spans two characters here).
    message.segments.reserve(text.size() / (limits.multi - 1) + 1);
    for (std::size_t begin = 0; begin < text.size();) {
      std::size_t end = std::min(text.size(), begin + limits.multi);
      if (end < text.size() && text[end - 1] == '\r' && text[end] == '\n' && end - 1 > begin) --end;
      add_part(begin, end);
      begin = end;
    }
  } else {
    for (const auto& [begin, end] : split_ranges(
             text.size(), limits.multi,
             [&](std::size_t i) { return (code_of(i) & extended_flag) != 0 ? 2 : 1; },
             [&](std::size_t i) { return text[i - 1] != '\r' || text[i] != '\n'; })) {
      add_part(begin, end);
    }
  }
  add_headers(message, options, a);
  return message;
}

}  // namespace

std::string_view to_string(encoding e) { return e == encoding::gsm7 ? "gsm7" : "ucs2"; }

bool fits_concatenation(const encoded_message& message) {
  return message.segments.size() <= max_segments;
}

encoded_message encode(std::string_view utf8_text, const encode_options& options) {
  if (auto plain = encode_plain_gsm(utf8_text, options)) return std::move(*plain);
  const choice chosen = choose(utf8::decode(utf8_text), options);
  const alphabet& a = chosen.letters;
  encoded_message message{.coding = chosen.coding,
                          .units = 0,
                          .segments = {},
                          .text = utf8::encode(chosen.cps),
                          .locking_shift = static_cast<national_language>(a.locking_id),
                          .single_shift = static_cast<national_language>(a.single_id),
                          .text_sizes = {},
                          .has_payloads = options.payloads};
  for (char32_t c : chosen.cps) message.units += units_of(chosen.coding, c, a);
  const std::u32string_view view(chosen.cps);
  for (const auto& [begin, end] :
       split(view, chosen.coding, a, limits_for(chosen.coding, options.reference_16bit, a),
             message.units)) {
    message.segments.push_back(options.payloads
                                   ? segment_of(view.substr(begin, end - begin), chosen.coding, a)
                                   : segment{});
    std::size_t octets = 0;
    for (char32_t c : view.substr(begin, end - begin)) octets += utf8::encoded_size(c);
    message.text_sizes.push_back(octets);
  }
  add_headers(message, options, a);
  return message;
}

std::optional<std::vector<std::uint8_t>> payload_of(std::string_view piece, encoding coding,
                                                    std::span<const std::uint8_t> udh) {
  return payload_in(utf8::decode(piece), coding,
                    coding == encoding::gsm7 ? alphabet_of_udh(udh) : alphabet{});
}

std::string decode(encoding coding, std::span<const std::uint8_t> udh,
                   std::span<const std::uint8_t> payload) {
  if (coding == encoding::ucs2) return ucs2::to_utf8(payload);
  return to_utf8(payload, alphabet_of_udh(udh));
}

std::string decode_part(const encoded_message& message, std::size_t index) {
  const segment& s = message.segments.at(index);
  return decode(message.coding, s.udh, s.payload);
}

std::string decode(encoding coding, std::span<const std::uint8_t> payload) {
  return coding == encoding::gsm7 ? gsm7::to_utf8(payload) : ucs2::to_utf8(payload);
}

}  // namespace mail2sms::sms
