// AUTH PLAIN and LOGIN (RFC 4954, 4616) and STARTTLS (RFC 3207): the exchanges, their failures,
// the state TLS wipes, and the plaintext injection after STARTTLS.
#include <gtest/gtest.h>

#include "protocol_client.hpp"
#include "smtpd/sasl.hpp"

namespace mail2sms::smtpd::test {
namespace {

constexpr std::string_view success = "235 2.7.0 Authentication successful\r\n";
constexpr std::string_view invalid = "535 5.7.8 Authentication credentials invalid\r\n";

std::string b64(std::string_view s) { return sasl::base64_encode(s); }

void hello(client& c) {
  c.connect();
  c.send("EHLO client.test\r\n");
}

protocol_settings starttls_listener() {
  auto s = test_settings();
  s.tls_active = false;
  s.starttls_available = true;
  return s;
}

TEST(smtp_auth, plain_with_initial_response) {
  client c;
  hello(c);
  const auto a = c.send("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n");
  ASSERT_EQ(a.size(), 2U);
  const auto* v = std::get_if<verify_credentials>(&a[0]);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->mechanism, "PLAIN");
  EXPECT_EQ(v->username, "alice");
  EXPECT_EQ(v->password, "secret");
  EXPECT_EQ(reply_text(a), success);
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(smtp_auth, plain_with_a_challenge) {
  client c;
  hello(c);
  EXPECT_EQ(c.says("AUTH PLAIN\r\n"), "334 \r\n");
  EXPECT_EQ(c.says(plain_response("alice", "alice", "secret") + "\r\n"), success);
}

TEST(smtp_auth, plain_authzid_must_match) {
  client c;
  hello(c);
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("admin", "alice", "secret") + "\r\n"),
            "535 5.7.8 Authorization identity must be empty or equal to the username\r\n");
  EXPECT_TRUE(c.verified.empty());
}

TEST(smtp_auth, plain_malformed_and_bad_base64) {
  client c;
  hello(c);
  EXPECT_EQ(c.says("AUTH PLAIN =\r\n"), "501 5.5.2 Malformed authentication data\r\n");
  EXPECT_EQ(c.says("AUTH PLAIN " + b64("alice secret") + "\r\n"), "501 5.5.2 Malformed authentication data\r\n");
  EXPECT_EQ(c.says("AUTH PLAIN not-base64\r\n"), "501 5.5.2 Invalid base64 in authentication data\r\n");
  c.send("AUTH PLAIN\r\n");
  EXPECT_EQ(c.says("%%%%\r\n"), "501 5.5.2 Invalid base64 in authentication data\r\n");
  EXPECT_TRUE(c.verified.empty());
}

TEST(smtp_auth, login_exchange) {
  client c;
  hello(c);
  EXPECT_EQ(c.says("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.says(b64("alice") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c.says(b64("secret") + "\r\n"), success);
  ASSERT_EQ(c.verified.size(), 1U);
  EXPECT_EQ(c.verified[0].mechanism, "LOGIN");
  EXPECT_EQ(c.verified[0].username, "alice");
  EXPECT_EQ(c.verified[0].password, "secret");
}

TEST(smtp_auth, login_with_initial_username) {
  client c;
  hello(c);
  EXPECT_EQ(c.says("auth login " + b64("alice") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c.says(b64("secret") + "\r\n"), success);
}

TEST(smtp_auth, wrong_password) {
  client c;
  hello(c);
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "alice", "guess") + "\r\n"), invalid);
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nRSET\r\n"),
            "250 2.1.0 Ok\r\n530 5.7.0 Authentication required: AUTH, a registered client "
            "certificate or an allowed client network identifies the sending account\r\n"
            "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.says("AUTH LOGIN " + b64("alice") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c.says(b64("secret") + "\r\n"), success);  // a second try is allowed
}

TEST(smtp_auth, temporary_failure) {
  client c;
  hello(c);
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "tempfail", "x") + "\r\n"),
            "454 4.7.0 Temporary authentication failure\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nRSET\r\n"),
            "250 2.1.0 Ok\r\n530 5.7.0 Authentication required: AUTH, a registered client "
            "certificate or an allowed client network identifies the sending account\r\n"
            "250 2.0.0 Ok\r\n");
}

