// The dispatch queue outside `messages` (0010) against a real PostgreSQL: a message is in
// dispatch_queue exactly while it is `queued` and in dispatch_inflight exactly while a live
// session is sending it, whichever path moves it; two claims never take one message, even through
// two queue rows; a dead session's messages are found through dispatch_inflight; 0010 moves a
// 0009 database's queue over; and no index of `messages` stops a status update from being HOT.
#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <memory>
#include <regex>
#include <set>
#include <thread>

#include "core/sms/sms.hpp"
#include "migrated_fixture.hpp"
#include "sql/admin.hpp"
#include "sql/pq_support.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {
namespace {

using namespace std::chrono_literals;
using status = core::submit_outcome::status;

std::int64_t epoch_micros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Reads on a connection of the test's own (committed rows only).
std::string scalar(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx(conn);
  const auto rows = tx.exec(sql);
  return rows.empty() || rows[0][0].is_null() ? std::string("NULL") : rows[0][0].as<std::string>();
}

class dispatch_queue_test : public account_queue_test {
 protected:
  std::vector<core::queued_message> claim(sql::store& store, int limit = 100) {
    auto claimed = store.claim(limit);
    EXPECT_TRUE(claimed.has_value()) << claimed.error().message;
    return claimed.has_value() ? *claimed : std::vector<core::queued_message>{};
  }
  std::vector<core::queued_message> claim(int limit = 100) { return claim(*store_, limit); }

  void record(std::int64_t id, const core::submit_outcome& outcome,
              std::optional<std::chrono::system_clock::time_point> retry_at = std::nullopt) {
    auto recorded = store_->record(id, "smsc1", outcome, retry_at);
    ASSERT_TRUE(recorded.has_value()) << recorded.error().message;
  }

