// RCPT and MAIL checks against an account: numbers, groups, destination countries, number types,
// allowed senders.
#include "core/policy/recipients.hpp"

#include <gtest/gtest.h>

namespace mail2sms::core::policy {
namespace {

account za() {
  account a;
  a.id = 1;
  a.name = "acme";
  a.country = "ZA";
  return a;
}

TEST(resolve_recipient, a_mobile_number_in_the_accounts_country_is_allowed) {
  auto r = resolve_recipient("0821234567", za(), 100);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, (std::vector<std::string>{"+27821234567"}));
}

// The local part of <"+27 82 123 4567"@sms.example.com>: a number as people print it.
TEST(resolve_recipient, a_quoted_number_with_spaces_is_that_number) {
  auto r = resolve_recipient("+27 82 123 4567", za(), 100);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, (std::vector<std::string>{"+27821234567"}));
}

TEST(resolve_recipient, other_countries_need_the_allowlist) {
  auto a = za();
  auto r = resolve_recipient("+4915112345678", a, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("550 5.7.1 ", 0), 0u) << r.error();
  EXPECT_NE(r.error().find("DE"), std::string::npos) << r.error();
  EXPECT_EQ(r.error().find("+4915112345678"), std::string::npos) << r.error();  // masked
  a.countries = {"ZA", "DE"};
  EXPECT_TRUE(resolve_recipient("+4915112345678", a, 100));
  a.countries = {"*"};
  EXPECT_TRUE(resolve_recipient("+4915112345678", a, 100));
  a.countries = {"DE"};  // an explicit list replaces the account's own country
  EXPECT_FALSE(resolve_recipient("+27821234567", a, 100));
}

TEST(resolve_recipient, premium_rate_toll_free_and_fixed_lines_are_refused_by_default) {
  auto a = za();
  a.countries = {"*"};
  // GB premium rate (09), GB toll-free (0800), ZA fixed line (021).
  for (const char* number : {"+449098790000", "+448001111111", "+27211234567"}) {
    auto r = resolve_recipient(number, a, 100);
    ASSERT_FALSE(r) << number;
    EXPECT_EQ(r.error().rfind("550 5.7.1 ", 0), 0u) << r.error();
    EXPECT_NE(r.error().find(" number; this account may send to mobile"), std::string::npos)
        << r.error();
  }
  EXPECT_NE(resolve_recipient("+449098790000", a, 100).error().find("premium-rate"),
            std::string::npos);
  a.number_types.push_back("premium-rate");
  EXPECT_TRUE(resolve_recipient("+449098790000", a, 100));
}

TEST(resolve_recipient, a_group_expands_to_its_members_case_insensitively) {
  auto a = za();
  a.groups["oncall"] = {"+27821000001", "+27821000002"};
  auto r = resolve_recipient("OnCall", a, 100);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->size(), 2u);
  a.groups["empty"] = {};
  EXPECT_NE(resolve_recipient("empty", a, 100).error().find("has no members"), std::string::npos);
  a.groups["abroad"] = {"+4915112345678"};
  EXPECT_EQ(resolve_recipient("abroad", a, 100).error().rfind("550 5.7.1", 0), 0u);
}

TEST(resolve_recipient, a_group_larger_than_a_mail_may_have_is_refused_unread) {
  auto a = za();
  a.groups["everyone"] = {"+27821000001", "+27821000002", "not a number"};
  EXPECT_EQ(resolve_recipient("everyone", a, 2).error(),
            "550 5.5.3 Too many recipients: the contact group 'everyone' has 3 members, the most "
            "is 2 per mail");
  EXPECT_EQ(resolve_recipient("everyone", a, 3).error().rfind("550 5.1.1", 0), 0u);
}

TEST(resolve_recipient, a_word_that_is_no_group_says_so) {
  auto r = resolve_recipient("sales", za(), 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "550 5.1.1 'sales' is neither a phone number nor a contact group of this account");
  auto bad = resolve_recipient("12", za(), 100);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("550 5.1.1 ", 0), 0u);
}

TEST(sender_allowed, addresses_and_domains_case_insensitively) {
  auto a = za();
  EXPECT_TRUE(sender_allowed("anyone@anywhere.example", a));  // no list: anyone
  a.senders = {"ops@example.com", "*@alerts.example.com"};
  EXPECT_TRUE(sender_allowed("OPS@Example.com", a));
  EXPECT_TRUE(sender_allowed("nagios@alerts.example.com", a));
  EXPECT_FALSE(sender_allowed("nagios@sub.alerts.example.com", a));
  EXPECT_FALSE(sender_allowed("dev@example.com", a));
  EXPECT_FALSE(sender_allowed("", a));  // the null reverse-path
}

TEST(addresses_in_header, display_names_comments_and_lists) {
  using v = std::vector<std::string>;
  EXPECT_EQ(addresses_in_header("Ops <ops@example.com>"), v{"ops@example.com"});
  EXPECT_EQ(addresses_in_header("ops@example.com (Ops)"), v{"ops@example.com"});
  EXPECT_EQ(addresses_in_header(" a@x.example, b@y.example"), (v{"a@x.example", "b@y.example"}));
  EXPECT_EQ(addresses_in_header("\"Doe, John\" <j@x.example>"), v{"j@x.example"});
  EXPECT_EQ(addresses_in_header("undisclosed"), v{});
}

TEST(addresses_in_header, an_address_inside_a_display_name_or_comment_is_not_the_address) {
  using v = std::vector<std::string>;
  EXPECT_EQ(addresses_in_header("\"x <ops@allowed.example>\" <evil@other.example>"),
            v{"evil@other.example"});
  EXPECT_EQ(addresses_in_header("(<ops@allowed.example>) evil@other.example"),
            v{"evil@other.example"});
  EXPECT_EQ(addresses_in_header("\"a \\\" <b@c>\" <d@e.example>"), v{"d@e.example"});
}

}  // namespace
}  // namespace mail2sms::core::policy