TEST(smtp_auth, star_cancels_at_every_step) {
  client c;
  hello(c);
  const std::string cancelled = "501 5.0.0 Authentication cancelled\r\n";
  c.send("AUTH PLAIN\r\n");
  EXPECT_EQ(c.says("*\r\n"), cancelled);
  c.send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.says("*\r\n"), cancelled);
  c.send("AUTH LOGIN\r\n");
  c.send(b64("alice") + "\r\n");
  EXPECT_EQ(c.says("*\r\n"), cancelled);
  EXPECT_TRUE(c.verified.empty());
  EXPECT_EQ(c.says("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(smtp_auth, continuation_lines_are_not_commands) {
  client c;
  hello(c);
  c.send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.says("QUIT\r\n"), "334 UGFzc3dvcmQ6\r\n");  // "QUIT" is valid base64: a username
  EXPECT_FALSE(c.proto.closed());
  EXPECT_EQ(c.says("RSET\r\n"), invalid);
}

TEST(smtp_auth, a_response_longer_than_a_command_line_is_taken_after_the_334) {
  // RFC 4616's largest PLAIN response: 255-octet identities and password, 1,024 base64
  // characters, twice SMTP's command line.
  const std::string name(255, 'n'), password(255, 'p');
  const auto response = plain_response(name, name, password);
  ASSERT_EQ(response.size(), 1024U);
  client c;
  hello(c);
  // Too long for the command line: an authentication exchange line too long (RFC 4954 6).
  EXPECT_EQ(c.says("AUTH PLAIN " + response + "\r\n"),
            "500 5.5.6 Authentication exchange line is too long\r\n");
  EXPECT_EQ(c.says("auth login " + response + "\r\n"),
            "500 5.5.6 Authentication exchange line is too long\r\n");
  // Where AUTH could not be given now (no EHLO yet), the line is only too long.
  {
    client fresh;
    fresh.connect();
    EXPECT_EQ(fresh.says("AUTH PLAIN " + response + "\r\n"), "500 5.5.2 Line too long\r\n");
  }
  // Another command, or AUTH run together with what follows, is a line too long.
  EXPECT_EQ(c.says("AUTHPLAIN" + response + "\r\n"), "500 5.5.2 Line too long\r\n");
  EXPECT_EQ(c.says("NOOP AUTH " + response + "\r\n"), "500 5.5.2 Line too long\r\n");
  EXPECT_EQ(c.says("AUTH PLAIN\r\n"), "334 \r\n");
  // Read whole and verified (the test's one account is alice, so it is refused after that).
  EXPECT_EQ(c.says(response + "\r\n"), invalid);
  ASSERT_EQ(c.verified.size(), 1U);
  EXPECT_EQ(c.verified[0].username, name);
  EXPECT_EQ(c.verified[0].password, password);
}

