// From a queued message to the submit_sm PDUs that carry it: source and destination addressing,
// data_coding, UDH indicator. Pure, so the rules are unit-tested without a socket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/connectors/smpp/pdu.hpp"
#include "core/ports.hpp"
#include "core/result.hpp"

namespace mail2sms::smpp {

inline constexpr std::uint8_t ton_unknown = 0;
inline constexpr std::uint8_t ton_international = 1;
inline constexpr std::uint8_t ton_alphanumeric = 5;
inline constexpr std::uint8_t npi_unknown = 0;
inline constexpr std::uint8_t npi_isdn = 1;

inline constexpr std::uint8_t esm_class_udhi = 0x40;
inline constexpr std::uint8_t esm_class_delivery_receipt = 0x04;
inline constexpr std::uint8_t data_coding_gsm7 = 0;  // SMSC default alphabet, unpacked septets
inline constexpr std::uint8_t data_coding_ucs2 = 8;

struct address {
  std::uint8_t ton = ton_unknown;
  std::uint8_t npi = npi_unknown;
  std::string value;
  bool operator==(const address&) const = default;
};

// The sender: digits or +digits -> international/ISDN without '+'; anything else alphanumeric
// (at most 11 characters, what handsets show); empty -> `default_source` by the same rules; both
// empty -> an empty source the SMSC fills in. The error is a sentence for the status row.
result<address, std::string> source_address(std::string_view sender_id,
                                            std::string_view default_source);

// The recipient: E.164 ("+27821234567") or bare digits -> international/ISDN without '+'.
result<address, std::string> destination_address(std::string_view e164);

struct submit_options {
  std::string default_source;
  std::uint8_t registered_delivery = 1;
  // Concatenated parts carry their concatenation in SAR TLVs (sar_msg_ref_num,
  // sar_total_segments, sar_segment_seqnum) instead of a UDH, for SMSCs that want it so. The
  // other UDH elements (national language shift tables) are still sent, in a UDH without the
  // concatenation element (esm_class UDHI).
  bool sar = false;
};

// One submit_sm per segment, in order. Fails (permanently) when an address is unusable or a
// segment cannot fit one short_message.
result<std::vector<submit_sm>, std::string> to_submit_sms(const core::queued_message& message,
                                                          const submit_options& options);

// "+27821234567" -> "+2782*****67": enough to tell numbers apart in logs, not to dial them.
std::string mask_number(std::string_view number);

}  // namespace mail2sms::smpp
