// Group commit: many SMTP sessions' mails committed in one transaction. A mail's caller hears
// back (enqueue returns, or enqueue_async's callback runs) only after the transaction holding it
// has committed or failed, so a 250 still means "durable"; what is shared is the round trips and
// the fsync. Writers take everything that is waiting when they become free, so a batch grows
// with the load and a lone mail waits for nobody; except the mails of an account another writer
// is committing, which wait for it: each transaction locks its accounts' rows, and two writers
// queued on one row would only take turns, with smaller batches and twice the transactions.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::sql {

struct group_commit_settings {
  std::size_t max_batch = 128;  // mails per transaction at most
  std::size_t writers = 2;      // transactions in flight at once, one connection each
  // The longest wait for a row lock (an account another transaction holds); then the batch
  // fails (55P03, transient: 451 4.3.0) with nothing stored, instead of its sessions waiting on.
  std::chrono::milliseconds lock_timeout{30000};
  // The longest a writer waits with nothing from PostgreSQL while a result is due (a server that
  // hangs); then the batch fails (transient, or in doubt once its COMMIT is out: 451 4.3.0) and
  // its connection is closed. Longer than lock_timeout, which a statement may wait out.
  std::chrono::milliseconds answer_timeout{60000};
};

class group_committer final : public core::message_store {
 public:
  group_committer(std::string connection_string, group_commit_settings settings);
  // Fails whatever is still waiting (transient: the client retries) and joins the writers.
  ~group_committer() override;

  enqueue_result enqueue(const core::submission& s) override;
  void enqueue_async(core::submission s, enqueue_done done) override;

  struct stats {
    std::size_t transactions = 0;
    std::size_t mails = 0;
    std::size_t largest_batch = 0;
  };
  stats statistics() const;

 private:
  struct waiting;
  void write(std::stop_token stop);
  bool takeable() const;  // with mutex_ held: a waiting mail whose account no writer holds
  // The batch's transaction (each mail alone after a permanent failure): one outcome per mail.
  std::vector<enqueue_result> commit(const std::vector<std::unique_ptr<waiting>>& batch);

  std::string connection_string_;
  group_commit_settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<std::unique_ptr<waiting>> queue_;
  std::set<std::int64_t> busy_accounts_;  // accounts in a writer's transaction now
  stats stats_;
  std::vector<std::jthread> writers_;  // last: they use everything above
};

}  // namespace mail2sms::sql
