// The dispatch queue and the receipts, written a batch per statement: a claim, a batch of
// outcomes, a batch of receipts or of replies each take a few statements whatever their size
// (arrays unnested server-side, as sql/submissions.cpp does for accepted mail).
//
// Receipts meet their parts without locks. A receipt can come before its part's SMSC id is
// recorded (the SMSC answers faster than our COMMIT), so each side looks for the other: a batch
// of outcomes attaches the stored receipts it can see to its parts, a batch of receipts attaches
// to the parts it can see. Two such transactions at once can each miss the other's uncommitted
// rows, so each side, once committed, looks again in a new transaction for what it left
// unmatched: whichever of the two became visible second starts its second look after both, and
// finds the pair. Two looks finding the same receipt are decided by its row: the first to update
// it wins, the other re-reads `message_id IS NULL` after the wait and skips it. A process that
// stops between a commit and its second look leaves the pair to match_stored_reports (run by the
// receipt recorder at start and every minute).
//
// Every statement reaches rows through an index whatever the statistics say: lookups are LATERAL
// (one index probe per element) and updates name their rows with `= ANY($array)`. The tables of
// a busy queue grow faster than ANALYZE follows, and joins planned from stale statistics scanned
// whole tables.
#include <pqxx/pqxx>

#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "core/dispatch/reports.hpp"
#include "sql/array_literal.hpp"
#include "sql/pq_support.hpp"
#include "sql/store.hpp"
#include "sql/stored_parts.hpp"

