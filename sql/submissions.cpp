#include "sql/submissions.hpp"

#include <openssl/evp.h>
#include <sodium.h>
#include <pqxx/except>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

#include "core/policy/admission.hpp"
#include "sql/array_literal.hpp"
#include "sql/pipeline.hpp"
#include "sql/stored_parts.hpp"

namespace mail2sms::sql {

std::string queue_id_of(std::uint64_t stamp, std::uint32_t tag) {
  static constexpr std::string_view digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // ascending ASCII
  // 80 bits as two halves of 40 (8 digits each): the stamp's upper 40 bits, then its lower 16
  // and the tag's 24.
  const std::uint64_t halves[2] = {(stamp >> 16) & ((std::uint64_t{1} << 40) - 1),
                                   ((stamp & 0xFFFF) << 24) | (tag & 0xFFFFFFu)};
  std::string id(16, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t value = halves[half];
    for (std::size_t i = 8; i-- > 0; value >>= 5) id[half * 8 + i] = digits[value & 31];
  }
  return id;
}

std::string new_queue_id() {
  // The time in ms and a count within it, kept increasing across threads (a clock stepped back
  // only slows the ids down until it catches up), then the process's random tag. Each
  // millisecond's count starts at a random point below 2,048, so that an id does not tell how
  // many mails (of any account) the process took before it in that millisecond. The random
  // octets come 4 KiB at a time: randombytes_buf is a getrandom() system call.
  static std::atomic<std::uint64_t> last{0};
  static const std::uint32_t tag = randombytes_uniform(1u << 24);
  thread_local std::array<std::uint16_t, 2048> pool{};
  thread_local std::size_t used = pool.size();
  if (used == pool.size()) {
    randombytes_buf(pool.data(), sizeof pool);
    used = 0;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const std::uint64_t now = (static_cast<std::uint64_t>(ms) << 12) | (pool[used++] & 0x7FFu);
  std::uint64_t previous = last.load(std::memory_order_relaxed);
  std::uint64_t stamp = 0;
  do {
    stamp = std::max(previous + 1, now);
  } while (!last.compare_exchange_weak(previous, stamp, std::memory_order_relaxed));
  return queue_id_of(stamp, tag);
}

namespace {

std::int64_t cost_of(const core::submission& s, std::size_t i) {
  return i < s.costs.size() ? s.costs[i] : static_cast<std::int64_t>(s.sms.segments.size());
}

struct account_limits {
  core::policy::account_state state;
  std::int64_t dedup_seconds = 0;
};

// Whether the account has a per-minute or per-day limit, and so usage counters to read and keep.
bool rate_limited(const core::policy::account_state& s) {
  return s.messages_per_minute > 0 || s.segments_per_day > 0;
}

// The reads a batch's decisions need, sent in one flight after BEGIN (and the usage counters, for
// accounts with rate limits, in a second): each is a statement of its own, so each reads what
// was committed before it started, after the lock was taken.
//
// The batch's accounts, locked in id order (two writers lock in the same order: no deadlock).
constexpr const char* lock_accounts_sql =
    "SELECT id, status = 'active', credit_policy = 'fail', credit, messages_per_minute, "
    "segments_per_day, per_number_per_hour, dedup_seconds "
    "FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE";
// This minute's and this day's usage of those with limits: a statement that waited for a row
// lock sees the locked row as it is now, but not the rows it joined, so counters read together
// with the lock could be the ones from before the wait.
constexpr const char* usage_sql =
    "SELECT a.id, coalesce(m.used, 0), coalesce(d.used, 0) FROM accounts a "
    "LEFT JOIN usage_counters m ON m.account_id = a.id AND m.kind = 'minute' "
    "     AND m.window_start = date_trunc('minute', now() AT TIME ZONE 'UTC') "
    "LEFT JOIN usage_counters d ON d.account_id = a.id AND d.kind = 'day' "
    "     AND d.window_start = date_trunc('day', now() AT TIME ZONE a.timezone) "
    "WHERE a.id = ANY($1::bigint[])";
// What each recipient already had: messages in the past hour (where the account limits them)
// and whether this Message-ID with this text went to it within the account's dedup window (the
// text compared by its SHA-256, which the writer sends: a system that gives every mail the same
// Message-ID still has each new text sent). The velocity count stops at the cap + 1: enough to
// know the limit is reached. The dedup look-up wraps its recipient condition in IS TRUE on
// purpose: as a plain condition it let the planner (with statistics from when the table was
// small) take the velocity index and read every message to a busy number; this way the
// velocity index can serve it only by account and time, and messages_dedup (account,
// Message-ID, time) is the index to take, read over the window only (a sender that gives every
// mail one Message-ID has each check read that window's rows, not all of its history). It is
// a prepared statement, planned once per
// connection (planning it for every batch cost 15 % of PostgreSQL's CPU per mail at 100
// sessions), and its plan does not depend on how big the tables were when it was made: the
// intake's connection has sequential scans off (sql/pipeline.cpp), and the account is read by a
// lookup per recipient (LATERAL, fenced with OFFSET 0) rather than a join the planner could
// make a hash join over every account. A generic plan made while messages was empty (analyzed)
// used to be a sequential scan per recipient, kept for the connection's life: a writer spent 25
// CPU seconds on a 20,000-mail load run (group_commit_test has the case).
constexpr const char* history_sql =
    "SELECT t.i, "
    "  CASE WHEN a.per_number_per_hour > 0 THEN (SELECT count(*) FROM (SELECT 1 FROM messages m "
    "      WHERE m.account_id = t.acc AND m.recipient = t.rcpt "
    "        AND m.created_at > now() - interval '1 hour' LIMIT a.per_number_per_hour + 1) x) "
    "  ELSE 0 END, "
    "  a.dedup_seconds > 0 AND t.mid <> '' AND EXISTS (SELECT 1 FROM messages m "
    "      WHERE m.account_id = t.acc AND m.mail_message_id = t.mid AND m.mail_message_id <> '' "
    "      AND (m.recipient = t.rcpt) IS TRUE "
    "      AND m.created_at > now() - make_interval(secs => a.dedup_seconds) "
    "      AND (encode(sha256(convert_to(m.body, 'UTF8')), 'hex') = t.digest) IS TRUE) "
    "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY "
    "  AS t(acc, rcpt, mid, digest, i) "
    "CROSS JOIN LATERAL (SELECT per_number_per_hour, dedup_seconds FROM accounts "
    "                    WHERE id = t.acc OFFSET 0) a";

using element = binary_array::element;

// The arrays the reads take: the batch's accounts, and every recipient with its account, the
// mail's Message-ID (as a dedup key) and its text's SHA-256 in hex.
struct batch_reads {
  binary_array account_ids{element::int8};
  binary_array accounts{element::int8}, recipients{element::text}, mail_ids{element::text},
      digests{element::text};
};

// PostgreSQL's encode(sha256(...), 'hex') of the same octets. OpenSSL's SHA-256 (1.3 µs for a
// 1 KiB text here, with the CPU's SHA instructions) rather than libsodium's (4.7 µs).
std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  std::array<char, EVP_MAX_MD_SIZE * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), size);
  return std::string(hex.data(), std::size_t{size} * 2);
}

