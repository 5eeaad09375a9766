// SMPP 3.4 PDUs as values and a pure codec over byte spans: the client and the simulator feed it
// the bytes they read and write what it encodes; it never sees a socket and never throws on input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::smpp {

inline constexpr std::size_t header_length = 16;
inline constexpr std::size_t max_pdu_length = 64 * 1024;
inline constexpr std::uint8_t interface_version_34 = 0x34;

enum class command_id : std::uint32_t {
  generic_nack = 0x80000000,
  query_sm = 0x00000003,
  query_sm_resp = 0x80000003,
  data_sm = 0x00000103,
  data_sm_resp = 0x80000103,
  bind_receiver = 0x00000001,
  bind_receiver_resp = 0x80000001,
  bind_transmitter = 0x00000002,
  bind_transmitter_resp = 0x80000002,
  submit_sm = 0x00000004,
  submit_sm_resp = 0x80000004,
  deliver_sm = 0x00000005,
  deliver_sm_resp = 0x80000005,
  unbind = 0x00000006,
  unbind_resp = 0x80000006,
  bind_transceiver = 0x00000009,
  bind_transceiver_resp = 0x80000009,
  enquire_link = 0x00000015,
  enquire_link_resp = 0x80000015,
};

std::string_view to_string(command_id id);  // "submit_sm", or "unknown"
inline bool is_response(command_id id) {
  return (static_cast<std::uint32_t>(id) & 0x80000000U) != 0;
}
command_id response_to(command_id request);  // submit_sm -> submit_sm_resp

// Optional parameter tags this code reads or writes (SMPP 3.4 section 5.3.2).
namespace tag {
inline constexpr std::uint16_t receipted_message_id = 0x001E;
inline constexpr std::uint16_t sar_msg_ref_num = 0x020C;
inline constexpr std::uint16_t sar_total_segments = 0x020E;
inline constexpr std::uint16_t sar_segment_seqnum = 0x020F;
inline constexpr std::uint16_t sc_interface_version = 0x0210;
inline constexpr std::uint16_t network_error_code = 0x0423;
inline constexpr std::uint16_t message_payload = 0x0424;
inline constexpr std::uint16_t message_state = 0x0427;
}  // namespace tag

// An optional parameter kept as it came: unknown tags survive a decode/encode round trip.
struct tlv {
  std::uint16_t tag = 0;
  std::vector<std::uint8_t> value;
  bool operator==(const tlv&) const = default;
};
using tlv_list = std::vector<tlv>;

// bind_transmitter, bind_receiver and bind_transceiver share one body.
struct bind_body {
  std::string system_id;    // max 15 characters
  std::string password;     // max 8
  std::string system_type;  // max 12
  std::uint8_t interface_version = interface_version_34;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;  // max 40
  bool operator==(const bind_body&) const = default;
};

struct bind_resp {
  std::string system_id;  // the SMSC's; absent (empty) in a refusal
  tlv_list tlvs;
  bool operator==(const bind_resp&) const = default;
};

// submit_sm and deliver_sm have the same fields (SMPP 3.4 sections 4.4.1 and 4.6.1).
struct short_message_fields {
  std::string service_type;  // max 5
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;  // max 20
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;  // max 20
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;  // empty or 16 characters
  std::string validity_period;         // empty or 16 characters
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::vector<std::uint8_t> short_message;  // max 254 octets; longer text goes in message_payload
  tlv_list tlvs;
  bool operator==(const short_message_fields&) const = default;
};

struct submit_sm : short_message_fields {
  bool operator==(const submit_sm&) const = default;
};
struct deliver_sm : short_message_fields {
  bool operator==(const deliver_sm&) const = default;
};

struct submit_sm_resp {
  std::string message_id;  // max 64; absent (empty) when the submit was refused
  bool operator==(const submit_sm_resp&) const = default;
};
struct deliver_sm_resp {
  std::string message_id;  // unused by SMPP 3.4, always empty
  bool operator==(const deliver_sm_resp&) const = default;
};

// data_sm (SMPP 3.4 section 4.7.1): the short message fields without short_message and its
// neighbours; the text travels in message_payload.
struct data_sm {
  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;  // max 64 here
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;  // max 64
  std::uint8_t esm_class = 0;
  std::uint8_t registered_delivery = 0;
  std::uint8_t data_coding = 0;
  tlv_list tlvs;
  bool operator==(const data_sm&) const = default;
};
struct data_sm_resp {
  std::string message_id;  // absent (empty) in a refusal
  tlv_list tlvs;
  bool operator==(const data_sm_resp&) const = default;
};