namespace mail2sms::sql {
namespace {

using status = core::submit_outcome::status;

// Runs `sql` as an unnamed statement, so PostgreSQL plans it for these parameters every time: a
// generic plan (what a prepared statement gets after five runs) cannot know how many elements an
// array parameter holds, and ones chosen for that scanned whole tables. Forcing custom plans for
// the whole connection instead (plan_cache_mode) would also re-plan every foreign-key check, one
// per inserted row.
template <class... Args>
pqxx::result run(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  return tx.exec_params(sql, std::forward<Args>(args)...);
}

// One read-only statement on the calling thread's connection, outside a transaction block: it
// has a snapshot of its own anyway, and BEGIN and COMMIT would be two more round trips.
template <class F>
auto in_statement(const std::string& conninfo, F&& fn)
    -> result<decltype(fn(std::declval<pqxx::nontransaction&>())), core::store_error> {
  try {
    pqxx::nontransaction tx(thread_connection(conninfo));
    return fn(tx);
  } catch (const std::exception& e) {
    return fail(classify(e));
  }
}

// Due messages become `sending` under this process's dispatcher session, each with a `sending`
// event, a dispatch_inflight row and a block of SMPP sequence numbers (see 0007: part n is sent
// with smpp_sequence + n - 1), and come back with their packed parts (0014) and their text (which
// the parts' by-text form refers to, sql/stored_parts.hpp): one statement.
// The queue rows are taken from dispatch_queue (0010) in due order, locked, deleted; a message is
// claimed only if it is still `queued` once its row lock is held. A queue row left for a message
// that is not (another claim took it through a second row, the account is being erased) is
// deleted and claims nothing, so two claims never both send one message. Queue rows and messages
// are named by arrays (`= ANY`): TID and primary-key probes whatever the statistics say.
constexpr const char* claim_sql =
    "WITH due AS ("
    "  SELECT ctid FROM dispatch_queue WHERE due_at <= now()"
    "  ORDER BY due_at, message_id LIMIT $1 FOR UPDATE SKIP LOCKED),"
    " taken AS ("
    "  DELETE FROM dispatch_queue WHERE ctid = ANY(ARRAY(SELECT ctid FROM due))"
    "  RETURNING message_id),"
    " claimed AS ("
    "  UPDATE messages m SET status = 'sending', dispatch_session = $2, sent_at = now(),"
    "         updated_at = now(), smpp_sequence = nextval('smpp_sequence_blocks')::int * 256"
    "  WHERE m.id = ANY(ARRAY(SELECT message_id FROM taken)) AND m.status = 'queued'"
    "  RETURNING m.id, m.queue_id, m.recipient, m.sender_id, m.encoding, m.attempts,"
    "            m.next_attempt_at, m.smpp_sequence, m.parts, convert_to(m.body, 'UTF8') AS body,"
    "            (extract(epoch FROM m.created_at) * 1000000)::bigint AS accepted_us),"
    // No conflict is expected (a session claims a message again only after its outcome deleted
    // the row); one would otherwise fail every claim of this session.
    " inflight AS ("
    "  INSERT INTO dispatch_inflight (session, message_id) SELECT $2, id FROM claimed"
    "  ON CONFLICT DO NOTHING),"
    " events AS ("
    "  INSERT INTO message_events (message_id, status) SELECT id, 'sending' FROM claimed) "
    "SELECT id, queue_id, recipient, sender_id, encoding, attempts, accepted_us, smpp_sequence,"
    "       parts, body "
    "FROM claimed ORDER BY next_attempt_at, id";

// Each listed message's status from its parts' receipts: delivered when every part is, else a
// final failure of any part (expired before rejected before undeliverable); NULL while that is
// not decided yet. `ids` is the parameter holding the message ids.
std::string verdicts_of(const std::string& ids) {
  return "SELECT message_id,"
         "  CASE WHEN bool_and(COALESCE(state = 'DELIVRD', false)) THEN 'delivered'"
         "       WHEN bool_or(state = 'EXPIRED') THEN 'expired'"
         "       WHEN bool_or(state = 'REJECTD') THEN 'rejected'"
         "       WHEN bool_or(state IN ('UNDELIV', 'DELETED', 'UNKNOWN')) THEN 'undeliverable'"
         "  END AS status,"
         "  string_agg(DISTINCT state || COALESCE(' err:' || NULLIF(error_code, ''), ''), ', ')"
         "    FILTER (WHERE state <> 'DELIVRD') AS detail "
         "FROM message_parts WHERE message_id = ANY(" +
         ids + "::bigint[]) GROUP BY message_id";
}

// Submitted (or unknown) messages whose parts now decide their status get it, with an event.
// Status changes stay UPDATEs of messages.status: the refund trigger of 0004 watches them.
const std::string settle_sql =
    "WITH verdict AS (" + verdicts_of("$1") +
    "),"
    " changed AS ("
    "  UPDATE messages m SET status = v.status, updated_at = now(),"
    "         last_error = CASE WHEN v.status = 'delivered' THEN NULL ELSE v.detail END"
    "  FROM verdict v WHERE m.id = ANY($1::bigint[]) AND m.id = v.message_id"
    "    AND v.status IS NOT NULL AND m.status IN ('submitted', 'unknown')"
    "  RETURNING m.id, m.status, v.detail) "
    "INSERT INTO message_events (message_id, status, detail) "
    "SELECT id, status, COALESCE(detail, '') FROM changed ORDER BY id";

// The part a receipt `r` is for: the newest part with its SMSC id on its connector that has no
// final state yet and was sent no later than the receipt came (`received_at`, an expression).
// Its message is taken with a key-share lock, as record_parts does: an erasure that has deleted
// it and not committed is waited for, and then the newest part left is taken (usually none:
// the receipt is stored unmatched), as if the erasure had committed first; one that comes later
// waits for this transaction. Without it, the receipt's row named a message the erasure then
// deleted, and its insert failed on the foreign key.
std::string part_for_receipt(const std::string& received_at) {
  return "SELECT p.message_id, p.part_no FROM message_parts p JOIN messages m ON m.id = "
         "p.message_id"
         " WHERE p.smsc_message_id = r.smsc_message_id AND m.connector = r.connector"
         "   AND p.state IS NULL AND m.sent_at <= " +
         received_at + " ORDER BY p.message_id DESC LIMIT 1 FOR KEY SHARE OF m";
}

// A receipt and the part it was found for.
struct found_receipt {
  std::int64_t receipt = 0;  // its id, or its place in an arriving batch
  std::int64_t message = 0;
  int part_no = 0;
  std::string state;
  std::string error_code;
};

// Which of these receipts (in the order they came) attach to their parts: a part's receipts up
// to and including its first final one; those after it stay unattached, as a duplicate after the
// final state does.
std::vector<bool> attachable(const std::vector<found_receipt>& in_order) {
  std::set<std::pair<std::int64_t, int>> decided;
  std::vector<bool> attach;
  attach.reserve(in_order.size());
  for (const auto& r : in_order) {
    const auto part = std::pair{r.message, r.part_no};
    attach.push_back(!decided.contains(part));
    if (attach.back() && core::is_final_state(r.state)) decided.insert(part);
  }
  return attach;
}

// The statuses that give a message's credit back (0004's refund trigger), as SQL.
constexpr const char* refunded_statuses = "('failed', 'expired', 'undeliverable', 'rejected')";

// Locks, in id order, the accounts whose credit the refund trigger is about to give back.
// `refunding` selects their ids. The trigger updates each account as it meets its message, in the
// order the statement updates them; two such statements, or one and the intake (which locks a
// batch's accounts in id order, sql/submissions.cpp), could each hold one account and wait for
// the other's, a deadlock that PostgreSQL ends after a second by rolling one back. Taken here
// first, in the intake's order, the trigger finds them held. The caller holds the messages
// already (locked in id order), so every path takes messages before accounts.
template <class... Args>
void lock_refunded_accounts(pqxx::work& tx, const std::string& refunding, Args&&... args) {
  run(tx, "SELECT id FROM accounts WHERE id IN (" + refunding + ") ORDER BY id FOR NO KEY UPDATE",
      std::forward<Args>(args)...);
}

// Locks the messages, in id order, before their verdict is read: two transactions can each give
// a final state to different parts of one message, and each alone would see the other's parts
// still open. The verdict is read by a later statement, whose snapshot is taken once whoever
// held the lock has committed, so the second of the two sees every part. `may_fail`: one of
// the final states applied is a failure. Only such a state can settle a message as failed (a
// failed part settles its message at once, so a later delivered part finds it final), and
// only then are the accounts to refund locked.
void settle(pqxx::work& tx, const array_literal& messages, bool may_fail) {
  if (messages.empty()) return;
  const auto ids = messages.str();
  run(tx,
      "SELECT id FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id "
      "FOR NO KEY UPDATE",
      ids);
  if (may_fail) {
    lock_refunded_accounts(tx,
                           "SELECT m.account_id FROM messages m JOIN (" + verdicts_of("$1") +
                               ") v ON v.message_id = m.id WHERE m.id = ANY($1::bigint[])"
                               " AND m.cost > 0 AND m.status IN ('submitted', 'unknown')"
                               " AND v.status <> 'delivered'",
                           ids);
  }
  run(tx, settle_sql, ids);
}

// Gives parts the final states of these receipts (each part at most one; parts that already
// have one keep it) and settles their messages.
void apply_final_states(pqxx::work& tx, const std::vector<const found_receipt*>& finals) {
  if (finals.empty()) return;
  array_literal messages, parts, states, errors;
  bool may_fail = false;
  for (const auto* r : finals) {
    messages.add(r->message);
    parts.add(r->part_no);
    states.add(r->state);
    errors.add(r->error_code);
    may_fail = may_fail || r->state != "DELIVRD";
  }
  const auto rows = run(tx,
                        "UPDATE message_parts p SET state = v.state, error_code = v.error_code,"
                        "       query_at = NULL "
                        "FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])"
                        "     AS v(message_id, part_no, state, error_code) "
                        "WHERE p.message_id = ANY($1::bigint[]) AND p.message_id = v.message_id"
                        "  AND p.part_no = v.part_no AND p.state IS NULL "
                        "RETURNING p.message_id",
                        messages.str(), parts.str(), states.str(), errors.str());
  array_literal settled;
  for (const auto& row : rows) settled.add(row[0].as<std::int64_t>());
  settle(tx, settled, may_fail);
}

// Attaches stored receipts (in receipt order) to the parts found for them, where no other
// transaction did first; returns those it attached.
std::vector<const found_receipt*> attach_stored(pqxx::work& tx,
                                                const std::vector<found_receipt>& found) {
  const auto attach = attachable(found);
  array_literal ids, messages, parts;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (!attach[i]) continue;
    ids.add(found[i].receipt);
    messages.add(found[i].message);
    parts.add(found[i].part_no);
  }
  std::vector<const found_receipt*> attached;
  if (ids.empty()) return attached;
  const auto rows =
      run(tx,
          "UPDATE delivery_reports d SET message_id = v.message_id, part_no = v.part_no "
          "FROM unnest($1::bigint[], $2::bigint[], $3::int[]) AS v(id, message_id, part_no) "
          "WHERE d.id = ANY($1::bigint[]) AND d.id = v.id AND d.message_id IS NULL "
          "RETURNING d.id",
          ids.str(), messages.str(), parts.str());
  std::set<std::int64_t> done;
  for (const auto& row : rows) done.insert(row[0].as<std::int64_t>());
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (attach[i] && done.contains(found[i].receipt)) attached.push_back(&found[i]);
  }
  return attached;
}

