// A connector for development and tests: each message becomes one JSON line in a file.
#pragma once

#include <fstream>
#include <mutex>
#include <string>

#include "core/ports.hpp"

namespace mail2sms::core {

class file_connector final : public sms_connector {
 public:
  file_connector(std::string name, std::string path);
  const std::string& name() const override { return name_; }
  submit_outcome submit(const queued_message& message) override;

 private:
  std::string name_;
  std::string path_;
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace mail2sms::core
