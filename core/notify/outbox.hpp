// What the notifier needs from storage (sql/notifications.cpp implements it): claim due
// notifications under a lease, record what became of each, and wait for new ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::notify {

// One claimed notification with what the mail about it says. Dates are RFC 5322 text.
struct pending_notification {
  std::int64_t id = 0;
  int attempts = 0;             // including this one
  std::chrono::seconds age{0};  // since the row was written
  std::string rcpt_to;
  std::string queue_id;
  std::string recipient;  // E.164
  std::string status;     // the state it reports
  std::string reason;     // last_error or the newest event's detail
  std::string mail_message_id;
  std::string accepted_at;                // RFC 5322
  std::string changed_at;                 // RFC 5322: when the row was written (the state change)
  bool reply = false;                     // a reply (MO) from `recipient`, not a state change
  std::optional<std::string> reply_text;  // nullopt: erased after the retention period
};

class notification_outbox {
 public:
  virtual ~notification_outbox() = default;
  // Up to limit due rows, each locked with FOR UPDATE SKIP LOCKED and leased for `lease` (its
  // next_attempt_at moved past it, attempts counted) in one statement: another process skips
  // them while this one sends, and takes them again after the lease if this one died.
  virtual result<std::vector<pending_notification>, core::store_error> claim(
      int limit, std::chrono::seconds lease) = 0;
  virtual result<ok_t, core::store_error> sent(std::int64_t id, const std::string& detail) = 0;
  virtual result<ok_t, core::store_error> retry(std::int64_t id, std::chrono::seconds after,
                                                const std::string& detail) = 0;
  // Given up: the row says so and the message gets an event (status 'notification').
  virtual result<ok_t, core::store_error> give_up(std::int64_t id, const std::string& detail) = 0;
  // Claimed but not tried (serve is stopping): due again now, the attempt not counted, instead
  // of waiting out the lease.
  virtual result<ok_t, core::store_error> release(const std::vector<std::int64_t>& ids) = 0;
  // Blocks until a new notification is announced (LISTEN) or the timeout passes.
  virtual bool wait_for_notifications(std::chrono::milliseconds timeout) = 0;
};

}  // namespace mail2sms::notify