std::vector<const found_receipt*> finals_of(const std::vector<const found_receipt*>& receipts) {
  std::vector<const found_receipt*> finals;
  for (const auto* r : receipts) {
    if (core::is_final_state(r->state)) finals.push_back(r);
  }
  return finals;
}

// Stored receipts (by id) that match no part yet: attached where their part is known now, its
// first final state applied, the messages settled. Returns how many it attached.
std::size_t match_stored(pqxx::work& tx, const std::string& receipt_ids) {
  const auto rows = run(tx,
                        "SELECT r.id, r.state, r.error_code, p.message_id, p.part_no "
                        "FROM delivery_reports r CROSS JOIN LATERAL (" +
                            part_for_receipt("r.received_at") +
                            ") p "
                            "WHERE r.id = ANY($1::bigint[]) AND r.message_id IS NULL ORDER BY r.id",
                        receipt_ids);
  std::vector<found_receipt> found;
  found.reserve(rows.size());
  for (const auto& row : rows) {
    found.push_back({row[0].as<std::int64_t>(), row[3].as<std::int64_t>(), row[4].as<int>(),
                     row[1].as<std::string>(), row[2].as<std::string>()});
  }
  const auto attached = attach_stored(tx, found);
  apply_final_states(tx, finals_of(attached));
  return attached.size();
}

