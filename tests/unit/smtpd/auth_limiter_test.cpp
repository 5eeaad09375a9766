// Brute-force budgets: growing delays, blocking per address and per user name, the window, and
// attempts being verified counted against the budgets (waited for, not refused).
#include "smtpd/auth_limiter.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd {
namespace {

using namespace std::chrono_literals;

using attempt = auth_limiter::attempt;

struct auth_limiter_test : ::testing::Test {
  std::chrono::steady_clock::time_point now{};
  auth_limiter make(std::size_t per_ip, std::size_t per_user) {
    return auth_limiter({.per_ip = per_ip, .per_user = per_user, .window = 900s,
                         .first_delay = 1000ms, .max_delay = 8000ms},
                        [this] { return now; });
  }
  // Whether an attempt would be let through now (taken, then given back).
  static bool allowed(auth_limiter& limiter, const std::string& ip, const std::string& user) {
    if (limiter.take_attempt(ip, user) != attempt::taken) return false;
    limiter.released(ip, user);
    return true;
  }
};

TEST_F(auth_limiter_test, each_failure_is_answered_more_slowly_up_to_the_cap) {
  auto limiter = make(100, 100);
  EXPECT_EQ(limiter.failed("192.0.2.1", "acme"), 1000ms);
  EXPECT_EQ(limiter.failed("192.0.2.1", "acme"), 2000ms);
  EXPECT_EQ(limiter.failed("192.0.2.1", "acme"), 4000ms);
  EXPECT_EQ(limiter.failed("192.0.2.1", "acme"), 8000ms);
  EXPECT_EQ(limiter.failed("192.0.2.1", "acme"), 8000ms);
}

TEST_F(auth_limiter_test, an_address_is_blocked_after_its_budget_whatever_the_names) {
  auto limiter = make(3, 100);
  for (const char* user : {"a", "b", "c"}) {
    ASSERT_EQ(limiter.take_attempt("192.0.2.1", user), attempt::taken);
    limiter.failed("192.0.2.1", user);
  }
  EXPECT_FALSE(allowed(limiter, "192.0.2.1", "d"));
  EXPECT_TRUE(allowed(limiter, "192.0.2.2", "d"));  // another address is not affected
}

// One IPv6 host picks source addresses from a whole /64: they share one budget.
TEST_F(auth_limiter_test, ipv6_addresses_of_one_64_share_the_address_budget) {
  auto limiter = make(3, 100);
  for (const char* ip : {"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"}) {
    ASSERT_EQ(limiter.take_attempt(ip, ip), attempt::taken);
    limiter.failed(ip, ip);
  }
  EXPECT_FALSE(allowed(limiter, "2001:db8:1:2:abcd::9", "x"));
  EXPECT_TRUE(allowed(limiter, "2001:db8:1:3::1", "x"));  // the next /64 is another client
}

TEST_F(auth_limiter_test, a_user_name_is_blocked_after_its_budget_from_any_address) {
  auto limiter = make(100, 2);
  limiter.failed("192.0.2.1", "acme");
  limiter.failed("192.0.2.2", "acme");
  EXPECT_FALSE(allowed(limiter, "192.0.2.3", "acme"));
  EXPECT_TRUE(allowed(limiter, "192.0.2.3", "other"));
}

TEST_F(auth_limiter_test, failures_older_than_the_window_are_forgotten) {
  auto limiter = make(2, 100);
  limiter.failed("192.0.2.1", "a");
  now += 600s;
  limiter.failed("192.0.2.1", "b");
  EXPECT_FALSE(allowed(limiter, "192.0.2.1", "c"));
  now += 301s;  // the first failure is now 901 s old
  EXPECT_TRUE(allowed(limiter, "192.0.2.1", "c"));
  EXPECT_EQ(limiter.failed("192.0.2.1", "c"), 2000ms);  // the second is still counted
}

// More names in the window than a sweep's threshold (100,000): every failure used to walk them
// all. They are all still counted, and forgotten once their window has passed.
TEST_F(auth_limiter_test, a_spray_of_many_names_is_counted_and_later_forgotten) {
  auto limiter = make(1000000, 1);
  for (int i = 0; i < 150000; ++i)
    limiter.failed("192.0.2." + std::to_string(i % 200), "user" + std::to_string(i));
  for (int i = 0; i < 150000; i += 9973)
    EXPECT_FALSE(allowed(limiter, "198.51.100.1", "user" + std::to_string(i)));
  now += 901s;
  for (int i = 0; i < 150000; ++i)
    limiter.failed("192.0.2." + std::to_string(i % 200), "other" + std::to_string(i));
  EXPECT_TRUE(allowed(limiter, "198.51.100.1", "user0"));
  EXPECT_FALSE(allowed(limiter, "198.51.100.1", "other0"));
}

TEST_F(auth_limiter_test, a_name_no_account_has_counts_against_the_address_only) {
  auto limiter = make(2, 1);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(limiter.take_attempt("192.0.2." + std::to_string(i), ""), attempt::taken);
    limiter.failed("192.0.2." + std::to_string(i), "");
  }
  EXPECT_TRUE(allowed(limiter, "198.51.100.1", ""));
  EXPECT_EQ(limiter.remembered(), 5u);  // the addresses, no name
  limiter.failed("192.0.2.0", "");
  EXPECT_FALSE(allowed(limiter, "192.0.2.0", ""));
  EXPECT_FALSE(allowed(limiter, "192.0.2.0", "acme"));
}

