// smtpd::protocol commands one at a time: every command's reply, every bad sequence, the
// envelope handed to the store, the error limit and the timeout.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <tuple>
#include <vector>

#include "protocol_client.hpp"

namespace mail2sms::smtpd::test {
namespace {

constexpr std::string_view ok = "250 2.0.0 Ok\r\n";
constexpr std::string_view mail_ok = "250 2.1.0 Ok\r\n";
constexpr std::string_view rcpt_ok = "250 2.1.5 Ok\r\n";

protocol_settings plain_listener() {
  auto s = test_settings();
  s.tls_active = false;
  s.starttls_available = true;
  return s;
}

TEST(smtp_commands, greeting) {
  client c;
  const auto a = c.connect();
  ASSERT_EQ(a.size(), 1U);
  EXPECT_EQ(reply_text(a), "220 mx.test ESMTP mail2sms\r\n");
}

TEST(smtp_commands, ehlo_over_tls_offers_auth) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("EHLO client.test\r\n"),
            "250-mx.test greets client.test\r\n250-SIZE 200\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
            "250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n");
}

TEST(smtp_commands, ehlo_in_plaintext_offers_starttls_not_auth) {
  client c(plain_listener());
  c.connect();
  EXPECT_EQ(c.says("EHLO client.test\r\n"),
            "250-mx.test greets client.test\r\n250-SIZE 200\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
            "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 HELP\r\n");
}

TEST(smtp_commands, ehlo_on_a_trusted_plaintext_listener_offers_auth) {
  auto s = test_settings();
  s.tls_active = false;
  s.plaintext_auth = true;
  client c(s);
  c.connect();
  const auto r = c.says("EHLO client.test\r\n");
  EXPECT_NE(r.find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(r.find("STARTTLS"), std::string::npos);
}

TEST(smtp_commands, helo) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("HELO client.test\r\n"), "250 mx.test\r\n");
}

TEST(smtp_commands, helo_and_ehlo_need_a_hostname) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(c.says("EHLO \r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(c.says("HELO\r\n"), "501 5.5.4 Syntax: HELO hostname\r\n");
  EXPECT_EQ(c.says(std::string("EHLO a\0b\r\n", 10)), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), "503 5.5.1 Send EHLO first\r\n");
}

