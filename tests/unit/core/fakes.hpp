// In-memory fakes of core's ports for unit tests of core's logic.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::test {

struct fake_store final : core::message_store {
  result<std::string, core::store_error> enqueue(const core::submission& s) override {
    if (fail_next) return fail(core::store_error{core::failure_kind::transient, "database down"});
    submissions.push_back(s);
    return "Q" + std::to_string(submissions.size());
  }
  bool fail_next = false;
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
  void wait_for_work(std::chrono::milliseconds) override { ++waits; }

  std::vector<core::queued_message> due;
  std::vector<recorded_outcome> recorded;
  int waits = 0;
};

struct fake_connector final : core::sms_connector {
  explicit fake_connector(std::string n) : name_(std::move(n)) {}
  const std::string& name() const override { return name_; }
  core::submit_outcome submit(const core::queued_message& m) override {
    sent.push_back(m);
    return next;
  }
  std::string name_;
  core::submit_outcome next{core::submit_outcome::status::submitted, {"id-1"}, ""};
  std::vector<core::queued_message> sent;
};

}  // namespace mail2sms::test
