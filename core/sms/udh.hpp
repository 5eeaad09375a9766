// User Data Headers for concatenated SMS (3GPP TS 23.040 9.2.3.24.1 and .8): the octets that let
// a handset put the parts of one message back together.
#pragma once

#include <cstdint>
#include <vector>

namespace mail2sms::sms::udh {

inline constexpr std::uint8_t iei_concat_8bit = 0x00;
inline constexpr std::uint8_t iei_concat_16bit = 0x08;

struct concatenation {
  std::uint16_t reference = 0;  // with an 8-bit reference only the low octet is sent
  bool reference_16bit = false;
  std::uint8_t total = 0;     // parts in the message
  std::uint8_t sequence = 0;  // this part, from 1
};

// The complete UDH, UDHL octet first: 05 00 03 REF TOTAL SEQ or 06 08 04 REFHI REFLO TOTAL SEQ.
std::vector<std::uint8_t> concatenation_header(const concatenation& c);

}  // namespace mail2sms::sms::udh
