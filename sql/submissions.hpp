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

// The id the SMTP reply names ("queued as ..."): 16 characters of Crockford's base 32 (digits
// and upper-case letters but I, L, O and U) for 80 bits: the time in milliseconds (44 bits) and a
// count within it (12 bits, from a random start each millisecond), so that ids grow with time,
// then a tag the process drew at random (24 bits), so that two processes on one database make
// different ids (unless they drew the same tag, one pair in 16.7 million, and then only ids made
// in the same millisecond with the same count). Ids in time order are added at the right-hand end
// of the messages_queue_id index; random ones were each written into a page of their own
// anywhere in it, which grows with the table. Never repeats within a process, across threads,
// also at more than 2,048 ids in one millisecond (the count carries into the time).
std::string new_queue_id();
// The id of a stamp (time in ms << 12 | count, 56 bits) and a tag (24 bits).
std::string queue_id_of(std::uint64_t stamp, std::uint32_t tag);

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
