// The connectors and routes a configuration names, built and started; stopped on destruction.
#pragma once

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "core/dispatch/dispatcher.hpp"
#include "core/ports.hpp"

namespace mail2sms::cli {

class connector_set {
 public:
  explicit connector_set(const config::config& cfg);
  ~connector_set();
  connector_set(const connector_set&) = delete;
  connector_set& operator=(const connector_set&) = delete;

  std::vector<core::route> routes() const { return routes_; }

 private:
  std::vector<std::unique_ptr<core::sms_connector>> connectors_;
  std::vector<core::route> routes_;
};

}  // namespace mail2sms::cli