TEST(smtp_auth, continuation_line_length_is_bounded) {
  client c;
  hello(c);
  c.send("AUTH PLAIN\r\n");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(c.send(std::string(4096, 'A')).empty());
  EXPECT_EQ(c.says("\r\n"), "500 5.5.6 Authentication exchange line is too long\r\n");
  EXPECT_EQ(c.says("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(smtp_auth, bare_lf_in_a_continuation_line) {
  client c;
  hello(c);
  c.send("AUTH PLAIN\r\n");
  EXPECT_EQ(c.says("AAAA\nAAAA\r\n"), "500 5.5.2 Bare LF/CR not allowed\r\n");
  EXPECT_TRUE(c.verified.empty());
}

TEST(smtp_auth, sequence_errors) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("AUTH PLAIN\r\n"), "503 5.5.1 Send EHLO first\r\n");
  c.send("EHLO client.test\r\n");
  EXPECT_EQ(c.says("AUTH\r\n"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
  EXPECT_EQ(c.says("AUTH PLAIN a b\r\n"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
  EXPECT_EQ(c.says("AUTH CRAM-MD5\r\n"), "504 5.5.4 Unrecognized authentication mechanism\r\n");
  c.send("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n");
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n"),
            "503 5.5.1 Already authenticated\r\n");
}

TEST(smtp_auth, not_offered_without_tls) {
  client c(starttls_listener());
  hello(c);
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n"),
            "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
  EXPECT_EQ(c.says("AUTH LOGIN\r\n"),
            "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
  EXPECT_TRUE(c.verified.empty());
}

TEST(smtp_auth, trusted_plaintext_listener_allows_auth) {
  auto s = test_settings();
  s.tls_active = false;
  s.plaintext_auth = true;
  client c(s);
  hello(c);
  EXPECT_EQ(c.says("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n"), success);
}

TEST(smtp_auth, replies_never_carry_the_password) {
  client c;
  hello(c);
  c.send("AUTH PLAIN " + plain_response("", "alice", "hunter2") + "\r\n");
  c.send("AUTH LOGIN " + b64("alice") + "\r\n");
  c.send(b64("hunter2") + "\r\n");
  c.send("AUTH PLAIN " + plain_response("bob", "alice", "hunter2") + "\r\n");
  const auto all = reply_text(c.log);
  EXPECT_EQ(all.find("hunter2"), std::string::npos);
  EXPECT_EQ(all.find(b64("hunter2")), std::string::npos);
  EXPECT_EQ(c.verified.size(), 2U);
}

TEST(smtp_auth, input_during_verification_is_only_buffered) {
  client c;
  hello(c);
  auto a = c.proto.on_input("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\nNOOP\r\n");
  ASSERT_EQ(a.size(), 1U);
  EXPECT_TRUE(std::holds_alternative<verify_credentials>(a[0]));
  EXPECT_TRUE(c.proto.waiting());
  EXPECT_TRUE(c.proto.on_input("MAIL FROM:<a@b.c>\r\n").empty());
  auth_result ok;
  ok.state = auth_result::status::ok;
  ok.account = alice();
  a = c.proto.on_auth_result(ok);
  ASSERT_EQ(a.size(), 1U);
  EXPECT_EQ(reply_text(a), std::string(success) + "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");
  EXPECT_FALSE(c.proto.waiting());
}

TEST(smtp_starttls, upgrades_and_forgets_the_plaintext_session) {
  auto s = starttls_listener();
  s.plaintext_auth = true;  // so that there is an authentication to forget
  client c(s);
  hello(c);
  c.send("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n");
  const auto a = c.send("STARTTLS\r\n");
  ASSERT_EQ(a.size(), 2U);
  EXPECT_EQ(reply_text(a), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_TRUE(std::holds_alternative<start_tls>(a[1]));
  EXPECT_EQ(c.tls_handshakes, 1);
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), "503 5.5.1 Send EHLO first\r\n");
  const auto ehlo = c.says("EHLO client.test\r\n");
  EXPECT_NE(ehlo.find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nRSET\r\n"),
            "250 2.1.0 Ok\r\n530 5.7.0 Authentication required: AUTH, a registered client "
            "certificate or an allowed client network identifies the sending account\r\n"
            "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.says("STARTTLS\r\n"), "503 5.5.1 Already using TLS\r\n");
  c.send("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n");
  c.send("MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nDATA\r\nx\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_TRUE(c.stored[0].env.tls);
}

TEST(smtp_starttls, commands_pipelined_after_starttls_close_the_connection) {
  client c(starttls_listener());
  hello(c);
  const auto a = c.send("STARTTLS\r\nEHLO evil.test\r\n");
  ASSERT_EQ(a.size(), 2U);
  EXPECT_EQ(reply_text(a),
            "421 4.7.0 mx.test Error: commands pipelined after STARTTLS, closing connection\r\n");
  EXPECT_TRUE(std::holds_alternative<close_connection>(a[1]));
  EXPECT_EQ(c.tls_handshakes, 0);
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_starttls, even_one_pipelined_byte_closes) {
  client c(starttls_listener());
  hello(c);
  c.send("STARTTLS\r\n\r");
  EXPECT_TRUE(c.proto.closed());
  EXPECT_EQ(c.tls_handshakes, 0);
}

TEST(smtp_starttls, plaintext_arriving_during_the_handshake_closes) {
  client c(starttls_listener());
  c.complete_tls = false;
  hello(c);
  c.send("STARTTLS\r\n");
  EXPECT_TRUE(c.proto.waiting());
  const auto a = c.proto.on_input("EHLO evil.test\r\n");
  ASSERT_EQ(a.size(), 1U);
  EXPECT_TRUE(std::holds_alternative<close_connection>(a[0]));
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_starttls, refusals) {
  client c(starttls_listener());
  hello(c);
  EXPECT_EQ(c.says("STARTTLS now\r\n"), "501 5.5.4 Syntax: STARTTLS\r\n");
  client no_cert([] {
    auto s = test_settings();
    s.tls_active = false;
    return s;
  }());
  hello(no_cert);
  EXPECT_EQ(no_cert.says("STARTTLS\r\n"), "502 5.5.1 STARTTLS not available\r\n");
  client implicit;  // test_settings: implicit TLS
  hello(implicit);
  EXPECT_EQ(implicit.says("STARTTLS\r\n"), "503 5.5.1 Already using TLS\r\n");
}

TEST(smtp_starttls, not_inside_a_mail_transaction) {
  auto s = starttls_listener();
  s.plaintext_auth = true;
  client c(s);
  hello(c);
  c.send("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n");
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("STARTTLS\r\n"), "503 5.5.1 STARTTLS not allowed during a mail transaction\r\n");
}

}  // namespace
}  // namespace mail2sms::smtpd::test