std::string status_after(const core::submit_outcome& outcome, bool retry) {
  switch (outcome.state) {
    case status::submitted:
      return "submitted";
    case status::transient_failure:
      return retry ? "queued" : "failed";
    case status::expired:
      return "expired";
    case status::permanent_failure:
      break;
  }
  return "failed";
}

// Microseconds since the epoch, PostgreSQL's resolution: whole seconds would make a retry due
// up to a second before the time the dispatcher chose.
std::int64_t microseconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// The submitted parts of a batch of outcomes.
struct part_ids {
  array_literal messages, part_numbers, smsc_ids, connectors;
  array_literal query_after;  // seconds until the first query_sm; NULL: none (see 0007)
  std::vector<std::pair<std::int64_t, int>> keys;  // (message, part) in the arrays' order
  bool empty() const { return keys.empty(); }
};

// Sets the batch's parts' SMSC ids, attaching each the receipts already stored for it (the
// first final one applied). Returns the messages with a part that has a final state now, and
// those parts.
std::pair<array_literal, std::set<std::pair<std::int64_t, int>>> record_parts(
    pqxx::work& tx, const part_ids& parts) {
  const auto early = run(
      tx,
      "SELECT v.message_id, v.part_no, r.id, r.state, r.error_code "
      "FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])"
      "     AS v(message_id, part_no, smsc_message_id, connector) "
      "CROSS JOIN LATERAL ("
      "  SELECT r.id, r.state, r.error_code FROM delivery_reports r"
      "  WHERE r.message_id IS NULL AND r.connector = v.connector"
      "    AND r.smsc_message_id = v.smsc_message_id"
      "    AND r.received_at >= (SELECT sent_at FROM messages WHERE id = v.message_id)) r "
      "ORDER BY r.id",
      parts.messages.str(), parts.part_numbers.str(), parts.smsc_ids.str(), parts.connectors.str());
  std::vector<found_receipt> found;
  found.reserve(early.size());
  for (const auto& row : early) {
    found.push_back({row[2].as<std::int64_t>(), row[0].as<std::int64_t>(), row[1].as<int>(),
                     row[3].as<std::string>(), row[4].as<std::string>()});
  }
  std::map<std::pair<std::int64_t, int>, const found_receipt*> final_of;
  for (const auto* r : finals_of(attach_stored(tx, found))) final_of[{r->message, r->part_no}] = r;

  std::pair<array_literal, std::set<std::pair<std::int64_t, int>>> out;
  array_literal states, errors;
  std::int64_t last_decided = 0;
  for (const auto& key : parts.keys) {
    const auto it = final_of.find(key);
    if (it == final_of.end()) {
      states.add_null();
      errors.add_null();
      continue;
    }
    states.add(it->second->state);
    errors.add(it->second->error_code);
    out.second.insert(key);
    if (key.first != last_decided) out.first.add(key.first);  // a repeat would be harmless
    last_decided = key.first;
  }
  // The parts' rows: written here, when they were sent (0014), or over those of an earlier
  // attempt (and of messages accepted before 0014, whose rows the intake wrote). A part without a
  // final state yet gets its first query_sm time where its connector asks. None for a message
  // that is gone (its account was erased while it was with the SMSC): nothing would ever remove
  // the row. The message is looked at with a key-share lock: an erasure that has deleted it and
  // not committed is waited for, and then it is gone; one that comes later waits for this
  // transaction, and its delete of the parts (a later statement) sees these rows. A plain look
  // saw the message in a deleting transaction's snapshot, and wrote a row that the erasure's
  // delete of the parts could not see, and that stayed. The lock conflicts only with a delete
  // (or a key change): a receipt settling the message meanwhile is not waited for.
  run(tx,
      "INSERT INTO message_parts AS p (message_id, part_no, smsc_message_id, state, error_code,"
      "                                queries, query_at) "
      "SELECT v.message_id, v.part_no, v.smsc_message_id, v.state, v.error_code, 0,"
      "       CASE WHEN v.state IS NULL THEN now() + v.query_after * interval '1 second' END "
      "FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[])"
      "     AS v(message_id, part_no, smsc_message_id, state, error_code, query_after) "
      "WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = v.message_id FOR KEY SHARE) "
      "ON CONFLICT (message_id, part_no) DO UPDATE SET smsc_message_id = EXCLUDED.smsc_message_id,"
      "  state = EXCLUDED.state, error_code = EXCLUDED.error_code, queries = 0,"
      "  query_at = EXCLUDED.query_at",
      parts.messages.str(), parts.part_numbers.str(), parts.smsc_ids.str(), states.str(),
      errors.str(), parts.query_after.str());
  return out;
}

