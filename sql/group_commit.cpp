#include "sql/group_commit.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "core/phone/phone.hpp"
#include "sql/pipeline.hpp"
#include "sql/pq_support.hpp"
#include "sql/submissions.hpp"

namespace mail2sms::sql {

struct group_committer::waiting {
  core::submission submission;
  std::string queue_id;
  enqueue_done done;
};

group_committer::group_committer(std::string connection_string, group_commit_settings settings)
    : connection_string_(std::move(connection_string)), settings_(settings) {
  settings_.max_batch = std::max<std::size_t>(settings_.max_batch, 1);
  settings_.writers = std::max<std::size_t>(settings_.writers, 1);
  for (std::size_t i = 0; i < settings_.writers; ++i)
    writers_.emplace_back([this](std::stop_token stop) { write(stop); });
}

group_committer::~group_committer() {
  for (auto& w : writers_) w.request_stop();
  writers_.clear();  // joins; a writer finishes the batch it holds first
  const std::lock_guard lock(mutex_);
  for (auto& w : queue_)
    w->done(fail(core::store_error{core::failure_kind::transient, "shutting down"}));
  queue_.clear();
  if (stats_.transactions > 0) {
    spdlog::info("group commit: {} mails in {} transactions, at most {} in one", stats_.mails,
                 stats_.transactions, stats_.largest_batch);
  }
}

auto group_committer::enqueue(const core::submission& s) -> enqueue_result {
  std::promise<enqueue_result> promise;
  auto future = promise.get_future();
  enqueue_async(s, [&promise](enqueue_result r) { promise.set_value(std::move(r)); });
  return future.get();
}

void group_committer::enqueue_async(core::submission s, enqueue_done done) {
  auto w = std::make_unique<waiting>(waiting{std::move(s), new_queue_id(), std::move(done)});
  bool takeable_now = false;
  {
    const std::lock_guard lock(mutex_);
    takeable_now = !busy_accounts_.contains(w->submission.account_id);
    queue_.push_back(std::move(w));
  }
  // A mail of an account in a writer's transaction waits for that writer, which wakes a writer
  // when it lets the account go: waking one now would only have it look and sleep again (under
  // load, a wake-up and a scan of the queue per mail for a writer with nothing to take).
  if (takeable_now) ready_.notify_one();
}

group_committer::stats group_committer::statistics() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

bool group_committer::takeable() const {
  return std::any_of(queue_.begin(), queue_.end(), [this](const auto& w) {
    return !busy_accounts_.contains(w->submission.account_id);
  });
}

void group_committer::write(std::stop_token stop) {
  // Connected and prepared before the first mail: opening the connection and planning the
  // statements took tens of milliseconds, which the first mails after a start waited for.
  try {
    prepare_intake(
        thread_pipeline(connection_string_, settings_.lock_timeout, settings_.answer_timeout));
  } catch (const std::exception& e) {
    spdlog::warn(
        "group commit: could not prepare a writer's connection ({}); trying again with "
        "the first mail",
        classify(e).message);
  }
  std::vector<std::unique_ptr<waiting>> batch;
  batch.reserve(settings_.max_batch);
  std::set<std::int64_t> accounts;  // those of this writer's batch
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (!ready_.wait(lock, stop, [this] { return takeable(); })) return;
      // Everything waiting, in order, except the mails of accounts another writer is
      // committing: those wait for it, so two writers never queue on one account's row lock.
      std::deque<std::unique_ptr<waiting>> left;
      for (auto& w : queue_) {
        const auto id = w->submission.account_id;
        if (batch.size() < settings_.max_batch && !busy_accounts_.contains(id)) {
          accounts.insert(id);
          batch.push_back(std::move(w));
        } else {
          left.push_back(std::move(w));
        }
      }
      queue_.swap(left);
      busy_accounts_.insert(accounts.begin(), accounts.end());
      stats_.transactions += 1;
      stats_.mails += batch.size();
      stats_.largest_batch = std::max(stats_.largest_batch, batch.size());
    }
    auto outcomes = commit(batch);
    // The accounts are let go as soon as the database is done with them: the next transaction
    // of an account only has to start after this one committed. Answering the sessions and
    // freeing the batch (memory the I/O thread allocated) come after, while it runs.
    {
      const std::lock_guard lock(mutex_);
      for (auto id : accounts) busy_accounts_.erase(id);
    }
    accounts.clear();
    ready_.notify_one();  // another writer may be waiting for one of these accounts
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->done(std::move(outcomes[i]));
    batch.clear();
  }
}

auto group_committer::commit(const std::vector<std::unique_ptr<waiting>>& batch)
    -> std::vector<enqueue_result> {
  using outcomes = result<std::vector<core::enqueued>, core::store_error>;
  auto transaction = [this](std::span<const std::unique_ptr<waiting>> items) -> outcomes {
    std::vector<submission_ref> refs;
    refs.reserve(items.size());
    for (const auto& w : items) refs.push_back({&w->submission, w->queue_id});
    // A deadlock (a dispatcher's refund locks account rows in another order) or a
    // serialization failure rolled everything back, and a connection that had broken while
    // idle (the server restarted: 57P01 or a closed socket; the intake's connection never
    // reports that where the COMMIT may have run) or whose prepared statements a migration made
    // stale (0A000) ran nothing: the batch is tried again, on a new connection for those, before
    // anyone hears of it.
    for (int attempt = 1;; ++attempt) {
      try {
        return admit_and_insert(
            thread_pipeline(connection_string_, settings_.lock_timeout, settings_.answer_timeout),
            refs);
      } catch (const pqxx::sql_error& e) {
        const bool retry = worth_running_again(e) || session_ended(e) || stale_plan(e);
        if (!retry || attempt == 3) return fail(classify(e));
        const std::string message = e.what();
        spdlog::info("group commit: {} {} (attempt {}), trying the batch again", e.sqlstate(),
                     one_line(message.substr(0, message.find('\n'))), attempt);
      } catch (const no_answer& e) {
        // A server that hung: a new connection would reach it too, and the sessions have
        // waited long enough.
        return fail(classify(e));
      } catch (const pqxx::broken_connection& e) {
        if (attempt == 3) return fail(classify(e));
        spdlog::info("group commit: connection lost ({}) (attempt {}), trying the batch again",
                     classify(e).message, attempt);
      } catch (const std::exception& e) {
        return fail(classify(e));
      }
    }
  };
  auto outcome = [](const outcomes& r, std::size_t i) -> enqueue_result {
    if (r) return (*r)[i];
    return fail(r.error());
  };

  // The sessions answer 451 or 554 and say no more: the cause is the operator's to see (its
  // first line: classify), numbers masked.
  auto logged = [](const outcomes& r, std::size_t mails) -> const outcomes& {
    if (!r) {
      const auto& message = r.error().message;
      const auto kind = r.error().kind;
      spdlog::warn("group commit: {} mail(s) not stored ({}): {}", mails,
                   kind == core::failure_kind::permanent  ? "permanent"
                   : kind == core::failure_kind::in_doubt ? "outcome unknown"
                                                          : "transient",
                   phone::redact_numbers(message));
    }
    return r;
  };
  std::vector<enqueue_result> out;
  out.reserve(batch.size());
  const auto together = transaction(batch);
  if (!together && together.error().kind == core::failure_kind::permanent && batch.size() > 1) {
    // One mail the database refuses must not take the others with it: each on its own.
    for (const auto& w : batch) out.push_back(outcome(logged(transaction(std::span(&w, 1)), 1), 0));
    return out;
  }
  logged(together, batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) out.push_back(outcome(together, i));
  return out;
}

}  // namespace mail2sms::sql
