// Whether an account may have a mail committed now: credit, rate limits, the per-number velocity
// limit and the dedup window. The store reads each account's state under a row lock, with what
// recent messages each recipient had, and asks this module to decide every mail of a batch in
// order; then it writes the reservations. Pure: no database, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::core::policy {

// An account as the database has it at commit time (the row is locked while the batch decides).
struct account_state {
  bool active = true;
  bool fail_fast = false;               // credit_policy "fail": 5xx instead of 4xx without credit
  std::int64_t credit = 0;
  std::int64_t messages_per_minute = 0;  // 0: no limit
  std::int64_t minute_used = 0;          // messages already counted in this minute
  std::int64_t segments_per_day = 0;     // 0: no limit
  std::int64_t day_used = 0;             // segments already counted this day
  std::int64_t per_number_per_hour = 0;  // 0: no limit
};

// What one recipient already had from the account (from committed messages).
struct recipient_history {
  std::int64_t last_hour = 0;  // messages to this number in the past hour
  bool duplicate = false;      // a message with this mail's Message-ID and text within the window
};

struct candidate {
  std::int64_t account_id = 0;
  std::string message_id;                   // the mail's Message-ID ("" never deduplicates)
  std::string_view text;                    // what the SMS says: a duplicate says the same
  std::int64_t segments = 0;                // per recipient
  std::vector<std::string> recipients;      // E.164
  std::vector<std::int64_t> costs;          // beside recipients
  std::vector<recipient_history> history;   // beside recipients
};

struct decision {
  std::optional<refusal> refused;  // nothing of this mail is stored
  std::vector<bool> send;          // beside recipients: false for a duplicate
  std::size_t duplicates = 0;
  std::int64_t cost = 0;           // credit to reserve
  std::int64_t messages = 0;       // towards messages per minute
  std::int64_t segments = 0;       // towards segments per day
};

// Decides the batch in order. Each admitted mail is charged against `states` (credit, counters)
// and counts for the next ones (two mails to one number, the same mail twice: the same Message-ID
// and text), so a batch decides exactly as its mails one by one would.
std::vector<decision> admit(const std::vector<candidate>& batch,
                            std::map<std::int64_t, account_state>& states);

// The Message-ID as a dedup key, or "" where it cannot be one. RFC 5322 3.6.4's msg-id is
// "<" id-left "@" id-right ">"; a value without an '@' with something on each side of it
// ("<>", "<@>", "<12345>") names no mail. Such a value, sent by a system that gives every mail
// the same one, would make each later mail of the dedup window a duplicate of the first: a 250
// and no SMS. (A valid Message-ID sent again with another text is another mail too: a duplicate
// is the same Message-ID and the same text; README, `dedup-window`.)
std::string dedup_key(const std::string& message_id);

}  // namespace mail2sms::core::policy
