// Text -> SMS: picks GSM 03.38 or UCS-2, splits into parts without breaking an escape pair or a
// surrogate pair, and adds the concatenation UDH to each part of a multipart message; and decode(),
// which reads one part back.
#include <algorithm>
#include <span>
#include <utility>

#include "core/sms/gsm7.hpp"
#include "core/sms/sms.hpp"
#include "core/sms/ucs2.hpp"
#include "core/sms/udh.hpp"
#include "core/sms/utf8.hpp"

namespace mail2sms::sms {
namespace {

// Units that fit one SMS alone, and one part of a multipart SMS (after its UDH: 6 octets with an
// 8-bit reference, 7 with a 16-bit one, out of 140; GSM parts are packed 7 bits per septet).
struct part_limits {
  std::size_t single = 0;
  std::size_t multi = 0;
};

part_limits limits_for(encoding coding, bool reference_16bit) {
  if (coding == encoding::gsm7) return {160, reference_16bit ? 152u : 153u};
  return {70, reference_16bit ? 66u : 67u};
}

// Splits `units` into parts of at most limits.multi (or one part up to limits.single). A part that
// would end on the first half of a pair ends one unit earlier, and the pair opens the next part.
template <class Unit, class OpensPair>
std::vector<std::span<const Unit>> split(std::span<const Unit> units, part_limits limits,
                                         OpensPair opens_pair) {
  if (units.size() <= limits.single) return {units};
  std::vector<std::span<const Unit>> parts;
  std::size_t begin = 0;
  while (begin < units.size()) {
    std::size_t end = std::min(begin + limits.multi, units.size());
    if (end < units.size() && opens_pair(units[end - 1])) --end;
    parts.push_back(units.subspan(begin, end - begin));
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

encoded_message encode_gsm7(const std::vector<std::uint8_t>& septets,
                            const encode_options& options) {
  encoded_message message{.coding = encoding::gsm7, .units = septets.size(), .segments = {}};
  const auto parts = split(std::span<const std::uint8_t>(septets),
                           limits_for(encoding::gsm7, options.reference_16bit),
                           [](std::uint8_t septet) { return septet == gsm7::escape; });
  for (auto part : parts) {
    message.segments.push_back({.udh = {}, .payload = {part.begin(), part.end()}});
  }
  add_concatenation_headers(message, options);
  return message;
}

encoded_message encode_ucs2(std::u32string_view code_points, const encode_options& options) {
  const std::vector<char16_t> units = ucs2::to_utf16(code_points);

  encoded_message message{.coding = encoding::ucs2, .units = units.size(), .segments = {}};
  const auto parts =
      split(std::span<const char16_t>(units), limits_for(encoding::ucs2, options.reference_16bit),
            [](char16_t unit) { return ucs2::is_high_surrogate(unit); });
  for (auto part : parts) {
    segment s;
    ucs2::append_big_endian(s.payload, part);
    message.segments.push_back(std::move(s));
  }
  add_concatenation_headers(message, options);
  return message;
}

}  // namespace

std::string_view to_string(encoding e) { return e == encoding::gsm7 ? "gsm7" : "ucs2"; }

bool fits_concatenation(const encoded_message& message) {
  return message.segments.size() <= max_segments;
}

encoded_message encode(std::string_view utf8_text, const encode_options& options) {
  const std::u32string code_points = utf8::decode(utf8_text);
  if (const auto septets = gsm7::to_septets(code_points)) return encode_gsm7(*septets, options);
  return encode_ucs2(code_points, options);
}

std::string decode(encoding coding, std::span<const std::uint8_t> payload) {
  return coding == encoding::gsm7 ? gsm7::to_utf8(payload) : ucs2::to_utf8(payload);
}

}  // namespace mail2sms::sms
