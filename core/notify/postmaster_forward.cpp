// The postmaster forwarder (see postmaster_forward.hpp). Logs name the mail's number and the
// client; never the mail, its sender or the address it is forwarded to.
#include "core/notify/postmaster_forward.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "core/notify/dsn.hpp"
#include "core/stop_wait.hpp"

namespace mail2sms::notify {

postmaster_forwarder::postmaster_forwarder(postmaster_outbox& outbox, notifier_settings settings,
                                           mail_sender send)
    : outbox_(outbox), settings_(std::move(settings)), send_(std::move(send)) {}

void postmaster_forwarder::forward(const postmaster_pending& m, std::stop_token stop) {
  auto log_failure = [&](const auto& recorded) {
    if (!recorded)
      spdlog::warn("postmaster mail #{}: not recorded: {}", m.id, recorded.error().message);
  };
  if (m.age >= settings_.give_up_after) {
    const std::string why =
        "not forwarded within " + std::to_string(settings_.give_up_after.count()) + " s";
    spdlog::error("postmaster mail #{}: forwarding given up: {}", m.id, why);
    log_failure(outbox_.forward_given_up(m.id, why));
    return;
  }
  const std::string mail = render_postmaster_forward(postmaster_forward_mail{
      .from = settings_.from,
      .to = m.forward_to,
      .reporting_mta = settings_.hostname,
      .number = m.id,
      .client = m.client,
      .helo = m.helo,
      .mail_from = m.mail_from,
      .recipient = m.recipient,
      .received_date = m.received_at,
      .message = m.message,
      .date = rfc5322_now(),
      .message_id = "<mail2sms.postmaster." + std::to_string(m.id) + "." + random_hex(6) + "@" +
                    settings_.hostname + ">",
      .boundary = "=_mail2sms_" + random_hex(12),
  });
  const auto outcome = send_(settings_.relay, m.forward_to, mail, stop);
  const auto said = without_address(outcome.detail, m.forward_to);
  switch (outcome.what) {
    case send_outcome::kind::sent:
      spdlog::info("postmaster mail #{} forwarded: {}", m.id, said);
      log_failure(outbox_.forwarded(m.id, said));
      return;
    case send_outcome::kind::permanent:
      spdlog::error("postmaster mail #{}: forwarding given up: the relay refused it: {}", m.id,
                    said);
      log_failure(outbox_.forward_given_up(m.id, "the relay refused it: " + said));
      return;
    case send_outcome::kind::transient: {
      const auto after = notifier::backoff(m.attempts, settings_.retry_base, settings_.retry_max);
      spdlog::warn("postmaster mail #{}: forwarding attempt {} failed, next in {} s: {}", m.id,
                   m.attempts, after.count(), said);
      log_failure(outbox_.forward_later(m.id, after, said));
      return;
    }
  }
}

int postmaster_forwarder::run_once(std::stop_token stop) {
  return send_claimed(
      settings_.batch, settings_.relay.timeout, claims_, stop,
      [this](int limit, std::chrono::seconds lease) {
        return outbox_.claim_forwards(limit, lease);
      },
      [this, stop](const postmaster_pending& m) { forward(m, stop); },
      [this](const std::vector<std::int64_t>& ids) { return outbox_.release_forwards(ids); });
}

void postmaster_forwarder::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (run_once(stop) >= settings_.batch) continue;
    core::wait_unless_stopped(stop, settings_.idle_wait, [](std::chrono::milliseconds slice) {
      std::this_thread::sleep_for(slice);
      return false;
    });
  }
}

}  // namespace mail2sms::notify
