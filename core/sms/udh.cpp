// Concatenation UDH octets, 8-bit and 16-bit reference forms.
#include "core/sms/udh.hpp"

namespace mail2sms::sms::udh {

std::vector<std::uint8_t> concatenation_header(const concatenation& c) {
  const auto ref_high = static_cast<std::uint8_t>(c.reference >> 8);
  const auto ref_low = static_cast<std::uint8_t>(c.reference & 0xFF);
  if (c.reference_16bit) {
    return {0x06, iei_concat_16bit, 0x04, ref_high, ref_low, c.total, c.sequence};
  }
  return {0x05, iei_concat_8bit, 0x03, ref_low, c.total, c.sequence};
}

}  // namespace mail2sms::sms::udh
