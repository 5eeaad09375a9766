// A message's SMS parts as the intake stores them in messages.parts (migration 0014): for each
// part in order, one octet with the UDH's length, the UDH, one octet with the payload's length,
// the payload. One column of the message's row instead of a row per part: the intake wrote
// seven part rows (and seven index entries) for a 1 KiB mail, a quarter of PostgreSQL's work
// per mail. message_parts keeps what happens to each part once it is sent (SMSC id, receipt
// state, query_sm), written by the outcome that submitted it. Internal to sql/.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/sms/sms.hpp"

namespace mail2sms::sql {

using packed_parts = std::basic_string<unsigned char>;

// Appends the segments' packed form to `out`. A UDH or payload longer than 255 octets (no SMS
// part has one: 140 octets of user data, 160 unpacked septets) is a programming error: throws
// std::logic_error, with `out` unchanged.
void append_packed(packed_parts& out, std::span<const sms::segment> segments);

// The segments of a packed value; nullopt if it is not one (cut short, or a length that runs
// past its end).
std::optional<std::vector<sms::segment>> unpack_parts(std::span<const unsigned char> packed);

}  // namespace mail2sms::sql
