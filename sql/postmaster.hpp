// The postmaster's mailbox (0018): mail to RCPT TO:<Postmaster>, kept whole for the operator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::sql {

class postmaster_box final : public core::postmaster_mailbox {
 public:
  explicit postmaster_box(std::string connection_string);
  // On the calling thread's connection. Deliveries are taken one at a time (a table lock held
  // to the commit), so the mailbox never holds more than `capacity` octets.
  result<std::optional<std::int64_t>, core::store_error> deliver(const core::postmaster_mail& mail,
                                                                 std::int64_t capacity) override;

 private:
  std::string connection_string_;
};

struct postmaster_entry {
  std::int64_t id = 0;
  std::string received_at;  // ISO 8601, UTC
  std::string client, helo, mail_from, recipient;
  std::optional<std::string> account;  // the sending account's name, when it had one
  bool tls = false;
  std::int64_t size = 0;  // octets
  std::string headers;    // the mail's header section, at most 64 KiB of it
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
