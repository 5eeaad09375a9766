// From a received mail to a submission: what is stored, and what is refused with which code.
#include "core/acceptance.hpp"

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace mail2sms::core {
namespace {

account make_account(std::int64_t id, std::string sender_id, int max_parts) {
  account a;
  a.id = id;
  a.name = "acme";
  a.country = "ZA";
  a.sender_id = std::move(sender_id);
  a.max_parts = max_parts;
  return a;
}

enqueued queued_as(std::string queue_id) {
  enqueued e;
  e.queue_id = std::move(queue_id);
  return e;
}

struct acceptance_test : ::testing::Test {
  test::fake_store store;
  acceptance accept{store};
  account sender = make_account(42, "ACME", 3);

  acceptance_verdict submit(std::string_view mail, std::vector<std::string> to = {"+27821234567"}) {
    acceptance_request r{std::make_shared<const account>(sender), "ops@example.com", std::move(to),
                         mail};
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

TEST_F(acceptance_test, the_accounts_limits_answer_for_the_store) {
  store.refuse_next = refusal{false, "4.7.1", "Not enough credit: this mail needs 2"};
  auto v = submit("Subject: s\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::deferred);
  EXPECT_EQ(v.enhanced_code, "4.7.1");
  EXPECT_EQ(v.text, "Not enough credit: this mail needs 2");

  store.refuse_next = refusal{true, "5.7.1", "Not enough credit"};
  v = submit("Subject: s\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::rejected);
  EXPECT_EQ(v.enhanced_code, "5.7.1");
  EXPECT_TRUE(store.submissions.empty());
}

TEST_F(acceptance_test, the_from_header_must_be_an_allowed_sender_when_the_account_lists_them) {
  sender.senders = {"ops@example.com", "*@alerts.example.com"};
  auto v = submit("From: Ops <ops@example.com>\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  v = submit("From: nagios@ALERTS.example.com\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  v = submit("From: \"Ops\" <mallory@example.com>\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::rejected);
  EXPECT_EQ(v.enhanced_code, "5.7.1");
  EXPECT_NE(v.text.find("<mallory@example.com>"), std::string::npos) << v.text;
  v = submit("Subject: no from at all\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::rejected);
  v = submit("From: ops@example.com, mallory@example.net\r\n\r\nHello\r\n");  // every one
  EXPECT_EQ(v.state, acceptance_verdict::status::rejected);
  v = submit("From: \"Ops <ops@example.com>\" <mallory@example.net>\r\n\r\nHello\r\n");
  EXPECT_EQ(v.state, acceptance_verdict::status::rejected);
  EXPECT_EQ(store.submissions.size(), 2u);
}

TEST_F(acceptance_test, an_account_that_asks_for_it_gets_the_text_cut_with_a_marker) {
  sender.truncate = true;
  sender.max_parts = 2;
  auto v = submit("Subject: s\r\n\r\n" + std::string(153 * 3, 'a') + "\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_TRUE(v.truncated);
  const auto& s = store.submissions.at(0);
  EXPECT_EQ(s.sms.segments.size(), 2u);
  EXPECT_EQ(s.text, std::string(153 * 2 - 3, 'a') + "...");
}

TEST_F(acceptance_test, the_accounts_text_options_apply) {
  sender.text.subject = mail::subject_policy::subject_and_body;
  sender.text.end_marker = "##";
  auto v = submit("Subject: Disk full\r\n\r\n/var at 99%\r\n##\r\nsecret footer\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_EQ(store.submissions.at(0).text, "Disk full\n/var at 99%");
}

TEST_F(acceptance_test, a_price_table_makes_each_recipients_cost) {
  price_table prices;
  prices.default_price = 2;
  prices.by_country = {{"DE", 5}};
  acceptance priced{store, prices};
  acceptance_request r{std::make_shared<const account>(sender), "ops@example.com",
                       {"+27821234567", "+4915112345678"}, "Subject: s\r\n\r\nHello\r\n"};
  auto v = priced.accept(r);
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_EQ(store.submissions.at(0).costs, (std::vector<std::int64_t>{2, 5}));
}

// Turkish with s-cedilla, g-breve and dotted capital I: UCS-2 in the default alphabet.
const std::string turkish =
    "\xC5\x9E"
    "eker ve \xC4\x9F\xC3\xBCzel \xC4\xB0stanbul";  // Şeker ve ğüzel İstanbul

TEST_F(acceptance_test, the_accounts_national_language_keeps_its_text_in_gsm) {
  auto v =
      submit("Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + turkish + "\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_EQ(store.submissions.at(0).sms.coding, sms::encoding::ucs2);  // the default: none

  sender.national = sms::national_language::turkish;
  v = submit("Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + turkish + "\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_EQ(v.coding, sms::encoding::gsm7);
  const auto& s = store.submissions.at(1);
  ASSERT_EQ(s.sms.coding, sms::encoding::gsm7);
  EXPECT_EQ(s.sms.single_shift, sms::national_language::turkish);
  EXPECT_EQ(s.text, turkish);
  ASSERT_EQ(s.sms.segments.size(), 1u);
  EXPECT_EQ(sms::to_hex(s.sms.segments[0].udh), "03240101");  // IEI 0x24, Turkish
  // The store makes the payload from the part's piece of the text when it sends it.
  EXPECT_FALSE(s.sms.has_payloads);
  ASSERT_EQ(s.sms.text_sizes, std::vector<std::size_t>{s.sms.text.size()});
  const auto payload = sms::payload_of(s.sms.text, s.sms.coding, s.sms.segments[0].udh);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(sms::decode(s.sms.coding, s.sms.segments[0].udh, *payload), turkish);
}

TEST_F(acceptance_test, the_accounts_reference_width_makes_the_udh) {
  const std::string long_text(153 * 2 + 10, 'a');
  auto v = submit("Subject: s\r\n\r\n" + long_text + "\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  EXPECT_EQ(sms::to_hex(store.submissions.at(0).sms.segments[0].udh).substr(0, 6), "050003");

  sender.reference_16bit = true;
  v = submit("Subject: s\r\n\r\n" + long_text + "\r\n");
  ASSERT_EQ(v.state, acceptance_verdict::status::accepted) << v.text;
  const auto& parts = store.submissions.at(1).sms.segments;
  ASSERT_EQ(parts.size(), 3u);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    ASSERT_EQ(parts[i].udh.size(), 7u);
    EXPECT_EQ(parts[i].udh[1], 0x08);  // IEI 0x08: 16-bit reference
    EXPECT_EQ(parts[i].udh[5], 3);
    EXPECT_EQ(parts[i].udh[6], i + 1);
    EXPECT_EQ(parts[i].udh[3], parts[0].udh[3]);  // one reference for all parts
    EXPECT_EQ(parts[i].udh[4], parts[0].udh[4]);
  }
}

TEST_F(acceptance_test, sixteen_bit_references_use_both_octets) {
  // The counter passes 255 within one acceptance: an 8-bit account wraps, a 16-bit one does not.
  sender.reference_16bit = true;
  const std::string long_text(200, 'a');
  for (int i = 0; i < 300; ++i) submit("Subject: s\r\n\r\n" + long_text + "\r\n");
  bool high_octet_used = false;
  for (const auto& s : store.submissions) high_octet_used |= s.sms.segments.at(0).udh.at(3) != 0;
  EXPECT_TRUE(high_octet_used);
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
  auto sender = std::make_shared<const account>(make_account(7, "", 3));
  const std::string mail = "Subject: s\r\n\r\n" + std::string(200, 'a') + "\r\n";
  std::vector<acceptance_verdict> verdicts;
  accept.accept_async({sender, "ops@example.com", {"+27821234567"}, mail},
                      [&](acceptance_verdict v) { verdicts.push_back(std::move(v)); });
  EXPECT_TRUE(verdicts.empty());  // not before the commit
  ASSERT_EQ(store.held.size(), 1u);
  EXPECT_EQ(store.held[0].text, std::string(200, 'a'));
  store.pending[0](queued_as("Q9"));
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
  auto sender = std::make_shared<const account>(make_account(7, "", 1));
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
