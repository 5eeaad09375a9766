// Mail to the postmaster (RFC 5321 4.5.1), forwarded to a person through the [notifications]
// relay when [notifications] postmaster_to names one: the mail as received, attached to a short
// note that says who sent it from where. Retried with backoff and given up like delivery-status
// mails; the mail stays in the database (`mail2sms postmaster`) either way.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "core/notify/notifier.hpp"
#include "core/outage_log.hpp"

namespace mail2sms::notify {

// One claimed mail to forward.
struct postmaster_pending {
  std::int64_t id = 0;
  int attempts = 0;             // including this one
  std::chrono::seconds age{0};  // since it was received
  std::string forward_to;
  std::string client, helo, mail_from, recipient;
  std::string received_at;  // RFC 5322
  std::string message;      // as received
};

class postmaster_outbox {
 public:
  virtual ~postmaster_outbox() = default;
  // As notification_outbox::claim: up to `limit` due mails, leased for `lease`.
  virtual result<std::vector<postmaster_pending>, core::store_error> claim_forwards(
      int limit, std::chrono::seconds lease) = 0;
  virtual result<ok_t, core::store_error> forwarded(std::int64_t id, const std::string& detail) = 0;
  virtual result<ok_t, core::store_error> forward_later(std::int64_t id, std::chrono::seconds after,
                                                        const std::string& detail) = 0;
  virtual result<ok_t, core::store_error> forward_given_up(std::int64_t id,
                                                           const std::string& detail) = 0;
  // As notification_outbox::release.
  virtual result<ok_t, core::store_error> release_forwards(
      const std::vector<std::int64_t>& ids) = 0;
};

class postmaster_forwarder {
 public:
  // settings: the notifier's (relay, from, hostname, retries); send: send_mail in serve.
  postmaster_forwarder(postmaster_outbox& outbox, notifier_settings settings,
                       mail_sender send = send_mail);

  void run(std::stop_token stop);  // polls every `idle_wait` (mail to the postmaster is rare)
  int run_once(std::stop_token stop = {});

 private:
  void forward(const postmaster_pending& m, std::stop_token stop);

  postmaster_outbox& outbox_;
  notifier_settings settings_;
  core::outage_log claims_{"postmaster forwarding", "cannot claim", "claiming again"};
  mail_sender send_;
};

}  // namespace mail2sms::notify