TEST(smtp_commands, commands_are_case_insensitive) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("eHlO client.test\r\n").substr(0, 4), "250-");
  EXPECT_EQ(c.says("auth plain " + plain_response("", "alice", "secret") + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(c.says("mail from:<a@b.c>\r\n"), mail_ok);
  EXPECT_EQ(c.says("Rcpt To:<+27821234567@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("noop\r\n"), ok);
  EXPECT_EQ(c.says("rset\r\n"), ok);
}

TEST(smtp_commands, simple_commands) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("NOOP\r\n"), ok);
  EXPECT_EQ(c.says("NOOP anything\r\n"), ok);
  EXPECT_EQ(c.says("RSET\r\n"), ok);
  EXPECT_EQ(c.says("VRFY +27821234567\r\n"),
            "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n");
  EXPECT_EQ(c.says("VRFY\r\n"), "501 5.5.4 Syntax: VRFY address\r\n");
  EXPECT_EQ(c.says("HELP\r\n"),
            "214 2.0.0 Commands: HELO EHLO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT\r\n");
  EXPECT_EQ(c.says("EXPN staff\r\n"), "500 5.5.2 Command not recognized\r\n");
  EXPECT_EQ(c.says("\r\n"), "500 5.5.2 Command not recognized\r\n");
}

TEST(smtp_commands, quit_replies_and_closes) {
  client c;
  c.connect();
  const auto a = c.send("QUIT\r\nNOOP\r\n");
  ASSERT_EQ(a.size(), 2U);
  EXPECT_EQ(reply_text(a), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(std::holds_alternative<close_connection>(a[1]));
  EXPECT_TRUE(c.proto.closed());
  EXPECT_TRUE(c.send("NOOP\r\n").empty());
}

TEST(smtp_commands, mail_needs_authentication) {
  client c;
  c.connect();
  c.send("EHLO client.test\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nRSET\r\n"),
            "250 2.1.0 Ok\r\n530 5.7.0 Authentication required: AUTH, a registered client "
            "certificate or an allowed client network identifies the sending account\r\n"
            "250 2.0.0 Ok\r\n");
}

// RFC 5321 4.5.1: "RCPT TO:<Postmaster>" (no domain) and postmaster@ each of our domains, in any
// case, from any client, also one without an account. Before, a client got 501 (or 530) and a
// mail about a problem with this server had nowhere to go.
TEST(smtp_commands, the_postmaster_takes_mail_from_anyone) {
  for (const std::string rcpt :
       {"<Postmaster>", "<postmaster>", "<POSTMASTER@sms.example.com>",
        "<postmaster@SMS2.example.org>", "<\"postmaster\"@sms.example.com>"}) {
    client c;
    c.connect();
    c.send("EHLO client.test\r\n");
    EXPECT_EQ(
        c.says("MAIL FROM:<abuse@isp.example>\r\nRCPT TO:" + rcpt + "\r\nDATA\r\n"),
        std::string(mail_ok) + std::string(rcpt_ok) + "354 End data with <CR><LF>.<CR><LF>\r\n")
        << rcpt;
    EXPECT_EQ(c.says("Subject: your server\r\n\r\nhello\r\n.\r\n"),
              "250 2.0.0 Ok: queued as Q1\r\n");
    ASSERT_EQ(c.stored.size(), 1U);
    const auto& m = c.stored[0];
    EXPECT_TRUE(m.to_postmaster);
    EXPECT_EQ(m.env.account.id, 0);
    EXPECT_EQ(m.env.mail_from, "abuse@isp.example");
    ASSERT_EQ(m.env.recipients.size(), 1U);
    EXPECT_EQ(m.env.recipients[0].address, rcpt.substr(1, rcpt.size() - 2));
    EXPECT_EQ(m.env.recipients[0].e164, "");
    EXPECT_EQ(m.data, "Subject: your server\r\n\r\nhello\r\n");
  }
}

// RFC 5321 4.1.3: this host by its address literal, in any spelling of the address, for the
// postmaster (as Postfix takes its own addresses for local); only the address the client reached,
// and only the postmaster: numbers are sent to at the configured domains.
TEST(smtp_commands, the_postmaster_at_this_hosts_address_literal) {
  for (const auto& [own, rcpt, reply] : std::vector<std::array<std::string, 3>>{
           {"192.0.2.25", "<postmaster@[192.0.2.25]>", "250 2.1.5 Ok\r\n"},
           {"2001:db8::25", "<Postmaster@[IPv6:2001:DB8:0:0:0:0:0:25]>", "250 2.1.5 Ok\r\n"},
           {"2001:db8::25", "<postmaster@[ipv6:2001:db8::25]>", "250 2.1.5 Ok\r\n"},
           {"192.0.2.25", "<postmaster@[192.0.2.26]>", "550 5.7.1 "},
           {"192.0.2.25", "<postmaster@[IPv6:::ffff:192.0.2.25]>", "550 5.7.1 "},
           {"", "<postmaster@[192.0.2.25]>", "550 5.7.1 "},
           {"192.0.2.25", "<+27821234567@[192.0.2.25]>", "550 5.7.1 "}}) {
    auto settings = test_settings();
    settings.own_address = own;
    client c(settings);
    c.login();
    c.send("MAIL FROM:<abuse@isp.example>\r\n");
    EXPECT_EQ(c.says("RCPT TO:" + rcpt + "\r\n").substr(0, reply.size()), reply) << own << rcpt;
  }
}

// A client without an account gets its MAIL taken and learns at RCPT what a number needs; the
// refusals still count toward max_errors, and no domain but ours is relayed to.
TEST(smtp_commands, without_an_account_only_the_postmaster_is_a_recipient) {
  client c;
  c.connect();
  c.send("EHLO client.test\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), mail_ok);
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"),
            "530 5.7.0 Authentication required: AUTH, a registered client certificate or an "
            "allowed client network identifies the sending account\r\n");
  EXPECT_EQ(c.says("RCPT TO:<postmaster@elsewhere.example>\r\n").substr(0, 10), "550 5.7.1 ");
  EXPECT_EQ(c.says("RCPT TO:<bob>\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(c.says("DATA\r\n"), "554 5.5.1 No valid recipients\r\n");
  EXPECT_TRUE(c.stored.empty());
}

// The postmaster's mail is kept, not sent: it never shares a transaction with numbers. The client
// is told to send the other recipient again in a transaction of its own (452: it will).
TEST(smtp_commands, the_postmaster_has_a_transaction_of_its_own) {
  const std::string alone =
      "452 4.5.3 Mail to the postmaster goes in a transaction of its own: send this recipient "
      "again in another one\r\n";
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<Postmaster>\r\n"), alone);
  c.send("DATA\r\nx\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_FALSE(c.stored[0].to_postmaster);
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<Postmaster>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<postmaster@sms.example.com>\r\n"), rcpt_ok);  // the same one
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"), alone);
  c.send("DATA\r\nx\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 2U);
  EXPECT_TRUE(c.stored[1].to_postmaster);
  EXPECT_EQ(c.stored[1].env.account.name, "alice");  // who wrote, for the operator
  EXPECT_EQ(c.stored[1].env.recipients.size(), 1U);
  EXPECT_EQ(c.stored[1].received_with, "ESMTPSA");  // for its Received field (RFC 3848)
}

// RFC 3848's names: SMTP after HELO, ESMTP after EHLO, with S over TLS and A after AUTH.
TEST(smtp_commands, how_a_mail_came_is_named_for_its_received_field) {
  auto plain = test_settings();
  plain.tls_active = false;
  for (const auto& [settings, greeting, with] :
       {std::tuple{plain, "HELO client.test", "SMTP"},
        std::tuple{plain, "EHLO client.test", "ESMTP"},
        std::tuple{test_settings(), "EHLO client.test", "ESMTPS"}}) {
    client c(settings);
    c.connect();
    c.send(std::string(greeting) + "\r\n");
    c.send("MAIL FROM:<a@b.c>\r\nRCPT TO:<postmaster>\r\nDATA\r\nx\r\n.\r\n");
    ASSERT_EQ(c.stored.size(), 1U) << greeting;
    EXPECT_EQ(c.stored[0].received_with, with) << greeting;
  }
}

// [smtp] postmaster = false: as before, the name is not a number and MAIL needs an account.
TEST(smtp_commands, without_the_postmaster_mail_needs_an_account) {
  auto settings = test_settings();
  settings.postmaster = false;
  client c(settings);
  c.connect();
  c.send("EHLO client.test\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"),
            "530 5.7.0 Authentication required: AUTH, a registered client certificate or an "
            "allowed client network identifies the sending account\r\n");
  client signed_in(settings);
  signed_in.login();
  signed_in.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(signed_in.says("RCPT TO:<Postmaster>\r\n"),
            "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(signed_in.says("RCPT TO:<postmaster@sms.example.com>\r\n"),
            "550 5.1.1 'postmaster' is not a phone number: write +<country code><number>\r\n");
}

TEST(smtp_commands, mail_once_per_transaction) {
  client c;
  c.login();
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), mail_ok);
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), "503 5.5.1 Nested MAIL command\r\n");
}

