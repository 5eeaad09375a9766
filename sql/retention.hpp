// Retention: the texts of messages and replies are erased once they are old enough and the
// message is final. `mail2sms purge` runs it (from cron); serve may call it on a timer.
#pragma once

#include <cstdint>
#include <string>

#include "core/ports.hpp"

namespace mail2sms::sql {

struct purge_counts {
  std::int64_t messages = 0;  // bodies set to NULL
  std::int64_t parts = 0;     // SMS parts whose payloads were erased (messages.parts, 0014)
  std::int64_t replies = 0;   // inbound_messages (and kept reply parts') bodies set to NULL
  std::int64_t notifications = 0;  // notification rows deleted (sent, given up or never sent)
  std::int64_t postmaster = 0;     // mails to the postmaster deleted (0018)
};

// For messages created more than `days` days ago whose status is not queued, sending or unknown
// (they may still be sent): body = NULL and parts = NULL (their part rows, with the SMSC ids and
// the receipt states, stay). For replies received more than `days` days ago: body = NULL.
// Notification rows written more than `days` days ago are deleted, whatever their state, and so
// is mail to the postmaster received more than `days` days ago (read or not). On a connection
// of its own: safe to call from any thread, at any time. The messages are erased `chunk` at a
// time, each chunk committed on its own, skipping those another transaction holds locked (the
// next run erases them); each of the other tables in a statement of its own after them. A
// failure half way keeps what was committed, and running it again goes on from there.
result<purge_counts, core::store_error> purge_bodies(const std::string& connection_string, int days,
                                                     int chunk = 1000);

}  // namespace mail2sms::sql
