// query_sm for parts whose receipt never came: each connector with `query_after` has its due
// parts claimed, asks the SMSC about each, and the answers are recorded as receipts of that state
// would be (report_store::record_reports: kept in delivery_reports, final states settle the
// message). A thread of its own; a connector that is down is skipped.
#pragma once

#include <chrono>
#include <cstddef>
#include <stop_token>
#include <vector>

#include "core/dispatch/reports.hpp"
#include "core/outage_log.hpp"

namespace mail2sms::core {

class part_queries {
 public:
  struct target {
    sms_connector* connector = nullptr;
    std::chrono::seconds query_after{0};
    // query_sm in flight at once, at most (and never more than `batch`): the connector's
    // window, so that queries do not crowd out its submits or overrun what the SMSC allows.
    int in_flight = 10;
  };

  part_queries(query_store& queries, report_store& reports, std::vector<target> targets,
               std::chrono::seconds validity, int batch = 100);

  // Sweeps every second until stop is requested.
  void run(std::stop_token stop);
  // One round over the connectors (each until it has nothing due); returns how many answers
  // gave a part a state (final or not).
  std::size_t sweep();

 private:
  std::vector<query_result> ask(sms_connector& connector, const std::vector<part_query>& parts);

  query_store& queries_;
  report_store& reports_;
  const std::vector<target> targets_;
  const std::chrono::seconds validity_;
  const int batch_;
  outage_log claims_{"query_sm", "cannot claim parts to ask about", "claiming parts again"};
};

}  // namespace mail2sms::core
