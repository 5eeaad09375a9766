// The accounts client networks and certificates identified: kept for the ttl and never past it,
// "no account" never kept, forgotten on clear(), bounded in size, off with a ttl of 0.
#include "smtpd/account_cache.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd {
namespace {

using namespace std::chrono_literals;

struct account_cache_test : ::testing::Test {
  std::chrono::steady_clock::time_point now{};
  account_cache make(std::chrono::seconds ttl, std::size_t capacity = 100) {
    return account_cache({.ttl = ttl, .capacity = capacity}, [this] { return now; });
  }
  static account_cache::account_ptr account(std::int64_t id, const std::string& name) {
    core::account a;
    a.id = id;
    a.name = name;
    return std::make_shared<const core::account>(a);
  }
  static std::string net(const std::string& address) { return account_cache::network_key(address); }
};

TEST_F(account_cache_test, an_account_is_kept_until_the_ttl_and_not_after) {
  auto cache = make(5s);
  EXPECT_FALSE(cache.find(net("192.0.2.1")));
  cache.remember(net("192.0.2.1"), account(7, "acme"), cache.generation());
  now += 4999ms;
  const auto hit = cache.find(net("192.0.2.1"));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->id, 7);
  EXPECT_EQ(hit->name, "acme");
  EXPECT_FALSE(cache.find(net("192.0.2.2")));
  now += 1ms;
  EXPECT_FALSE(cache.find(net("192.0.2.1")));
  EXPECT_EQ(cache.size(), 0u);  // the stale entry went when it was found stale
}

TEST_F(account_cache_test, no_account_is_never_kept_so_a_network_added_counts_at_once) {
  auto cache = make(5s);
  cache.remember(net("198.51.100.9"), nullptr, cache.generation());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.find(net("198.51.100.9")));
}

TEST_F(account_cache_test, networks_and_certificates_never_answer_for_each_other) {
  auto cache = make(5s);
  cache.remember(net("abc"), account(1, "by-network"), cache.generation());
  EXPECT_FALSE(cache.find(account_cache::certificate_key("abc")));
  cache.remember(account_cache::certificate_key("abc"), account(2, "by-certificate"),
                 cache.generation());
  EXPECT_EQ(cache.find(net("abc"))->id, 1);
  EXPECT_EQ(cache.find(account_cache::certificate_key("abc"))->id, 2);
}

TEST_F(account_cache_test, a_new_answer_replaces_the_old_and_starts_its_own_ttl) {
  auto cache = make(5s);
  cache.remember(net("192.0.2.1"), account(1, "old"), cache.generation());
  now += 4s;
  cache.remember(net("192.0.2.1"), account(2, "new"), cache.generation());
  now += 4s;
  const auto hit = cache.find(net("192.0.2.1"));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->id, 2);
}

TEST_F(account_cache_test, clear_forgets_everything) {
  auto cache = make(5s);
  cache.remember(net("192.0.2.1"), account(1, "a"), cache.generation());
  cache.remember(account_cache::certificate_key("ff"), account(2, "b"), cache.generation());
  cache.clear();
  EXPECT_FALSE(cache.find(net("192.0.2.1")));
  EXPECT_FALSE(cache.find(account_cache::certificate_key("ff")));
}

TEST_F(account_cache_test, an_answer_asked_for_before_a_clear_is_not_kept) {
  auto cache = make(5s);
  const auto asked = cache.generation();
  cache.clear();  // accounts changed while the store was being asked: its answer may be stale
  cache.remember(net("192.0.2.1"), account(1, "a"), asked);
  EXPECT_FALSE(cache.find(net("192.0.2.1")));
  cache.remember(net("192.0.2.1"), account(1, "a"), cache.generation());
  EXPECT_TRUE(cache.find(net("192.0.2.1")));
}

TEST_F(account_cache_test, a_ttl_of_zero_remembers_nothing) {
  auto cache = make(0s);
  cache.remember(net("192.0.2.1"), account(1, "a"), cache.generation());
  EXPECT_FALSE(cache.find(net("192.0.2.1")));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(account_cache_test,
       a_full_cache_drops_the_expired_then_everything_never_growing_past_capacity) {
  auto cache = make(5s, 3);
  cache.remember(net("10.0.0.1"), account(1, "a"), cache.generation());
  cache.remember(net("10.0.0.2"), account(2, "b"), cache.generation());
  now += 3s;
  cache.remember(net("10.0.0.3"), account(3, "c"), cache.generation());
  now += 3s;  // the first two have expired, the third has not
  cache.remember(net("10.0.0.4"), account(4, "d"), cache.generation());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find(net("10.0.0.3"))->id, 3);
  EXPECT_EQ(cache.find(net("10.0.0.4"))->id, 4);
  cache.remember(net("10.0.0.5"), account(5, "e"), cache.generation());
  EXPECT_EQ(cache.size(), 3u);
  cache.remember(net("10.0.0.6"), account(6, "f"), cache.generation());  // none expired: all go
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find(net("10.0.0.6"))->id, 6);
  // Replacing a key that is there is not growth.
  cache.remember(net("10.0.0.7"), account(7, "g"), cache.generation());
  cache.remember(net("10.0.0.8"), account(8, "h"), cache.generation());
  cache.remember(net("10.0.0.8"), account(9, "i"), cache.generation());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find(net("10.0.0.8"))->id, 9);
}

}  // namespace
}  // namespace mail2sms::smtpd