// Writes the outcomes on their messages with an event each; a submitted message that
// record_parts decided (`decided`) goes on to its final status with a second event. One retried
// goes back into dispatch_queue, due at its retry time, in the same statement. `ids`: the
// outcomes' message ids, in their order.
void record_messages(pqxx::work& tx, const std::vector<core::recorded_outcome>& outcomes,
                     const std::string& ids, const array_literal& decided) {
  array_literal statuses, connectors, reasons, retries;
  // Whether the update may refund: a failure, or parts decided (by receipts that came first).
  bool may_fail = !decided.empty();
  for (const auto& r : outcomes) {
    const auto status = status_after(r.outcome, r.retry_at.has_value());
    may_fail = may_fail || status == "failed" || status == "expired";
    statuses.add(status);
    connectors.add(r.connector);
    reasons.add(r.outcome.reason);
    if (r.retry_at) {
      retries.add(microseconds_of(*r.retry_at));
    } else {
      retries.add_null();
    }
  }
  if (may_fail) {  // messages, then accounts, each in id order (see lock_refunded_accounts)
    run(tx, "SELECT id FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE",
        ids);
    lock_refunded_accounts(tx,
                           "SELECT m.account_id FROM messages m"
                           " JOIN unnest($1::bigint[], $2::text[]) AS o(id, status) ON o.id = m.id"
                           " LEFT JOIN (" +
                               verdicts_of("$3") +
                               ") v ON v.message_id = o.id"
                               " WHERE m.id = ANY($1::bigint[]) AND m.cost > 0"
                               " AND COALESCE(v.status, o.status) IN " +
                               refunded_statuses + " AND m.status NOT IN " + refunded_statuses,
                           ids, statuses.str(), decided.str());
  }
  run(tx,
      "WITH o AS ("
      "  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])"
      "         AS o(id, status, connector, reason, retry_us)),"
      " verdict AS (" +
          verdicts_of("$6") +
          "),"
          " updated AS ("
          "  UPDATE messages m SET status = COALESCE(v.status, o.status),"
          "         connector = NULLIF(o.connector, ''), attempts = m.attempts + 1,"
          "         last_error = CASE WHEN v.status IS NULL THEN NULLIF(o.reason, '')"
          "                           WHEN v.status = 'delivered' THEN NULL ELSE v.detail END,"
          "         updated_at = now(), dispatch_session = NULL,"
          "         next_attempt_at = COALESCE('epoch'::timestamptz"
          "                                    + o.retry_us * interval '1 microsecond',"
          "                                    m.next_attempt_at)"
          "  FROM o LEFT JOIN verdict v ON v.message_id = o.id AND v.status IS NOT NULL"
          "  WHERE m.id = ANY($1::bigint[]) AND m.id = o.id"
          "  RETURNING m.id, m.status, m.next_attempt_at),"
          " requeued AS ("
          "  INSERT INTO dispatch_queue (message_id, due_at)"
          "  SELECT id, next_attempt_at FROM updated WHERE status = 'queued') "
          // Events for the messages updated: not for one that is gone (erased with its account
          // while it was with the SMSC), whose event nothing would ever remove.
          "INSERT INTO message_events (message_id, status, detail) "
          "SELECT message_id, status, detail FROM ("
          "  SELECT o.id AS message_id, o.status, o.reason AS detail, 1 AS step FROM o"
          "  UNION ALL"
          "  SELECT message_id, status, COALESCE(detail, ''), 2 FROM verdict WHERE status IS NOT "
          "NULL"
          ") e WHERE message_id IN (SELECT id FROM updated) ORDER BY message_id, step",
      ids, statuses.str(), connectors.str(), reasons.str(), retries.str(), decided.str());
}