batch_reads reads_of(std::span<const submission_ref> batch) {
  batch_reads r;
  std::set<std::int64_t> ids;
  for (const auto& ref : batch) {
    const auto& s = *ref.submission;
    ids.insert(s.account_id);
    const std::string key = core::policy::dedup_key(s.message_id);
    const std::string digest = key.empty() ? std::string() : sha256_hex(s.text);
    for (const auto& rcpt : s.recipients) {
      r.accounts.add(s.account_id);
      r.recipients.add(rcpt);
      r.mail_ids.add(key);
      r.digests.add(digest);
    }
  }
  for (auto id : ids) r.account_ids.add(id);
  return r;
}

void send_reads(pipelined_connection& c, const batch_reads& r) {
  const std::array<pq_param, 1> by_account{{{r.account_ids.bytes(), true}}};
  c.send("m2s_lock_accounts", lock_accounts_sql, by_account);
  const std::array<pq_param, 4> history{{{r.accounts.bytes(), true},
                                         {r.recipients.bytes(), true},
                                         {r.mail_ids.bytes(), true},
                                         {r.digests.bytes(), true}}};
  c.send("m2s_history", history_sql, history);
}

std::map<std::int64_t, account_limits> take_limits(pipelined_connection& c) {
  const auto rows = c.take();
  std::map<std::int64_t, account_limits> out;
  for (int i = 0; i < rows.size(); ++i) {
    account_limits l;
    l.state.active = rows.boolean(i, 1);
    l.state.fail_fast = rows.boolean(i, 2);
    l.state.credit = rows.integer(i, 3);
    l.state.messages_per_minute = rows.integer(i, 4);
    l.state.segments_per_day = rows.integer(i, 5);
    l.state.per_number_per_hour = rows.integer(i, 6);
    l.dedup_seconds = rows.integer(i, 7);
    out.emplace(rows.integer(i, 0), l);
  }
  return out;
}

