// The connectors and routes a configuration names, built and started; stopped on destruction.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/dispatch/dispatcher.hpp"
#include "core/dispatch/part_queries.hpp"
#include "core/dispatch/receipt_recorder.hpp"
#include "core/ports.hpp"

namespace mail2sms::cli {

class connector_set {
 public:
  // Receipts and replies from smpp connectors go to `receipts` (when given).
  explicit connector_set(const config::config& cfg, core::receipt_recorder* receipts = nullptr);
  ~connector_set();
  connector_set(const connector_set&) = delete;
  connector_set& operator=(const connector_set&) = delete;

  // A route per connector: the primary first, then its fallbacks, all with the route's prefix.
  std::vector<core::route> routes() const { return routes_; }
  // Connectors whose unknown_policy is "hold".
  std::set<std::string> hold_unknown() const { return hold_unknown_; }
  // The smpp connectors with query_after set, for the query_sm sweep.
  std::vector<core::part_queries::target> query_targets() const { return query_targets_; }
  // Unbinds every connector and joins its thread; no callbacks after this. Idempotent.
  void stop();

 private:
  std::vector<std::unique_ptr<core::sms_connector>> connectors_;
  std::vector<core::route> routes_;
  std::set<std::string> hold_unknown_;
  std::vector<core::part_queries::target> query_targets_;
};

}  // namespace mail2sms::cli
