// How the simulator reads what an ESME submitted: the UDH split from the text, the concatenation
// information, the text decoded, parts put back together, and delivery receipt text. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/connectors/smpp/pdu.hpp"

namespace mail2sms::smpp {

struct split_message {
  std::vector<std::uint8_t> udh;      // with its UDHL octet; empty without UDHI
  std::vector<std::uint8_t> payload;  // the text octets
};

// short_message (or message_payload when short_message is empty), split at the UDH when
// esm_class has UDHI. A UDHL running past the end leaves everything in the payload.
split_message split_user_data(const short_message_fields& m);

struct concatenation_info {
  std::uint16_t reference = 0;
  std::uint8_t total = 0;
  std::uint8_t sequence = 0;
};

// From a UDH's 8-bit (IEI 0x00) or 16-bit (IEI 0x08) concatenation element, else from the SAR
// TLVs; nullopt for a single-part message or nonsense (total 0, sequence 0 or above total).
std::optional<concatenation_info> concatenation_of(std::span<const std::uint8_t> udh,
                                                   const tlv_list& tlvs);

// The text as UTF-8: data_coding 0 and 1 as GSM 03.38 septets (in the national locking / single
// shift tables the UDH names, if it names any: IEI 0x25 / 0x24), 3 as Latin-1, 8 as UCS-2, others
// as GSM.
std::string decode_text(std::uint8_t data_coding, std::span<const std::uint8_t> udh,
                        std::span<const std::uint8_t> payload);

struct completed_message {
  std::string source;
  std::string destination;
  std::string text;
  std::uint8_t data_coding = 0;
  std::vector<std::string> message_ids;  // in part order
};

// Collects the parts of concatenated messages until each is whole. Keyed by source, destination,
// reference and total; at most `max_pending` incomplete messages are kept (the oldest dropped).
class reassembler {
 public:
  explicit reassembler(std::size_t max_pending = 1000) : max_pending_(max_pending) {}

  struct part {
    std::string source;
    std::string destination;
    std::uint8_t data_coding = 0;
    std::optional<concatenation_info> concatenation;
    std::string text;
    std::string message_id;
  };
  // The whole message when this part completes one (at once for a single part).
  std::optional<completed_message> add(part p);

 private:
  using key = std::tuple<std::string, std::string, std::uint16_t, std::uint8_t>;
  struct pending {
    std::uint64_t order = 0;
    std::uint8_t data_coding = 0;
    std::vector<std::optional<std::pair<std::string, std::string>>> parts;  // text, id
  };
  std::map<key, pending> pending_;
  std::uint64_t next_order_ = 0;
  std::size_t max_pending_;
};

// "id:X sub:001 dlvr:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:"
std::string delivery_receipt_text(std::string_view message_id, std::string_view submit_date,
                                  std::string_view done_date);

}  // namespace mail2sms::smpp
