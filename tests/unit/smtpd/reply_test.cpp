// Replies built from outcomes: store results to codes, text made safe for one reply line.
#include "smtpd/reply.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd {
namespace {

store_result outcome(store_result::status s, std::string code, std::string text) {
  store_result r;
  r.state = s;
  r.enhanced_code = std::move(code);
  r.text = std::move(text);
  return r;
}

TEST(reply, accepted) {
  store_result r;
  r.state = store_result::status::accepted;
  r.queue_id = "A1B2";
  EXPECT_EQ(store_result_reply(r), "250 2.0.0 Ok: queued as A1B2");
}

TEST(reply, rejected_takes_its_basic_code_from_the_enhanced_code) {
  using s = store_result::status;
  EXPECT_EQ(store_result_reply(outcome(s::rejected, "5.6.0", "No text in the mail")),
            "554 5.6.0 No text in the mail");
  EXPECT_EQ(store_result_reply(outcome(s::rejected, "5.7.1", "Sender not allowed")),
            "550 5.7.1 Sender not allowed");
  EXPECT_EQ(store_result_reply(outcome(s::rejected, "5.3.4", "Too many parts")), "552 5.3.4 Too many parts");
  EXPECT_EQ(store_result_reply(outcome(s::rejected, "4.3.0", "")), "554 5.0.0 Message rejected");
}

TEST(reply, deferred_is_451) {
  using s = store_result::status;
  EXPECT_EQ(store_result_reply(outcome(s::deferred, "4.2.2", "No credit left")), "451 4.2.2 No credit left");
  EXPECT_EQ(store_result_reply(outcome(s::deferred, "", "Database unavailable")),
            "451 4.3.0 Database unavailable");
  EXPECT_EQ(store_result_reply(outcome(s::deferred, "5.1.1", "x")), "451 4.3.0 x");
}

TEST(reply, outside_text_cannot_inject_reply_lines) {
  using s = store_result::status;
  EXPECT_EQ(store_result_reply(outcome(s::rejected, "5.6.0", "bad\r\n250 2.0.0 Ok")),
            "554 5.6.0 bad  250 2.0.0 Ok");
  EXPECT_EQ(reply_safe_text("caf\xC3\xA9\t", "x"), "caf??");
  EXPECT_EQ(reply_safe_text(" \r\n ", "fallback"), "fallback");
  EXPECT_EQ(reply_safe_text(std::string(1000, 'a'), "x").size(), 400U);
}

TEST(reply, enhanced_code_shape) {
  EXPECT_TRUE(is_enhanced_code("5.7.1", '5'));
  EXPECT_TRUE(is_enhanced_code("4.123.456", '4'));
  EXPECT_FALSE(is_enhanced_code("4.7.1", '5'));
  EXPECT_FALSE(is_enhanced_code("5.7", '5'));
  EXPECT_FALSE(is_enhanced_code("5.7.1234", '5'));
  EXPECT_FALSE(is_enhanced_code("5..1", '5'));
  EXPECT_FALSE(is_enhanced_code("5.a.1", '5'));
}

TEST(reply, relay_denied_names_our_domains) {
  EXPECT_EQ(relay_denied_reply({"sms.example.com"}),
            "550 5.7.1 Relay access denied: we only accept <number>@sms.example.com");
  EXPECT_EQ(relay_denied_reply({"a.example", "b.example"}),
            "550 5.7.1 Relay access denied: we only accept <number>@a.example or <number>@b.example");
}

TEST(reply, ehlo_lines) {
  EXPECT_EQ(ehlo_reply({"mx.test", "c.test", 1000, true, false}),
            "250-mx.test greets c.test\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
            "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250 HELP\r\n");
}

}  // namespace
}  // namespace mail2sms::smtpd
