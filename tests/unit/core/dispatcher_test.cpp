// The dispatcher's routing, retry schedule and outcome recording, against in-memory fakes.
#include "core/dispatch/dispatcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "fakes.hpp"
#include "tests/captured_log.hpp"

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
  m.accepted_at = t0 - 1h;
  m.segments.push_back({{}, {'h', 'i'}});
  return m;
}

struct dispatcher_test : ::testing::Test {
  fake_queue queue;
  fake_connector world{"world"};
  fake_connector za{"za"};
  fake_connector za_mobile{"za-mobile"};
  dispatch_settings settings = [] {
    dispatch_settings s;
    s.batch_size = 10;
    s.max_attempts = 4;
    s.retry_base = 30s;
    s.retry_max = 100s;
    return s;
  }();
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

TEST_F(dispatcher_test, fails_over_to_the_next_connector_of_the_prefix_when_one_is_down) {
  fake_connector backup{"backup"};
  dispatcher d(queue, {{"+27", &za}, {"+", &world}, {"+27", &backup}}, settings, [] { return t0; });
  EXPECT_EQ(d.connector_for("+27111234567"), &za);
  za.up = false;
  EXPECT_EQ(d.connector_for("+27111234567"), &backup);
  EXPECT_EQ(d.connector_for("+4915112345678"), &world);  // another prefix is not a fallback
  backup.up = false;
  EXPECT_EQ(d.connector_for("+27111234567"), &za);  // all down: the primary (it will retry)
  za.up = false;
  backup.up = true;
  queue.due.push_back(message_to("+27111234567", 3));
  d.run_once();
  ASSERT_EQ(queue.recorded.size(), 1u);
  EXPECT_EQ(queue.recorded[0].connector, "backup");
}

TEST_F(dispatcher_test, a_retry_past_the_validity_period_expires_instead) {
  settings.validity = 2h;
  auto d = make();
  za.next = {submit_outcome::status::transient_failure, {}, "ESME_RSYSERR"};
  auto m = message_to("+27111234567", 1, 0);
  m.accepted_at = t0 - 2h + 10s;  // the retry in 30 s would be past its validity
  queue.due.push_back(m);
  d.run_once();
  ASSERT_EQ(queue.recorded.size(), 1u);
  EXPECT_EQ(queue.recorded[0].outcome.state, submit_outcome::status::expired);
  EXPECT_FALSE(queue.recorded[0].retry_at);
  EXPECT_NE(queue.recorded[0].outcome.reason.find("ESME_RSYSERR"), std::string::npos);
}

TEST_F(dispatcher_test, a_message_claimed_after_its_validity_is_not_sent) {
  settings.validity = 1h;
  auto d = make();
  auto m = message_to("+27111234567", 1, 2);
  m.accepted_at = t0 - 2h;
  queue.due.push_back(m);
  d.run_once();
  EXPECT_TRUE(za.sent.empty());
  ASSERT_EQ(queue.recorded.size(), 1u);
  EXPECT_EQ(queue.recorded[0].outcome.state, submit_outcome::status::expired);
}

TEST_F(dispatcher_test, a_message_without_parts_fails_permanently_unsent) {
  auto d = make();
  auto m = message_to("+27821234567");
  m.segments.clear();
  queue.due.push_back(m);
  d.run_once();
  EXPECT_TRUE(za_mobile.sent.empty());
  ASSERT_EQ(queue.recorded.size(), 1u);
  EXPECT_EQ(queue.recorded[0].outcome.state, submit_outcome::status::permanent_failure);
  EXPECT_NE(queue.recorded[0].outcome.reason.find("no SMS parts"), std::string::npos);
}

TEST_F(dispatcher_test, keeps_many_messages_in_flight_at_once) {
  test::held_connector held;
  settings.batch_size = 100;
  dispatcher d(queue, {{"+", &held}}, settings, [] { return t0; });
  for (int i = 1; i <= 40; ++i) queue.due.push_back(message_to("+27821234567", i));
  std::size_t most_held = 0;
  std::jthread answer([&held, &most_held] {
    // Answers only once all 40 were handed over (or 10 s passed: a one-at-a-time dispatcher).
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (held.holding() < 40 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
    while (held.holding() > 0 || most_held == 0) {
      most_held = std::max(most_held, held.holding());
      held.answer_all();
      std::this_thread::yield();
    }
  });
  EXPECT_EQ(d.run_once(), 40u);
  answer.join();
  EXPECT_EQ(most_held, 40u);
  ASSERT_EQ(queue.recorded.size(), 40u);
  EXPECT_EQ(queue.recorded[39].outcome.smsc_message_ids, std::vector<std::string>{"id-40"});
}

// A claim's responses recorded together: the first to come waits (up to outcome_gather) for the
// others still in flight, so they make one outcome batch, not one per response. `answer` answers
// one of three held messages, then the other two after `later`.
struct gather_test : dispatcher_test {
  test::held_connector held;
  int batches_after(std::chrono::milliseconds gather, std::chrono::milliseconds later) {
    settings.outcome_gather = gather;
    dispatcher d(queue, {{"+", &held}}, settings, [] { return t0; });
    for (int i = 1; i <= 3; ++i) queue.due.push_back(message_to("+27821234567", i));
    std::jthread answer([this, later] {
      while (held.holding() < 3) std::this_thread::yield();
      held.answer_one();
      std::this_thread::sleep_for(later);
      held.answer_all();
    });
    EXPECT_EQ(d.run_once(), 3u);
    answer.join();
    EXPECT_EQ(queue.recorded.size(), 3u);
    return queue.batches;
  }
};

TEST_F(gather_test, responses_of_one_claim_are_recorded_in_one_batch) {
  EXPECT_EQ(batches_after(5s, 100ms), 1);
}

TEST_F(gather_test, a_response_waits_no_longer_than_outcome_gather) {
  EXPECT_EQ(batches_after(20ms, 1s), 2);
}

// run()'s two threads: a queue whose recording of outcomes blocks until the test lets it, and
// whose claims (on the other thread) take what the test made due. Everything under one mutex.
struct slow_recording_queue final : dispatch_queue {
  result<std::vector<queued_message>, store_error> claim(int limit) override {
    std::lock_guard lock(mutex);
    if (throw_on_claim) throw std::runtime_error("claim went wrong");
    std::vector<queued_message> out;
    while (!due.empty() && static_cast<int>(out.size()) < limit) {
      out.push_back(due.front());
      due.erase(due.begin());
    }
    if (!out.empty()) claimed_at.push_back(std::chrono::steady_clock::now());
    return out;
  }
  result<ok_t, store_error> record(std::int64_t id, const std::string& connector,
                                   const submit_outcome& outcome,
                                   std::optional<std::chrono::system_clock::time_point> retry_at) override {
    return record_batch({{id, connector, outcome, retry_at}});
  }
  result<ok_t, store_error> record_batch(const std::vector<recorded_outcome>& outcomes) override {
    std::unique_lock lock(mutex);
    ++recording;
    changed.notify_all();
    changed.wait(lock, [this] { return released; });
    for (const auto& o : outcomes) recorded.push_back(o.message_id);
    return ok;
  }
  bool wait_for_work(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::min<std::chrono::milliseconds>(timeout, longest_wait),
                            [this] { return !due.empty(); });
  }
  result<std::vector<interrupted_message>, store_error> mark_interrupted() override {
    return std::vector<interrupted_message>{};
  }
  result<ok_t, store_error> requeue_unknown(const std::vector<std::int64_t>&) override {
    return ok;
  }
  void make_due(queued_message m) {
    std::lock_guard lock(mutex);
    due.push_back(std::move(m));
    changed.notify_all();
  }
  // Polls: the held connector's count changes without notifying `changed`.
  template <class P>
  bool wait_until(P predicate) {
    std::unique_lock lock(mutex);
    for (int i = 0; i < 1000; ++i) {
      if (predicate()) return true;
      changed.wait_for(lock, 10ms);
    }
    return predicate();
  }
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<queued_message> due;
  std::vector<std::int64_t> recorded;
  std::vector<std::chrono::steady_clock::time_point> claimed_at;  // of claims that took any
  int recording = 0;
  // A LISTEN waits out its whole timeout when nothing comes; this one at most this long.
  std::chrono::milliseconds longest_wait = 50ms;
  bool released = false;
  bool throw_on_claim = false;
};

// Each test's queue, connector (holding what it is sent until the test answers) and settings.
struct dispatcher_run_test : ::testing::Test {
  slow_recording_queue queue;
  test::held_connector held;
  dispatch_settings settings;
  dispatcher make() { return dispatcher(queue, {{"+", &held}}, settings, [] { return t0; }); }
};

TEST_F(dispatcher_run_test, claims_go_on_while_outcomes_are_being_recorded) {
  settings.outcome_gather = 0ms;
  settings.claim_interval = 0ms;
  auto d = make();
  queue.make_due(message_to("+27821234567", 1));
  std::jthread running([&d](std::stop_token stop) { d.run(stop); });
  ASSERT_TRUE(queue.wait_until([&] { return held.holding() == 1; }));
  held.answer_all();
  ASSERT_TRUE(queue.wait_until([&] { return queue.recording == 1; }));  // and stuck there
  // A mail made due now is claimed and sent while the first outcome is still being recorded.
  queue.make_due(message_to("+27821234568", 2));
  EXPECT_TRUE(queue.wait_until([&] { return held.holding() == 1; }));
  {
    std::lock_guard lock(queue.mutex);
    EXPECT_TRUE(queue.recorded.empty());
    queue.released = true;
    queue.changed.notify_all();
  }
  held.answer_all();
  ASSERT_TRUE(queue.wait_until([&] { return queue.recorded.size() == 2; }));
  running.request_stop();
  running.join();
  EXPECT_EQ(queue.recorded, (std::vector<std::int64_t>{1, 2}));
}

// A claim that is not a full batch is followed by the next no sooner than claim_interval, even
// when more mail is due at once: a few mails at a time make one claim, not one each.
TEST_F(dispatcher_run_test, claims_that_are_not_full_are_claim_interval_apart) {
  queue.released = true;
  settings.claim_interval = 500ms;
  auto d = make();
  queue.make_due(message_to("+27821234567", 1));
  std::jthread running([&d](std::stop_token stop) { d.run(stop); });
  ASSERT_TRUE(queue.wait_until([&] { return held.holding() == 1; }));
  queue.make_due(message_to("+27821234568", 2));  // due at once, wait_for_work says so
  ASSERT_TRUE(queue.wait_until([&] { return held.holding() == 2; }));
  held.answer_all();
  running.request_stop();
  running.join();
  // Without the interval the second claim follows within a poll of wait_for_work (50 ms).
  ASSERT_EQ(queue.claimed_at.size(), 2u);
  EXPECT_GE(queue.claimed_at[1] - queue.claimed_at[0], 500ms);
}

// On stop, what is still in flight is waited for and recorded before run() returns.
TEST_F(dispatcher_run_test, stopping_records_what_is_in_flight) {
  queue.released = true;
  auto d = make();
  queue.make_due(message_to("+27821234567", 7));
  std::atomic<bool> returned = false;
  std::jthread running([&d, &returned](std::stop_token stop) {
    d.run(stop);
    returned = true;
  });
  ASSERT_TRUE(queue.wait_until([&] { return held.holding() == 1; }));
  running.request_stop();
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(returned);  // waiting for the answer
  held.answer_all();
  running.join();
  EXPECT_EQ(queue.recorded, (std::vector<std::int64_t>{7}));
}

// An exception out of the claiming loop still lets the recorder record what is in flight and
// stop, and then reaches run()'s caller (without the scope guard in run(), the recorder would
// wait for more forever and run() would never return: this test would time out).
TEST_F(dispatcher_run_test, an_exception_while_claiming_records_what_is_in_flight_and_leaves_run) {
  queue.released = true;
  settings.claim_interval = 0ms;
  auto d = make();
  queue.make_due(message_to("+27821234567", 7));
  auto running = std::async(std::launch::async, [&d] { d.run(std::stop_token{}); });
  ASSERT_TRUE(queue.wait_until([&] { return held.holding() == 1; }));
  {
    std::lock_guard lock(queue.mutex);
    queue.throw_on_claim = true;
  }
  queue.make_due(message_to("+27821234568", 8));  // the next claim throws
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(running.wait_for(0ms), std::future_status::timeout);  // 7 is still in flight
  held.answer_all();
  ASSERT_EQ(running.wait_for(10s), std::future_status::ready);
  EXPECT_THROW(running.get(), std::runtime_error);
  EXPECT_EQ(queue.recorded, (std::vector<std::int64_t>{7}));
}

// Stopping does not wait out an idle wait for work (a LISTEN on the database) nor the pause
// between claims: both end within core::stop_check (100 ms) of the stop request. Before they
// did, each case here took the whole minute and failed.
TEST_F(dispatcher_run_test, a_stop_ends_the_wait_for_work_and_the_pause_between_claims) {
  queue.released = true;
  queue.longest_wait = 1h;  // as long as the dispatcher asks
  settings.idle_wait = 60s;
  std::int64_t id = 0;
  for (const bool pausing : {false, true}) {
    settings.claim_interval = pausing ? 60s : 0ms;
    auto d = make();
    std::stop_source stop;
    auto running = std::async(std::launch::async, [&d, token = stop.get_token()] { d.run(token); });
    queue.make_due(message_to("+27821234567", ++id));
    ASSERT_TRUE(queue.wait_until([&] { return held.holding() == 1; }));
    held.answer_all();
    // Idle: waiting for work. Pausing: the next due mail found, its claim a minute away.
    if (pausing) queue.make_due(message_to("+27821234568", ++id));
    std::this_thread::sleep_for(300ms);
    stop.request_stop();
    EXPECT_EQ(running.wait_for(10s), std::future_status::ready) << (pausing ? "pause" : "idle");
  }
}

TEST_F(dispatcher_test, outcomes_the_store_refused_are_recorded_later) {
  settings.idle_wait = 1ms;
  auto d = make();
  queue.fail_records = 3;
  queue.due.push_back(message_to("+27821234567", 5));
  testing::captured_log log;
  d.run_once();
  ASSERT_EQ(queue.recorded.size(), 1u);
  EXPECT_EQ(queue.recorded[0].id, 5);
  EXPECT_EQ(za_mobile.sent.size(), 1u);  // sent once, recorded on the fourth try
  // Logged when it started and when it ended, not at each try.
  EXPECT_EQ(log.count("dispatcher: cannot record outcomes: 1 kept to record later: database down"),
            1)
      << log.text();
  EXPECT_EQ(log.count("dispatcher: recording outcomes again after"), 1) << log.text();
  EXPECT_EQ(log.count("[error]"), 1) << log.text();
}

TEST_F(dispatcher_test, interrupted_messages_are_resent_or_held_per_connector_policy) {
  settings.hold_unknown = {"za"};
  auto d = make();
  queue.interrupted = {{1, "+27821234567"}, {2, "+27111234567"}, {3, "+4915112345678"}};
  EXPECT_EQ(d.recover(), 3u);
  EXPECT_EQ(queue.requeued, (std::vector<std::int64_t>{1, 3}));  // 2 goes through "za": held
}

// The database away: the claims that fail are logged once (and once a minute), not each time,
// and claiming again is logged.
TEST_F(dispatcher_test, failing_claims_are_logged_once_and_the_recovery_too) {
  testing::captured_log log;
  auto d = make();
  queue.fail_claims = 5;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(d.run_once(), 0u);
  EXPECT_EQ(log.count("dispatcher: cannot claim messages: database down"), 1) << log.text();
  EXPECT_EQ(log.count("[error]"), 1) << log.text();
  queue.due.push_back(message_to("+27821234567"));
  EXPECT_EQ(d.run_once(), 1u);
  EXPECT_EQ(log.count("dispatcher: claiming messages again after"), 1) << log.text();
  EXPECT_EQ(log.count("(5 failure(s))"), 1) << log.text();
}

}  // namespace
}  // namespace mail2sms::core
