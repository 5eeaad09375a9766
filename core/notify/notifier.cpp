// The notifier loop (see notifier.hpp). Logs name the notification, the queue id and a masked
// number; never the address, the mail or the SMS text.
#include "core/notify/notifier.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdint>
#include <ctime>
#include <vector>

#include "core/backoff.hpp"
#include "core/mail/ascii_text.hpp"
#include "core/phone/phone.hpp"
#include "core/sms/sms.hpp"
#include "core/stop_wait.hpp"

namespace mail2sms::notify {

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> raw(bytes);
  RAND_bytes(raw.data(), static_cast<int>(bytes));
  return sms::to_hex(raw);
}

std::string rfc5322_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return text;
}

// The outbox row goes at the retention purge, but the message's event that says how the
// notification ended stays: so the relay's words never name the mailbox. A relay may quote the
// address whole, its local part alone ("mailbox jane.doe full", "jane.doe at example.net") or a
// number: the address, then its local part wherever it stands as a word of its own, become
// "(address)", and numbers are masked.
std::string without_address(std::string text, const std::string& address) {
  if (address.empty()) return phone::redact_numbers(text);
  const auto lower = [](std::string v) {
    for (auto& c : v) c = mail::ascii_lower(c);
    return v;
  };
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  constexpr std::string_view replacement = "(address)";  // lower case: `folded` stays text's
  std::string folded = lower(text);
  const auto replace_all = [&](std::string_view needle, bool whole_words) {
    if (needle.empty()) return;
    for (std::size_t at = folded.find(needle); at != std::string::npos;
         at = folded.find(needle, at)) {
      const std::size_t after = at + needle.size();
      if (whole_words &&
          ((at > 0 && alnum(folded[at - 1])) || (after < folded.size() && alnum(folded[after])))) {
        ++at;
        continue;
      }
      text.replace(at, needle.size(), replacement);
      folded.replace(at, needle.size(), replacement);
      at += replacement.size();
    }
  };
  const std::string whole = lower(address);
  replace_all(whole, false);
  replace_all(std::string_view(whole).substr(0, whole.rfind('@')), true);
  return phone::redact_numbers(text);
}

notifier::notifier(notification_outbox& outbox, notifier_settings settings, mail_sender send)
    : outbox_(outbox), settings_(std::move(settings)), send_(std::move(send)) {}

std::chrono::seconds notifier::backoff(int attempts, std::chrono::seconds base,
                                       std::chrono::seconds max) {
  return core::doubled(base, attempts - 1, max);
}

std::string notifier::mail_for(const pending_notification& n) const {
  const std::string message_id = "<mail2sms." + std::string(n.reply ? "reply." : "dsn.") +
                                 std::to_string(n.id) + "." + random_hex(6) + "@" +
                                 settings_.hostname + ">";
  if (n.reply) {
    return render_reply(reply_mail{.from = settings_.from,
                                   .to = n.rcpt_to,
                                   .reporting_mta = settings_.hostname,
                                   .queue_id = n.queue_id,
                                   .number = n.recipient,
                                   .text = n.reply_text,
                                   .original_message_id = n.mail_message_id,
                                   .received_date = n.changed_at,
                                   .date = rfc5322_now(),
                                   .message_id = message_id});
  }
  return render_dsn(delivery_status{
      .from = settings_.from,
      .to = n.rcpt_to,
      .reporting_mta = settings_.hostname,
      .queue_id = n.queue_id,
      .recipient = n.recipient,
      .recipient_domain = settings_.recipient_domain,
      .status = n.status,
      .reason = n.reason,
      .original_message_id = n.mail_message_id,
      .arrival_date = n.accepted_at,
      .last_attempt_date = n.changed_at,
      .date = rfc5322_now(),
      .message_id = message_id,
      .boundary = "=_mail2sms_" + random_hex(12),
  });
}

void notifier::deliver(const pending_notification& n, std::stop_token stop) {
  const auto masked = phone::mask(n.recipient);
  auto log_failure = [&](const auto& recorded) {
    if (!recorded)
      spdlog::warn("notification {}: not recorded: {}", n.id, recorded.error().message);
  };
  if (n.age >= settings_.give_up_after) {
    const std::string why =
        "not sent within " + std::to_string(settings_.give_up_after.count()) + " s";
    spdlog::error("notification {} for {} ({} to {}) given up: {}", n.id, n.queue_id, n.status,
                  masked, why);
    log_failure(outbox_.give_up(n.id, why));
    return;
  }
  const auto outcome = send_(settings_.relay, n.rcpt_to, mail_for(n), stop);
  const auto said = without_address(outcome.detail, n.rcpt_to);
  switch (outcome.what) {
    case send_outcome::kind::sent:
      spdlog::info("notification {} for {} ({} to {}) sent: {}", n.id, n.queue_id, n.status, masked,
                   said);
      log_failure(outbox_.sent(n.id, said));
      return;
    case send_outcome::kind::permanent:
      spdlog::error("notification {} for {} ({} to {}) given up: the relay refused it: {}", n.id,
                    n.queue_id, n.status, masked, said);
      log_failure(outbox_.give_up(n.id, "the relay refused it: " + said));
      return;
    case send_outcome::kind::transient: {
      const auto after = backoff(n.attempts, settings_.retry_base, settings_.retry_max);
      spdlog::warn("notification {} for {} ({} to {}): attempt {} failed, next in {} s: {}", n.id,
                   n.queue_id, n.status, masked, n.attempts, after.count(), said);
      log_failure(outbox_.retry(n.id, after, said));
      return;
    }
  }
}

int notifier::run_once(std::stop_token stop) {
  return send_claimed(
      settings_.batch, settings_.relay.timeout, claims_, stop,
      [this](int limit, std::chrono::seconds lease) { return outbox_.claim(limit, lease); },
      [this, stop](const pending_notification& n) { deliver(n, stop); },
      [this](const std::vector<std::int64_t>& ids) { return outbox_.release(ids); });
}

void notifier::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (run_once(stop) >= settings_.batch) continue;
    core::wait_unless_stopped(stop, settings_.idle_wait, [this](std::chrono::milliseconds slice) {
      return outbox_.wait_for_notifications(slice);
    });
  }
}

}  // namespace mail2sms::notify