// query_sm (section 4.8.1) and its response (4.8.2): the state of a message the SMSC took.
struct query_sm {
  std::string message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  bool operator==(const query_sm&) const = default;
};
struct query_sm_resp {
  std::string message_id;
  std::string final_date;  // empty or 16 characters
  std::uint8_t message_state = 0;
  std::uint8_t error_code = 0;
  bool operator==(const query_sm_resp&) const = default;
};

// The body of a command this codec does not model (cancel_sm, replace_sm, ...), kept as bytes so
// a peer can answer it with generic_nack.
struct raw_body {
  std::vector<std::uint8_t> bytes;
  bool operator==(const raw_body&) const = default;
};

// std::monostate: a header-only PDU (enquire_link, unbind, generic_nack and their responses), or
// a response sent without its body because its status is an error.
using pdu_body = std::variant<std::monostate, bind_body, bind_resp, submit_sm, submit_sm_resp,
                              deliver_sm, deliver_sm_resp, raw_body, data_sm, data_sm_resp,
                              query_sm, query_sm_resp>;

struct pdu {
  command_id command = command_id::generic_nack;
  std::uint32_t status = 0;
  std::uint32_t sequence = 0;
  pdu_body body;
  bool operator==(const pdu&) const = default;
};

// The PDU as bytes. Fails (never throws) when a field exceeds its SMPP maximum, the body does not
// belong to the command, or the whole would exceed max_pdu_length.
result<std::vector<std::uint8_t>, std::string> encode(const pdu& message);

enum class parse_status {
  need_more,  // the buffer holds no complete PDU yet: read more and call again
  ok,         // `message` is complete; drop `consumed` bytes
  bad_body,   // a well-framed PDU whose body is malformed: drop `consumed` bytes and answer
              // generic_nack(message.sequence, error_status); the stream stays usable
  bad_frame,  // command_length is impossible: the stream cannot be resynchronised, close it
};

struct parse_result {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0;
  pdu message;                     // ok: the PDU; bad_body: its header fields only
  std::uint32_t error_status = 0;  // bad_body / bad_frame: the ESME_R* code that fits
  std::string error;               // bad_body / bad_frame: what was wrong, for the log
};

// Looks at the front of `buffer` only; reads nothing past its end.
parse_result parse(std::span<const std::uint8_t> buffer, std::size_t max_length = max_pdu_length);

// Optional parameter helpers. Getters return nullopt when the tag is absent or its length is
// wrong for it; setters replace an existing value.
const tlv* find_tlv(const tlv_list& tlvs, std::uint16_t tag);
void set_tlv(tlv_list& tlvs, std::uint16_t tag, std::vector<std::uint8_t> value);

std::optional<std::uint16_t> sar_msg_ref_num(const tlv_list& tlvs);
std::optional<std::uint8_t> sar_total_segments(const tlv_list& tlvs);
std::optional<std::uint8_t> sar_segment_seqnum(const tlv_list& tlvs);
void set_sar(tlv_list& tlvs, std::uint16_t ref_num, std::uint8_t total, std::uint8_t seqnum);

std::optional<std::vector<std::uint8_t>> message_payload(const tlv_list& tlvs);
void set_message_payload(tlv_list& tlvs, std::span<const std::uint8_t> payload);

std::optional<std::string> receipted_message_id(const tlv_list& tlvs);  // without its NUL

// SMPP's C-octet strings (addresses, message ids, a receipt's text fields) are ASCII. A byte
// outside it, or a NUL inside a value, becomes '?': what an SMSC sends is then text that the
// database takes and a log can print, and one malformed PDU cannot fail the batch of receipts or
// replies it is stored with on every resend.
std::string ascii_only(std::string value);
void set_receipted_message_id(tlv_list& tlvs, std::string_view id);

// message_state values (SMPP 3.4 section 5.2.28).
enum class message_state : std::uint8_t {
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
};
std::optional<message_state> get_message_state(const tlv_list& tlvs);
void set_message_state(tlv_list& tlvs, message_state state);

}  // namespace mail2sms::smpp