TEST(smtp_commands, mail_syntax) {
  client c;
  c.login();
  for (const char* bad : {"MAIL TO:<a@b.c>\r\n", "MAIL\r\n", "MAIL FROM:<a@b.c> SIZE==1\r\n"}) {
    EXPECT_EQ(c.says(bad), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n") << bad;
  }
  for (const char* bad : {"MAIL FROM:<a@b.c\r\n", "MAIL FROM:<a b@c.d>\r\n", "MAIL FROM:\r\n"}) {
    EXPECT_EQ(c.says(bad), "501 5.1.7 Bad sender address syntax\r\n") << bad;
  }
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> SIZE=lots\r\n"), "501 5.5.4 Syntax: SIZE=<octets>\r\n");
}

// Envelopes as Postfix takes them by default: a legacy host's "MAIL FROM:root" (qualified with
// the server's name, as Postfix adds $myorigin), paths without brackets, a domain's trailing dot.
TEST(smtp_commands, envelopes_postfix_takes_are_taken) {
  client c;
  c.login();
  EXPECT_EQ(c.says("MAIL FROM:root\r\n"), mail_ok);
  EXPECT_EQ(c.says("RCPT TO:+27821234567@sms.example.com.\r\n"), rcpt_ok);
  c.send("DATA\r\nx\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].env.mail_from, "root@" + test_settings().hostname);
  ASSERT_EQ(c.stored[0].env.recipients.size(), 1U);
  EXPECT_EQ(c.stored[0].env.recipients[0].address, "+27821234567@sms.example.com");
  const std::string verp = "list-bounces+" + std::string(70, 'x') + "=corp.example@lists.example";
  EXPECT_EQ(c.says("MAIL FROM:<" + verp + "> BODY=8BITMIME\r\n"), mail_ok);
}

// A DATA after refused recipients hears that none was valid, whatever was wrong with them.
TEST(smtp_commands, data_after_only_refused_recipients_says_none_was_valid) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com> NOTIFY=NEVER\r\n").substr(0, 4), "555 ");
  EXPECT_EQ(c.says("DATA\r\n"), "554 5.5.1 No valid recipients\r\n");
}

TEST(smtp_commands, mail_accepts_the_null_sender_and_source_routes) {
  client c;
  c.login();
  EXPECT_EQ(c.says("MAIL FROM:<>\r\n"), mail_ok);
  EXPECT_EQ(c.says("RSET\r\n"), ok);
  EXPECT_EQ(c.says("MAIL FROM:<@hop.example:a@b.c>\r\n"), mail_ok);
}

TEST(smtp_commands, mail_refuses_non_ascii_addresses) {
  client c;
  c.login();
  EXPECT_EQ(c.says("MAIL FROM:<j\xC3\xB6rg@example.com>\r\n"),
            "553 5.6.7 Non-ASCII addresses are not supported (no SMTPUTF8)\r\n");
}

TEST(smtp_commands, mail_parameters) {
  client c;
  c.login();
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> RET=FULL\r\n"), "555 5.5.4 Unsupported parameter: RET=FULL\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> SMTPUTF8\r\n"), "555 5.5.4 Unsupported parameter: SMTPUTF8\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> BODY=BINARYMIME\r\n"),
            "501 5.5.4 Unsupported BODY type: BODY=7BIT or BODY=8BITMIME\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> AUTH=<> SIZE=10 AUTH=<>\r\n"),
            "503 5.5.4 Multiple AUTH= parameters\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> SIZE=201\r\n"),
            "552 5.3.4 Message size exceeds fixed limit of 200 octets\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> SIZE=200 BODY=8BITMIME AUTH=<>\r\n"), mail_ok);
}

