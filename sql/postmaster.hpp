// The postmaster's mailbox (0018): mail to RCPT TO:<Postmaster>, kept whole for the operator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notify/postmaster_forward.hpp"
#include "core/ports.hpp"

namespace mail2sms::sql {

class postmaster_box final : public core::postmaster_mailbox, public notify::postmaster_outbox {
 public:
  // capacity: octets the mailbox holds, each mail counting its size and 1 KiB more; forward_to:
  // where each mail delivered here is to be forwarded (empty: nowhere).
  postmaster_box(std::string connection_string, std::int64_t capacity, std::string forward_to = {});
  // On the calling thread's connection. 0020's running total is taken under its row lock, so the
  // mailbox never holds more than the capacity.
  result<std::optional<std::int64_t>, core::store_error> deliver(
      const core::postmaster_mail& mail) override;

  // notify::postmaster_outbox, each on the calling thread's connection.
  result<std::vector<notify::postmaster_pending>, core::store_error> claim_forwards(
      int limit, std::chrono::seconds lease) override;
  result<ok_t, core::store_error> forwarded(std::int64_t id, const std::string& detail) override;
  result<ok_t, core::store_error> forward_later(std::int64_t id, std::chrono::seconds after,
                                                const std::string& detail) override;
  result<ok_t, core::store_error> forward_given_up(std::int64_t id,
                                                   const std::string& detail) override;
  result<ok_t, core::store_error> release_forwards(const std::vector<std::int64_t>& ids) override;

 private:
  std::string connection_string_;
  std::int64_t capacity_;
  std::string forward_to_;
};

struct postmaster_entry {
  std::int64_t id = 0;
  std::string received_at;  // ISO 8601, UTC
  std::string client, helo, mail_from, recipient;
  std::optional<std::string> account;  // the sending account's name, when it had one
  bool tls = false;
  std::int64_t size = 0;  // octets
  std::string
      headers;  // the mail's header section, at most 64 KiB of it  // Forwarding ([notifications]
                // postmaster_to): where to (empty: not forwarded), the attempts,
  // when it was forwarded (empty: not yet, or given up), and the relay's last words.
  std::string forward_to, forwarded_at, forward_detail;
  int forward_attempts = 0;
  bool forward_pending = false;
};

// The newest `limit` mails, newest first.
result<std::vector<postmaster_entry>, core::store_error> list_postmaster_mail(
    const std::string& connection_string, int limit);
// One mail as received; nullopt when there is none with that number.
result<std::optional<std::string>, core::store_error> postmaster_message(
    const std::string& connection_string, std::int64_t id);
// False when there was none with that number.
result<bool, core::store_error> delete_postmaster_mail(const std::string& connection_string,
                                                       std::int64_t id);

}  // namespace mail2sms::sql
