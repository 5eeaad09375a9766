// What comes back from an SMSC: delivery reports (receipts) for parts already submitted, and
// inbound messages (replies). The connectors produce them; a report_store keeps them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::core {

// One receipt for one submitted segment. `smsc_message_id` is normalised by the connector so it
// equals the id it reported for the segment at submit time.
struct delivery_report {
  std::string connector;
  std::string smsc_message_id;
  std::string state;       // DELIVRD EXPIRED DELETED UNDELIV ACCEPTD UNKNOWN REJECTD ENROUTE
  std::string error_code;  // the receipt's err: or network_error_code; may be empty
};

// Where one part of a concatenated reply belongs: the sender's reference, how many parts the
// reply has (2..255) and which one this is (1..total).
struct reply_part {
  std::uint16_t reference = 0;
  std::uint8_t total = 0;
  std::uint8_t number = 0;
};

// A mobile-originated message (a reply): who sent it, to which of our numbers, its text. A part
// of a concatenated reply carries `part`; the store keeps such parts until the reply is whole.
struct inbound_message {
  std::string connector;
  std::string source;
  std::string destination;
  std::string text;  // UTF-8; of this part only when `part` is set
  std::optional<reply_part> part;
  // The receiving connector's source address for messages without a sender ID ("": it has none).
  // The store tells by it whom a reply is for (migration 0024).
  std::string default_source;
};

// Whether a receipt state is final for its segment (ENROUTE and ACCEPTD are not).
bool is_final_state(const std::string& state);

class report_store {
 public:
  virtual ~report_store() = default;
  // Stores every report and applies it to the segment it matches (connector + smsc id); a report
  // whose segment is not known yet is kept and applied when the segment's id is recorded.
  virtual result<ok_t, store_error> record_reports(const std::vector<delivery_report>& reports) = 0;
  // Stores replies. A part of a concatenated reply is kept (a repeat of a part already kept
  // changes nothing) until its reply's last part arrives; then the reply is stored whole, its
  // parts' texts joined in order, in the same transaction.
  virtual result<ok_t, store_error> record_inbound(const std::vector<inbound_message>& messages) = 0;
  // Stores the replies whose first kept part is older than `wait` and which are still missing
  // parts as they are, saying which parts are missing. Returns how many. A store that keeps no
  // parts has nothing to do here.
  virtual result<std::size_t, store_error> store_incomplete_replies(std::chrono::seconds wait) {
    (void)wait;
    return std::size_t{0};
  }
  // Applies the stored reports that still match no segment, received within `window`, to the
  // segments recorded since: the second look that a process stopping between a commit and its
  // own second look leaves undone. Returns how many it matched. A store that always matches
  // at once has nothing to do here.
  virtual result<std::size_t, store_error> match_stored_reports(std::chrono::seconds window) {
    (void)window;
    return std::size_t{0};
  }
};

// Where submitted parts wait for a query_sm (see part_queries).
class query_store {
 public:
  virtual ~query_store() = default;
  // Claims up to `limit` of `connector`'s parts whose query is due (a part recorded with an SMSC
  // id and no final state is due `query_after` after that) and sets each one's next query, so
  // no other process asks about it before then: `query_after` * 2^queries, at least 60 s and at
  // most an hour later, and none once that would be past its acceptance plus `validity`.
  // Parts whose message settled meanwhile are dropped, not returned.
  virtual result<std::vector<part_query>, store_error> claim_queries(
      const std::string& connector, int limit, std::chrono::seconds query_after,
      std::chrono::seconds validity) = 0;
};

}  // namespace mail2sms::core