  std::string value(const std::string& sql) { return scalar(*inspect_, sql); }
  void execute(const std::string& sql) {
    pqxx::nontransaction tx(*inspect_);
    tx.exec(sql);
  }
  std::string status_of(std::int64_t id) {
    return value("SELECT status FROM messages WHERE id = " + std::to_string(id));
  }
  // "message_id due_at_us" per queue row, in due order.
  std::vector<std::string> queue_rows() {
    std::vector<std::string> out;
    pqxx::read_transaction tx(*inspect_);
    for (const auto& r :
         tx.exec("SELECT message_id || ' ' || (extract(epoch FROM due_at) * "
                 "1000000)::bigint FROM dispatch_queue ORDER BY due_at, message_id"))
      out.push_back(r[0].as<std::string>());
    return out;
  }
  int queue_count() { return std::stoi(value("SELECT count(*) FROM dispatch_queue")); }
  int inflight_count() { return std::stoi(value("SELECT count(*) FROM dispatch_inflight")); }
};

// --- what no one may reintroduce --------------------------------------------------------------

// A status update is HOT only if it changes no column an index names (in its key, expressions
// or predicate). These are the columns the claim, the outcome, mark_interrupted, requeue_unknown,
// the settling of a receipt and the refund trigger write on `messages`, and that a receipt
// writes on `message_parts`.
TEST_F(dispatch_queue_test, no_index_names_a_column_the_status_updates_write) {
  const std::regex messages_columns(
      R"(\b(status|dispatch_session|next_attempt_at|sent_at|updated_at|smpp_sequence|attempts|)"
      R"(connector|last_error|cost)\b)");
  const std::regex parts_columns(R"(\b(state|error_code)\b)");
  pqxx::read_transaction tx(*inspect_);
  int indexes = 0;
  for (const auto& r : tx.exec("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                               "JOIN pg_class c ON c.oid = i.indrelid "
                               "WHERE i.indrelid IN ('messages'::regclass, "
                               "'message_parts'::regclass)")) {
    ++indexes;
    const auto table = r[0].as<std::string>();
    const auto definition = r[1].as<std::string>();
    // The definition names the index and the table too; only what follows USING is columns.
    const auto columns = definition.substr(definition.find(" USING "));
    EXPECT_FALSE(std::regex_search(columns, table == "messages" ? messages_columns : parts_columns))
        << definition << ": every update of that column writes a new entry into every index of "
        << table << "; keep the column out of indexes (see 0010)";
  }
  EXPECT_GE(indexes, 7);  // the query found the indexes
  EXPECT_EQ(tx.exec1("SELECT reloptions::text FROM pg_class WHERE oid = 'messages'::regclass")[0]
                .as<std::string>(),
            "{fillfactor=75,toast_tuple_target=8160}");
  EXPECT_EQ(
      tx.exec1("SELECT reloptions::text FROM pg_class WHERE oid = 'message_parts'::regclass")[0]
          .as<std::string>(),
      "{fillfactor=85}");
}

// Counted by PostgreSQL itself: every update of `messages` on the way from queued to delivered
// was HOT. One message at a time, so that room on the page is no question: this is about the
// indexes (whether a batch's updates all fit on their pages is the fill factor's business). The
// statistics of the store's connection (this thread's) are flushed on demand, not waited for.
TEST_F(dispatch_queue_test, the_status_updates_of_a_message_are_hot) {
  constexpr int messages = 4;
  for (int i = 0; i < messages; ++i) enqueue_parts(1);
  for (int i = 0; i < messages; ++i) {
    const auto claimed = claim(1);
    ASSERT_EQ(claimed.size(), 1u);
    record(claimed[0].id, {status::submitted, {"hot" + std::to_string(i)}, ""});
    ASSERT_TRUE(store_->record_reports({{"smsc1", "hot" + std::to_string(i), "DELIVRD", ""}}));
    ASSERT_EQ(status_of(claimed[0].id), "delivered");
  }
  {
    pqxx::nontransaction tx(sql::thread_connection(db_));
    tx.exec("SELECT pg_stat_force_next_flush()");  // flushed as this statement ends
  }
  pqxx::read_transaction tx(*inspect_);
  const auto counts = [&](const char* table) {
    const auto r = tx.exec_params1(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1", table);
    return std::pair{r[0].as<int>(), r[1].as<int>()};
  };
  // Claim, outcome, settle: three updates each, all HOT.
  EXPECT_EQ(counts("messages"), std::pair(3 * messages, 3 * messages));
  // The outcome inserts the part's row with its SMSC id (0014), the receipt writes its state
  // (HOT).
  EXPECT_EQ(counts("message_parts"), std::pair(messages, messages));
}

// --- a message's way through the queue --------------------------------------------------------

TEST_F(dispatch_queue_test, accepted_claimed_submitted_delivered_leaves_both_tables_empty) {
  enqueue_parts(1);
  enqueue_parts(3);
  // One queue row per message, due when the message says.
  EXPECT_EQ(queue_count(), 2);
  EXPECT_EQ(value("SELECT count(*) FROM dispatch_queue q JOIN messages m ON m.id = q.message_id "
                  "AND m.status = 'queued' AND q.due_at = m.next_attempt_at"),
            "2");

  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(queue_count(), 0);
  EXPECT_EQ(value("SELECT count(*) FROM dispatch_inflight i JOIN messages m ON m.id = "
                  "i.message_id AND m.status = 'sending' AND i.session = m.dispatch_session"),
            "2");
  EXPECT_EQ(inflight_count(), 2);

  record(claimed[0].id, {status::submitted, {"a1"}, ""});
  record(claimed[1].id, {status::submitted, {"b1", "b2", "b3"}, ""});
  EXPECT_EQ(inflight_count(), 0);
  EXPECT_EQ(status_of(claimed[0].id), "submitted");
  ASSERT_TRUE(store_->record_reports({{"smsc1", "a1", "DELIVRD", ""},
                                      {"smsc1", "b1", "DELIVRD", ""},
                                      {"smsc1", "b2", "DELIVRD", ""},
                                      {"smsc1", "b3", "DELIVRD", ""}}));
  EXPECT_EQ(status_of(claimed[0].id), "delivered");
  EXPECT_EQ(status_of(claimed[1].id), "delivered");
  EXPECT_EQ(queue_count(), 0);
  EXPECT_EQ(inflight_count(), 0);
  EXPECT_TRUE(claim().empty());
}

TEST_F(dispatch_queue_test, a_retry_puts_back_one_queue_row_due_at_the_retry_time) {
  enqueue_parts(1);
  const auto first = claim();
  ASSERT_EQ(first.size(), 1u);
  const auto id = first[0].id;
  const auto retry_at =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + 1h) + 250123us;

  record(id, {status::transient_failure, {}, "throttled"}, retry_at);

  EXPECT_EQ(queue_rows(), std::vector<std::string>{std::to_string(id) + " " +
                                                   std::to_string(epoch_micros(retry_at))});
  EXPECT_EQ(inflight_count(), 0);
  EXPECT_EQ(status_of(id), "queued");
  EXPECT_TRUE(claim().empty()) << "claimed before its retry time";

  execute("UPDATE dispatch_queue SET due_at = now() - interval '1 second'");
  const auto again = claim();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(queue_count(), 0);
  EXPECT_EQ(inflight_count(), 1);
}

TEST_F(dispatch_queue_test, final_outcomes_put_nothing_back) {
  for (int i = 0; i < 3; ++i) enqueue_parts(1);
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 3u);
  auto r = store_->record_batch(
      {{claimed[0].id, "smsc1", {status::permanent_failure, {}, "invalid number"}, std::nullopt},
       // what the dispatcher records for a message past its validity (decided at claim time)
       {claimed[1].id, "", {status::expired, {}, "validity ended"}, std::nullopt},
       // a transient failure with no retry time: the dispatcher gave up
       {claimed[2].id, "smsc1", {status::transient_failure, {}, "gave up"}, std::nullopt}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(status_of(claimed[0].id), "failed");
  EXPECT_EQ(status_of(claimed[1].id), "expired");
  EXPECT_EQ(status_of(claimed[2].id), "failed");
  EXPECT_EQ(queue_count(), 0);
  EXPECT_EQ(inflight_count(), 0);
}

// --- crashes ------------------------------------------------------------------------------

TEST_F(dispatch_queue_test, a_dead_sessions_messages_are_found_through_dispatch_inflight) {
  for (int i = 0; i < 3; ++i) enqueue_parts(1);
  const auto claimed = claim(2);
  ASSERT_EQ(claimed.size(), 2u);
  const auto sending = claimed[0].id;
  const auto recorded = claimed[1].id;
  record(recorded, {status::submitted, {"x1"}, ""});
  auto other = std::make_unique<sql::store>(db_);  // another serve process
  const auto others = claim(*other);
  ASSERT_EQ(others.size(), 1u);
  // Rows store_'s session might leave behind (its connection lost while they were in flight):
  // one for a message recorded since, one for a message claimed since by another session. Both
  // go with the session; neither message is touched.
  for (const auto id : {recorded, others[0].id}) {
    execute("INSERT INTO dispatch_inflight (session, message_id) SELECT dispatch_session, " +
            std::to_string(id) + " FROM messages WHERE id = " + std::to_string(sending));
  }
  auto found = other->mark_interrupted();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_TRUE(found->empty()) << "store_'s session is alive";
  EXPECT_EQ(inflight_count(), 4);

  store_.reset();  // the process that claimed them is gone
  found = other->mark_interrupted();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().id, sending);
  EXPECT_EQ(status_of(sending), "unknown");
  EXPECT_EQ(status_of(recorded), "submitted");
  EXPECT_EQ(status_of(others[0].id), "sending");
  EXPECT_EQ(value("SELECT message_id FROM dispatch_inflight"), std::to_string(others[0].id));
  EXPECT_EQ(queue_count(), 0);  // `hold` leaves it here

  // `resend`: back in the queue once, however often it is asked.
  ASSERT_TRUE(other->requeue_unknown({sending}).has_value());
  ASSERT_TRUE(other->requeue_unknown({sending}).has_value());
  EXPECT_EQ(status_of(sending), "queued");
  EXPECT_EQ(queue_count(), 1);
  const auto again = claim(*other);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, sending);
  EXPECT_EQ(queue_count(), 0);
  EXPECT_EQ(inflight_count(), 2);
  EXPECT_TRUE(other->mark_interrupted()->empty()) << "its own session is alive";
}

