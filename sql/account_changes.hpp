// What tells a running serve that accounts changed: the NOTIFYs of 0016's triggers on the
// mail2sms_accounts channel, for the accounts its sessions remember (smtpd/account_cache.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>

#include "core/stop_wait.hpp"

namespace mail2sms::sql {

inline constexpr const char* accounts_channel = "mail2sms_accounts";

// Until stop is requested (seen within `poll`): calls changed() after each NOTIFY on the
// channel, and each time the LISTEN connection has been made (at the start, and again after it
// broke: whatever changed meanwhile was not heard). A database that cannot be reached is
// logged and tried again every `poll`.
void watch_account_changes(const std::string& conninfo, std::stop_token stop,
                           const std::function<void()>& changed,
                           std::chrono::milliseconds poll = core::stop_check);

}  // namespace mail2sms::sql