// The second look after a commit (see the top of this file): `probe`, one read-only statement,
// names the stored receipts that may match now (usually none); those are then matched in a
// transaction. Returns how many it attached.
template <class F>
result<std::size_t, core::store_error> second_look(const std::string& conninfo, F&& probe) {
  const auto receipts = in_statement(conninfo, probe);
  if (!receipts) return fail(receipts.error());
  if (receipts->empty()) return std::size_t{0};
  return in_transaction(conninfo,
                        [&](pqxx::work& tx) { return match_stored(tx, receipts->str()); });
}

}  // namespace

result<std::vector<core::queued_message>, core::store_error> store::claim(int limit) {
  const auto session = dispatch_session();
  if (!session) return fail(session.error());
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    const auto rows = run(tx, claim_sql, limit, *session);
    std::vector<core::queued_message> claimed;
    for (const auto& r : rows) {
      core::queued_message m;
      m.id = r["id"].as<std::int64_t>();
      m.queue_id = r["queue_id"].as<std::string>();
      m.recipient = r["recipient"].as<std::string>();
      m.sender_id = r["sender_id"].as<std::string>();
      m.attempts = r["attempts"].as<int>();
      m.coding =
          r["encoding"].as<std::string>() == "ucs2" ? sms::encoding::ucs2 : sms::encoding::gsm7;
      m.accepted_at = std::chrono::system_clock::time_point(
          std::chrono::microseconds(r["accepted_us"].as<std::int64_t>()));
      m.smpp_sequence = r["smpp_sequence"].as<std::uint32_t>();
      // NULL or not in the packed form only in a database written by hand: the message is
      // claimed without parts, and the dispatcher fails it for good.
      if (!r["parts"].is_null()) {
        const pqxx::binarystring packed(r["parts"]);
        // The text as UTF-8 octets (bytea), whatever the connection's client_encoding: the
        // by-text form counts its pieces in them.
        const std::string body =
            r["body"].is_null() ? std::string() : pqxx::binarystring(r["body"]).str();
        auto parts = unpack_parts(std::span(packed.data(), packed.size()), body, m.coding);
        if (parts) {
          m.segments = std::move(*parts);
        } else {
          spdlog::error("dispatch: message {} has parts that are not in the stored form", m.id);
        }
      }
      claimed.push_back(std::move(m));
    }
    return claimed;
  });
}

result<ok_t, core::store_error> store::record(
    std::int64_t message_id, const std::string& connector, const core::submit_outcome& outcome,
    std::optional<std::chrono::system_clock::time_point> retry_at) {
  return record_batch({{message_id, connector, outcome, retry_at}});
}

