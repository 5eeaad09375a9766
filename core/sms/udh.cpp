// Concatenation UDH octets, 8-bit and 16-bit reference forms.
#include "core/sms/udh.hpp"

#include "core/sms/sms.hpp"

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

namespace mail2sms::sms {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

}  // namespace mail2sms::sms