// Sends the usage read for the accounts with rate limits, if the batch has any; take_usage
// reads it after the history.
bool send_usage(pipelined_connection& c, const std::map<std::int64_t, account_limits>& limits) {
  binary_array limited(element::int8);
  for (const auto& [id, l] : limits) {
    if (rate_limited(l.state)) limited.add(id);
  }
  if (limited.empty()) return false;
  const std::array<pq_param, 1> by_account{{{limited.bytes(), true}}};
  c.send("m2s_usage", usage_sql, by_account);
  c.flush();
  return true;
}

void take_usage(pipelined_connection& c, std::map<std::int64_t, account_limits>& limits) {
  const auto used = c.take();
  for (int i = 0; i < used.size(); ++i) {
    auto& l = limits.at(used.integer(i, 0));
    l.state.minute_used = used.integer(i, 1);
    l.state.day_used = used.integer(i, 2);
  }
}

// The history rows, one per recipient in the order reads_of listed them (none for an account
// that is gone).
void take_history(pipelined_connection& c, std::vector<core::policy::candidate>& candidates) {
  std::vector<core::policy::recipient_history*> slots;
  for (auto& candidate : candidates) {
    candidate.history.assign(candidate.recipients.size(), {});
    for (auto& h : candidate.history) slots.push_back(&h);
  }
  const auto rows = c.take();
  for (int i = 0; i < rows.size(); ++i) {
    auto* slot = slots.at(static_cast<std::size_t>(rows.integer(i, 0)) - 1);
    slot->last_hour = rows.integer(i, 1);
    slot->duplicate = rows.boolean(i, 2);
  }
}

std::string reservation_reason(const core::policy::decision& d) {
  return "reserved: " + std::to_string(d.segments) + (d.segments == 1 ? " segment" : " segments") +
         " to " + std::to_string(d.messages) + (d.messages == 1 ? " recipient" : " recipients");
}

