// The dispatcher's routing, retry schedule and outcome recording, against in-memory fakes.
#include "core/dispatch/dispatcher.hpp"

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace mail2sms::core {
namespace {

using namespace std::chrono_literals;
using test::fake_connector;
using test::fake_queue;

const auto t0 = std::chrono::system_clock::time_point{} + 1000h;

queued_message message_to(std::string number, std::int64_t id = 1, int attempts = 0) {
  queued_message m;
  m.id = id;
  m.queue_id = "Q" + std::to_string(id);
  m.recipient = std::move(number);
  m.attempts = attempts;
  m.segments.push_back({{}, {'h', 'i'}});
  return m;
}

struct dispatcher_test : ::testing::Test {
  fake_queue queue;
  fake_connector world{"world"};
  fake_connector za{"za"};
  fake_connector za_mobile{"za-mobile"};
  dispatch_settings settings{.batch_size = 10, .max_attempts = 4, .retry_base = 30s, .retry_max = 100s};
  dispatcher make() {
    return dispatcher(queue, {{"+", &world}, {"+2782", &za_mobile}, {"+27", &za}}, settings,
                      [] { return t0; });
  }
};

TEST_F(dispatcher_test, longest_prefix_wins) {
  auto d = make();
  EXPECT_EQ(d.route_for("+27821234567")->connector, &za_mobile);
  EXPECT_EQ(d.route_for("+27111234567")->connector, &za);
  EXPECT_EQ(d.route_for("+4915112345678")->connector, &world);
}

TEST_F(dispatcher_test, no_route_fails_permanently_with_the_reason) {
  dispatcher d(queue, {{"+27", &za}}, settings, [] { return t0; });
  queue.due.push_back(message_to("+4915112345678"));
  EXPECT_EQ(d.run_once(), 1u);
  ASSERT_EQ(queue.recorded.size(), 1u);
  EXPECT_EQ(queue.recorded[0].outcome.state, submit_outcome::status::permanent_failure);
  EXPECT_NE(queue.recorded[0].outcome.reason.find("no route"), std::string::npos);
  EXPECT_FALSE(queue.recorded[0].retry_at);
}

TEST_F(dispatcher_test, submitted_is_recorded_with_connector_name) {
  auto d = make();
  queue.due.push_back(message_to("+27821234567", 7));
  d.run_once();
  ASSERT_EQ(za_mobile.sent.size(), 1u);
  ASSERT_EQ(queue.recorded.size(), 1u);
  EXPECT_EQ(queue.recorded[0].id, 7);
  EXPECT_EQ(queue.recorded[0].connector, "za-mobile");
  EXPECT_EQ(queue.recorded[0].outcome.state, submit_outcome::status::submitted);
}

TEST_F(dispatcher_test, transient_failure_retries_with_exponential_backoff_capped) {
  auto d = make();
  EXPECT_EQ(d.next_attempt(0), t0 + 30s);
  EXPECT_EQ(d.next_attempt(1), t0 + 60s);
  EXPECT_EQ(d.next_attempt(2), t0 + 100s);  // 120 s capped at retry_max
  EXPECT_FALSE(d.next_attempt(3));          // the 4th attempt was the last
}

TEST_F(dispatcher_test, transient_failure_is_requeued_then_gives_up) {
  auto d = make();
  za.next = {submit_outcome::status::transient_failure, {}, "ESME_RTHROTTLED"};
  queue.due.push_back(message_to("+27111234567", 1, 0));
  queue.due.push_back(message_to("+27111234567", 2, 3));
  d.run_once();
  ASSERT_EQ(queue.recorded.size(), 2u);
  EXPECT_EQ(queue.recorded[0].retry_at, t0 + 30s);
  EXPECT_FALSE(queue.recorded[1].retry_at);
  EXPECT_NE(queue.recorded[1].outcome.reason.find("gave up after 4 attempts"), std::string::npos);
}

TEST_F(dispatcher_test, run_once_honours_batch_size) {
  settings.batch_size = 2;
  auto d = make();
  for (int i = 1; i <= 5; ++i) queue.due.push_back(message_to("+27821234567", i));
  EXPECT_EQ(d.run_once(), 2u);
  EXPECT_EQ(d.run_once(), 2u);
  EXPECT_EQ(d.run_once(), 1u);
  EXPECT_EQ(d.run_once(), 0u);
}

}  // namespace
}  // namespace mail2sms::core