result<ok_t, core::store_error> store::record_batch(
    const std::vector<core::recorded_outcome>& outcomes) {
  if (outcomes.empty()) return ok;
  part_ids parts;
  for (const auto& r : outcomes) {
    if (r.outcome.state != status::submitted) continue;
    const auto found = query_after_.find(r.connector);
    const auto* query_after = found == query_after_.end() ? nullptr : &*found;
    int part_no = 1;
    for (const auto& smsc_id : r.outcome.smsc_message_ids) {
      parts.messages.add(r.message_id);
      parts.part_numbers.add(part_no);
      parts.smsc_ids.add(smsc_id);
      parts.connectors.add(r.connector);
      if (query_after) {
        parts.query_after.add(static_cast<std::int64_t>(query_after->second.count()));
      } else {
        parts.query_after.add_null();
      }
      parts.keys.emplace_back(r.message_id, part_no++);
    }
  }
  // The session whose dispatch_inflight rows the outcomes end: the one that claimed them, unless
  // its connection was lost since (then its rows are the old session's, which mark_interrupted
  // deletes once that session's lock is free).
  const auto session = dispatch_session();
  if (!session) return fail(session.error());
  array_literal recorded_literal;
  for (const auto& r : outcomes) recorded_literal.add(r.message_id);
  const auto recorded = recorded_literal.str();
  auto settled = in_transaction(connection_string_, [&](pqxx::work& tx) {
    // The messages leave this session's dispatch_inflight rows first. The row before its
    // message is the order the account erasure and mark_interrupted lock them in: an erasure
    // deletes an account's inflight rows, then its messages, and an outcome that held a message
    // (the part rows' key-share lock below) while it waited for the inflight row was a deadlock.
    run(tx, "DELETE FROM dispatch_inflight WHERE session = $1 AND message_id = ANY($2::bigint[])",
        *session, recorded);
    // Parts first: a message whose every part already has its receipt goes straight from
    // `sending` to its final status, one row version instead of two.
    auto decided = parts.empty() ? decltype(record_parts(tx, parts)){} : record_parts(tx, parts);
    record_messages(tx, outcomes, recorded, decided.first);
    return std::move(decided.second);
  });
  if (!settled) return fail(settled.error());
  if (settled->size() == parts.keys.size()) return ok;

  // The second look (see the top of this file) for the parts still without a final state. Its
  // failure leaves the outcomes recorded, as they are: the recovery sweep looks later.
  array_literal smsc_ids, connectors;
  std::size_t i = 0;
  for (const auto& r : outcomes) {
    if (r.outcome.state != status::submitted) continue;
    for (const auto& smsc_id : r.outcome.smsc_message_ids) {
      if (!settled->contains(parts.keys[i++])) {
        smsc_ids.add(smsc_id);
        connectors.add(r.connector);
      }
    }
  }
  const auto looked = second_look(connection_string_, [&](pqxx::nontransaction& tx) {
    const auto rows =
        run(tx,
            "SELECT r.id FROM unnest($1::text[], $2::text[]) AS v(smsc_message_id, connector) "
            "CROSS JOIN LATERAL ("
            "  SELECT r.id FROM delivery_reports r WHERE r.message_id IS NULL"
            "    AND r.connector = v.connector AND r.smsc_message_id = v.smsc_message_id) r",
            smsc_ids.str(), connectors.str());
    array_literal receipts;
    for (const auto& row : rows) receipts.add(row[0].as<std::int64_t>());
    return receipts;
  });
  if (!looked) {
    spdlog::warn(
        "dispatcher: looking again for receipts of recorded parts failed (the recovery "
        "sweep will): {}",
        looked.error().message);
  }
  return ok;
}