// RFC 4954 5: AUTH= belongs to a session that offers AUTH. A plaintext listener does not (the
// client here sends from a trusted network), and Postfix answers such a parameter as unknown.
TEST(smtp_commands, auth_parameter_only_where_auth_is_offered) {
  client c(plain_listener());
  c.proto.trust_network(alice());
  c.connect();
  c.says("EHLO client.test\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c> AUTH=<>\r\n"),
            "555 5.5.4 Unsupported parameter: AUTH=<>\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), mail_ok);
}

TEST(smtp_commands, rset_takes_no_argument) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RSET now\r\n"), "501 5.5.4 Syntax: RSET\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), "503 5.5.1 Nested MAIL command\r\n");
  EXPECT_EQ(c.says("RSET\r\n"), ok);
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), mail_ok);
}

TEST(smtp_commands, rcpt_needs_mail) {
  client c;
  c.login();
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"), "503 5.5.1 Need MAIL before RCPT\r\n");
}

TEST(smtp_commands, rcpt_accepts_numbers_in_our_domains_in_any_case) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@SMS.Example.COM>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<+15551234567@sms2.example.org>\r\n"), rcpt_ok);
}

TEST(smtp_commands, rcpt_never_relays) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  const std::string denied =
      "550 5.7.1 Relay access denied: we only accept <number>@sms.example.com or "
      "<number>@sms2.example.org\r\n";
  for (const char* other : {"RCPT TO:<+27821234567@gmail.com>\r\n",
                            "RCPT TO:<+27821234567@x.sms.example.com>\r\n",
                            "RCPT TO:<+27821234567@example.com>\r\n",
                            "RCPT TO:<+27821234567@[192.0.2.1]>\r\n",
                            "RCPT TO:<@sms.example.com:+27821234567@gmail.com>\r\n"}) {
    EXPECT_EQ(c.says(other), denied) << other;
  }
  EXPECT_EQ(c.says("DATA\r\n"), "554 5.5.1 No valid recipients\r\n");
}

