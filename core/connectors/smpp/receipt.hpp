// What a deliver_sm from the SMSC says: a delivery receipt (from the receipted_message_id,
// message_state and network_error_code TLVs, or from the "id:... stat:... err:..." text) or a
// reply. And the message id normalisation that makes receipt ids equal submit_sm_resp ids. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/connectors/smpp/pdu.hpp"
#include "core/dispatch/reports.hpp"

namespace mail2sms::smpp {

// How an SMSC writes its message ids. as_is compares the text; decimal and hex read it as a
// number and normalise it to decimal, so "0000002a" (hex) and "42" (decimal) are the same id.
enum class id_format { as_is, decimal, hex };

// nullopt for an unknown name; names: "as-is", "decimal", "hex".
std::optional<id_format> id_format_from(std::string_view name);

// Normalised: as_is trims spaces; decimal/hex give the number in decimal. An id that does not
// read as a number in the given base (or exceeds 64 bits) stays as it is, lower-cased.
std::string normalise_message_id(std::string_view id, id_format format);

// The id as the SMSC wrote it in submit_sm_resp, from its normalised form: hex ids were
// normalised to decimal and go back to (lower-case) hex; the other forms are as stored.
std::string submitted_message_id(std::string_view normalised, id_format format);

// A receipt's state name for a message_state value (SMPP 3.4 section 5.2.28): ENROUTE for 1 ...
// REJECTD for 8; empty for any other value.
std::string receipt_state_of(std::uint8_t message_state);

// What a query_sm's answer says: query_sm_resp with ESME_ROK and a known message_state -> its
// state and error_code; ESME_RQUERYFAIL or ESME_RINVMSGID -> not_found; anything else (another
// status, generic_nack, an unknown message_state) -> failed, with the reason.
core::query_result query_result_of(const pdu& response);

struct parsed_receipt {
  std::string message_id;  // normalised
  std::string state;       // DELIVRD EXPIRED DELETED UNDELIV ACCEPTD UNKNOWN REJECTD ENROUTE
  std::string error_code;  // err: or the network_error_code's error, may be empty
};

// The receipt a deliver_sm carries, or nullopt when it is not a receipt (esm_class says neither
// an SMSC delivery receipt nor an intermediate notification, and no receipted_message_id TLV).
// TLV values win over the text; the TLV id is read with `submit_ids` (it is the id the
// submit_sm_resp gave), the text id with `text_ids`. A receipt without an id or a state is
// nullopt as well (it cannot be matched); `bad` then says so when the caller asks.
std::optional<parsed_receipt> receipt_of(const deliver_sm& d, id_format submit_ids,
                                         id_format text_ids, std::string* bad = nullptr);

// The fields of the receipt text ("id:123 sub:001 ... stat:DELIVRD err:000 text:..."), keys case
// insensitive; absent fields are empty.
struct receipt_text_fields {
  std::string id;
  std::string stat;
  std::string err;
};
receipt_text_fields parse_receipt_text(std::string_view text);

// The reply a deliver_sm that is not a receipt carries, as the connector `connector` received
// it: its text as UTF-8 (short_message or message_payload, UDH removed), and the part it is of a
// concatenated reply (UDH IEI 0x00 or 0x08, or the SAR TLVs), if it is one. Each part's text is
// decoded on its own. `default_source`: the connector's source address for messages without a
// sender ID ("" if it has none), which the store compares the reply's destination with.
core::inbound_message reply_of(std::string connector, const deliver_sm& d,
                               std::string_view default_source = {});

}  // namespace mail2sms::smpp
