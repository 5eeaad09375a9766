// In-memory fakes of core's ports for unit tests of core's logic.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::test {

struct fake_store final : core::message_store {
  enqueue_result enqueue(const core::submission& s) override {
    if (fail_next) return fail(core::store_error{core::failure_kind::transient, "database down"});
    core::enqueued out;
    if (refuse_next) {
      out.refused = std::exchange(refuse_next, std::nullopt);
      return out;
    }
    submissions.push_back(s);
    out.queue_id = "Q" + std::to_string(submissions.size());
    return out;
  }
  bool fail_next = false;
  std::optional<core::refusal> refuse_next;  // what the account's limits say next
  std::vector<core::submission> submissions;
};

struct recorded_outcome {
  std::int64_t id;
  std::string connector;
  core::submit_outcome outcome;
  std::optional<std::chrono::system_clock::time_point> retry_at;
};

struct fake_queue final : core::dispatch_queue {
  result<std::vector<core::queued_message>, core::store_error> claim(int limit) override {
    if (fail_claims > 0) {
      --fail_claims;
      return fail(core::store_error{core::failure_kind::transient, "database down"});
    }
    std::vector<core::queued_message> out;
    while (!due.empty() && static_cast<int>(out.size()) < limit) {
      out.push_back(due.front());
      due.erase(due.begin());
    }
    return out;
  }
  result<ok_t, core::store_error> record(
      std::int64_t id, const std::string& connector, const core::submit_outcome& outcome,
      std::optional<std::chrono::system_clock::time_point> retry_at) override {
    recorded.push_back({id, connector, outcome, retry_at});
    return ok;
  }
  result<ok_t, core::store_error> record_batch(
      const std::vector<core::recorded_outcome>& outcomes) override {
    if (fail_records > 0) {
      --fail_records;
      return fail(core::store_error{core::failure_kind::transient, "database down"});
    }
    ++batches;
    for (const auto& o : outcomes) record(o.message_id, o.connector, o.outcome, o.retry_at);
    return ok;
  }
  bool wait_for_work(std::chrono::milliseconds) override {
    ++waits;
    return false;
  }
  result<std::vector<core::interrupted_message>, core::store_error> mark_interrupted() override {
    return std::exchange(interrupted, {});
  }
  result<ok_t, core::store_error> requeue_unknown(const std::vector<std::int64_t>& ids) override {
    requeued.insert(requeued.end(), ids.begin(), ids.end());
    return ok;
  }

  std::vector<core::queued_message> due;
  std::vector<recorded_outcome> recorded;
  std::vector<core::interrupted_message> interrupted;
  std::vector<std::int64_t> requeued;
  int waits = 0;
  int batches = 0;
  int fail_records = 0;
  int fail_claims = 0;
};

struct fake_connector final : core::sms_connector {
  explicit fake_connector(std::string n) : name_(std::move(n)) {}
  const std::string& name() const override { return name_; }
  core::submit_outcome submit(const core::queued_message& m) override {
    sent.push_back(m);
    return next;
  }
  bool available() const override { return up; }
  std::string name_;
  core::submit_outcome next{core::submit_outcome::status::submitted, {"id-1"}, ""};
  std::vector<core::queued_message> sent;
  bool up = true;
};

// Holds every message until the test answers it: shows how many are in flight at once.
struct held_connector final : core::sms_connector {
  const std::string& name() const override { return name_; }
  core::submit_outcome submit(const core::queued_message&) override { return {}; }
  void submit_async(const core::queued_message& m,
                    std::function<void(core::submit_outcome)> done) override {
    std::lock_guard lock(mutex);
    held.emplace_back(m.id, std::move(done));
  }
  std::size_t holding() {
    std::lock_guard lock(mutex);
    return held.size();
  }
  // Answers the message held longest; false when none is held.
  bool answer_one() {
    std::unique_lock lock(mutex);
    if (held.empty()) return false;
    auto [id, done] = std::move(held.front());
    held.erase(held.begin());
    lock.unlock();
    done({core::submit_outcome::status::submitted, {"id-" + std::to_string(id)}, ""});
    return true;
  }
  void answer_all() {
    std::unique_lock lock(mutex);
    auto all = std::move(held);
    held.clear();
    lock.unlock();
    for (auto& [id, done] : all)
      done({core::submit_outcome::status::submitted, {"id-" + std::to_string(id)}, ""});
  }
  std::string name_ = "held";
  std::mutex mutex;
  std::vector<std::pair<std::int64_t, std::function<void(core::submit_outcome)>>> held;
};

}  // namespace mail2sms::test