TEST(smtp_commands, rcpt_that_is_not_a_number_says_why) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<bob@sms.example.com>\r\n"),
            "550 5.1.1 'bob' is not a phone number: write +<country code><number>\r\n");
}

TEST(smtp_commands, rcpt_syntax_and_parameters) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<>\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com> =x\r\n"),
            "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<\"+2782@sms.example.com>\r\n"),
            "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com> NOTIFY=NEVER\r\n"),
            "555 5.5.4 Unsupported parameter: NOTIFY=NEVER\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+2782\xC3\xA9@sms.example.com>\r\n"),
            "553 5.6.7 Non-ASCII addresses are not supported (no SMTPUTF8)\r\n");
}

TEST(smtp_commands, rcpt_quoted_local_part_and_source_route) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<\"+27821234567\"@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<@a.example,@b.example:+15551234567@sms.example.com>\r\n"), rcpt_ok);
  c.send("DATA\r\nhi\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  const auto& r = c.stored[0].env.recipients;
  ASSERT_EQ(r.size(), 2U);
  EXPECT_EQ(r[0].address, "\"+27821234567\"@sms.example.com");
  EXPECT_EQ(r[0].e164, "+27821234567");
  EXPECT_EQ(r[1].address, "+15551234567@sms.example.com");
}

TEST(smtp_commands, duplicate_recipients_are_accepted_and_kept_once) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<0821234567@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<0821234567@sms2.example.org>\r\n"), rcpt_ok);
  c.send("DATA\r\nhi\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  ASSERT_EQ(c.stored[0].env.recipients.size(), 1U);
  EXPECT_EQ(c.stored[0].env.recipients[0].address, "0821234567@sms.example.com");
  EXPECT_EQ(c.stored[0].env.recipients[0].e164, "+27821234567");
}

TEST(smtp_commands, too_many_recipients) {
  client c;  // max_recipients = 3
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+1001@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<+1002@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<+1003@sms.example.com>\r\n"), rcpt_ok);
  EXPECT_EQ(c.says("RCPT TO:<+1004@sms.example.com>\r\n"), "452 4.5.3 Too many recipients\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+1002@sms.example.com>\r\n"), rcpt_ok);  // a duplicate adds nothing
  c.send("DATA\r\nhi\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].env.recipients.size(), 3U);
}

TEST(smtp_commands, data_sequence_errors) {
  client c;
  c.login();
  EXPECT_EQ(c.says("DATA\r\n"), "503 5.5.1 Need MAIL command\r\n");
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("DATA\r\n"), "503 5.5.1 Need RCPT command\r\n");
  c.send("RCPT TO:<bob@sms.example.com>\r\n");
  EXPECT_EQ(c.says("DATA\r\n"), "554 5.5.1 No valid recipients\r\n");
  c.send("RCPT TO:<+27821234567@sms.example.com>\r\n");
  EXPECT_EQ(c.says("DATA now\r\n"), "501 5.5.4 Syntax: DATA\r\n");
  EXPECT_EQ(c.says("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_TRUE(c.proto.in_data());
}

TEST(smtp_commands, rset_and_ehlo_end_the_transaction) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\nRCPT TO:<+27821234567@sms.example.com>\r\n");
  EXPECT_EQ(c.says("RSET\r\n"), ok);
  EXPECT_EQ(c.says("DATA\r\n"), "503 5.5.1 Need MAIL command\r\n");
  c.send("MAIL FROM:<a@b.c>\r\n");
  c.send("EHLO again.test\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"), "503 5.5.1 Need MAIL before RCPT\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), mail_ok);  // still authenticated
}