// Everything a batch writes, in one statement (one round trip, planned once per connection): the
// credit taken from each account, a ledger row per admitted mail (with the balance after it),
// the rate-limit counters of accounts that have limits, the messages (one per recipient sent to)
// with their parts packed in the row (0014), dispatch_queue rows (0010: due now, as their
// next_attempt_at says), and a NOTIFY for the dispatchers. No `queued` event: the message's
// created_at is that fact (0021). The one foreign key left
// on these tables (usage counters to accounts, one row per account) is checked at the end of the
// statement. It checks that it wrote every row it was given ($26; 0021's function raises if not):
// a shortfall (a charge for an account that is gone) would otherwise be a 250 for a mail without
// all its rows, and the COMMIT is already on its way behind it.
constexpr const char* write_batch_sql =
    "WITH charged AS ("
    "  UPDATE accounts a SET credit = a.credit - t.d "
    "  FROM unnest($1::bigint[], $2::bigint[]) AS t(id, d) WHERE a.id = t.id RETURNING a.id), "
    "ledger AS ("
    "  INSERT INTO credit_ledger (account_id, delta, reason, balance, queue_id) "
    "  SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::text[]) "
    "  RETURNING id), "
    "counted AS ("
    "  INSERT INTO usage_counters (account_id, kind, window_start, used) "
    "  SELECT t.id, k.kind, "
    "         CASE k.kind WHEN 'minute' THEN date_trunc('minute', now() AT TIME ZONE 'UTC') "
    "                     ELSE date_trunc('day', now() AT TIME ZONE a.timezone) END, "
    "         CASE k.kind WHEN 'minute' THEN t.m ELSE t.s END "
    "  FROM unnest($8::bigint[], $9::bigint[], $10::bigint[]) AS t(id, m, s) "
    "  JOIN accounts a ON a.id = t.id CROSS JOIN (VALUES ('minute'), ('day')) AS k(kind) "
    "  ON CONFLICT (account_id, kind, window_start) "
    "  DO UPDATE SET used = usage_counters.used + EXCLUDED.used RETURNING account_id), "
    "inserted AS ("
    "  INSERT INTO messages (queue_id, account_id, mail_from, mail_message_id, recipient, "
    "                        sender_id, body, encoding, segments, cost, parts) "
    "  SELECT m.q, m.a, m.f, m.mid, m.r, m.s, "
    "         convert_from(substring($21::bytea FROM m.b + 1 FOR m.bl), 'UTF8'), m.e, m.n, m.c, "
    "         substring($23::bytea FROM m.p + 1 FOR m.pl) "
    "  FROM unnest($11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], "
    "              $16::text[], $17::int[], $22::int[], $18::text[], $19::int[], $20::bigint[], "
    "              $24::int[], $25::int[]) "
    "    AS m(q, a, f, mid, r, s, b, bl, e, n, c, p, pl) "
    "  RETURNING id, next_attempt_at), "
    "due AS ("
    "  INSERT INTO dispatch_queue (message_id, due_at) SELECT id, next_attempt_at FROM inserted "
    "  RETURNING message_id) "
    "SELECT intake_wrote_rows(ARRAY[(SELECT count(*) FROM inserted), "
    "         (SELECT count(*) FROM ledger), "
    "         (SELECT count(*) FROM counted), (SELECT count(*) FROM charged), "
    "         (SELECT count(*) FROM due)], $26::bigint[]), "
    "       CASE WHEN EXISTS (SELECT 1 FROM inserted) "
    "            THEN pg_notify('mail2sms_queue', '') END";
static_assert(std::string_view(queue_channel) == "mail2sms_queue", "write_batch_sql names it");

// The arrays of write_batch_sql, filled from the decisions, each of the type its cast names.
struct batch_rows {
  binary_array charged_ids{element::int8}, charged{element::int8};  // $1-$2
  binary_array l_accounts{element::int8}, l_deltas{element::int8},  // $3-$7
      l_reasons{element::text}, l_balances{element::int8}, l_queue_ids{element::text};
  binary_array c_accounts{element::int8}, c_messages{element::int8},  // $8-$10
      c_segments{element::int8};
  binary_array queue_ids{element::text}, accounts{element::int8},  // $11-$20
      froms{element::text}, mail_ids{element::text}, recipients{element::text},
      senders{element::text}, body_at{element::int4}, codings{element::text}, counts{element::int4},
      costs{element::int8};
  // The mails' texts, one after the other, as one binary parameter ($21) with each message's
  // offset ($17) and length ($22) in it: a mail to several numbers sends its text once. The
  // mails' packed parts (sql/stored_parts.hpp) the same way: $23, with offsets $24 and lengths
  // $25.
  std::string bodies;
  binary_array body_size{element::int4};
  packed_parts parts;
  binary_array parts_at{element::int4}, parts_size{element::int4};
  std::size_t messages = 0, ledger = 0, counters = 0, charges = 0;
};