result<ok_t, core::store_error> store::record_reports(
    const std::vector<core::delivery_report>& reports) {
  if (reports.empty()) return ok;
  array_literal connectors, smsc_ids;
  for (const auto& r : reports) {
    connectors.add(r.connector);
    smsc_ids.add(r.smsc_message_id);
  }
  // The receipts left unmatched: (id, index in `reports`).
  auto unmatched = in_transaction(connection_string_, [&](pqxx::work& tx) {
    const auto rows = run(
        tx,
        "SELECT r.n, p.message_id, p.part_no "
        "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(connector, smsc_message_id, n) "
        "CROSS JOIN LATERAL (" +
            part_for_receipt("now()") + ") p ORDER BY r.n",
        connectors.str(), smsc_ids.str());
    std::vector<found_receipt> found;
    found.reserve(rows.size());
    for (const auto& row : rows) {
      const auto n = row[0].as<std::size_t>() - 1;
      found.push_back({static_cast<std::int64_t>(n), row[1].as<std::int64_t>(), row[2].as<int>(),
                       reports[n].state, reports[n].error_code});
    }
    const auto attach = attachable(found);
    std::vector<const found_receipt*> part_of(reports.size(), nullptr);
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (attach[i]) part_of[static_cast<std::size_t>(found[i].receipt)] = &found[i];
    }
    array_literal states, errors, messages, parts;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      states.add(reports[i].state);
      errors.add(reports[i].error_code);
      if (part_of[i] != nullptr) {
        messages.add(part_of[i]->message);
        parts.add(part_of[i]->part_no);
      } else {
        messages.add_null();
        parts.add_null();
      }
    }
    const auto inserted = run(
        tx,
        "INSERT INTO delivery_reports (connector, smsc_message_id, state, error_code, message_id,"
        "                              part_no) "
        "SELECT c, s, st, e, m, p FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
        "                                     $5::bigint[], $6::int[])"
        "     WITH ORDINALITY AS v(c, s, st, e, m, p, n) ORDER BY n "
        "RETURNING id, message_id IS NULL AS unmatched, smsc_message_id, connector",
        connectors.str(), smsc_ids.str(), states.str(), errors.str(), messages.str(), parts.str());
    std::vector<const found_receipt*> finals;
    for (const auto* r : part_of) {
      if (r != nullptr && core::is_final_state(r->state)) finals.push_back(r);
    }
    apply_final_states(tx, finals);
    std::vector<std::tuple<std::int64_t, std::string, std::string>> left;
    for (const auto& row : inserted) {
      if (row[1].as<bool>()) {
        left.emplace_back(row[0].as<std::int64_t>(), row[2].as<std::string>(),
                          row[3].as<std::string>());
      }
    }
    return left;
  });
  if (!unmatched) return fail(unmatched.error());
  if (unmatched->empty()) return ok;

  // The second look (see the top of this file); the receipts are stored whatever it does.
  const auto looked = second_look(connection_string_, [&](pqxx::nontransaction& tx) {
    array_literal probe_ids;
    for (const auto& [id, smsc_id, connector] : *unmatched) probe_ids.add(smsc_id);
    // Most of the time no part has these ids yet: one index probe each says so.
    const auto known =
        run(tx,
            "SELECT v.smsc_message_id FROM unnest($1::text[]) AS v(smsc_message_id) "
            "CROSS JOIN LATERAL (SELECT 1 FROM message_parts p"
            "  WHERE p.smsc_message_id = v.smsc_message_id AND p.state IS NULL LIMIT 1) p",
            probe_ids.str());
    std::set<std::string> ids_known;
    for (const auto& row : known) ids_known.insert(row[0].as<std::string>());
    array_literal receipts;
    for (const auto& [id, smsc_id, connector] : *unmatched) {
      if (ids_known.contains(smsc_id)) receipts.add(id);
    }
    return receipts;
  });
  if (!looked) {
    spdlog::warn(
        "receipts: looking again for the parts of unmatched receipts failed (the "
        "recovery sweep will): {}",
        looked.error().message);
  }
  return ok;
}

result<std::size_t, core::store_error> store::match_stored_reports(std::chrono::seconds window) {
  constexpr int chunk = 10000;
  std::size_t matched = 0;
  std::string after_time = "-infinity";
  std::int64_t after_id = 0;
  struct chunk_done {
    std::size_t rows = 0, matched = 0;
    std::string last_time;
    std::int64_t last_id = 0;
  };
  for (;;) {
    // The cursor moves once the chunk has committed: a transaction rolled back for a deadlock
    // runs again (in_transaction) from the same place.
    auto step = in_transaction(connection_string_, [&](pqxx::work& tx) {
      // delivery_reports_unmatched_recent, by its predicate (see 0005).
      const auto rows = run(tx,
                            "SELECT id, received_at::text FROM delivery_reports"
                            " WHERE message_id IS NULL AND part_no IS NULL"
                            "   AND received_at >= now() - $1 * interval '1 second'"
                            "   AND (received_at, id) > ($2::timestamptz, $3::bigint)"
                            " ORDER BY received_at, id LIMIT $4",
                            static_cast<std::int64_t>(window.count()), after_time, after_id, chunk);
      if (rows.empty()) return chunk_done{};
      array_literal receipts;
      for (const auto& row : rows) receipts.add(row[0].as<std::int64_t>());
      return chunk_done{rows.size(), match_stored(tx, receipts.str()),
                        rows.back()[1].as<std::string>(), rows.back()[0].as<std::int64_t>()};
    });
    if (!step) return fail(step.error());
    matched += step->matched;
    if (step->rows < static_cast<std::size_t>(chunk)) return matched;
    after_time = step->last_time;
    after_id = step->last_id;
  }
}

}  // namespace mail2sms::sql