TEST(smtp_commands, a_whole_transaction_hands_the_envelope_to_the_store) {
  client c;
  c.login();
  c.send("MAIL FROM:<alice@example.net>\r\n");
  c.send("RCPT TO:<+27821234567@sms.example.com>\r\n");
  c.send("RCPT TO:<0831234567@sms2.example.org>\r\n");
  c.send("DATA\r\n");
  const auto a = c.send("Subject: hi\r\n\r\nCall me\r\n.\r\n");
  ASSERT_EQ(a.size(), 2U);
  ASSERT_TRUE(std::holds_alternative<store_message>(a[0]));
  EXPECT_EQ(reply_text(a), "250 2.0.0 Ok: queued as Q1\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  const auto& m = c.stored[0];
  EXPECT_EQ(m.data, "Subject: hi\r\n\r\nCall me\r\n");
  EXPECT_EQ(m.env.helo, "client.test");
  EXPECT_EQ(m.env.mail_from, "alice@example.net");
  EXPECT_EQ(m.env.account.id, 7);
  EXPECT_EQ(m.env.account.name, "alice");
  EXPECT_TRUE(m.env.tls);
  ASSERT_EQ(m.env.recipients.size(), 2U);
  EXPECT_EQ(m.env.recipients[1].address, "0831234567@sms2.example.org");
  EXPECT_EQ(m.env.recipients[1].e164, "+27831234567");
  EXPECT_FALSE(c.proto.in_data());
  // The transaction is over; the session is not.
  EXPECT_EQ(c.says("RCPT TO:<+27821234567@sms.example.com>\r\n"), "503 5.5.1 Need MAIL before RCPT\r\n");
  EXPECT_EQ(c.says("MAIL FROM:<>\r\n"), mail_ok);
}

TEST(smtp_commands, store_outcomes) {
  client c;
  c.login();
  std::vector<store_result> outcomes(3);
  outcomes[0].state = store_result::status::rejected;
  outcomes[0].enhanced_code = "5.7.1";
  outcomes[0].text = "Sender a@b.c is not allowed for account alice";
  outcomes[1].state = store_result::status::deferred;
  outcomes[1].enhanced_code = "";
  outcomes[1].text = "Database unavailable, try again later";
  outcomes[2].state = store_result::status::rejected;
  outcomes[2].enhanced_code = "5.6.0";
  outcomes[2].text = "The mail has no text to send";
  std::size_t next = 0;
  c.store = [&](const store_message&) { return outcomes[next++]; };
  const std::string transaction = "MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nDATA\r\n";
  EXPECT_EQ(c.says(transaction), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(c.says("x\r\n.\r\n"), "550 5.7.1 Sender a@b.c is not allowed for account alice\r\n");
  c.send(transaction);
  EXPECT_EQ(c.says("x\r\n.\r\n"), "451 4.3.0 Database unavailable, try again later\r\n");
  c.send(transaction);
  EXPECT_EQ(c.says("x\r\n.\r\n"), "554 5.6.0 The mail has no text to send\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+1555@sms.example.com>\r\n"), "503 5.5.1 Need MAIL before RCPT\r\n");
}

TEST(smtp_commands, timeout_replies_421_and_closes) {
  client c;
  c.connect();
  const auto a = c.perform(c.proto.on_timeout());
  ASSERT_EQ(a.size(), 2U);
  EXPECT_EQ(reply_text(a), "421 4.4.2 mx.test Error: timeout exceeded\r\n");
  EXPECT_TRUE(std::holds_alternative<close_connection>(a[1]));
  EXPECT_TRUE(c.proto.closed());
  EXPECT_TRUE(c.proto.on_timeout().empty());
}

TEST(smtp_commands, too_many_errors_end_the_session) {
  client c;
  c.connect();
  for (int i = 0; i < 9; ++i) EXPECT_EQ(c.says("BOGUS\r\n"), "500 5.5.2 Command not recognized\r\n");
  const auto a = c.send("BOGUS\r\nNOOP\r\n");
  EXPECT_EQ(reply_text(a), "500 5.5.2 Command not recognized\r\n421 4.7.0 mx.test Error: too many errors\r\n");
  EXPECT_TRUE(std::holds_alternative<close_connection>(a.back()));
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_commands, rejected_recipients_count_as_errors) {
  // As in Postfix: a session probing for a relay, or for numbers and group names, ends at
  // max_errors (10 here) like one sending nonsense.
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  for (int i = 0; i < 5; ++i) c.send("RCPT TO:<bob@sms.example.com>\r\n");         // not a number
  for (int i = 0; i < 4; ++i) c.send("RCPT TO:<+27821234567@other.example>\r\n");  // relay
  EXPECT_FALSE(c.proto.closed());
  const auto a = c.send("RCPT TO:<+27821234567@elsewhere.example>\r\n");
  EXPECT_TRUE(reply_text(a).ends_with("421 4.7.0 mx.test Error: too many errors\r\n"));
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_commands, a_group_larger_than_a_mail_may_have_counts_as_an_error) {
  // Its members are not read (core's resolver checks the size first), and a client sending it
  // again and again ends at max_errors (review, session 27).
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(c.says("RCPT TO:<everyone@sms.example.com>\r\n").substr(0, 10), "550 5.5.3 ");
  }
  EXPECT_FALSE(c.proto.closed());
  const auto a = c.send("RCPT TO:<everyone@sms.example.com>\r\n");
  EXPECT_TRUE(reply_text(a).ends_with("421 4.7.0 mx.test Error: too many errors\r\n"));
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_commands, a_group_that_never_fits_is_refused_even_when_the_resolver_let_it_through) {
  // 550, not 452: a client told 452 tries again later, and this group never fits.
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<crowd@sms.example.com>\r\n"),
            "550 5.5.3 Too many recipients: this group has 5 members, the most is 3 per mail\r\n");
}

