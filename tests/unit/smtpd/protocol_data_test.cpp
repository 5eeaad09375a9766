// DATA: the end only at CRLF.CRLF, dot-unstuffing, bare CR/LF smuggling, line and size limits.
#include <gtest/gtest.h>

#include "protocol_client.hpp"

namespace mail2sms::smtpd::test {
namespace {

constexpr std::string_view bare_reply = "554 5.6.0 Message contains bare CR or LF\r\n";

// A logged-in client that has just had its 354. test_settings: text lines of at most 40 octets
// including CRLF, messages of at most 200 octets.
void start_data(client& c) {
  c.login();
  ASSERT_EQ(c.says("MAIL FROM:<a@b.c>\r\nRCPT TO:<+27821234567@sms.example.com>\r\nDATA\r\n"),
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(smtp_data, dot_unstuffing) {
  client c;
  start_data(c);
  c.send("..x\r\n...\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data, ".x\r\n..\r\n");
}

TEST(smtp_data, only_a_line_of_one_dot_ends_the_data) {
  client c;
  start_data(c);
  EXPECT_TRUE(c.send(" .\r\n. \r\n..\r\nx.\r\n").empty());
  EXPECT_TRUE(c.proto.in_data());
  c.send(".\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data, " .\r\n \r\n.\r\nx.\r\n");  // ". " loses its dot too (4.5.2)
}

TEST(smtp_data, an_empty_message) {
  client c;
  start_data(c);
  EXPECT_EQ(c.says(".\r\n"), "250 2.0.0 Ok: queued as Q1\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data, "");
}

TEST(smtp_data, eight_bit_data_passes_through) {
  client c;
  start_data(c);
  c.send("caf\xC3\xA9 \x01\x7F\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data, "caf\xC3\xA9 \x01\x7F\r\n");
}

// Each way an SMTP server has been fooled into seeing an end of data that the next hop does
// not see (SMTP smuggling, 2023): none may end the data or start a second transaction here.
class smtp_smuggling : public ::testing::TestWithParam<const char*> {};

TEST_P(smtp_smuggling, does_not_end_the_data_nor_start_a_second_message) {
  client c;
  start_data(c);
  const std::string smuggled = std::string("Subject: hi\r\n\r\nhello") + GetParam() +
                               "MAIL FROM:<evil@x.test>\r\nRCPT TO:<+15550000000@sms.example.com>\r\n"
                               "DATA\r\nsmuggled\r\n";
  EXPECT_TRUE(c.send(smuggled).empty());
  EXPECT_TRUE(c.proto.in_data());
  EXPECT_EQ(c.says("\r\n.\r\n"), bare_reply);
  EXPECT_TRUE(c.stored.empty());
  EXPECT_EQ(c.says("RCPT TO:<+15550000000@sms.example.com>\r\n"), "503 5.5.1 Need MAIL before RCPT\r\n");
}

INSTANTIATE_TEST_SUITE_P(variants, smtp_smuggling,
                         ::testing::Values("\n.\n", "\n.\r\n", "\r.\r", "\r.\r\n", "\n.\r",
                                           "\r\n.\n", "\r\n.\r", "\r\n.\r\r\n", "\r\r\n.\r\r\n",
                                           "\n\n.\n\n", "\r\n\n.\r\n"));

TEST(smtp_data, cr_cr_lf_before_a_real_end_ends_the_data_and_rejects_it) {
  client c;
  start_data(c);
  EXPECT_EQ(c.says("hello\r\r\n.\r\nNOOP\r\n"), std::string(bare_reply) + "250 2.0.0 Ok\r\n");
  EXPECT_TRUE(c.stored.empty());
}

TEST(smtp_data, line_limit_counts_the_crlf_but_not_the_stuffed_dot) {
  client c;  // max_text_line = 40
  start_data(c);
  const std::string longest(38, 'x');
  c.send(longest + "\r\n." + longest + "\r\n.\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data, longest + "\r\n" + longest + "\r\n");
}

TEST(smtp_data, a_too_long_line_rejects_the_message_after_the_end) {
  client c;
  start_data(c);
  EXPECT_TRUE(c.send(std::string(39, 'x') + "\r\nmore\r\n").empty());
  EXPECT_EQ(c.says(".\r\n"),
            "554 5.6.0 Message contains a line longer than 38 characters; encode it "
            "(quoted-printable or base64)\r\n");
  EXPECT_TRUE(c.stored.empty());
  EXPECT_FALSE(c.proto.in_data());
}

TEST(smtp_data, megabytes_without_crlf_are_read_to_the_end) {
  client c;
  start_data(c);
  for (int i = 0; i < 256; ++i) EXPECT_TRUE(c.send(std::string(4096, 'x')).empty());
  EXPECT_EQ(c.says("\r\n.\r\n").substr(0, 10), "554 5.6.0 ");
  EXPECT_TRUE(c.stored.empty());
}

TEST(smtp_data, size_counts_octets_after_unstuffing) {
  client c;  // max_message_size = 200
  start_data(c);
  const std::string line = "." + std::string(37, 'x') + "\r\n";  // 40 on the wire, 39 stored
  std::string body;
  for (int i = 0; i < 5; ++i) body += line;  // 195
  body += "abc\r\n";                          // 200
  c.send(body + ".\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data.size(), 200U);
}

TEST(smtp_data, past_the_size_limit_is_refused_after_the_end) {
  client c;
  start_data(c);
  std::string body;
  for (int i = 0; i < 5; ++i) body += std::string(38, 'x') + "\r\n";  // 200
  EXPECT_TRUE(c.send(body + "\r\n").empty());                          // 202
  EXPECT_EQ(c.says(".\r\n"), "552 5.3.4 Message size exceeds fixed limit of 200 octets\r\n");
  EXPECT_TRUE(c.stored.empty());
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(smtp_data, a_bare_line_wins_over_the_other_problems) {
  client c;
  start_data(c);
  std::string body = std::string(50, 'x') + "\r\nbare\nLF\r\n";
  for (int i = 0; i < 10; ++i) body += std::string(30, 'y') + "\r\n";
  EXPECT_EQ(c.says(body + ".\r\n"), bare_reply);
}

TEST(smtp_data, a_failed_message_leaves_the_session_usable) {
  client c;
  start_data(c);
  EXPECT_EQ(c.says("a\nb\r\n.\r\n"), bare_reply);
  EXPECT_EQ(c.says("MAIL FROM:<a@b.c>\r\nRCPT TO:<+27821234567@sms.example.com>\r\nDATA\r\nok\r\n.\r\n"),
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
            "250 2.0.0 Ok: queued as Q1\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data, "ok\r\n");
}

TEST(smtp_data, commands_inside_data_are_data) {
  client c;
  start_data(c);
  EXPECT_TRUE(c.send("QUIT\r\nRSET\r\n").empty());
  EXPECT_FALSE(c.proto.closed());
  c.send(".\r\n");
  ASSERT_EQ(c.stored.size(), 1U);
  EXPECT_EQ(c.stored[0].data, "QUIT\r\nRSET\r\n");
}

}  // namespace
}  // namespace mail2sms::smtpd::test