TEST_F(dispatch_queue_test, session_zero_is_never_alive) {
  enqueue_parts(1);
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1u);
  // As 0010 leaves a message found `sending` without a session.
  execute("UPDATE messages SET dispatch_session = NULL");
  execute("UPDATE dispatch_inflight SET session = 0");
  auto found = store_->mark_interrupted();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(status_of(claimed[0].id), "unknown");
  EXPECT_EQ(inflight_count(), 0);
}

// --- concurrent claims ------------------------------------------------------------------------

// Two serve processes (two stores, two sessions) drain one queue in which every message has two
// queue rows (as a bug might leave): no message is handed out twice, none is missed, and no
// queue row is left.
TEST_F(dispatch_queue_test, two_stores_claiming_at_once_never_get_the_same_message) {
  constexpr int messages = 150;
  for (int i = 0; i < messages; ++i) enqueue_parts(1);
  // The second rows come first: by the time the first ones are reached, every message is taken.
  execute(
      "INSERT INTO dispatch_queue SELECT message_id, due_at - interval '1 hour' FROM "
      "dispatch_queue");
  ASSERT_EQ(queue_count(), 2 * messages);
  auto second = std::make_unique<sql::store>(db_);

  std::latch start(2);
  // A claim that took only rows of messages already taken returns none: a store stops once no
  // queue row is left (the other store's locked ones included).
  auto drain = [&](sql::store& store, std::vector<std::int64_t>& ids, std::string& error) {
    pqxx::connection look(db_);
    start.arrive_and_wait();
    for (;;) {
      auto claimed = store.claim(4);
      if (!claimed) {
        error = claimed.error().message;
        return;
      }
      if (claimed->empty() && scalar(look, "SELECT count(*) FROM dispatch_queue") == "0") return;
      for (const auto& m : *claimed) ids.push_back(m.id);
    }
  };
  std::vector<std::int64_t> a, b;
  std::string error_a, error_b;
  std::thread ta(drain, std::ref(*store_), std::ref(a), std::ref(error_a));
  std::thread tb(drain, std::ref(*second), std::ref(b), std::ref(error_b));
  ta.join();
  tb.join();
  ASSERT_EQ(error_a, "");
  ASSERT_EQ(error_b, "");

  std::set<std::int64_t> all(a.begin(), a.end());
  EXPECT_EQ(all.size(), a.size()) << "one store got a message twice";
  for (const auto id : b) EXPECT_TRUE(all.insert(id).second) << "both stores claimed " << id;
  EXPECT_EQ(all.size(), static_cast<std::size_t>(messages));
  EXPECT_EQ(queue_count(), 0);
  EXPECT_EQ(value("SELECT count(*) FROM message_events WHERE status = 'sending'"),
            std::to_string(messages));
  // Each message in flight under the session of the store that got it.
  EXPECT_EQ(value("SELECT count(*) FROM dispatch_inflight i JOIN messages m ON m.id = "
                  "i.message_id AND i.session = m.dispatch_session AND m.status = 'sending'"),
            std::to_string(messages));
  EXPECT_EQ(inflight_count(), messages);
}

