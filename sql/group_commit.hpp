// Group commit: many SMTP sessions' mails committed in one transaction. Each caller of enqueue()
// blocks until the transaction holding its mail has committed (or failed), so a 250 still means
// "durable"; what is shared is the round trips and the fsync. Writers take everything that is
// waiting when they become free, so a batch grows with the load and a lone mail waits for nobody.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::sql {

struct group_commit_settings {
  std::size_t max_batch = 128;  // mails per transaction at most
  std::size_t writers = 2;      // transactions in flight at once, one connection each
};

class group_committer final : public core::message_store {
 public:
  group_committer(std::string connection_string, group_commit_settings settings);
  // Fails whatever is still waiting (transient: the client retries) and joins the writers.
  ~group_committer() override;

  result<std::string, core::store_error> enqueue(const core::submission& s) override;

  struct stats {
    std::size_t transactions = 0;
    std::size_t mails = 0;
    std::size_t largest_batch = 0;
  };
  stats statistics() const;

 private:
  struct waiting;
  void write(std::stop_token stop);
  void commit(std::vector<waiting*>& batch);

  std::string connection_string_;
  group_commit_settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<waiting*> queue_;
  stats stats_;
  std::vector<std::jthread> writers_;  // last: they use everything above
};

}  // namespace mail2sms::sql