TEST(smtp_commands, a_group_and_numbers_already_named_are_kept_once) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  EXPECT_EQ(c.says("RCPT TO:<+27820000002@sms.example.com>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(c.says("RCPT TO:<oncall@sms.example.com>\r\n"), "250 2.1.5 Ok\r\n");
  c.send("DATA\r\n");
  c.send("Subject: x\r\n\r\nhello\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1u);
  ASSERT_EQ(c.stored[0].env.recipients.size(), 2u);
  EXPECT_EQ(c.stored[0].env.recipients[0].e164, "+27820000002");
  EXPECT_EQ(c.stored[0].env.recipients[1].e164, "+27820000001");
}

TEST(smtp_commands, accepted_recipients_are_not_errors) {
  client c;
  c.login();
  c.send("MAIL FROM:<a@b.c>\r\n");
  for (int i = 0; i < 12; ++i)
    c.send("RCPT TO:<+2782123456" + std::to_string(i % 10) + "@sms.example.com>\r\n");
  EXPECT_FALSE(c.proto.closed());
  EXPECT_EQ(c.says("NOOP\r\n"), ok);
}

TEST(smtp_commands, http_requests_are_hung_up_on) {
  client c;
  c.connect();
  const auto a = c.send("GET / HTTP/1.1\r\nHost: mx.test\r\n\r\n");
  EXPECT_EQ(reply_text(a), "421 4.7.0 mx.test Error: this is an SMTP server\r\n");
  EXPECT_TRUE(c.proto.closed());
}

TEST(smtp_commands, command_line_length_limit_counts_the_crlf) {
  client c;  // max_command_line = 512
  c.connect();
  EXPECT_EQ(c.says("NOOP " + std::string(505, 'x') + "\r\n"), ok);  // 512 octets
  EXPECT_EQ(c.says("NOOP " + std::string(506, 'x') + "\r\n"), "500 5.5.2 Line too long\r\n");
}

TEST(smtp_commands, an_endless_line_is_discarded_as_it_arrives) {
  client c;
  c.connect();
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(c.send(std::string(4096, 'A')).empty());
  EXPECT_EQ(c.says("\r\nNOOP\r\n"), "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
}

TEST(smtp_commands, bare_lf_or_cr_never_ends_a_command) {
  client c;
  c.connect();
  EXPECT_EQ(c.says("NOOP\nQUIT\r\n"), "500 5.5.2 Bare LF/CR not allowed\r\n");
  EXPECT_EQ(c.says("NOOP\rQUIT\r\n"), "500 5.5.2 Bare LF/CR not allowed\r\n");
  EXPECT_EQ(c.says("QUIT\r\r\n"), "500 5.5.2 Bare LF/CR not allowed\r\n");
  EXPECT_TRUE(c.says("QUIT\n").empty());  // not a line yet
  EXPECT_FALSE(c.proto.closed());
  EXPECT_EQ(c.says("\r\n"), "500 5.5.2 Bare LF/CR not allowed\r\n");
}

}  // namespace
}  // namespace mail2sms::smtpd::test
