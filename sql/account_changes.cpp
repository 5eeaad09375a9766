#include "sql/account_changes.hpp"

#include "sql/pq_support.hpp"

namespace mail2sms::sql {

void watch_account_changes(const std::string& conninfo, std::stop_token stop,
                           const std::function<void()>& changed, std::chrono::milliseconds poll) {
  channel_listener listener(conninfo, accounts_channel, "account change listener");
  std::uint64_t connections = 0;
  while (!stop.stop_requested()) {
    const bool notified = listener.wait(poll);
    // After a (re)connect the LISTEN is in place first, then what was remembered goes: a change
    // committed before it was heard by no one.
    const bool reconnected = listener.connections() != connections;
    connections = listener.connections();
    if (notified || reconnected) changed();
  }
}

}  // namespace mail2sms::sql
