#include "sql/submissions.hpp"

#include <sodium.h>

#include <array>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

#include "core/policy/admission.hpp"
#include "core/sms/sms.hpp"
#include "sql/array_literal.hpp"
#include "sql/pq_support.hpp"
#include "sql/stored_parts.hpp"

namespace mail2sms::sql {

std::string new_queue_id() {
  // Random bytes drawn 4 KiB at a time: randombytes_buf is a getrandom() system call, one per
  // mail otherwise. The ids are not secrets; they only must not repeat.
  constexpr std::size_t id_octets = 6;
  thread_local std::array<unsigned char, 4096> pool{};
  thread_local std::size_t used = pool.size();
  if (used + id_octets > pool.size()) {
    randombytes_buf(pool.data(), pool.size());
    used = 0;
  }
  std::string id = sms::to_hex(std::span<const std::uint8_t>(pool.data() + used, id_octets));
  used += id_octets;
  for (char& c : id) {
    if (c >= 'a') c = static_cast<char>(c - 'a' + 'A');  // upper case, as mail servers write ids
  }
  return id;
}

namespace {

std::int64_t cost_of(const core::submission& s, std::size_t i) {
  return i < s.costs.size() ? s.costs[i] : static_cast<std::int64_t>(s.sms.segments.size());
}

struct account_limits {
  core::policy::account_state state;
  std::int64_t dedup_seconds = 0;
};

// The batch's accounts, locked in id order (two writers lock in the same order: no deadlock),
// then, in a statement of its own, this minute's and this day's usage of those with limits: a
// statement that waited for a row lock sees the locked row as it is now, but not the rows it
// joined, so counters read together with the lock could be the ones from before the wait.
std::map<std::int64_t, account_limits> lock_accounts(pqxx::work& tx,
                                                     std::span<const submission_ref> batch) {
  std::set<std::int64_t> ids;
  for (const auto& ref : batch) ids.insert(ref.submission->account_id);
  array_literal id_list;
  for (auto id : ids) id_list.add(id);
  auto rows = exec_prepared_once(
      tx, "m2s_lock_accounts",
      "SELECT id, status = 'active', credit_policy = 'fail', credit, messages_per_minute, "
      "segments_per_day, per_number_per_hour, dedup_seconds "
      "FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
      id_list.str());
  std::map<std::int64_t, account_limits> out;
  array_literal limited;
  for (const auto& r : rows) {
    account_limits l;
    l.state.active = r[1].as<bool>();
    l.state.fail_fast = r[2].as<bool>();
    l.state.credit = r[3].as<std::int64_t>();
    l.state.messages_per_minute = r[4].as<std::int64_t>();
    l.state.segments_per_day = r[5].as<std::int64_t>();
    l.state.per_number_per_hour = r[6].as<std::int64_t>();
    l.dedup_seconds = r[7].as<std::int64_t>();
    const auto id = r[0].as<std::int64_t>();
    if (l.state.messages_per_minute > 0 || l.state.segments_per_day > 0) limited.add(id);
    out.emplace(id, l);
  }
  if (limited.empty()) return out;
  auto used = exec_prepared_once(
      tx, "m2s_usage",
      "SELECT a.id, coalesce(m.used, 0), coalesce(d.used, 0) FROM accounts a "
      "LEFT JOIN usage_counters m ON m.account_id = a.id AND m.kind = 'minute' "
      "     AND m.window_start = date_trunc('minute', now() AT TIME ZONE 'UTC') "
      "LEFT JOIN usage_counters d ON d.account_id = a.id AND d.kind = 'day' "
      "     AND d.window_start = date_trunc('day', now() AT TIME ZONE a.timezone) "
      "WHERE a.id = ANY($1::bigint[])",
      limited.str());
  for (const auto& r : used) {
    auto& l = out.at(r[0].as<std::int64_t>());
    l.state.minute_used = r[1].as<std::int64_t>();
    l.state.day_used = r[2].as<std::int64_t>();
  }
  return out;
}

// What each recipient already had: messages in the past hour (only where the account limits
// them) and whether this Message-ID went to it within the dedup window. One statement.
void read_history(pqxx::work& tx, const std::map<std::int64_t, account_limits>& limits,
                  std::vector<core::policy::candidate>& candidates) {
  array_literal accounts, recipients, mail_ids, windows, caps;
  std::vector<core::policy::recipient_history*> slots;
  for (auto& c : candidates) {
    c.history.assign(c.recipients.size(), {});
    const auto it = limits.find(c.account_id);
    if (it == limits.end()) continue;
    const auto window = c.message_id.empty() ? 0 : it->second.dedup_seconds;
    const auto cap = it->second.state.per_number_per_hour;
    if (window == 0 && cap == 0) continue;
    for (std::size_t i = 0; i < c.recipients.size(); ++i) {
      accounts.add(c.account_id);
      recipients.add(c.recipients[i]);
      mail_ids.add(c.message_id);
      windows.add(window);
      caps.add(cap);
      slots.push_back(&c.history[i]);
    }
  }
  if (slots.empty()) return;
  // The velocity count stops at cap + 1: enough to know the limit is reached. The dedup look-up
  // wraps its recipient and time conditions in IS TRUE on purpose: as plain conditions they let
  // the planner (with statistics from when the table was small) take the velocity index and read
  // every message to a busy number; this way the velocity index can serve it only by account,
  // and messages_dedup (account and Message-ID) is the index to take. It is planned for every
  // batch (an unnamed statement), never once per connection: a plan made while the table was
  // nearly empty (a prepared statement's generic plan, kept for the connection's life) took the
  // velocity index by account, or a sequential scan, read every message of the account for each
  // recipient, and a writer spent 25 CPU seconds on a 20,000-mail load run.
  auto rows = tx.exec_params(
      "SELECT t.i, "
      "  CASE WHEN t.cap > 0 THEN (SELECT count(*) FROM (SELECT 1 FROM messages m "
      "      WHERE m.account_id = t.acc AND m.recipient = t.rcpt "
      "        AND m.created_at > now() - interval '1 hour' LIMIT t.cap + 1) x) ELSE 0 END, "
      "  t.win > 0 AND EXISTS (SELECT 1 FROM messages m WHERE m.account_id = t.acc "
      "      AND m.mail_message_id = t.mid AND m.mail_message_id <> '' "
      "      AND (m.recipient = t.rcpt) IS TRUE "
      "      AND (m.created_at > now() - make_interval(secs => t.win)) IS TRUE) "
      "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) "
      "     WITH ORDINALITY AS t(acc, rcpt, mid, win, cap, i)",
      accounts.str(), recipients.str(), mail_ids.str(), windows.str(), caps.str());
  for (const auto& r : rows) {
    auto* slot = slots.at(r[0].as<std::size_t>() - 1);
    slot->last_hour = r[1].as<std::int64_t>();
    slot->duplicate = r[2].as<bool>();
  }
}

std::string reservation_reason(const core::policy::decision& d) {
  return "reserved: " + std::to_string(d.segments) + (d.segments == 1 ? " segment" : " segments") +
         " to " + std::to_string(d.messages) + (d.messages == 1 ? " recipient" : " recipients");
}

// Everything a batch writes, in one statement (one round trip, planned once per connection): the
// credit taken from each account, a ledger row per admitted mail (with the balance after it),
// the rate-limit counters of accounts that have limits, the messages (one per recipient sent to)
// with their parts packed in the row (0014), `queued` events and dispatch_queue rows (0010: due
// now, as their next_attempt_at says), and a NOTIFY for the dispatchers. The one foreign key left
// on these tables (usage counters to accounts, one row per account) is checked at the end of the
// statement.
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
    "events AS ("
    "  INSERT INTO message_events (message_id, status) SELECT id, 'queued' FROM inserted "
    "  RETURNING message_id), "
    "due AS ("
    "  INSERT INTO dispatch_queue (message_id, due_at) SELECT id, next_attempt_at FROM inserted "
    "  RETURNING message_id) "
    "SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM events), "
    "       (SELECT count(*) FROM ledger), (SELECT count(*) FROM counted), "
    "       (SELECT count(*) FROM charged), (SELECT count(*) FROM due), "
    "       CASE WHEN EXISTS (SELECT 1 FROM inserted) "
    "            THEN pg_notify('mail2sms_queue', '') END";
static_assert(std::string_view(queue_channel) == "mail2sms_queue", "write_batch_sql names it");

// The arrays of write_batch_sql, filled from the decisions.
struct batch_rows {
  array_literal charged_ids, charged;                                       // $1-$2
  array_literal l_accounts, l_deltas, l_reasons, l_balances, l_queue_ids;   // $3-$7
  array_literal c_accounts, c_messages, c_segments;                         // $8-$10
  array_literal queue_ids, accounts, froms, mail_ids, recipients, senders,  // $11-$20
      body_at, codings, counts, costs;
  // The mails' texts, one after the other, as one binary parameter ($21) with each message's
  // offset ($17) and length ($22) in it: PostgreSQL reads no array literal of them (array_in
  // went through every octet), and a mail to several numbers sends its text once. The mails'
  // packed parts (sql/stored_parts.hpp) the same way: $23, with offsets $24 and lengths $25.
  std::string bodies;
  array_literal body_size;
  packed_parts parts;
  array_literal parts_at, parts_size;
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
    const auto& state = before.at(id).state;
    if (state.messages_per_minute == 0 && state.segments_per_day == 0) continue;
    rows.c_accounts.add(id);
    rows.c_messages.add(n);
    rows.c_segments.add(segments[id]);
    rows.counters += 2;  // this minute's and this day's
  }
}

void add_messages(batch_rows& rows, const submission_ref& ref, const std::vector<bool>& send) {
  const auto& s = *ref.submission;
  std::int64_t body_at = -1, parts_at = 0, parts_size = 0;
  for (std::size_t i = 0; i < s.recipients.size(); ++i) {
    if (!send[i]) continue;
    if (body_at < 0) {  // the mail's text and parts, once for all its recipients
      body_at = static_cast<std::int64_t>(rows.bodies.size());
      rows.bodies.append(s.text);
      parts_at = static_cast<std::int64_t>(rows.parts.size());
      append_packed(rows.parts, s.sms.segments);
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

// Runs write_batch_sql and checks that it wrote every row it was given: a shortfall (a charge for
// an account that is gone) would otherwise be a 250 for a mail without all its rows.
void write_batch(pqxx::work& tx, const batch_rows& r) {
  const auto row = exec_prepared_once(
      tx, "m2s_write_batch", write_batch_sql, r.charged_ids.str(), r.charged.str(),
      r.l_accounts.str(), r.l_deltas.str(), r.l_reasons.str(), r.l_balances.str(),
      r.l_queue_ids.str(), r.c_accounts.str(), r.c_messages.str(), r.c_segments.str(),
      r.queue_ids.str(), r.accounts.str(), r.froms.str(), r.mail_ids.str(), r.recipients.str(),
      r.senders.str(), r.body_at.str(), r.codings.str(), r.counts.str(), r.costs.str(),
      pqxx::binarystring(r.bodies.data(), r.bodies.size()), r.body_size.str(),
      pqxx::binarystring(r.parts.data(), r.parts.size()), r.parts_at.str(), r.parts_size.str())[0];
  const std::array<std::size_t, 6> expected{r.messages, r.messages, r.ledger,
                                            r.counters, r.charges,  r.messages};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (row[static_cast<int>(i)].as<std::size_t>() != expected[i]) {
      throw std::logic_error("group commit wrote " + row[static_cast<int>(i)].as<std::string>() +
                             " rows of kind " + std::to_string(i) + " where it meant " +
                             std::to_string(expected[i]));
    }
  }
}

}  // namespace

std::vector<core::enqueued> admit_and_insert(pqxx::work& tx,
                                             std::span<const submission_ref> batch) {
  const auto limits = lock_accounts(tx, batch);
  std::vector<core::policy::candidate> candidates;
  candidates.reserve(batch.size());
  for (const auto& ref : batch) {
    const auto& s = *ref.submission;
    core::policy::candidate c;
    c.account_id = s.account_id;
    // An account with the dedup window off has no duplicates, not even within one batch.
    const auto limits_of = limits.find(s.account_id);
    if (limits_of != limits.end() && limits_of->second.dedup_seconds > 0)
      c.message_id = s.message_id;
    c.segments = static_cast<std::int64_t>(s.sms.segments.size());
    c.recipients = s.recipients;
    for (std::size_t i = 0; i < s.recipients.size(); ++i) c.costs.push_back(cost_of(s, i));
    candidates.push_back(std::move(c));
  }
  read_history(tx, limits, candidates);
  std::map<std::int64_t, core::policy::account_state> states;
  for (const auto& [id, l] : limits) states.emplace(id, l.state);
  const auto decisions = core::policy::admit(candidates, states);

  batch_rows rows;
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
    add_messages(rows, batch[i], d.send);
  }
  if (rows.messages > 0 || rows.charges > 0 || rows.counters > 0) write_batch(tx, rows);
  return out;
}

void prepare_intake(pqxx::work& tx) {
  lock_accounts(tx, {});
  write_batch(tx, batch_rows{});  // writes nothing, checks that it wrote nothing
}

}  // namespace mail2sms::sql
