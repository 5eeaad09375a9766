// PIPELINING (RFC 2920): replies batched into one write, flushed before every wait, in order;
// and Beast-style chunking tests: a session split at every byte offset, and byte by byte,
// produces the same actions and the same stored messages.
#include <gtest/gtest.h>

#include "protocol_client.hpp"
#include "smtpd/sasl.hpp"

namespace mail2sms::smtpd::test {
namespace {

const std::string transaction_head =
    "MAIL FROM:<a@b.c>\r\nRCPT TO:<+27821234567@sms.example.com>\r\nRCPT TO:<x@gmail.com>\r\n"
    "RCPT TO:<+15551234567@sms.example.com>\r\nDATA\r\n";
const std::string transaction_head_replies =
    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
    "550 5.7.1 Relay access denied: we only accept <number>@sms.example.com or <number>@sms2.example.org\r\n"
    "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n";

store_result accepted(std::string id) {
  store_result r;
  r.state = store_result::status::accepted;
  r.queue_id = std::move(id);
  return r;
}

TEST(smtp_pipelining, a_pipelined_group_gets_one_batched_reply) {
  client c;
  c.login();
  const auto a = c.proto.on_input(transaction_head);
  ASSERT_EQ(a.size(), 1U);
  EXPECT_EQ(reply_text(a), transaction_head_replies);
}

TEST(smtp_pipelining, replies_are_flushed_before_the_store_and_batched_after_it) {
  client c;
  c.login();
  const auto a = c.proto.on_input(transaction_head + "hello\r\n.\r\nNOOP\r\nQUIT\r\n");
  ASSERT_EQ(a.size(), 2U);
  EXPECT_EQ(reply_text(a), transaction_head_replies);
  ASSERT_TRUE(std::holds_alternative<send_reply>(a[0]));
  const auto* m = std::get_if<store_message>(&a[1]);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->data, "hello\r\n");
  EXPECT_TRUE(c.proto.waiting());
  EXPECT_TRUE(c.proto.on_input("NOOP\r\n").empty());  // only buffered; after QUIT anyway