TEST_F(dispatch_queue_test, a_queue_row_of_a_message_no_longer_queued_claims_nothing) {
  enqueue_parts(1);
  enqueue_parts(1);
  const auto claimed = claim(1);
  ASSERT_EQ(claimed.size(), 1u);
  // Stale rows: one for the message being sent, one for a message that is gone.
  execute("INSERT INTO dispatch_queue VALUES (" + std::to_string(claimed[0].id) +
          ", now() - interval '1 hour'), (999999, now() - interval '1 hour')");
  const auto next = claim();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_NE(next[0].id, claimed[0].id);
  EXPECT_EQ(queue_count(), 0);
  EXPECT_EQ(value("SELECT count(*) FROM message_events WHERE status = 'sending'"), "2");
}

// --- erasure ------------------------------------------------------------------------------

TEST_F(dispatch_queue_test, deleting_an_account_deletes_its_queue_inflight_parts_and_events) {
  enqueue_parts(1);
  enqueue_parts(1);
  enqueue_parts(1);
  // One sent (its part has a row, 0014), one in flight, one queued.
  const auto sent = claim(1);
  ASSERT_EQ(sent.size(), 1u);
  record(sent[0].id, {status::submitted, {"erased1"}, ""});
  const auto in_flight = claim(1);
  ASSERT_EQ(in_flight.size(), 1u);
  auto other = store_->add_account("other", "ZA", "$argon2id$unused", 1000);
  ASSERT_TRUE(other.has_value()) << other.error().message;
  core::submission s;
  s.account_id = other->id;
  s.recipients = {"+27821234000"};
  s.text = "stays";
  s.sms = sms::encode(s.text);
  ASSERT_TRUE(store_->enqueue(s).has_value());
  execute(
      "INSERT INTO message_parts (message_id, part_no, smsc_message_id) "
      "SELECT id, 1, 'kept1' FROM messages WHERE recipient = '+27821234000'");
  // The intake writes no event (0021): one of the other account's, as if it had been requeued.
  execute(
      "INSERT INTO message_events (message_id, status, detail) "
      "SELECT id, 'queued', 'kept' FROM messages WHERE recipient = '+27821234000'");
  ASSERT_EQ(queue_count(), 2);
  ASSERT_EQ(inflight_count(), 1);

  sql::admin admin(db_);
  const std::string of_ops =
      " JOIN messages m ON m.id = x.message_id JOIN accounts a "
      "ON a.id = m.account_id AND a.name = 'ops'";
  ASSERT_EQ(value("SELECT count(*) FROM message_parts x" + of_ops), "1");
  // 2 sending, 1 submitted
  ASSERT_EQ(value("SELECT count(*) FROM message_events x" + of_ops), "3");
  auto deleted = admin.delete_account("ops");
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(queue_count(), 1);
  EXPECT_EQ(inflight_count(), 0);
  // Parts and events have no foreign key to their message (0012): the erasure deletes them,
  // and only those of the deleted account's messages.
  EXPECT_EQ(value("SELECT count(*) FROM message_parts p WHERE NOT EXISTS "
                  "(SELECT 1 FROM messages m WHERE m.id = p.message_id)"),
            "0");
  EXPECT_EQ(value("SELECT count(*) FROM message_events e WHERE NOT EXISTS "
                  "(SELECT 1 FROM messages m WHERE m.id = e.message_id)"),
            "0");
  EXPECT_EQ(value("SELECT count(*) FROM message_parts"), "1");
  EXPECT_EQ(value("SELECT count(*) FROM message_events"), "1");
  // The SMSC answers for the message that was in flight after its account was erased: its
  // outcome finds no message, and leaves no part or event behind.
  record(in_flight[0].id, {status::submitted, {"late1"}, ""});
  EXPECT_EQ(value("SELECT count(*) FROM message_parts"), "1");
  EXPECT_EQ(value("SELECT count(*) FROM message_events"), "1");
  const auto left = claim();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].recipient, "+27821234000");
}

