// What the sms tests measure on encoded messages: the text the parts carry back, and the octets
// each part takes on the air interface.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/sms/sms.hpp"

namespace mail2sms::sms::test_support {

inline std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// Every part decoded on its own, then joined: what a handset shows.
inline std::string decode_all(const encoded_message& message) {
  std::string out;
  for (const auto& s : message.segments) out += decode(message.coding, s.payload);
  return out;
}

// TP-UD octets of one part. GSM: the UDH is padded with fill bits to a septet boundary, then the
// septets are packed 7 bits each (TS 23.040 9.2.3.24). UCS-2: UDH plus the payload octets.
inline std::size_t user_data_octets(encoding coding, const segment& s) {
  if (coding == encoding::ucs2) return s.udh.size() + s.payload.size();
  const std::size_t header_septets = (s.udh.size() * 8 + 6) / 7;
  return ((header_septets + s.payload.size()) * 7 + 7) / 8;
}

// The simpler bound: UDH octets plus ceil(septets * 7 / 8).
inline std::size_t udh_plus_packed_octets(encoding coding, const segment& s) {
  if (coding == encoding::ucs2) return s.udh.size() + s.payload.size();
  return s.udh.size() + (s.payload.size() * 7 + 7) / 8;
}

}  // namespace mail2sms::sms::test_support
