// smtpd::protocol when the server stops: idle sessions are told at once, a transaction in flight
// ends with its own reply first; and the configurable error limit.
#include <gtest/gtest.h>

#include "protocol_client.hpp"

namespace mail2sms::smtpd::test {
namespace {

constexpr std::string_view bye = "421 4.3.2 mx.test Service shutting down, try again later\r\n";

bool closes(const actions& a) {
  return !a.empty() && std::holds_alternative<close_connection>(a.back());
}

TEST(smtp_shutdown, an_idle_session_is_told_and_closed_at_once) {
  client c;
  c.login();
  const auto a = c.proto.on_shutdown();
  EXPECT_EQ(reply_text(a), bye);
  EXPECT_TRUE(closes(a));
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_shutdown, a_transaction_in_flight_gets_its_250_before_the_goodbye) {
  client c;
  c.login();
  protocol& p = c.proto;
  auto a = p.on_input("MAIL FROM:<a@b.test>\r\nRCPT TO:<+27821234567@sms.example.com>\r\nDATA\r\n");
  a = p.on_input("Subject: x\r\n\r\nhello\r\n.\r\n");
  ASSERT_TRUE(p.waiting());
  ASSERT_TRUE(std::holds_alternative<store_message>(a.back()));

  const auto during = p.on_shutdown();
  EXPECT_TRUE(during.empty());  // nothing to say until the store answers
  EXPECT_FALSE(p.closed());

  store_result stored;
  stored.state = store_result::status::accepted;
  stored.queue_id = "Q1";
  const auto after = p.on_store_result(stored);
  EXPECT_EQ(reply_text(after), "250 2.0.0 Ok: queued as Q1\r\n" + std::string(bye));
  EXPECT_TRUE(closes(after));
}

TEST(smtp_shutdown, a_session_between_mail_and_data_may_finish_its_transaction) {
  client c;
  c.login();
  c.says("MAIL FROM:<a@b.test>\r\n");
  EXPECT_TRUE(c.proto.on_shutdown().empty());
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(c.says("RSET\r\n"), "250 2.0.0 Ok\r\n" + std::string(bye));
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_shutdown, no_new_transaction_is_started_after_shutdown_began) {
  client c;
  c.login();
  auto& p = c.proto;
  p.on_input("MAIL FROM:<a@b.test>\r\nRCPT TO:<+27821234567@sms.example.com>\r\nDATA\r\n");
  p.on_input("Subject: x\r\n\r\nhello\r\n.\r\nMAIL FROM:<a@b.test>\r\n");  // pipelined next MAIL
  p.on_shutdown();
  store_result stored;
  stored.state = store_result::status::accepted;
  stored.queue_id = "Q1";
  const auto after = p.on_store_result(stored);
  EXPECT_EQ(reply_text(after), "250 2.0.0 Ok: queued as Q1\r\n" + std::string(bye));
  EXPECT_TRUE(p.closed());
}

TEST(smtp_errors, the_error_limit_is_configurable) {
  auto settings = test_settings();
  settings.max_errors = 3;
  client c(settings);
  c.connect();
  EXPECT_EQ(c.says("BOGUS\r\n"), "500 5.5.2 Command not recognized\r\n");
  EXPECT_EQ(c.says("BOGUS\r\n"), "500 5.5.2 Command not recognized\r\n");
  EXPECT_EQ(c.says("BOGUS\r\n"),
            "500 5.5.2 Command not recognized\r\n421 4.7.0 mx.test Error: too many errors\r\n");
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_auth_budget, a_blocked_client_gets_421_and_is_closed) {
  client c;
  c.connect();
  c.says("EHLO client.test\r\n");
  c.check_credentials = [](const verify_credentials&) {
    auth_result r;
    r.state = auth_result::status::blocked;
    return r;
  };
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "alice", "guess") + "\r\n"),
            "421 4.7.0 mx.test Too many failed authentications, try again later\r\n");
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_client_network, a_trusted_network_sends_without_auth_even_after_starttls) {
  auto settings = test_settings();
  settings.tls_active = false;
  settings.starttls_available = true;
  client c(settings);
  c.proto.trust_network(alice());
  c.connect();
  c.says("EHLO legacy.test\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<pbx@legacy.test>\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(c.says("RSET\r\n"), "250 2.0.0 Ok\r\n");
  c.says("STARTTLS\r\n");
  ASSERT_EQ(c.tls_handshakes, 1);
  c.says("EHLO legacy.test\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<pbx@legacy.test>\r\nRCPT TO:<+27821234567@sms.example.com>\r\n"),
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
  c.says("DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1u);
  EXPECT_EQ(c.stored[0].env.account.id, alice().id);
}

TEST(smtp_client_network, auth_may_still_name_an_account_on_a_trusted_network) {
  client c;
  authenticated_account pbx{.id = 99, .name = "pbx", .country = "ZA", .profile = nullptr};
  c.proto.trust_network(pbx);
  c.connect();
  c.says("EHLO legacy.test\r\n");
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n"),
            "503 5.5.1 Already authenticated\r\n");
  c.says("MAIL FROM:<a@b.test>\r\nRCPT TO:<+27821234567@sms.example.com>\r\n");
  c.says("DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1u);
  EXPECT_EQ(c.stored[0].env.account.id, alice().id);
}

// The account store did not answer whether the client's address is one of an account's
// networks: MAIL ends the session with 421 4.3.0 (the legacy system queues the mail and comes
// back, and its next session looks the address up again), never the 530 that would bounce its
// mail. A client that authenticates is not held up.
TEST(smtp_client_network, an_unanswered_network_lookup_defers_mail_to_the_next_session) {
  client c;
  c.proto.identity_unavailable();
  c.connect();
  c.says("EHLO legacy.test\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<pbx@legacy.test>\r\n"),
            "421 4.3.0 mx.test Temporary lookup failure: the account store did not answer "
            "whether this client may send; try again later\r\n");
  EXPECT_TRUE(c.proto.closed());

  client authenticating;
  authenticating.proto.identity_unavailable();
  authenticating.connect();
  authenticating.says("EHLO legacy.test\r\n");
  EXPECT_EQ(authenticating.says("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(authenticating.says("MAIL FROM:<a@b.test>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(smtp_reply_length, no_reply_line_echoing_the_client_exceeds_512_octets) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("EHLO " + std::string(300, 'a') + "\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  c.login();
  const auto reply = c.says("MAIL FROM:<a@b.test> X" + std::string(480, 'x') + "=1\r\n");
  EXPECT_EQ(reply.substr(0, 33), "555 5.5.4 Unsupported parameter: ");
  EXPECT_LE(reply.size(), 512u);
}

}  // namespace
}  // namespace mail2sms::smtpd::test