// The outcome of a message whose account is being erased: the erasure has deleted the message
// and not yet its parts when the outcome comes. The outcome's parts wait for the erasure (a
// key-share look at the message) and then find the message gone; before, the part row was
// written (the outcome's snapshot still had the message), the erasure's delete of the parts
// could not see it, and it stayed.
TEST_F(dispatch_queue_test, an_outcome_recorded_while_its_account_is_erased_leaves_no_part) {
  enqueue_parts(1);
  const auto sent = claim(1);
  ASSERT_EQ(sent.size(), 1u);
  const auto id = std::to_string(sent[0].id);
  std::jthread outcome;  // before the erasure: should a step fail, its rollback lets it end
  // The erasure's statements (sql/admin_erasure.cpp), stopped between the messages and parts.
  pqxx::connection eraser(db_);
  pqxx::work erasure(eraser);
  erasure.exec("DELETE FROM dispatch_inflight WHERE message_id = " + id);
  erasure.exec("DELETE FROM messages WHERE id = " + id);
  outcome = std::jthread([&] { record(sent[0].id, {status::submitted, {"late1"}, ""}); });
  const auto waiting = "SELECT count(*) FROM pg_stat_activity WHERE " +
                       std::to_string(eraser.backendpid()) + " = ANY(pg_blocking_pids(pid))";
  for (int i = 0; i < 1000 && value(waiting) != "1"; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(value(waiting), "1");  // the outcome waits for the erasure
  erasure.exec("DELETE FROM message_parts WHERE message_id = " + id);
  erasure.exec("DELETE FROM message_events WHERE message_id = " + id);
  erasure.commit();
  outcome.join();
  EXPECT_EQ(value("SELECT count(*) FROM message_parts WHERE message_id = " + id), "0");
  EXPECT_EQ(value("SELECT count(*) FROM message_events WHERE message_id = " + id), "0");
}

// --- 0010 on a database with a queue ------------------------------------------------------

using dispatch_queue_migration_test = upgrade_test;

TEST_F(dispatch_queue_migration_test, moves_queued_and_sending_messages_into_the_new_tables) {
  std::string last;
  const auto db = migrated_before("0010", last);
  ASSERT_EQ(last, "0009_reply_parts");
  pqxx::connection conn(db);
  {
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO accounts (name, country) VALUES ('ops', 'ZA');"
        "INSERT INTO messages (queue_id, account_id, recipient, encoding, segments, status,"
        "                      next_attempt_at, dispatch_session) VALUES"
        " ('Q1', 1, '+27821000001', 'gsm7', 1, 'queued', '2030-01-02 03:04:05.123456+00', NULL),"
        " ('Q2', 1, '+27821000002', 'gsm7', 1, 'queued', now() - interval '1 minute', NULL),"
        " ('Q3', 1, '+27821000003', 'gsm7', 1, 'sending', now(), 4242),"
        " ('Q4', 1, '+27821000004', 'gsm7', 1, 'sending', now(), NULL),"
        " ('Q5', 1, '+27821000005', 'gsm7', 1, 'submitted', now(), NULL),"
        " ('Q6', 1, '+27821000006', 'gsm7', 1, 'unknown', now(), 17);"
        "INSERT INTO message_parts (message_id, part_no, udh, payload)"
        " SELECT id, 1, '', 'x' FROM messages");
    tx.commit();
  }
  ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "0010_dispatch_queue"));

  EXPECT_EQ(scalar(conn,
                   "SELECT string_agg(m.queue_id || ' ' || (q.due_at = m.next_attempt_at), ',' "
                   "ORDER BY m.queue_id) FROM dispatch_queue q JOIN messages m ON "
                   "m.id = q.message_id"),
            "Q1 true,Q2 true");
  EXPECT_EQ(scalar(conn,
                   "SELECT string_agg(m.queue_id || ' ' || i.session, ',' ORDER BY m.queue_id) "
                   "FROM dispatch_inflight i JOIN messages m ON m.id = i.message_id"),
            "Q3 4242,Q4 0");

  // And they are used: the due one is claimed, the sending ones are a dead session's.
  sql::store store(db);
  auto claimed = store.claim(10);
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().queue_id, "Q2");
  auto found = store.mark_interrupted();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  std::set<std::string> recipients;
  for (const auto& m : *found) recipients.insert(m.recipient);
  EXPECT_EQ(recipients, (std::set<std::string>{"+27821000003", "+27821000004"}));
  EXPECT_EQ(scalar(conn, "SELECT count(*) FROM dispatch_inflight"), "1");  // Q2, just claimed
}