  const auto b = c.proto.on_store_result(accepted("Q9"));
  ASSERT_EQ(b.size(), 2U);
  EXPECT_EQ(reply_text(b), "250 2.0.0 Ok: queued as Q9\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
  EXPECT_TRUE(std::holds_alternative<close_connection>(b[1]));
}

TEST(smtp_pipelining, pipelined_input_while_waiting_is_bounded) {
  client c;
  c.login();
  c.proto.on_input(transaction_head + "x\r\n.\r\n");
  ASSERT_TRUE(c.proto.waiting());
  for (int i = 0; i < 32; ++i) EXPECT_TRUE(c.proto.on_input(std::string(4096, 'N')).empty());
  const auto b = c.proto.on_store_result(accepted("Q1"));
  EXPECT_EQ(reply_text(b), "250 2.0.0 Ok: queued as Q1\r\n421 4.7.0 mx.test Error: too much pipelined input\r\n");
  EXPECT_TRUE(std::holds_alternative<close_connection>(b.back()));
}

TEST(smtp_pipelining, a_full_group_of_recipients_fits_while_waiting) {
  auto s = test_settings();
  s.max_recipients = 100;
  client c(s);
  c.login();
  std::string group = "MAIL FROM:<a@b.c>\r\n";
  for (int i = 0; i < 100; ++i) group += "RCPT TO:<+" + std::to_string(1000000 + i) + "@sms.example.com>\r\n";
  group += "DATA\r\n";
  c.proto.on_input(transaction_head + "x\r\n.\r\n");
  ASSERT_TRUE(c.proto.waiting());
  EXPECT_TRUE(c.proto.on_input(group).empty());
  const auto b = c.proto.on_store_result(accepted("Q1"));
  EXPECT_FALSE(c.proto.closed());
  EXPECT_EQ(reply_text(b).substr(reply_text(b).size() - 37), "354 End data with <CR><LF>.<CR><LF>\r\n");
}

// ---- the same conversation in every chunking ----

std::vector<std::string> converse(std::string_view script, const std::vector<std::size_t>& cuts,
                                  protocol_settings settings = test_settings()) {
  client c(std::move(settings));
  c.connect();
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    c.send(script.substr(from, cut - from));
    from = cut;
  }
  c.send(script.substr(from));
  return transcript(c.log);
}

void expect_same_in_every_chunking(const std::string& script, const std::vector<std::string>& expected) {
  ASSERT_EQ(converse(script, {}), expected);
  for (std::size_t i = 0; i <= script.size(); ++i) {
    ASSERT_EQ(converse(script, {i}), expected) << "split at " << i;
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < script.size(); ++i) every_byte.push_back(i);
  ASSERT_EQ(converse(script, every_byte), expected) << "byte by byte";
}

TEST(smtp_chunking, a_whole_session_is_the_same_however_it_is_split) {
  const std::string script =
      "EHLO client.test\r\n"
      "AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n"
      "MAIL FROM:<alice@example.net> SIZE=100\r\n"
      "RCPT TO:<+27821234567@sms.example.com>\r\n"
      "RCPT TO:<0821234567@SMS.example.com>\r\n"
      "RCPT TO:<+447700900000@elsewhere.org>\r\n"
      "RCPT TO:<bob@sms.example.com>\r\n"
      "DATA\r\n"
      "Subject: hi\r\n\r\n..leading dot\r\n...\r\n.\r\n"
      "NOOP " + std::string(600, 'x') + "\r\n"
      "NOOP\nQUIT\r\n"
      "MAIL FROM:<>\r\nRCPT TO:<+15551234567@sms2.example.org>\r\nDATA\r\n" +
      std::string(45, 'y') + "\r\nsecond\r\n.\r\n"
      "MAIL FROM:<>\r\nRCPT TO:<+15551234567@sms2.example.org>\r\nDATA\r\n"
      "a\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n"
      "AUTH LOGIN\r\n"
      "RSET\r\n"
      "QUIT\r\n";
  const std::string data_354 = "354 End data with <CR><LF>.<CR><LF>\r\n";
  const std::vector<std::string> expected{
      "reply:220 mx.test ESMTP mail2sms\r\n"
      "250-mx.test greets client.test\r\n250-SIZE 200\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n",
      "verify:PLAIN:alice:secret",
      "reply:235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
      "550 5.7.1 Relay access denied: we only accept <number>@sms.example.com or "
      "<number>@sms2.example.org\r\n"
      "550 5.1.1 'bob' is not a phone number: write +<country code><number>\r\n" + data_354,
      "store:client.test|alice@example.net|+27821234567@sms.example.com=+27821234567,|alice|tls|"
      "Subject: hi\r\n\r\n.leading dot\r\n..\r\n",
      "reply:250 2.0.0 Ok: queued as Q1\r\n500 5.5.2 Line too long\r\n"
      "500 5.5.2 Bare LF/CR not allowed\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" + data_354 +
      "554 5.6.0 Message contains a line longer than 38 characters; encode it "
      "(quoted-printable or base64)\r\n"
      "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" + data_354 +
      "554 5.6.0 Message contains bare CR or LF\r\n503 5.5.1 Already authenticated\r\n"
      "250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
      "close"};
  expect_same_in_every_chunking(script, expected);
}

TEST(smtp_chunking, login_exchange_overlong_data_and_size_limit) {
  const std::string user = sasl::base64_encode("alice");
  std::string big;  // 300 octets in lines of 30
  for (int i = 0; i < 10; ++i) big += std::string(28, 'b') + "\r\n";
  const std::string script =
      "EHLO client.test\r\n"
      "AUTH LOGIN\r\n" + user + "\r\n" + sasl::base64_encode("wrong") + "\r\n"
      "AUTH LOGIN " + user + "\r\n" + sasl::base64_encode("secret") + "\r\n"
      "MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nDATA\r\n" +
      std::string(3000, 'z') + "\r\nok\r\n.\r\n"
      "MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nDATA\r\n" + big + ".\r\n"
      "MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nDATA\r\n.stuffed\r\n\r\n.\r\n"
      "QUIT\r\n";
  const std::string head = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n";
  const std::vector<std::string> expected{
      "reply:220 mx.test ESMTP mail2sms\r\n"
      "250-mx.test greets client.test\r\n250-SIZE 200\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n"
      "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n",
      "verify:LOGIN:alice:wrong",
      "reply:535 5.7.8 Authentication credentials invalid\r\n334 UGFzc3dvcmQ6\r\n",
      "verify:LOGIN:alice:secret",
      "reply:235 2.7.0 Authentication successful\r\n" + head +
          "554 5.6.0 Message contains a line longer than 38 characters; encode it "
          "(quoted-printable or base64)\r\n" +
          head + "552 5.3.4 Message size exceeds fixed limit of 200 octets\r\n" + head,
      "store:client.test|a@b.c|+1555@sms.example.com=+1555,|alice|tls|stuffed\r\n\r\n",
      "reply:250 2.0.0 Ok: queued as Q1\r\n221 2.0.0 Bye\r\n",
      "close"};
  expect_same_in_every_chunking(script, expected);
}

TEST(smtp_chunking, smuggling_is_refused_in_every_chunking) {
  const std::string transaction = "MAIL FROM:<a@b.c>\r\nRCPT TO:<+1555@sms.example.com>\r\nDATA\r\n";
  const std::string script =
      "EHLO client.test\r\nAUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n" +
      transaction + "x\r\n.\nMAIL FROM:<e@x.test>\r\nRCPT TO:<+1666@sms.example.com>\r\nDATA\r\nevil\r\n.\r\n" +
      transaction + "y\r\r\n.\r\r\nRSET\r\n\r\n.\r\n" +
      "QUIT\r\n";
  const std::string head = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n";
  const std::string refused = "554 5.6.0 Message contains bare CR or LF\r\n";
  const auto one_chunk = converse(script, {});
  ASSERT_EQ(one_chunk.size(), 4U);
  EXPECT_EQ(one_chunk[1], "verify:PLAIN:alice:secret");
  EXPECT_EQ(one_chunk[2], "reply:235 2.7.0 Authentication successful\r\n" + head + refused + head + refused +
                              "221 2.0.0 Bye\r\n");
  EXPECT_EQ(one_chunk[3], "close");
  expect_same_in_every_chunking(script, one_chunk);
}

}  // namespace
}  // namespace mail2sms::smtpd::test
