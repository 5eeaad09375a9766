// Writing accepted mail: the rows of many submissions inserted with a fixed number of statements
// (arrays unnested server-side), so one transaction, and one fsync, can carry a whole batch.
// Shared by store::enqueue (a batch of one) and group_committer. Internal to sql/.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/ports.hpp"
#include "sql/pipeline.hpp"

namespace mail2sms::sql {

inline constexpr const char* queue_channel = "mail2sms_queue";

// Twelve random hex digits: the id the SMTP reply names ("queued as ...").
std::string new_queue_id();

struct submission_ref {
  const core::submission* submission = nullptr;
  std::string queue_id;
};

// Decides every submission of the batch against its account's credit, rate limits, velocity
// limit and dedup window (core::policy::admit), with the accounts' rows locked; reserves the
// credit of those admitted (ledger rows, usage counters) and inserts their messages. One outcome
// per submission, in order, once the transaction has committed. A handful of statements whatever
// the batch size, in two round trips (pipelined: BEGIN and the reads, then the write and COMMIT).
// Throws libpqxx's exceptions (classify() them); the transaction is then rolled back, or its
// outcome unknown (in_doubt_error).
std::vector<core::enqueued> admit_and_insert(pipelined_connection& c,
                                             std::span<const submission_ref> batch);

// Runs admit_and_insert's statements once on an empty batch (nothing is locked or written): they
// are parsed and planned, and the tables' and indexes' descriptions loaded, before the first mail
// waits for it.
void prepare_intake(pipelined_connection& c);

}  // namespace mail2sms::sql
