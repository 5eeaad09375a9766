// The notifier's decisions with an in-memory outbox and relay: sent, retried with backoff,
// given up on 5xx or age; what it hands the relay.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <future>
#include <map>
#include <memory>
#include <stop_token>
#include <thread>

#include "core/notify/notifier.hpp"
#include "tests/captured_log.hpp"

namespace mail2sms::notify {
namespace {

using std::chrono::seconds;

struct fake_outbox : notification_outbox {
  std::vector<pending_notification> due;
  std::vector<std::int64_t> sent_ids;
  std::map<std::int64_t, seconds> retried;
  std::map<std::int64_t, std::string> given_up;
  seconds last_lease{0};
  int failing_claims = 0;

  result<std::vector<pending_notification>, core::store_error> claim(int limit,
                                                                     seconds lease) override {
    last_lease = lease;
    if (failing_claims > 0) {
      --failing_claims;
      return fail(core::store_error{core::failure_kind::transient, "database down"});
    }
    std::vector<pending_notification> out;
    while (!due.empty() && static_cast<int>(out.size()) < limit) {
      out.push_back(due.front());
      due.erase(due.begin());
    }
    return out;
  }
  result<ok_t, core::store_error> sent(std::int64_t id, const std::string&) override {
    sent_ids.push_back(id);
    return ok;
  }
  result<ok_t, core::store_error> retry(std::int64_t id, seconds after,
                                        const std::string&) override {
    retried[id] = after;
    return ok;
  }
  result<ok_t, core::store_error> give_up(std::int64_t id, const std::string& detail) override {
    given_up[id] = detail;
    return ok;
  }
  result<ok_t, core::store_error> release(const std::vector<std::int64_t>& ids) override {
    released.insert(released.end(), ids.begin(), ids.end());
    return ok;
  }
  std::vector<std::int64_t> released;
  // As a LISTEN with nothing coming: the whole timeout, when sleeping is on.
  bool wait_for_notifications(std::chrono::milliseconds timeout) override {
    if (sleeps) std::this_thread::sleep_for(timeout);
    return false;
  }
  bool sleeps = false;
};

pending_notification pending(std::int64_t id, int attempts = 1, seconds age = seconds(10)) {
  return pending_notification{.id = id,
                              .attempts = attempts,
                              .age = age,
                              .rcpt_to = "ops@example.org",
                              .queue_id = "Q" + std::to_string(id),
                              .recipient = "+27821234567",
                              .status = "failed",
                              .reason = "ESME_RINVDSTADR",
                              .mail_message_id = "<m@x>",
                              .accepted_at = "Sun, 29 Nov 2026 02:00:00 +0000",
                              .changed_at = "Sun, 29 Nov 2026 02:00:01 +0000",
                              .reply = false,
                              .reply_text = std::nullopt};
}

notifier_settings settings() {
  notifier_settings s;
  s.from = "gw@example.com";
  s.hostname = "gw.example.com";
  s.recipient_domain = "sms.example.com";
  s.retry_base = seconds(60);
  s.retry_max = seconds(3600);
  s.give_up_after = seconds(5 * 86400);
  s.relay.timeout = seconds(30);
  return s;
}

struct recorded_mail {
  std::string to;
  std::string message;
};

TEST(notifier, sends_one_dsn_per_notification_to_its_address) {
  fake_outbox outbox;
  outbox.due = {pending(1), pending(2)};
  std::vector<recorded_mail> mails;
  notifier n(outbox, settings(),
             [&](const relay_settings&, const std::string& to, const std::string& message,
                 std::stop_token) {
               mails.push_back({to, message});
               return send_outcome{send_outcome::kind::sent, "250 ok"};
             });
  EXPECT_EQ(n.run_once(), 2);
  EXPECT_EQ(outbox.sent_ids, (std::vector<std::int64_t>{1, 2}));
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0].to, "ops@example.org");
  EXPECT_NE(mails[0].message.find("X-Mail2SMS-Queue-ID: Q1\r\n"), std::string::npos);
  EXPECT_NE(mails[1].message.find("X-Mail2SMS-Queue-ID: Q2\r\n"), std::string::npos);
  EXPECT_NE(mails[0].message.find("From: <gw@example.com>\r\n"), std::string::npos);
  EXPECT_NE(mails[0].message.find("In-Reply-To: <m@x>\r\n"), std::string::npos);
  // Each has its own Message-ID and boundary.
  EXPECT_NE(mails[0].message.substr(0, 400), mails[1].message.substr(0, 400));
  // The lease covers a whole batch sent one after another.
  EXPECT_GT(outbox.last_lease, seconds(30) * 10);
}