void add_charges(batch_rows& rows, std::span<const submission_ref> batch,
                 const std::vector<core::policy::decision>& decisions,
                 const std::map<std::int64_t, account_limits>& before) {
  std::map<std::int64_t, std::int64_t> balance, taken, messages, segments;
  for (const auto& [id, l] : before) balance[id] = l.state.credit;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& d = decisions[i];
    if (d.refused || d.messages == 0) continue;
    const auto account = batch[i].submission->account_id;
    messages[account] += d.messages;
    segments[account] += d.segments;
    if (d.cost == 0) continue;
    taken[account] += d.cost;
    balance[account] -= d.cost;
    rows.l_accounts.add(account);
    rows.l_deltas.add(-d.cost);
    rows.l_reasons.add(reservation_reason(d));
    rows.l_balances.add(balance[account]);
    rows.l_queue_ids.add(batch[i].queue_id);
    ++rows.ledger;
  }
  for (const auto& [id, delta] : taken) {
    rows.charged_ids.add(id);
    rows.charged.add(delta);
    ++rows.charges;
  }
  for (const auto& [id, n] : messages) {
    if (!rate_limited(before.at(id).state)) continue;
    rows.c_accounts.add(id);
    rows.c_messages.add(n);
    rows.c_segments.add(segments[id]);
    rows.counters += 2;  // this minute's and this day's
  }
}

// The rows of the mail's recipients that `send` marks (nullptr: all of them).
void add_messages(batch_rows& rows, const submission_ref& ref, const std::vector<bool>* send) {
  const auto& s = *ref.submission;
  std::int64_t body_at = -1, parts_at = 0, parts_size = 0;
  for (std::size_t i = 0; i < s.recipients.size(); ++i) {
    if (send != nullptr && !(*send)[i]) continue;
    if (body_at < 0) {  // the mail's text and parts, once for all its recipients
      body_at = static_cast<std::int64_t>(rows.bodies.size());
      rows.bodies.append(s.text);
      parts_at = static_cast<std::int64_t>(rows.parts.size());
      // The parts by reference to the text stored beside them where they can be (nearly every
      // mail), else whole.
      if (s.text != s.sms.text || !append_packed_by_text(rows.parts, s.sms)) {
        // Whole parts need their payloads: a message encoded without them would be stored empty.
        // Refused as a data exception (22000), so that the group commit tries its batch mates
        // without it and this mail alone fails, for good.
        if (!s.sms.has_payloads)
          throw pqxx::sql_error("a message without payloads that cannot be stored by its text", "",
                                "22000");
        append_packed(rows.parts, s.sms.segments);
      }
      parts_size = static_cast<std::int64_t>(rows.parts.size()) - parts_at;
    }
    rows.queue_ids.add(ref.queue_id);
    rows.accounts.add(s.account_id);
    rows.froms.add(s.mail_from);
    rows.mail_ids.add(s.message_id);
    rows.recipients.add(s.recipients[i]);
    rows.senders.add(s.sender_id);
    rows.body_at.add(body_at);
    rows.body_size.add(static_cast<std::int64_t>(s.text.size()));
    rows.codings.add(sms::to_string(s.sms.coding));
    rows.counts.add(static_cast<std::int64_t>(s.sms.segments.size()));
    rows.costs.add(cost_of(s, i));
    rows.parts_at.add(parts_at);
    rows.parts_size.add(parts_size);
    ++rows.messages;
  }
}

// Queues write_batch_sql with the batch's rows.
void send_write(pipelined_connection& c, const batch_rows& r) {
  binary_array expected(element::int8);
  for (auto n : {r.messages, r.ledger, r.counters, r.charges, r.messages})
    expected.add(static_cast<std::int64_t>(n));
  const std::array<const binary_array*, 26> arrays{
      &r.charged_ids, &r.charged,    &r.l_accounts, &r.l_deltas,   &r.l_reasons, &r.l_balances,
      &r.l_queue_ids, &r.c_accounts, &r.c_messages, &r.c_segments, &r.queue_ids, &r.accounts,
      &r.froms,       &r.mail_ids,   &r.recipients, &r.senders,    &r.body_at,   &r.codings,
      &r.counts,      &r.costs,      nullptr,       &r.body_size,  nullptr,      &r.parts_at,
      &r.parts_size,  &expected};
  std::array<pq_param, 26> params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (arrays[i] != nullptr) params[i] = {arrays[i]->bytes(), true};
  }
  params[20] = {r.bodies, true};  // $21 and $23: bytea, sent as they are
  params[22] = {{reinterpret_cast<const char*>(r.parts.data()), r.parts.size()}, true};
  c.send("m2s_write_batch", write_batch_sql, params);
}

}  // namespace

