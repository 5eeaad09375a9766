// Writing accepted mail: the rows of many submissions inserted with a fixed number of statements
// (arrays unnested server-side), so one transaction, and one fsync, can carry a whole batch.
// Shared by store::enqueue (a batch of one) and group_committer. Internal to sql/.
#pragma once

#include <pqxx/pqxx>

#include <span>
#include <string>

#include "core/ports.hpp"

namespace mail2sms::sql {

inline constexpr const char* queue_channel = "mail2sms_queue";

// Twelve random hex digits: the id the SMTP reply names ("queued as ...").
std::string new_queue_id();

struct submission_ref {
  const core::submission* submission = nullptr;
  std::string queue_id;
};

// Inserts every submission's messages (one per recipient), their parts and `queued` events,
// and NOTIFYs the dispatchers; the caller commits. Four statements whatever the batch size.
void insert_submissions(pqxx::work& tx, std::span<const submission_ref> batch);

}  // namespace mail2sms::sql
