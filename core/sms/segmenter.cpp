// Text -> SMS: picks GSM 03.38 or UCS-2 (after smart replacements or transliteration when they
// make the text GSM), splits into parts at grapheme boundaries without breaking an escape pair or
// a surrogate pair, and adds the concatenation UDH to each part of a multipart message; and
// decode(), which reads one part back.
#include <algorithm>
#include <span>
#include <utility>

#include "core/sms/graphemes.hpp"
#include "core/sms/gsm7.hpp"
#include "core/sms/gsm_substitution.hpp"
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

part_limits limits_for(encoding coding, bool reference_16bit) {
  const std::size_t concat_udh = reference_16bit ? 7 : 6;
  return {capacity(coding, 0), capacity(coding, concat_udh)};
}

std::size_t units_of(encoding coding, char32_t c) {
  return coding == encoding::gsm7 ? gsm7::septet_count(c) : ucs2::unit_count(c);
}

// Code point ranges [begin, end) of the parts. A part takes whole graphemes while they fit; a
// grapheme longer than a whole part (a pathological run of combining marks) is cut between code
// points, which still never splits an escape pair or a surrogate pair.
std::vector<std::pair<std::size_t, std::size_t>> split(std::u32string_view cps, encoding coding,
                                                       part_limits limits, std::size_t total) {
  if (total <= limits.single) return {{0, cps.size()}};
  const std::vector<bool> starts = grapheme_starts(cps);
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  std::size_t begin = 0;
  while (begin < cps.size()) {
    std::size_t end = begin;       // end of the whole graphemes taken
    std::size_t cp_end = begin;    // end of the code points that would fit
    std::size_t used = 0;
    while (cp_end < cps.size()) {
      const std::size_t u = units_of(coding, cps[cp_end]);
      if (used + u > limits.multi) break;
      used += u;
      ++cp_end;
      if (cp_end == cps.size() || starts[cp_end]) end = cp_end;
    }
    if (end == begin) end = cp_end;  // one grapheme larger than a part
    parts.emplace_back(begin, end);
    begin = end;
  }
  return parts;
}

void add_concatenation_headers(encoded_message& message, const encode_options& options) {
  const std::size_t total = message.segments.size();
  if (total < 2 || total > max_segments) return;
  for (std::size_t i = 0; i < total; ++i) {
    message.segments[i].udh = udh::concatenation_header({
        .reference = options.reference,
        .reference_16bit = options.reference_16bit,
        .total = static_cast<std::uint8_t>(total),
        .sequence = static_cast<std::uint8_t>(i + 1),
    });
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

// The code points to send and their encoding.
std::pair<std::u32string, encoding> choose(std::u32string cps, const encode_options& options) {
  if (all_gsm(cps)) return {std::move(cps), encoding::gsm7};
  std::u32string candidate = options.smart_gsm ? smart_replaced(cps) : cps;
  if (options.smart_gsm && all_gsm(candidate)) return {std::move(candidate), encoding::gsm7};
  if (options.transliterate) {
    candidate = transliterate_non_gsm(candidate);
    if (options.smart_gsm) candidate = smart_replaced(candidate);
    if (all_gsm(candidate)) return {std::move(candidate), encoding::gsm7};
  }
  return {std::move(cps), encoding::ucs2};
}

segment segment_of(std::u32string_view cps, encoding coding) {
  segment s;
  if (coding == encoding::gsm7) {
    s.payload = gsm7::to_septets(cps).value_or(std::vector<std::uint8_t>{});
  } else {
    ucs2::append_big_endian(s.payload, ucs2::to_utf16(cps));
  }
  return s;
}

}  // namespace

std::string_view to_string(encoding e) { return e == encoding::gsm7 ? "gsm7" : "ucs2"; }

bool fits_concatenation(const encoded_message& message) {
  return message.segments.size() <= max_segments;
}

encoded_message encode(std::string_view utf8_text, const encode_options& options) {
  auto [cps, coding] = choose(utf8::decode(utf8_text), options);
  encoded_message message{.coding = coding, .units = 0, .segments = {}, .text = utf8::encode(cps)};
  for (char32_t c : cps) message.units += units_of(coding, c);
  const std::u32string_view view(cps);
  for (const auto& [begin, end] :
       split(view, coding, limits_for(coding, options.reference_16bit), message.units)) {
    message.segments.push_back(segment_of(view.substr(begin, end - begin), coding));
  }
  add_concatenation_headers(message, options);
  return message;
}

std::string decode(encoding coding, std::span<const std::uint8_t> payload) {
  return coding == encoding::gsm7 ? gsm7::to_utf8(payload) : ucs2::to_utf8(payload);
}

}  // namespace mail2sms::sms