TEST_F(auth_limiter_test, what_a_burst_left_is_dropped_a_window_later) {
  // Below the size that makes it sweep, too: stale entries were kept for the process's life
  // (review, session 27).
  auto limiter = make(1000000, 1000000);
  for (int i = 0; i < 1000; ++i) limiter.failed("192.0.2.1", "user" + std::to_string(i));
  EXPECT_EQ(limiter.remembered(), 1001u);
  now += 899s;
  EXPECT_TRUE(allowed(limiter, "198.51.100.1", "someone"));
  EXPECT_EQ(limiter.remembered(), 1001u);
  now += 2s;
  EXPECT_TRUE(allowed(limiter, "198.51.100.1", "someone"));
  EXPECT_EQ(limiter.remembered(), 0u);
}

TEST_F(auth_limiter_test, success_clears_the_user_name_but_not_the_address) {
  auto limiter = make(2, 2);
  limiter.failed("192.0.2.1", "acme");
  limiter.failed("192.0.2.9", "acme");
  EXPECT_FALSE(allowed(limiter, "192.0.2.5", "acme"));
  limiter.succeeded("192.0.2.5", "acme");
  EXPECT_TRUE(allowed(limiter, "192.0.2.5", "acme"));
  limiter.failed("192.0.2.1", "x");
  EXPECT_FALSE(allowed(limiter, "192.0.2.1", "acme"));  // the address used its budget
}

TEST_F(auth_limiter_test, attempts_being_verified_count_against_the_budgets) {
  auto limiter = make(3, 2);
  // Three sent at once from one address, none answered yet: the fourth waits for them.
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "a"), attempt::taken);
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "b"), attempt::taken);
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "c"), attempt::taken);
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "d"), attempt::wait);
  // Two for one user name from other addresses: the third waits.
  EXPECT_EQ(limiter.take_attempt("192.0.2.7", "acme"), attempt::taken);
  EXPECT_EQ(limiter.take_attempt("192.0.2.8", "acme"), attempt::taken);
  EXPECT_EQ(limiter.take_attempt("192.0.2.9", "acme"), attempt::wait);
  // An attempt that could not be verified gives its place back; a failure keeps it.
  limiter.released("192.0.2.1", "a");
  EXPECT_TRUE(allowed(limiter, "192.0.2.1", "d"));
  limiter.failed("192.0.2.1", "b");
  limiter.succeeded("192.0.2.1", "c");
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "d"), attempt::taken);  // 1 failure, 0 pending
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "e"), attempt::taken);  // 1 failure, 1 pending
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "f"), attempt::wait);   // 1 failure, 2 pending
  // The two being verified fail: the budget is spent, and the one waiting is refused.
  limiter.failed("192.0.2.1", "d");
  limiter.failed("192.0.2.1", "e");
  EXPECT_EQ(limiter.take_attempt("192.0.2.1", "f"), attempt::refused);
}

TEST_F(auth_limiter_test, many_logins_at_once_with_the_right_password_all_get_their_turn) {
  auto limiter = make(3, 3);
  // Twenty connections of one client authenticate at once: three are verified at a time, the
  // rest wait and are taken as those succeed; none is refused.
  std::size_t succeeded = 0;
  std::size_t being_verified = 0;
  for (int round = 0; succeeded < 20 && round < 100; ++round) {
    for (std::size_t waiting = 20 - succeeded - being_verified; waiting > 0; --waiting) {
      const auto a = limiter.take_attempt("192.0.2.1", "acme");
      ASSERT_NE(a, attempt::refused);
      if (a == attempt::wait) break;
      ++being_verified;
    }
    ASSERT_LE(being_verified, 3u);
    for (; being_verified > 0; --being_verified, ++succeeded) {
      limiter.succeeded("192.0.2.1", "acme");
    }
  }
  EXPECT_EQ(succeeded, 20u);
}

}  // namespace
}  // namespace mail2sms::smtpd