// --- 0014 on a database with part rows ------------------------------------------------------

TEST_F(dispatch_queue_migration_test, parts_stored_as_rows_before_0014_are_sent_and_tracked) {
  std::string last;
  const auto db = migrated_before("0014", last);
  ASSERT_EQ(last, "0013_intake_account_keys");
  pqxx::connection conn(db);
  {
    pqxx::work tx(conn);
    // Q1 queued in two parts (given out of order), Q2 sent, each as the old intake wrote them.
    tx.exec(
        "INSERT INTO accounts (name, country) VALUES ('ops', 'ZA');"
        "INSERT INTO messages (queue_id, account_id, recipient, encoding, segments, status) VALUES"
        " ('Q1', 1, '+27821000001', 'gsm7', 2, 'queued'),"
        " ('Q2', 1, '+27821000002', 'gsm7', 1, 'submitted');"
        "INSERT INTO message_parts (message_id, part_no, udh, payload, smsc_message_id) VALUES"
        " (1, 2, '\\x0500032a0202', 'cd', NULL),"
        " (1, 1, '\\x0500032a0201', 'ab', NULL),"
        " (2, 1, '', 'zz', 's2');"
        "INSERT INTO dispatch_queue (message_id, due_at) VALUES (1, now())");
    tx.commit();
  }
  ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "0014_message_parts_inline"));
  // The sent message's text is not needed again; its part row and SMSC id stay.
  EXPECT_EQ(scalar(conn, "SELECT count(*) FROM messages WHERE parts IS NULL"), "1");
  EXPECT_EQ(scalar(conn, "SELECT smsc_message_id FROM message_parts WHERE message_id = 2"), "s2");
  EXPECT_EQ(scalar(conn,
                   "SELECT count(*) FROM information_schema.columns WHERE table_name = "
                   "'message_parts' AND column_name IN ('udh', 'payload')"),
            "0");

  sql::store store(db);
  auto claimed = store.claim(10);
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 1u);
  const auto& m = claimed->front();
  EXPECT_EQ(m.queue_id, "Q1");
  ASSERT_EQ(m.segments.size(), 2u);
  EXPECT_EQ(m.segments[0].udh, (std::vector<std::uint8_t>{0x05, 0x00, 0x03, 0x2a, 0x02, 0x01}));
  EXPECT_EQ(m.segments[0].payload, (std::vector<std::uint8_t>{'a', 'b'}));
  EXPECT_EQ(m.segments[1].udh, (std::vector<std::uint8_t>{0x05, 0x00, 0x03, 0x2a, 0x02, 0x02}));
  EXPECT_EQ(m.segments[1].payload, (std::vector<std::uint8_t>{'c', 'd'}));
  // Its outcome lands on the rows the old intake wrote.
  const core::submit_outcome sent{status::submitted, {"n1", "n2"}, ""};
  ASSERT_TRUE(store.record(m.id, "smsc1", sent, std::nullopt).has_value());
  EXPECT_EQ(scalar(conn,
                   "SELECT string_agg(part_no || '=' || smsc_message_id, ',' ORDER BY "
                   "part_no) FROM message_parts WHERE message_id = 1"),
            "1=n1,2=n2");
}

}  // namespace
}  // namespace mail2sms::testing
