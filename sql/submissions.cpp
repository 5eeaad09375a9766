#include "sql/submissions.hpp"

#include <sodium.h>

#include <array>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include "core/policy/admission.hpp"
#include "core/sms/sms.hpp"
#include "sql/array_literal.hpp"

namespace mail2sms::sql {

std::string new_queue_id() {
  std::array<unsigned char, 6> random{};
  randombytes_buf(random.data(), random.size());
  std::string id = sms::to_hex(std::span<const std::uint8_t>(random.data(), random.size()));
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return id;  // upper case, as mail servers write queue ids
}

namespace {

// The submissions to write, with the recipients each sends to (a duplicate is left out).
struct admitted {
  const submission_ref* ref = nullptr;
  const std::vector<bool>* send = nullptr;
};

std::int64_t cost_of(const core::submission& s, std::size_t i) {
  return i < s.costs.size() ? s.costs[i] : static_cast<std::int64_t>(s.sms.segments.size());
}

// Inserts the messages (one per recipient sent to), their parts and `queued` events, and NOTIFYs
// the dispatchers. Four statements whatever the batch size.
void insert_messages(pqxx::work& tx, const std::vector<admitted>& batch) {
  array_literal queue_ids, accounts, froms, mail_ids, recipients, senders, bodies, codings, counts,
      costs;
  for (const auto& a : batch) {
    const auto& s = *a.ref->submission;
    for (std::size_t i = 0; i < s.recipients.size(); ++i) {
      if (!(*a.send)[i]) continue;
      queue_ids.add(a.ref->queue_id);
      accounts.add(s.account_id);
      froms.add(s.mail_from);
      mail_ids.add(s.message_id);
      recipients.add(s.recipients[i]);
      senders.add(s.sender_id);
      bodies.add(s.text);
      codings.add(sms::to_string(s.sms.coding));
      counts.add(static_cast<std::int64_t>(s.sms.segments.size()));
      costs.add(cost_of(s, i));
    }
  }
  if (queue_ids.empty()) return;
  auto ids = tx.exec_params(
      "INSERT INTO messages (queue_id, account_id, mail_from, mail_message_id, recipient, "
      "sender_id, body, encoding, segments, cost) "
      "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
      "$6::text[], $7::text[], $8::text[], $9::int[], $10::bigint[]) "
      "RETURNING id, queue_id",
      queue_ids.str(), accounts.str(), froms.str(), mail_ids.str(), recipients.str(), senders.str(),
      bodies.str(), codings.str(), counts.str(), costs.str());

  // RETURNING promises no order: find each row's submission by its queue id.
  std::unordered_map<std::string, const core::submission*> by_queue_id;
  for (const auto& a : batch) by_queue_id.emplace(a.ref->queue_id, a.ref->submission);
  array_literal part_messages, part_numbers, udhs, payloads, event_messages;
  for (const auto& row : ids) {
    const auto id = row[0].as<std::int64_t>();
    const auto* s = by_queue_id.at(row[1].as<std::string>());
    std::int64_t part_no = 1;
    for (const auto& seg : s->sms.segments) {
      part_messages.add(id);
      part_numbers.add(part_no++);
      udhs.add(sms::to_hex(seg.udh));
      payloads.add(sms::to_hex(seg.payload));
    }
    event_messages.add(id);
  }
  tx.exec_params(
      "INSERT INTO message_parts (message_id, part_no, udh, payload) "
      "SELECT m, p, decode(u, 'hex'), decode(d, 'hex') "
      "FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[]) AS t(m, p, u, d)",
      part_messages.str(), part_numbers.str(), udhs.str(), payloads.str());
  tx.exec_params(
      "INSERT INTO message_events (message_id, status) SELECT unnest($1::bigint[]), 'queued'",
      event_messages.str());
  tx.exec0(std::string("NOTIFY ") + queue_channel);
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
  auto rows = tx.exec_params(
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
  auto used = tx.exec_params(
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
  // every message to a busy number; this way only messages_dedup (the Message-ID) can serve it.
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

// The reservations of the admitted mails: credit taken, a ledger row each (with the balance
// after it), and the rate-limit counters of accounts that have limits.
void reserve(pqxx::work& tx, std::span<const submission_ref> batch,
             const std::vector<core::policy::decision>& decisions,
             const std::map<std::int64_t, account_limits>& before) {
  std::map<std::int64_t, std::int64_t> balance, taken, messages, segments;
  for (const auto& [id, l] : before) balance[id] = l.state.credit;
  array_literal l_accounts, l_deltas, l_reasons, l_balances, l_queue_ids;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& d = decisions[i];
    if (d.refused || d.messages == 0) continue;
    const auto account = batch[i].submission->account_id;
    messages[account] += d.messages;
    segments[account] += d.segments;
    if (d.cost == 0) continue;
    taken[account] += d.cost;
    balance[account] -= d.cost;
    l_accounts.add(account);
    l_deltas.add(-d.cost);
    l_reasons.add(reservation_reason(d));
    l_balances.add(balance[account]);
    l_queue_ids.add(batch[i].queue_id);
  }
  if (!taken.empty()) {
    array_literal ids, deltas;
    for (const auto& [id, delta] : taken) {
      ids.add(id);
      deltas.add(delta);
    }
    tx.exec_params(
        "UPDATE accounts a SET credit = a.credit - t.d "
        "FROM unnest($1::bigint[], $2::bigint[]) AS t(id, d) WHERE a.id = t.id",
        ids.str(), deltas.str());
    tx.exec_params(
        "INSERT INTO credit_ledger (account_id, delta, reason, balance, queue_id) "
        "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[])",
        l_accounts.str(), l_deltas.str(), l_reasons.str(), l_balances.str(), l_queue_ids.str());
  }
  array_literal c_accounts, c_messages, c_segments;
  for (const auto& [id, n] : messages) {
    const auto& state = before.at(id).state;
    if (state.messages_per_minute == 0 && state.segments_per_day == 0) continue;
    c_accounts.add(id);
    c_messages.add(n);
    c_segments.add(segments[id]);
  }
  if (c_accounts.empty()) return;
  tx.exec_params(
      "INSERT INTO usage_counters (account_id, kind, window_start, used) "
      "SELECT t.id, k.kind, "
      "       CASE k.kind WHEN 'minute' THEN date_trunc('minute', now() AT TIME ZONE 'UTC') "
      "                   ELSE date_trunc('day', now() AT TIME ZONE a.timezone) END, "
      "       CASE k.kind WHEN 'minute' THEN t.m ELSE t.s END "
      "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS t(id, m, s) "
      "JOIN accounts a ON a.id = t.id CROSS JOIN (VALUES ('minute'), ('day')) AS k(kind) "
      "ON CONFLICT (account_id, kind, window_start) "
      "DO UPDATE SET used = usage_counters.used + EXCLUDED.used",
      c_accounts.str(), c_messages.str(), c_segments.str());
}

}  // namespace

std::vector<core::enqueued> admit_and_insert(pqxx::work& tx, std::span<const submission_ref> batch) {
  const auto limits = lock_accounts(tx, batch);
  std::vector<core::policy::candidate> candidates;
  candidates.reserve(batch.size());
  for (const auto& ref : batch) {
    const auto& s = *ref.submission;
    core::policy::candidate c;
    c.account_id = s.account_id;
    // An account with the dedup window off has no duplicates, not even within one batch.
    const auto limits_of = limits.find(s.account_id);
    if (limits_of != limits.end() && limits_of->second.dedup_seconds > 0) c.message_id = s.message_id;
    c.segments = static_cast<std::int64_t>(s.sms.segments.size());
    c.recipients = s.recipients;
    for (std::size_t i = 0; i < s.recipients.size(); ++i) c.costs.push_back(cost_of(s, i));
    candidates.push_back(std::move(c));
  }
  read_history(tx, limits, candidates);
  std::map<std::int64_t, core::policy::account_state> states;
  for (const auto& [id, l] : limits) states.emplace(id, l.state);
  const auto decisions = core::policy::admit(candidates, states);

  reserve(tx, batch, decisions, limits);
  std::vector<admitted> writing;
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
    writing.push_back({&batch[i], &d.send});
  }
  insert_messages(tx, writing);
  return out;
}

}  // namespace mail2sms::sql
