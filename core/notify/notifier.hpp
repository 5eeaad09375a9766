// The notifier in `serve`: takes due notifications from the outbox, renders each as an RFC 3464
// delivery-status mail and hands it to the relay; 4xx and connection failures are retried with
// backoff, 5xx and notifications older than give_up_after are given up. One mail per message.
#pragma once

#include <spdlog/spdlog.h>
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>

#include "core/notify/dsn.hpp"
#include "core/notify/outbox.hpp"
#include "core/notify/smtp_client.hpp"
#include "core/outage_log.hpp"

namespace mail2sms::notify {

struct notifier_settings {
  relay_settings relay;
  std::string from;              // From: of the mails
  std::string hostname;          // Reporting-MTA and the right side of Message-IDs
  std::string recipient_domain;  // Final-Recipient: NUMBER@this
  std::chrono::seconds retry_base{60};
  std::chrono::seconds retry_max{3600};
  std::chrono::seconds give_up_after{5 * 86400};
  int batch = 10;                             // claimed at once
  std::chrono::milliseconds idle_wait{1000};  // LISTEN, then look again
};

// For the mails the notifier and the postmaster forwarder write: random hex for Message-IDs and
// boundaries, the time now as an RFC 5322 date, and the relay's words with `address`, and its
// local part as a word of its own, replaced by "(address)" and numbers masked (a reply such as
// "550 5.1.1 <a@b>: unknown" would name the mailbox in the log).
std::string random_hex(std::size_t bytes);
std::string rfc5322_now();
std::string without_address(std::string text, const std::string& address);

// One round of a worker that sends claimed rows through the relay (the notifier, the postmaster
// forwarder): claim up to `batch` under a lease that covers sending them one after another, send
// each until `stop` is requested, and release the rest (due again at once). How many were
// claimed; a failed claim is reported to `claims` (one line per outage) and counts as none.
template <class Claim, class Send, class Release>
int send_claimed(int batch, std::chrono::seconds timeout, core::outage_log& claims,
                 std::stop_token stop, Claim claim, Send send, Release release) {
  const auto lease = timeout * (batch + 1) + std::chrono::seconds(60);
  auto claimed = claim(batch, lease);
  if (!claimed) {
    claims.failed(claimed.error().message);
    return 0;
  }
  claims.succeeded();
  std::vector<std::int64_t> untried;
  for (const auto& item : *claimed) {
    // serve is stopping: one timeout at most, not a batch's.
    if (stop.stop_requested()) {
      untried.push_back(item.id);
      continue;
    }
    send(item);
  }
  if (!untried.empty()) {
    if (auto released = release(untried); !released)
      spdlog::warn("{}: {} claimed and not sent are due again only when their lease ends: {}",
                   claims.name(), untried.size(), released.error().message);
  }
  return static_cast<int>(claimed->size());
}

// relay, recipient, the mail, and serve's stop (send_mail ends the conversation on it).
using mail_sender = std::function<send_outcome(const relay_settings&, const std::string&,
                                               const std::string&, std::stop_token)>;

class notifier {
 public:
  // send: send_mail in serve; tests pass their own.
  notifier(notification_outbox& outbox, notifier_settings settings, mail_sender send = send_mail);

  void run(std::stop_token stop);
  // One claim and the sending of what it got, until `stop` is requested (what is left then is
  // released: due again at once, for another process or the next start); how many were claimed.
  int run_once(std::stop_token stop = {});

  // The delay before attempt n + 1 after n failed ones: base * 2^(n-1), at most max.
  static std::chrono::seconds backoff(int attempts, std::chrono::seconds base,
                                      std::chrono::seconds max);

 private:
  void deliver(const pending_notification& n, std::stop_token stop);
  // The mail for n: a DSN, or for a reply the reply's text.
  std::string mail_for(const pending_notification& n) const;

  notification_outbox& outbox_;
  notifier_settings settings_;
  core::outage_log claims_{"notifications", "cannot claim", "claiming again"};  // the database away
  mail_sender send_;
};

}  // namespace mail2sms::notify
