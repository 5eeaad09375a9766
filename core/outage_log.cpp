#include "core/outage_log.hpp"

#include <spdlog/spdlog.h>

namespace mail2sms::core {

outage_log::outage_log(std::string name, std::string failing, std::string back, severity level)
    : name_(std::move(name)), failing_(std::move(failing)), back_(std::move(back)), level_(level) {}

namespace {

spdlog::level::level_enum level_of(outage_log::severity s) {
  return s == outage_log::severity::error ? spdlog::level::err : spdlog::level::warn;
}

}  // namespace

std::uint64_t outage_log::failed(std::string_view reason, std::string_view first,
                                 clock::time_point now) {
  if (failures_++ == 0) {
    since_ = logged_at_ = now;
    spdlog::log(level_of(level_), "{}: {}: {} (trying again; repeats logged once a minute)", name_,
                first.empty() ? std::string_view(failing_) : first, reason);
  } else if (now - logged_at_ >= repeat) {
    logged_at_ = now;
    spdlog::log(level_of(level_), "{}: still {} after {} s ({} failures): {}", name_, failing_,
                std::chrono::duration_cast<std::chrono::seconds>(now - since_).count(), failures_,
                reason);
  }
  return failures_;
}

void outage_log::succeeded(clock::time_point now) {
  if (failures_ == 0) return;
  const auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(now - since_);
  spdlog::info("{}: {} after {:.1f} s ({} failure(s))", name_, back_,
               static_cast<double>(lasted.count()) / 1000.0, failures_);
  failures_ = 0;
}

}  // namespace mail2sms::core
