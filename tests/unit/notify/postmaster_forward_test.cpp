// Mail to the postmaster forwarded to a person: what the forward says and carries, and the
// forwarder's decisions (sent, retried with backoff, given up on 5xx or age) with an in-memory
// outbox and relay.
#include "core/notify/postmaster_forward.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/notify/dsn.hpp"
#include "core/notify/smtp_reply.hpp"

namespace mail2sms::notify {
namespace {

using std::chrono::seconds;

postmaster_forward_mail forward_of(std::string_view message, std::string mail_from) {
  return postmaster_forward_mail{.from = "gw@example.com",
                                 .to = "ops@example.org",
                                 .reporting_mta = "gw.example.com",
                                 .number = 12,
                                 .client = "192.0.2.7",
                                 .helo = "mx.isp.example",
                                 .mail_from = std::move(mail_from),
                                 .recipient = "Postmaster",
                                 .received_date = "Mon, 30 Nov 2026 23:00:00 +0000",
                                 .message = message,
                                 .date = "Mon, 30 Nov 2026 23:00:05 +0000",
                                 .message_id = "<mail2sms.postmaster.12.ab@gw.example.com>",
                                 .boundary = "=_b"};
}

TEST(render_postmaster_forward, a_7_bit_mail_is_attached_as_a_message) {
  const std::string original = "From: abuse@isp.example\r\nSubject: spam\r\n\r\nYour server.\r\n";
  const std::string mail = render_postmaster_forward(forward_of(original, "abuse@isp.example"));
  EXPECT_TRUE(
      mail.starts_with("From: <gw@example.com>\r\nTo: <ops@example.org>\r\n"
                       "Subject: Mail to the postmaster (#12) from abuse@isp.example\r\n"))
      << mail;
  EXPECT_NE(mail.find("Auto-Submitted: auto-forwarded\r\n"), std::string::npos);
  EXPECT_NE(mail.find("Content-Type: multipart/mixed; boundary=\"=_b\"\r\n"), std::string::npos);
  EXPECT_NE(mail.find("  client:    192.0.2.7 (HELO mx.isp.example)\r\n"), std::string::npos);
  EXPECT_NE(mail.find("(mail2sms postmaster show 12)"), std::string::npos);
  EXPECT_NE(mail.find("Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" +
                      original + "--=_b--\r\n"),
            std::string::npos)
      << mail;
  for (std::size_t at = 0, end; at < mail.size(); at = end + 2) {  // CRLF only, and 7-bit
    end = mail.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(mail.substr(at, end - at).find_first_of("\r\n"), std::string::npos);
  }
}

TEST(render_postmaster_forward, an_8_bit_mail_is_attached_in_base64_and_the_null_sender_named) {
  const std::string original = "Subject: caf\xC3\xA9\r\n\r\nna\xC3\xAFve\r\n";
  const std::string mail = render_postmaster_forward(forward_of(original, ""));
  EXPECT_NE(mail.find("Subject: Mail to the postmaster (#12) from <>\r\n"), std::string::npos);
  EXPECT_NE(mail.find("Content-Type: application/octet-stream; name=\"postmaster-12.eml\"\r\n"
                      "Content-Disposition: attachment; filename=\"postmaster-12.eml\"\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n" +
                      base64(original) + "\r\n--=_b--\r\n"),
            std::string::npos)
      << mail;
  EXPECT_TRUE(std::all_of(mail.begin(), mail.end(),
                          [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
}

struct fake_outbox : postmaster_outbox {
  std::vector<postmaster_pending> due;
  std::vector<std::int64_t> forwarded_ids;
  std::map<std::int64_t, seconds> later;
  std::map<std::int64_t, std::string> given_up;

  result<std::vector<postmaster_pending>, core::store_error> claim_forwards(int limit,
                                                                            seconds) override {
    std::vector<postmaster_pending> out;
    while (!due.empty() && static_cast<int>(out.size()) < limit) {
      out.push_back(due.front());
      due.erase(due.begin());
    }
    return out;
  }
  result<ok_t, core::store_error> forwarded(std::int64_t id, const std::string&) override {
    forwarded_ids.push_back(id);
    return ok;
  }
  result<ok_t, core::store_error> forward_later(std::int64_t id, seconds after,
                                                const std::string&) override {
    later[id] = after;
    return ok;
  }
  result<ok_t, core::store_error> forward_given_up(std::int64_t id,
                                                   const std::string& detail) override {
    given_up[id] = detail;
    return ok;
  }
  result<ok_t, core::store_error> release_forwards(const std::vector<std::int64_t>& ids) override {
    released.insert(released.end(), ids.begin(), ids.end());
    return ok;
  }
  std::vector<std::int64_t> released;
};

postmaster_pending pending(std::int64_t id, int attempts = 1, seconds age = seconds(10)) {
  return postmaster_pending{.id = id,
                            .attempts = attempts,
                            .age = age,
                            .forward_to = "ops@example.org",
                            .client = "192.0.2.7",
                            .helo = "mx",
                            .mail_from = "abuse@isp.example",
                            .recipient = "Postmaster",
                            .received_at = "Mon, 30 Nov 2026 23:00:00 +0000",
                            .message = "Subject: hi\r\n\r\nhello\r\n"};
}

notifier_settings settings() {
  notifier_settings s;
  s.from = "gw@example.com";
  s.hostname = "gw.example.com";
  s.retry_base = seconds(60);
  s.retry_max = seconds(3600);
  s.give_up_after = seconds(5 * 86400);
  return s;
}

TEST(postmaster_forwarder, sends_retries_and_gives_up) {
  fake_outbox outbox;
  outbox.due = {pending(1), pending(2, 3), pending(3), pending(4, 1, seconds(6 * 86400))};
  std::vector<std::pair<std::string, std::string>> relayed;  // rcpt, mail
  postmaster_forwarder f(
      outbox, settings(),
      [&](const relay_settings&, const std::string& rcpt, const std::string& m, std::stop_token) {
        relayed.emplace_back(rcpt, m);
        if (m.find("(#2)") != std::string::npos)
          return send_outcome{send_outcome::kind::transient, "451 <ops@example.org> busy"};
        if (m.find("(#3)") != std::string::npos)
          return send_outcome{send_outcome::kind::permanent,
                              "550 5.1.1 <OPS@example.org>: unknown"};
        return send_outcome{send_outcome::kind::sent, "250 ok"};
      });
  EXPECT_EQ(f.run_once(), 4);
  ASSERT_EQ(relayed.size(), 3u);  // #4 is too old to send
  EXPECT_EQ(relayed[0].first, "ops@example.org");
  EXPECT_NE(relayed[0].second.find("hello\r\n"), std::string::npos);
  EXPECT_EQ(outbox.forwarded_ids, std::vector<std::int64_t>{1});
  EXPECT_EQ(outbox.later.at(2), seconds(240));  // 60 * 2^(3-1)
  EXPECT_EQ(outbox.given_up.at(3), "the relay refused it: 550 5.1.1 <(address)>: unknown");
  EXPECT_EQ(outbox.given_up.at(4), "not forwarded within 432000 s");
}

TEST(postmaster_forwarder, a_stop_mid_batch_releases_what_was_not_tried) {
  fake_outbox outbox;
  outbox.due = {pending(1), pending(2)};
  std::stop_source stop;
  postmaster_forwarder f(
      outbox, settings(),
      [&](const relay_settings&, const std::string&, const std::string&, std::stop_token) {
        stop.request_stop();
        return send_outcome{send_outcome::kind::sent, "250 ok"};
      });
  EXPECT_EQ(f.run_once(stop.get_token()), 2);
  EXPECT_EQ(outbox.forwarded_ids, std::vector<std::int64_t>{1});
  EXPECT_EQ(outbox.released, std::vector<std::int64_t>{2});
}

}  // namespace
}  // namespace mail2sms::notify
