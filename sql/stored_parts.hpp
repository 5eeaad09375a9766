// A message's SMS parts as the intake stores them in messages.parts (migration 0014), in one of
// two forms:
//  - whole: for each part in order, an octet with the UDH's length, the UDH, an octet with the
//    payload's length, the payload;
//  - by text (what the intake writes when the encoder said which octets of the text each part
//    carries): the octet 0xFF (no UDH is 255 octets long), then for each part an octet with the
//    UDH's length, the UDH, and two octets (big-endian) with the length of the piece of the
//    message's text (messages.body) it carries. The payloads are made again from the text at
//    the claim (sms::payload_of); the text is not stored twice. A 1 KiB mail's row went from
//    2,264 octets to 1,257 (its parts from 1,068 to 64), its WAL from 3,348 to 2,336, and
//    PostgreSQL's CPU per mail at intake down 13 % (docs/PERFORMANCE.md, session 16).
// One column of the message's row instead of a row per part: the intake wrote seven part rows
// (and seven index entries) for a 1 KiB mail, a quarter of PostgreSQL's work per mail.
// message_parts keeps what happens to each part once it is sent (SMSC id, receipt state,
// query_sm), written by the outcome that submitted it. Internal to sql/.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/sms/sms.hpp"

namespace mail2sms::sql {

using packed_parts = std::basic_string<unsigned char>;

// Appends the segments' whole form to `out`. A UDH of 255 octets or more or a payload longer than
// 255 (no SMS part has one: 140 octets of user data, 160 unpacked septets) is a programming
// error: throws std::logic_error, with `out` unchanged.
void append_packed(packed_parts& out, std::span<const sms::segment> segments);

// Appends the by-text form of `message` (the text stored beside it must be message.text) and
// returns true; false, with `out` unchanged, when the message does not say which piece of its
// text each part carries (text_sizes) or a piece is longer than two octets can say. A UDH of
// 255 octets or more throws std::logic_error, as above.
bool append_packed_by_text(packed_parts& out, const sms::encoded_message& message);

// The segments of a stored value in either form; `text` and `coding` are the message's
// (messages.body and messages.encoding), which the by-text form needs. nullopt if it is not one
// (cut short, a length that runs past its end, pieces that do not add up to the text, a piece
// the coding cannot carry).
std::optional<std::vector<sms::segment>> unpack_parts(std::span<const unsigned char> packed,
                                                      std::string_view text, sms::encoding coding);

}  // namespace mail2sms::sql
