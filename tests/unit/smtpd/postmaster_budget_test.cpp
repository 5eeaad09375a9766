// Mails to the postmaster per client address and hour.
#include "smtpd/postmaster_budget.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd {
namespace {

using namespace std::chrono_literals;

TEST(postmaster_budget, each_address_has_its_own_hour) {
  std::chrono::steady_clock::time_point now{};
  postmaster_budget budget(2, [&] { return now; });
  EXPECT_TRUE(budget.take("192.0.2.1"));
  now += 10min;
  EXPECT_TRUE(budget.take("192.0.2.1"));
  EXPECT_FALSE(budget.take("192.0.2.1"));
  EXPECT_TRUE(budget.take("192.0.2.2"));  // another address
  now += 49min;
  EXPECT_FALSE(budget.take("192.0.2.1"));  // its hour began with its first mail
  now += 1min;
  EXPECT_TRUE(budget.take("192.0.2.1"));
}

// A mail that was not stored (the mailbox full, the database away) is not counted: the client's
// retry is the same mail. An IPv6 host counts as its /64.
TEST(postmaster_budget, a_mail_not_stored_is_given_back_and_ipv6_counts_by_64) {
  std::chrono::steady_clock::time_point now{};
  postmaster_budget budget(1, [&] { return now; });
  EXPECT_TRUE(budget.take("192.0.2.1"));
  budget.give_back("192.0.2.1");
  EXPECT_TRUE(budget.take("192.0.2.1"));
  EXPECT_FALSE(budget.take("192.0.2.1"));
  EXPECT_TRUE(budget.take("2001:db8:1:2::10"));
  EXPECT_FALSE(budget.take("2001:db8:1:2:ffff::1"));  // the same /64
  EXPECT_TRUE(budget.take("2001:db8:1:3::10"));       // another one
  EXPECT_TRUE(budget.take("::ffff:192.0.2.9"));
}

TEST(postmaster_budget, addresses_whose_hour_passed_are_forgotten) {
  std::chrono::steady_clock::time_point now{};
  postmaster_budget budget(1, [&] { return now; });
  for (int i = 0; i < 5000; ++i) EXPECT_TRUE(budget.take("10.0." + std::to_string(i)));
  EXPECT_FALSE(budget.take("10.0.1"));
  now += 61min;
  EXPECT_TRUE(budget.take("10.0.1"));
}

// Above 4,096 clients in one hour, every take used to walk them all. After a sweep the next
// comes when the map has doubled: the clients of the hour are all kept (their budgets hold),
// and those of an hour before go at the next sweep.
TEST(postmaster_budget, many_clients_in_an_hour_are_all_kept_and_later_forgotten) {
  std::chrono::steady_clock::time_point now{};
  postmaster_budget budget(1, [&] { return now; });
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(budget.take("10.1." + std::to_string(i)));
  EXPECT_EQ(budget.remembered(), 20000u);
  for (int i = 0; i < 20000; i += 997) EXPECT_FALSE(budget.take("10.1." + std::to_string(i)));
  now += 61min;
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(budget.take("10.2." + std::to_string(i)));
  EXPECT_LE(budget.remembered(), 20000u + 1u);  // the first hour's were swept on the way
  EXPECT_TRUE(budget.take("10.1.0"));           // forgotten, so a new hour
}

}  // namespace
}  // namespace mail2sms::smtpd