// Stopping in the middle of a batch: the one being sent finishes, the rest is due again at once
// (they waited out their lease, 12 minutes with the defaults, before another serve took them).
TEST(notifier, a_stop_mid_batch_releases_what_was_not_tried) {
  fake_outbox outbox;
  outbox.due = {pending(1), pending(2), pending(3)};
  std::stop_source stop;
  int sent = 0;
  notifier n(
      outbox, settings(),
      [&](const relay_settings&, const std::string&, const std::string&, std::stop_token token) {
        ++sent;
        stop.request_stop();                  // SIGTERM while the first is with the relay
        EXPECT_TRUE(token.stop_requested());  // send_mail breaks its conversation off
        return send_outcome{send_outcome::kind::sent, "250 ok"};
      });
  EXPECT_EQ(n.run_once(stop.get_token()), 3);
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(outbox.sent_ids, std::vector<std::int64_t>{1});
  EXPECT_EQ(outbox.released, (std::vector<std::int64_t>{2, 3}));
}

// Stopping does not wait out the idle wait for notifications: it ends within core::stop_check
// (100 ms) of the stop request, not after the whole minute (which made this test fail before).
TEST(notifier, a_stop_ends_the_idle_wait) {
  fake_outbox outbox;
  outbox.sleeps = true;
  auto s = settings();
  s.idle_wait = std::chrono::minutes(1);
  notifier n(outbox, s,
             [](const relay_settings&, const std::string&, const std::string&, std::stop_token) {
               return send_outcome{send_outcome::kind::sent, "250 ok"};
             });
  std::stop_source stop;
  auto running = std::async(std::launch::async, [&n, token = stop.get_token()] { n.run(token); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // idle by now
  stop.request_stop();
  EXPECT_EQ(running.wait_for(seconds(10)), std::future_status::ready);
}

TEST(notifier, transient_failures_are_retried_with_backoff) {
  fake_outbox outbox;
  outbox.due = {pending(1, 1), pending(2, 3)};
  notifier n(outbox, settings(),
             [](const relay_settings&, const std::string&, const std::string&, std::stop_token) {
               return send_outcome{send_outcome::kind::transient, "451 4.3.0 later"};
             });
  n.run_once();
  EXPECT_TRUE(outbox.sent_ids.empty());
  EXPECT_TRUE(outbox.given_up.empty());
  EXPECT_EQ(outbox.retried.at(1), seconds(60));
  EXPECT_EQ(outbox.retried.at(2), seconds(240));
}

TEST(notifier, permanent_refusals_are_given_up) {
  fake_outbox outbox;
  outbox.due = {pending(1)};
  notifier n(outbox, settings(),
             [](const relay_settings&, const std::string&, const std::string&, std::stop_token) {
               return send_outcome{send_outcome::kind::permanent,
                                   "RCPT TO: 550 5.1.1 <OPS@example.org>: no such user"};
             });
  testing::captured_log log;
  n.run_once();
  ASSERT_EQ(outbox.given_up.count(1), 1u);
  // What is stored (the message's event outlives the outbox row) names no mailbox either.
  EXPECT_EQ(outbox.given_up.at(1),
            "the relay refused it: RCPT TO: 550 5.1.1 <(address)>: no such user");
  EXPECT_TRUE(outbox.retried.empty());
  // The log says what happened, with the number masked and the quoted address left out.
  EXPECT_NE(log.text().find("550 5.1.1 <(address)>: no such user"), std::string::npos)
      << log.text();
  EXPECT_EQ(log.text().find("example.org"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find("+27821234567"), std::string::npos) << log.text();
}

TEST(notifier, too_old_notifications_are_given_up_without_sending) {
  fake_outbox outbox;
  outbox.due = {pending(1, 40, seconds(5 * 86400 + 1))};
  int sends = 0;
  notifier n(outbox, settings(),
             [&](const relay_settings&, const std::string&, const std::string&, std::stop_token) {
               ++sends;
               return send_outcome{send_outcome::kind::sent, "250"};
             });
  n.run_once();
  EXPECT_EQ(sends, 0);
  ASSERT_EQ(outbox.given_up.count(1), 1u);
  EXPECT_NE(outbox.given_up.at(1).find("not sent within"), std::string::npos);
}

TEST(notifier, a_reply_is_mailed_with_its_text_threaded_under_the_mail) {
  fake_outbox outbox;
  auto reply = pending(5);
  reply.reply = true;
  reply.status = "reply";
  reply.reply_text = "On my way \xf0\x9f\x9a\x91\nETA 10 min";
  outbox.due = {reply};
  std::string mail;
  notifier n(
      outbox, settings(),
      [&](const relay_settings&, const std::string&, const std::string& message, std::stop_token) {
        mail = message;
        return send_outcome{send_outcome::kind::sent, "250 ok"};
      });
  n.run_once();
  EXPECT_EQ(outbox.sent_ids, std::vector<std::int64_t>{5});
  EXPECT_NE(mail.find("Subject: SMS reply from +27821234567\r\n"), std::string::npos);
  EXPECT_NE(mail.find("In-Reply-To: <m@x>\r\n"), std::string::npos);
  EXPECT_NE(mail.find("Content-Type: text/plain; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n"),
            std::string::npos);
  EXPECT_EQ(mail.find("multipart/report"), std::string::npos);
  // The text is in the base64 body (lines of 76), with CRLF line ends.
  const auto body = mail.substr(mail.find("\r\n\r\n") + 4);
  std::string joined;
  for (std::size_t at = 0; at < body.size();) {
    const auto end = body.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - at, 76u);
    joined += body.substr(at, end - at);
    at = end + 2;
  }
  std::string decoded(joined.size(), '\0');
  const int n_bytes = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                      reinterpret_cast<const unsigned char*>(joined.data()),
                                      static_cast<int>(joined.size()));
  ASSERT_GT(n_bytes, 0);
  decoded.resize(static_cast<std::size_t>(n_bytes));
  EXPECT_NE(decoded.find("On my way \xf0\x9f\x9a\x91\r\nETA 10 min"), std::string::npos) << decoded;
  EXPECT_NE(decoded.find("came from +27821234567"), std::string::npos);
}

TEST(notifier, backoff_doubles_up_to_the_maximum) {
  EXPECT_EQ(notifier::backoff(1, seconds(60), seconds(3600)), seconds(60));
  EXPECT_EQ(notifier::backoff(2, seconds(60), seconds(3600)), seconds(120));
  EXPECT_EQ(notifier::backoff(6, seconds(60), seconds(3600)), seconds(1920));
  EXPECT_EQ(notifier::backoff(7, seconds(60), seconds(3600)), seconds(3600));
  EXPECT_EQ(notifier::backoff(1000, seconds(60), seconds(3600)), seconds(3600));
}

// The database away: each failed claim is not a line of its own.
TEST(notifier, failing_claims_are_logged_once_and_the_recovery_too) {
  fake_outbox outbox;
  outbox.failing_claims = 3;
  notifier n(outbox, settings(),
             [](const relay_settings&, const std::string&, const std::string&, std::stop_token) {
               return send_outcome{send_outcome::kind::sent, "250"};
             });
  testing::captured_log log;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(n.run_once(), 0);
  outbox.due = {pending(1)};
  EXPECT_EQ(n.run_once(), 1);
  EXPECT_EQ(log.count("notifications: cannot claim: database down"), 1) << log.text();
  EXPECT_EQ(log.count("notifications: claiming again after"), 1) << log.text();
  EXPECT_EQ(log.count("notifications:"), 2) << log.text();
}

// A relay's words about a mailbox name it whole, by its local part alone, or in the "at" form;
// some quote a number too. None of it reaches the log or the stored outcome.
TEST(without_address, hides_the_address_its_local_part_and_numbers) {
  EXPECT_EQ(without_address("451 4.3.0 <Alice.Perm@Example.NET> mailbox Alice.Perm full; "
                            "alice.perm@example.net try later",
                            "alice.perm@example.net"),
            "451 4.3.0 <(address)> mailbox (address) full; (address) try later");
  EXPECT_EQ(without_address("550 5.1.1 (ops-perm) ops-perm at example.net +27821239811",
                            "ops-perm@example.net"),
            "550 5.1.1 ((address)) (address) at example.net +2782*****11");
  // The local part only as a word of its own: "ops" in "Oops" or "ops2" stays.
  EXPECT_EQ(without_address("Oops: ops2 is not ops", "ops@example.net"),
            "Oops: ops2 is not (address)");
  EXPECT_EQ(without_address("450 call 082 123 4567", ""), "450 call 08******67");
}

}  // namespace
}  // namespace mail2sms::notify
