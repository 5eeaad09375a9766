// Fuzzes the SMPP 3.4 codec as the client and the simulator use it: a byte stream cut into PDUs by
// parse(); every PDU that decodes must encode again and decode to the same value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "core/connectors/smpp/pdu.hpp"

namespace {

using namespace mail2sms::smpp;
using byte_span = std::span<const std::uint8_t>;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "smpp_codec_fuzz: invariant broken: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

std::uint32_t command_length(byte_span b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

// The fields a decoder reads back: trailing bytes it ignores (after a bind body, a response's
// message_id or on a header-only PDU) are the only difference an encode may make.
bool encodes_every_byte(const pdu& p) {
  return std::holds_alternative<submit_sm>(p.body) || std::holds_alternative<deliver_sm>(p.body) ||
         std::holds_alternative<data_sm>(p.body) || std::holds_alternative<raw_body>(p.body);
}

void exercise_tlv_getters(const pdu& p) {
  const tlv_list* tlvs = nullptr;
  if (const auto* s = std::get_if<submit_sm>(&p.body)) tlvs = &s->tlvs;
  if (const auto* d = std::get_if<deliver_sm>(&p.body)) tlvs = &d->tlvs;
  if (const auto* b = std::get_if<bind_resp>(&p.body)) tlvs = &b->tlvs;
  if (const auto* d = std::get_if<data_sm>(&p.body)) tlvs = &d->tlvs;
  if (const auto* d = std::get_if<data_sm_resp>(&p.body)) tlvs = &d->tlvs;
  if (tlvs == nullptr) return;
  (void)sar_msg_ref_num(*tlvs);
  (void)sar_total_segments(*tlvs);
  (void)sar_segment_seqnum(*tlvs);
  (void)message_payload(*tlvs);
  (void)get_message_state(*tlvs);
  if (const auto id = receipted_message_id(*tlvs))
    check(id->size() <= 64, "receipted_message_id too long");
}

void check_round_trip(const pdu& decoded, byte_span frame) {
  const auto wire = encode(decoded);
  check(wire.has_value(), "a decoded PDU does not encode again");
  check(wire->size() >= header_length && wire->size() <= max_pdu_length, "encoded length");
  check(command_length(*wire) == wire->size(), "encoded command_length is not the PDU's length");

  const auto again = parse(*wire);
  check(again.status == parse_status::ok, "the re-encoded PDU does not parse");
  check(again.consumed == wire->size(), "the re-encoded PDU is not consumed whole");
  check(again.message == decoded, "decode(encode(pdu)) != pdu");

  const auto wire2 = encode(again.message);
  check(wire2.has_value() && *wire2 == *wire, "encoding is not canonical");
  if (encodes_every_byte(decoded)) {
    // Byte for byte, but for the octets outside ASCII in C-octet strings, which parse reads as
    // '?' (pdu.hpp, ascii_only).
    check(std::equal(frame.begin(), frame.end(), wire->begin(), wire->end(),
                     [](std::uint8_t sent, std::uint8_t again) {
                       return sent == again || (again == '?' && sent >= 0x80);
                     }),
          "encode(parse(bytes)) != bytes for a fully modelled PDU");
  }
}

// One PDU at the front of `buffer`; returns how many bytes to drop, 0 to stop reading.
std::size_t one_pdu(byte_span buffer) {
  const auto r = parse(buffer);
  switch (r.status) {
    case parse_status::need_more:
      check(r.consumed == 0, "need_more consumed bytes");
      check(buffer.size() < 4 || command_length(buffer) > buffer.size(),
            "need_more with a complete PDU in the buffer");
      return 0;
    case parse_status::bad_frame:
      check(r.consumed == 0 && !r.error.empty() && r.error_status != 0, "bad_frame report");
      return 0;
    case parse_status::ok:
    case parse_status::bad_body:
      break;
  }
  check(r.consumed >= header_length && r.consumed <= buffer.size(), "consumed out of range");
  check(r.consumed == command_length(buffer), "consumed != command_length");
  // Framing must not depend on how the bytes arrive: one octet short is always need_more.
  check(parse(buffer.first(r.consumed - 1)).status == parse_status::need_more,
        "a PDU one octet short is not need_more");
  const auto alone = parse(buffer.first(r.consumed));
  check(alone.status == r.status && alone.message == r.message,
        "a PDU parses differently with bytes after it");
  if (r.status == parse_status::bad_body) {
    check(!r.error.empty() && r.error_status != 0, "bad_body without error");
    check(std::holds_alternative<std::monostate>(r.message.body), "bad_body carries a body");
  } else {
    exercise_tlv_getters(r.message);
    check_round_trip(r.message, buffer.first(r.consumed));
  }
  return r.consumed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_span buffer(data, size);
  while (!buffer.empty()) {
    const std::size_t consumed = one_pdu(buffer);
    if (consumed == 0) break;
    buffer = buffer.subspan(consumed);
  }
  return 0;
}
