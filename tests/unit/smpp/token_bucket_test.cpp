// The connector's tps bucket, shared by its binds: capacity, refill, the wait for the next token,
// and no limit at 0. Time is passed in.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/connectors/smpp/token_bucket.hpp"

namespace mail2sms::smpp {
namespace {

using namespace std::chrono_literals;
using bucket_clock = token_bucket::clock;

TEST(token_bucket, starts_full_with_a_tenth_of_a_second_of_the_rate) {
  const auto t0 = bucket_clock::time_point{} + 1h;
  token_bucket bucket(100, t0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(bucket.take(t0)) << i;
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_EQ(bucket.wait(t0), 10ms);
  EXPECT_FALSE(bucket.take(t0 + 9ms));
  EXPECT_TRUE(bucket.take(t0 + 10ms));
  EXPECT_FALSE(bucket.take(t0 + 10ms));
}

TEST(token_bucket, refills_at_the_rate_up_to_its_capacity) {
  const auto t0 = bucket_clock::time_point{} + 1h;
  token_bucket bucket(100, t0);
  while (bucket.take(t0)) {
  }
  int taken = 0;
  while (bucket.take(t0 + 10s)) ++taken;
  EXPECT_EQ(taken, 10);  // ten seconds idle still hold only 100 ms worth
}

TEST(token_bucket, a_slow_rate_still_holds_one_token) {
  const auto t0 = bucket_clock::time_point{} + 1h;
  token_bucket bucket(2, t0);
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_EQ(bucket.wait(t0), 500ms);
  EXPECT_EQ(bucket.wait(t0 + 200ms), 300ms);
  EXPECT_TRUE(bucket.take(t0 + 500ms));
}

TEST(token_bucket, zero_means_no_limit) {
  const auto t0 = bucket_clock::time_point{} + 1h;
  token_bucket bucket(0, t0);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(bucket.take(t0));
  EXPECT_EQ(bucket.wait(t0), 0us);
}

// Binds take from one bucket on their own threads: together they get exactly what it holds.
TEST(token_bucket, binds_on_several_threads_share_it) {
  const auto t0 = bucket_clock::time_point{} + 1h;
  token_bucket bucket(1000, t0);  // 100 tokens
  std::atomic<int> taken{0};
  std::vector<std::thread> binds;
  for (int b = 0; b < 4; ++b) {
    binds.emplace_back([&] {
      for (int i = 0; i < 100; ++i) taken += bucket.take(t0) ? 1 : 0;
    });
  }
  for (auto& t : binds) t.join();
  EXPECT_EQ(taken.load(), 100);
}

}  // namespace
}  // namespace mail2sms::smpp
