// The notification outbox in PostgreSQL (migration 0008): notify::notification_outbox for the
// notifier, and what serve and the operator ask about it.
#pragma once

#include <memory>
#include <string>

#include "core/notify/outbox.hpp"

namespace mail2sms::sql {

inline constexpr const char* notifications_channel = "mail2sms_notifications";

class notification_store : public notify::notification_outbox {
 public:
  explicit notification_store(std::string connection_string);
  ~notification_store() override;

  result<std::vector<notify::pending_notification>, core::store_error> claim(
      int limit, std::chrono::seconds lease) override;
  result<ok_t, core::store_error> sent(std::int64_t id, const std::string& detail) override;
  result<ok_t, core::store_error> retry(std::int64_t id, std::chrono::seconds after,
                                        const std::string& detail) override;
  result<ok_t, core::store_error> give_up(std::int64_t id, const std::string& detail) override;
  result<ok_t, core::store_error> release(const std::vector<std::int64_t>& ids) override;
  bool wait_for_notifications(std::chrono::milliseconds timeout) override;

  // The names of the accounts with notify other than 'off' (serve warns when nothing sends).
  result<std::vector<std::string>, core::store_error> accounts_wanting_notifications();

 private:
  struct listener;
  result<ok_t, core::store_error> finish(std::int64_t id, const std::string& state,
                                         const std::string& detail);
  std::string connection_string_;
  std::unique_ptr<listener> listener_;  // used by the notifier thread only
};

}  // namespace mail2sms::sql
