// The commit-time decision: credit, rate limits, velocity and the dedup window, for a batch of
// mails decided in order as if one by one.
#include "core/policy/admission.hpp"

#include <gtest/gtest.h>

namespace mail2sms::core::policy {
namespace {

candidate mail(std::vector<std::string> to, std::int64_t segments = 1, std::string message_id = "",
               std::int64_t account = 1) {
  candidate c;
  c.account_id = account;
  c.message_id = std::move(message_id);
  c.segments = segments;
  c.recipients = std::move(to);
  for (std::size_t i = 0; i < c.recipients.size(); ++i) c.costs.push_back(segments);
  c.history.assign(c.recipients.size(), {});
  return c;
}

// An active account with this much credit; the tests set the limits they are about.
account_state with_credit(std::int64_t credit) {
  account_state s;
  s.credit = credit;
  return s;
}

std::map<std::int64_t, account_state> one_account(account_state s) { return {{1, s}}; }

TEST(admission, credit_is_reserved_per_segment_per_recipient_and_never_overspent) {
  auto states = one_account(with_credit(5));
  auto d = admit({mail({"+27821000001", "+27821000002"}, 2), mail({"+27821000003"}, 2),
                  mail({"+27821000004"}, 1)},
                 states);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_FALSE(d[0].refused);
  EXPECT_EQ(d[0].cost, 4);
  ASSERT_TRUE(d[1].refused);  // needs 2, 1 left
  EXPECT_FALSE(d[1].refused->permanent);
  EXPECT_EQ(d[1].refused->enhanced_code, "4.7.1");
  EXPECT_NE(d[1].refused->text.find("needs 2"), std::string::npos) << d[1].refused->text;
  EXPECT_NE(d[1].refused->text.find("has 1"), std::string::npos) << d[1].refused->text;
  EXPECT_FALSE(d[2].refused);  // a smaller mail after it still fits
  EXPECT_EQ(states.at(1).credit, 0);
}

TEST(admission, fail_fast_accounts_get_a_permanent_refusal_without_credit) {
  auto account = with_credit(0);
  account.fail_fast = true;
  auto states = one_account(account);
  auto d = admit({mail({"+27821000001"})}, states);
  ASSERT_TRUE(d[0].refused);
  EXPECT_TRUE(d[0].refused->permanent);
  EXPECT_EQ(d[0].refused->enhanced_code, "5.7.1");
}

TEST(admission, prices_come_from_the_costs_beside_each_recipient) {
  auto states = one_account(with_credit(100));
  auto c = mail({"+27821000001", "+4915112345678"}, 2);
  c.costs = {2, 10};
  auto d = admit({c}, states);
  EXPECT_EQ(d[0].cost, 12);
  EXPECT_EQ(states.at(1).credit, 88);
}

TEST(admission, an_inactive_or_unknown_account_is_refused_for_good) {
  auto account = with_credit(100);
  account.active = false;
  auto states = one_account(account);
  auto d = admit({mail({"+27821000001"}), mail({"+27821000001"}, 1, "", 99)}, states);
  ASSERT_TRUE(d[0].refused);
  EXPECT_TRUE(d[0].refused->permanent);
  ASSERT_TRUE(d[1].refused);
  EXPECT_EQ(states.at(1).credit, 100);
}

TEST(admission, messages_per_minute_counts_recipients_and_what_was_used) {
  auto account = with_credit(100);
  account.messages_per_minute = 3;
  account.minute_used = 1;
  auto states = one_account(account);
  auto d = admit({mail({"+27821000001", "+27821000002"}), mail({"+27821000003"})}, states);
  EXPECT_FALSE(d[0].refused);
  ASSERT_TRUE(d[1].refused);
  EXPECT_NE(d[1].refused->text.find("3 messages a minute"), std::string::npos)
      << d[1].refused->text;
  EXPECT_EQ(states.at(1).minute_used, 3);
  EXPECT_EQ(states.at(1).credit, 98);  // the refused mail took nothing
}

TEST(admission, a_mail_over_a_limit_on_its_own_is_refused_for_good) {
  auto account = with_credit(100);
  account.messages_per_minute = 2;
  account.segments_per_day = 5;
  auto states = one_account(account);
  auto d = admit({mail({"+27821000001", "+27821000002", "+27821000003"}),
                  mail({"+27821000001"}, 6)},
                 states);
  ASSERT_TRUE(d[0].refused);
  EXPECT_TRUE(d[0].refused->permanent);
  EXPECT_NE(d[0].refused->text.find("split it"), std::string::npos) << d[0].refused->text;
  ASSERT_TRUE(d[1].refused);
  EXPECT_TRUE(d[1].refused->permanent);
  EXPECT_EQ(states.at(1).credit, 100);
}

TEST(admission, segments_per_day_counts_every_part_to_every_recipient) {
  auto account = with_credit(100);
  account.segments_per_day = 10;
  account.day_used = 4;
  auto states = one_account(account);
  auto d = admit({mail({"+27821000001", "+27821000002"}, 3), mail({"+27821000003"}, 1)}, states);
  EXPECT_FALSE(d[0].refused);  // 4 + 6 = 10
  ASSERT_TRUE(d[1].refused);
  EXPECT_NE(d[1].refused->text.find("a day"), std::string::npos);
}

TEST(admission, the_same_number_more_than_the_velocity_limit_in_an_hour_is_deferred) {
  auto account = with_credit(100);
  account.per_number_per_hour = 3;
  auto states = one_account(account);
  auto first = mail({"+27821000001"});
  first.history[0].last_hour = 2;  // committed before the batch; every mail to it reads the same
  auto second = first;
  auto d = admit({first, second, mail({"+27821000002"})}, states);
  EXPECT_FALSE(d[0].refused);  // the third this hour
  ASSERT_TRUE(d[1].refused);   // the fourth, counting the batch's own
  EXPECT_FALSE(d[1].refused->permanent);
  EXPECT_NE(d[1].refused->text.find("+2782*"), std::string::npos) << d[1].refused->text;
  EXPECT_EQ(d[1].refused->text.find("+27821000001"), std::string::npos);  // masked
  EXPECT_FALSE(d[2].refused);  // another number is not limited by it
}

TEST(admission, a_message_id_seen_for_a_number_is_accepted_but_not_sent_again) {
  auto states = one_account(with_credit(10));
  auto retry = mail({"+27821000001", "+27821000002"}, 1, "<a@x>");
  retry.history[0].duplicate = true;
  auto again = mail({"+27821000002"}, 1, "<a@x>");  // the same mail later in the batch
  auto d = admit({retry, again}, states);
  EXPECT_FALSE(d[0].refused);
  EXPECT_EQ(d[0].send, (std::vector<bool>{false, true}));
  EXPECT_EQ(d[0].duplicates, 1u);
  EXPECT_EQ(d[0].cost, 1);
  EXPECT_FALSE(d[1].refused);
  EXPECT_EQ(d[1].send, (std::vector<bool>{false}));
  EXPECT_EQ(d[1].cost, 0);
  EXPECT_EQ(states.at(1).credit, 9);
}

TEST(admission, without_a_message_id_nothing_is_a_duplicate) {
  auto states = one_account(with_credit(10));
  auto d = admit({mail({"+27821000001"}), mail({"+27821000001"})}, states);
  EXPECT_EQ(d[0].send, (std::vector<bool>{true}));
  EXPECT_EQ(d[1].send, (std::vector<bool>{true}));
  EXPECT_EQ(states.at(1).credit, 8);
}

TEST(admission, accounts_are_decided_apart) {
  std::map<std::int64_t, account_state> states{{1, with_credit(1)}, {2, with_credit(5)}};
  auto d = admit({mail({"+27821000001"}, 2, "", 1), mail({"+27821000001"}, 2, "", 2)}, states);
  EXPECT_TRUE(d[0].refused);
  EXPECT_FALSE(d[1].refused);
  EXPECT_EQ(states.at(2).credit, 3);
}

// Only a Message-ID with an '@' between two non-empty sides names a mail (RFC 5322 3.6.4):
// "<>" from a system that sends it with every mail would make each later one a duplicate.
TEST(admission, only_a_message_id_that_names_a_mail_deduplicates) {
  EXPECT_EQ(dedup_key("<a1.b2@pbx.example>"), "<a1.b2@pbx.example>");
  EXPECT_EQ(dedup_key("a1@pbx.example"), "a1@pbx.example");  // no brackets: still an id
  EXPECT_EQ(dedup_key(" <x@\"y z\"> "), " <x@\"y z\"> ");    // kept as sent, as it is stored
  for (const char* none : {"", "<>", "< >", "<@>", "<x@>", "<@y>", "<12345>", "12345", "@"})
    EXPECT_EQ(dedup_key(none), "") << none;
}

// The same Message-ID with another text is another mail (a PBX that numbers nothing): sent.
// The same Message-ID and text in one batch is the retry: sent once.
TEST(admission, a_duplicate_is_the_same_message_id_and_the_same_text) {
  std::map<std::int64_t, account_state> states{{1, account_state{.credit = 100}}};
  auto with = [](std::string_view text) {
    candidate c;
    c.account_id = 1;
    c.message_id = "<alarm@pbx.example>";
    c.text = text;
    c.segments = 1;
    c.recipients = {"+27821234567"};
    c.costs = {1};
    c.history = {recipient_history{}};
    return c;
  };
  const auto d = admit({with("door open"), with("FIRE in server room"), with("door open")}, states);
  ASSERT_EQ(d.size(), 3U);
  EXPECT_EQ(d[0].duplicates, 0U);
  EXPECT_EQ(d[1].duplicates, 0U);
  EXPECT_TRUE(d[1].send[0]);
  EXPECT_EQ(d[2].duplicates, 1U);
  EXPECT_FALSE(d[2].send[0]);
  EXPECT_EQ(states.at(1).credit, 98);
}

}  // namespace
}  // namespace mail2sms::core::policy
