// SMTP client framing: replies (one line, multi-line, malformed), EHLO keywords, dot-stuffing,
// AUTH PLAIN's initial response.
#include <gtest/gtest.h>

#include "core/notify/smtp_reply.hpp"

namespace mail2sms::notify {
namespace {

using state = reply_parser::state;

TEST(smtp_reply, one_line) {
  reply_parser p;
  ASSERT_EQ(p.feed("250 2.0.0 Ok: queued as 4F2"), state::done);
  EXPECT_EQ(p.reply().code, 250);
  EXPECT_EQ(p.reply().lines, std::vector<std::string>{"2.0.0 Ok: queued as 4F2"});
  EXPECT_TRUE(p.reply().positive());
  ASSERT_EQ(p.feed("354"), state::done);  // a bare code is a reply too
  EXPECT_EQ(p.reply().code, 354);
}

TEST(smtp_reply, multi_line_until_the_space) {
  reply_parser p;
  EXPECT_EQ(p.feed("250-relay.example.com"), state::need_more);
  EXPECT_EQ(p.feed("250-STARTTLS"), state::need_more);
  EXPECT_EQ(p.feed("250-AUTH LOGIN PLAIN"), state::need_more);
  ASSERT_EQ(p.feed("250 8BITMIME"), state::done);
  EXPECT_EQ(p.reply().lines.size(), 4u);
  const auto caps = capabilities_of(p.reply());
  EXPECT_TRUE(caps.starttls);
  EXPECT_TRUE(caps.auth_plain);
  EXPECT_EQ(p.reply().text(), "250 relay.example.com / STARTTLS / AUTH LOGIN PLAIN / 8BITMIME");
  // The next feed starts a new reply.
  ASSERT_EQ(p.feed("451 4.3.0 try later"), state::done);
  EXPECT_EQ(p.reply().lines.size(), 1u);
  EXPECT_TRUE(p.reply().transient());
}

TEST(smtp_reply, capabilities_are_keywords_not_the_greeting_name) {
  reply_parser p;
  p.feed("250-starttls.example.com");
  p.feed("250-auth=login");
  ASSERT_EQ(p.feed("250 SIZE 1000"), state::done);
  const auto caps = capabilities_of(p.reply());
  EXPECT_FALSE(caps.starttls);
  EXPECT_FALSE(caps.auth_plain);
  reply_parser q;
  q.feed("250-x");
  q.feed("250-starttls");
  ASSERT_EQ(q.feed("250 AUTH=PLAIN"), state::done);
  EXPECT_TRUE(capabilities_of(q.reply()).starttls);
  EXPECT_TRUE(capabilities_of(q.reply()).auth_plain);
}

TEST(smtp_reply, malformed_lines_are_bad) {
  for (const char* line : {"", "25", "hello", "250x", "099 no", "650 six", "2500 x"}) {
    reply_parser p;
    EXPECT_EQ(p.feed(line), state::bad) << line;
    EXPECT_FALSE(p.error().empty());
  }
  reply_parser p;
  EXPECT_EQ(p.feed("250-one"), state::need_more);
  EXPECT_EQ(p.feed("550 two"), state::bad);
  EXPECT_NE(p.error().find("changed its code"), std::string::npos);
}

TEST(smtp_reply, dot_stuffing_and_line_ends) {
  EXPECT_EQ(dot_stuffed("a\r\n.b\r\n..c\r\n"), "a\r\n..b\r\n...c\r\n.\r\n");
  EXPECT_EQ(dot_stuffed(".\r\n"), "..\r\n.\r\n");
  EXPECT_EQ(dot_stuffed("bare\nlf\rcr"), "bare\r\nlf\r\ncr\r\n.\r\n");
  EXPECT_EQ(dot_stuffed(""), ".\r\n");
  EXPECT_EQ(dot_stuffed("x.y\r\n"), "x.y\r\n.\r\n");
}

TEST(smtp_reply, auth_plain_response_is_base64_of_nul_user_nul_password) {
  // RFC 4616's example: authcid "tim", password "tanstaaftanstaaf".
  EXPECT_EQ(auth_plain_response("tim", "tanstaaftanstaaf"), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  EXPECT_EQ(auth_plain_response("a", "b"), "AGEAYg==");
}

}  // namespace
}  // namespace mail2sms::notify
