// The query_sm sweep (see part_queries.hpp).
#include "core/dispatch/part_queries.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/phone/phone.hpp"
#include "core/stop_wait.hpp"

namespace mail2sms::core {
namespace {

// Every connector answers (a response, a timeout, a lost connection, a stop); this bound only
// keeps a connector with a bug from stopping the sweep for good.
constexpr std::chrono::minutes answer_limit{10};

void log_answer(const part_query& p, const query_result& r) {
  const auto masked = phone::mask(p.recipient);
  switch (r.what) {
    case query_result::kind::state:
      spdlog::info("query_sm: message {} part {} to {} via {}: {}{}", p.queue_id, p.part_no, masked,
                   p.connector, r.state, r.error_code.empty() ? "" : " err:" + r.error_code);
      break;
    case query_result::kind::not_found:
    case query_result::kind::failed:
      spdlog::warn("query_sm: message {} part {} to {} via {} (query {}): {}", p.queue_id,
                   p.part_no, masked, p.connector, p.queries, r.reason);
      break;
  }
}

}  // namespace

part_queries::part_queries(query_store& queries, report_store& reports, std::vector<target> targets,
                           std::chrono::seconds validity, int batch)
    : queries_(queries),
      reports_(reports),
      targets_(std::move(targets)),
      validity_(validity),
      batch_(batch) {}

void part_queries::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    sweep();
    sleep_unless_stopped(stop, std::chrono::seconds(1));
  }
}

std::size_t part_queries::sweep() {
  std::size_t applied = 0;
  for (const auto& t : targets_) {
    if (t.query_after.count() <= 0 || !t.connector->available()) continue;
    for (;;) {
      const int limit = std::clamp(t.in_flight, 1, batch_);
      auto due = queries_.claim_queries(t.connector->name(), limit, t.query_after, validity_);
      if (!due) {
        claims_.failed(t.connector->name() + ": " + due.error().message);
        break;
      }
      claims_.succeeded();
      if (due->empty()) break;
      const auto answers = ask(*t.connector, *due);
      std::vector<delivery_report> reports;
      for (std::size_t i = 0; i < due->size(); ++i) {
        log_answer((*due)[i], answers[i]);
        if (answers[i].what != query_result::kind::state) continue;
        reports.push_back({(*due)[i].connector, (*due)[i].smsc_message_id, answers[i].state,
                           answers[i].error_code});
      }
      if (auto stored = reports_.record_reports(reports); !stored) {
        spdlog::warn("query_sm: cannot record {} answers (asked again later): {}", reports.size(),
                     stored.error().message);
      } else {
        applied += reports.size();
      }
      if (due->size() < static_cast<std::size_t>(limit)) break;
    }
  }
  return applied;
}

// Asks about every part at once (the connector keeps them in flight together) and waits for
// all the answers.
std::vector<query_result> part_queries::ask(sms_connector& connector,
                                            const std::vector<part_query>& parts) {
  struct gathered {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<std::optional<query_result>> answers;
    std::size_t remaining = 0;
  };
  auto g = std::make_shared<gathered>();
  g->answers.resize(parts.size());
  g->remaining = parts.size();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    connector.query_async(parts[i], [g, i](query_result r) {
      std::lock_guard lock(g->mutex);
      g->answers[i] = std::move(r);
      if (--g->remaining == 0) g->done.notify_all();
    });
  }
  std::unique_lock lock(g->mutex);
  if (!g->done.wait_for(lock, answer_limit, [&] { return g->remaining == 0; })) {
    spdlog::error("query_sm: {} gave no answer to {} queries within {} minutes", connector.name(),
                  g->remaining, answer_limit.count());
  }
  std::vector<query_result> out;
  out.reserve(parts.size());
  for (auto& a : g->answers) {
    if (a) {
      out.push_back(std::move(*a));
    } else {
      query_result none;
      none.reason = "no answer";
      out.push_back(std::move(none));
    }
  }
  return out;
}

}  // namespace mail2sms::core
