// From a received mail to a submission: what is stored, and what is refused with which code.
#include "core/acceptance.hpp"

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace mail2sms::core {
namespace {

struct acceptance_test : ::testing::Test {
  test::fake_store store;
  acceptance accept{store};
  account sender{.id = 42, .name = "acme", .country = "ZA", .sender_id = "ACME", .max_parts = 3};

  acceptance_verdict submit(std::string_view mail, std::vector<std::string> to = {"+27821234567"}) {
    acceptance_request r{sender, "ops@example.com", std::move(to), mail};
    return accept.accept(r);
  }
};

TEST_F(acceptance_test, plain_mail_is_stored_for_every_recipient) {
  auto v = submit("Subject: s\r\nMessage-ID: <1@x>\r\n\r\nHello\r\n", {"+27821234567", "+27821234568"});
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_EQ(v.queue_id, "Q1");
  ASSERT_EQ(store.submissions.size(), 1u);
  const auto& s = store.submissions[0];
  EXPECT_EQ(s.account_id, 42);
  EXPECT_EQ(s.recipients.size(), 2u);
  EXPECT_EQ(s.text, "Hello");
  EXPECT_EQ(s.sender_id, "ACME");
  EXPECT_EQ(s.message_id, "<1@x>");
  EXPECT_EQ(s.sms.coding, sms::encoding::gsm7);
  EXPECT_EQ(s.sms.segments.size(), 1u);
}

TEST_F(acceptance_test, subject_is_the_text_when_the_body_is_empty) {
  auto v = submit("Subject: PROBLEM: host down\r\n\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_EQ(store.submissions[0].text, "PROBLEM: host down");
}

TEST_F(acceptance_test, the_stored_text_is_what_the_parts_say_after_smart_gsm) {
  auto v = submit("Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                  "It\xE2\x80\x99s done \xE2\x80\x94 ok\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  const auto& s = store.submissions[0];
  EXPECT_EQ(s.sms.coding, sms::encoding::gsm7);
  EXPECT_EQ(s.text, "It's done - ok");
}

TEST_F(acceptance_test, empty_mail_is_refused) {
  auto v = submit("From: a@b\r\n\r\n\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::rejected);
  EXPECT_EQ(v.enhanced_code, "5.6.0");
  EXPECT_TRUE(store.submissions.empty());
}

TEST_F(acceptance_test, too_many_parts_is_refused_with_the_counts) {
  auto v = submit("Subject: s\r\n\r\n" + std::string(153 * 3 + 1, 'a') + "\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::rejected);
  EXPECT_EQ(v.enhanced_code, "5.3.4");
  EXPECT_NE(v.text.find("needs 4 SMS parts"), std::string::npos) << v.text;
  EXPECT_NE(v.text.find("allows 3"), std::string::npos) << v.text;
  EXPECT_TRUE(store.submissions.empty());
}

TEST_F(acceptance_test, store_failure_is_a_deferral_never_an_acceptance) {
  store.fail_next = true;
  auto v = submit("Subject: s\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::deferred);
  EXPECT_EQ(v.enhanced_code, "4.3.0");
  EXPECT_TRUE(v.queue_id.empty());
}

// The asynchronous path the SMTP server uses: the same verdicts, each delivered exactly once.
struct async_store final : message_store {
  enqueue_result enqueue(const submission&) override { return fail(store_error{}); }
  void enqueue_async(submission s, enqueue_done done) override {
    held.push_back(std::move(s));
    pending.push_back(std::move(done));
  }
  std::vector<submission> held;
  std::vector<enqueue_done> pending;
};

TEST(acceptance_async, verdict_comes_only_when_the_store_answers) {
  async_store store;
  acceptance accept{store};
  account sender{.id = 7, .name = "acme", .country = "ZA", .sender_id = "", .max_parts = 3};
  const std::string mail = "Subject: s\r\n\r\n" + std::string(200, 'a') + "\r\n";
  std::vector<acceptance_verdict> verdicts;
  accept.accept_async({sender, "ops@example.com", {"+27821234567"}, mail},
                      [&](acceptance_verdict v) { verdicts.push_back(std::move(v)); });
  EXPECT_TRUE(verdicts.empty());  // not before the commit
  ASSERT_EQ(store.held.size(), 1u);
  EXPECT_EQ(store.held[0].text, std::string(200, 'a'));
  store.pending[0](std::string("Q9"));
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].state, acceptance_verdict::status::accepted);
  EXPECT_EQ(verdicts[0].queue_id, "Q9");
  EXPECT_EQ(verdicts[0].segments, 2u);

  accept.accept_async({sender, "ops@example.com", {"+27821234567"}, mail},
                      [&](acceptance_verdict v) { verdicts.push_back(std::move(v)); });
  store.pending[1](fail(store_error{failure_kind::in_doubt, "commit outcome unknown"}));
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_EQ(verdicts[1].state, acceptance_verdict::status::deferred);
  EXPECT_EQ(verdicts[1].enhanced_code, "4.3.0");
}

TEST(acceptance_async, a_refused_mail_is_answered_at_once_and_never_stored) {
  async_store store;
  acceptance accept{store};
  account sender{.id = 7, .name = "acme", .country = "ZA", .sender_id = "", .max_parts = 1};
  const std::string mail = "Subject: s\r\n\r\n" + std::string(400, 'a') + "\r\n";
  std::vector<acceptance_verdict> verdicts;
  accept.accept_async({sender, "ops@example.com", {"+27821234567"}, mail},
                      [&](acceptance_verdict v) { verdicts.push_back(std::move(v)); });
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].state, acceptance_verdict::status::rejected);
  EXPECT_EQ(verdicts[0].enhanced_code, "5.3.4");
  EXPECT_TRUE(store.held.empty());
}

}  // namespace
}  // namespace mail2sms::core