std::vector<core::enqueued> admit_and_insert(pipelined_connection& c,
                                             std::span<const submission_ref> batch) {
  try {
    // Two flights: BEGIN and the reads, then (once the batch is decided) the write and COMMIT.
    c.send("BEGIN");
    send_reads(c, reads_of(batch));
    c.flush();
    // While PostgreSQL takes the lock and reads the history, the write's message rows are built
    // as they will be if every recipient is sent to, as nearly every batch is. One account's
    // transactions run one after another, and this work no longer sits between one's lock and
    // its write (from the lock's answer to the second flight sent: 0.47 -> 0.41 ms for 35 mails,
    // docs/PERFORMANCE.md). Built again below if a decision differs.
    batch_rows likely;
    for (const auto& ref : batch) add_messages(likely, ref, nullptr);
    c.take();
    auto limits = take_limits(c);
    const bool limited = send_usage(c, limits);
    std::vector<core::policy::candidate> candidates;
    candidates.reserve(batch.size());
    for (const auto& ref : batch) {
      const auto& s = *ref.submission;
      core::policy::candidate candidate;
      candidate.account_id = s.account_id;
      // An account with the dedup window off has no duplicates, not even within one batch.
      const auto limits_of = limits.find(s.account_id);
      if (limits_of != limits.end() && limits_of->second.dedup_seconds > 0)
        candidate.message_id = core::policy::dedup_key(s.message_id);
      candidate.text = s.text;
      candidate.segments = static_cast<std::int64_t>(s.sms.segments.size());
      candidate.recipients = s.recipients;
      for (std::size_t i = 0; i < s.recipients.size(); ++i)
        candidate.costs.push_back(cost_of(s, i));
      candidates.push_back(std::move(candidate));
    }
    take_history(c, candidates);
    if (limited) take_usage(c, limits);
    std::map<std::int64_t, core::policy::account_state> states;
    for (const auto& [id, l] : limits) states.emplace(id, l.state);
    const auto decisions = core::policy::admit(candidates, states);

    const bool as_built = std::all_of(decisions.begin(), decisions.end(), [](const auto& d) {
      return !d.refused && std::find(d.send.begin(), d.send.end(), false) == d.send.end();
    });
    batch_rows rows = as_built ? std::move(likely) : batch_rows{};
    add_charges(rows, batch, decisions, limits);
    std::vector<core::enqueued> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& d = decisions[i];
      auto& o = out[i];
      if (d.refused) {
        o.refused = d.refused;
        continue;
      }
      o.queue_id = batch[i].queue_id;
      o.duplicates = d.duplicates;
      o.cost = d.cost;
      if (!as_built) add_messages(rows, batch[i], &d.send);
    }
    const bool writes = rows.messages > 0 || rows.charges > 0 || rows.counters > 0;
    if (writes) send_write(c, rows);
    c.commit();
    if (writes) c.take();
    c.finish_commit();
    return out;
  } catch (...) {
    c.abandon();  // a failure of this side's (the database's were rolled back already)
    throw;
  }
}

void prepare_intake(pipelined_connection& c) {
  try {
    c.send("BEGIN");
    send_reads(c, reads_of({}));
    const binary_array none(element::int8);
    c.send("m2s_usage", usage_sql, std::array<pq_param, 1>{{{none.bytes(), true}}});
    send_write(c, batch_rows{});  // writes nothing, and checks that it wrote nothing
    c.commit();
    for (int i = 0; i < 5; ++i) c.take();
    c.finish_commit();
  } catch (...) {
    c.abandon();
    throw;
  }
}

}  // namespace mail2sms::sql
