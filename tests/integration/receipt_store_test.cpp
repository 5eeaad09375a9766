// Receipts, replies and crash recovery in sql::store against a real PostgreSQL: a receipt finds
// its part (even when it came before the part's id was recorded), a multipart message is
// delivered only when every part is, a final failure of one part decides the message, and rows a
// dead dispatcher left `sending` become `unknown` while a live one's are left alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "core/sms/sms.hpp"
#include "migrated_fixture.hpp"
#include "sql/admin.hpp"
#include "sql/migrate.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {
namespace {

using status = core::submit_outcome::status;

class receipt_store_test : public account_queue_test {
 protected:
  // A message of `parts` GSM segments, claimed; returns its id.
  std::int64_t claimed_message(int parts) {
    enqueue_parts(parts);
    auto claimed = store_->claim(10);
    EXPECT_TRUE(claimed.has_value() && claimed->size() == 1u);
    return claimed.has_value() && !claimed->empty() ? claimed->front().id : 0;
  }

  void submitted(std::int64_t id, std::vector<std::string> smsc_ids) {
    auto r =
        store_->record(id, "smsc1", {status::submitted, std::move(smsc_ids), ""}, std::nullopt);
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }

  void report(const std::string& smsc_id, const std::string& state,
              const std::string& connector = "smsc1") {
    auto r = store_->record_reports({{connector, smsc_id, state, "000"}});
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }

  std::string scalar(const std::string& sql, std::int64_t id) {
    pqxx::read_transaction tx(*inspect_);
    const auto rows = tx.exec_params(sql, id);
    return rows.empty() || rows[0][0].is_null() ? std::string("NULL")
                                                : rows[0][0].as<std::string>();
  }
  std::string status_of(std::int64_t id) {
    return scalar("SELECT status FROM messages WHERE id = $1", id);
  }
  void execute(const std::string& sql) {
    pqxx::nontransaction tx(*inspect_);
    tx.exec(sql);
  }

  // Has every statement that fires `trigger_sql` (a CREATE TRIGGER ... EXECUTE FUNCTION gate())
  // wait until release_gate(): a transaction held open at a chosen point, to interleave two.
  void install_gate(const std::string& trigger_sql) {
    execute(
        "CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM pg_advisory_xact_lock(4242); RETURN NEW; END $$");
    execute(trigger_sql);
    execute("SELECT pg_advisory_lock(4242)");
  }
  // Waits (a deadline, not a timing) until a transaction is held at the gate.
  bool held_at_gate() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 "
                 "AND NOT granted AND 0 < $1",
                 1) == "1")
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  void release_gate() { execute("SELECT pg_advisory_unlock(4242)"); }

  // Waits (a deadline, not a timing) until some transaction waits for a row lock, or `done`.
  bool someone_waits_for_a_row(const std::atomic<bool>* done = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done != nullptr && *done) return true;
      if (scalar("SELECT count(*) FROM pg_locks WHERE NOT granted "
                 "AND locktype IN ('transactionid', 'tuple') AND 0 < $1",
                 1) != "0")
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  // Two claimed messages of one part, each costing 5 credits: the first (the lower id) from a
  // new account `other_` (the higher account id), the second from account_id_.
  std::pair<std::int64_t, std::int64_t> messages_of_two_accounts() {
    const auto other = store_->add_account("other", "ZA", "$argon2id$unused", 1000000);
    EXPECT_TRUE(other.has_value());
    other_ = other.has_value() ? other->id : 0;
    EXPECT_LT(account_id_, other_);
    enqueue_parts(1, other_);
    enqueue_parts(1);
    auto claimed = store_->claim(10);
    EXPECT_TRUE(claimed.has_value() && claimed->size() == 2u);
    if (!claimed.has_value() || claimed->size() != 2u) return {0, 0};
    execute("UPDATE messages SET cost = 5");
    return {std::min(claimed->at(0).id, claimed->at(1).id),
            std::max(claimed->at(0).id, claimed->at(1).id)};
  }

  // Runs `refund` (which settles both messages above at once) on a thread while this holds
  // account_id_'s row locked, as the intake's transaction holds a batch's accounts (taken in id
  // order); once `refund` waits for that row (or has finished without waiting), this locks
  // other_'s, as the intake would next. Returns what that lock got: empty when granted, else the
  // error (a deadlock).
  std::string refund_while_the_intake_holds_the_accounts(const std::function<void()>& refund) {
    pqxx::connection intake(db_);
    pqxx::work tx(intake);
    // This side finds the deadlock, if there is one, long before the other's second.
    tx.exec0("SET deadlock_timeout = '100ms'");
    tx.exec0("SET lock_timeout = '20s'");
    tx.exec_params1("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", account_id_);
    std::atomic<bool> done = false;
    std::thread refunding([&] {
      refund();
      done = true;
    });
    std::string error;
    if (!someone_waits_for_a_row(&done)) error = "the refund neither waited nor finished";
    try {
      if (error.empty()) tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", other_);
      tx.commit();
    } catch (const std::exception& e) {
      error = e.what();
      tx.abort();
    }
    refunding.join();
    return error;
  }

  // Receipts in `state` for both messages (submitted here), in one batch, while the intake holds
  // the accounts; returns what the intake's second lock got.
  std::string receipts_while_the_intake_holds_the_accounts(std::int64_t first, std::int64_t second,
                                                           const std::string& state) {
    submitted(first, {"r1"});
    submitted(second, {"r2"});
    return refund_while_the_intake_holds_the_accounts([&] {
      auto r =
          store_->record_reports({{"smsc1", "r1", state, "000"}, {"smsc1", "r2", state, "000"}});
      EXPECT_TRUE(r.has_value()) << r.error().message;
    });
  }
  // The SMSC refusing both messages, in one batch of outcomes, the same way.
  std::string refusals_while_the_intake_holds_the_accounts(std::int64_t first,
                                                           std::int64_t second) {
    return refund_while_the_intake_holds_the_accounts([&] {
      auto r = store_->record_batch(
          {{first, "smsc1", {status::permanent_failure, {}, "refused"}, std::nullopt},
           {second, "smsc1", {status::permanent_failure, {}, "refused"}, std::nullopt}});
      EXPECT_TRUE(r.has_value()) << r.error().message;
    });
  }

  std::int64_t other_ = 0;
};

TEST_F(receipt_store_test, a_multipart_message_is_delivered_when_every_part_is) {
  const auto id = claimed_message(3);
  submitted(id, {"a1", "a2", "a3"});
  report("a1", "DELIVRD");
  report("a3", "DELIVRD");
  EXPECT_EQ(status_of(id), "submitted");
  report("a2", "ENROUTE");  // not final
  EXPECT_EQ(status_of(id), "submitted");
  report("a2", "DELIVRD");
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE message_id = $1", id), "4");
  EXPECT_EQ(scalar("SELECT count(*) FROM message_events WHERE message_id = $1 AND "
                   "status = 'delivered'",
                   id),
            "1");
}

TEST_F(receipt_store_test, a_receipt_before_the_submit_is_recorded_is_applied_when_it_is) {
  const auto id = claimed_message(2);
  report("b2", "DELIVRD");  // the SMSC was faster than our COMMIT
  report("b1", "DELIVRD");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE message_id IS NULL AND "
                   "0 < $1",
                   id),
            "2");
  submitted(id, {"b1", "b2"});
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE message_id = $1", id), "2");
}

TEST_F(receipt_store_test, one_failed_part_decides_the_message_with_the_state_and_error) {
  const auto undeliverable = claimed_message(2);
  submitted(undeliverable, {"c1", "c2"});
  report("c1", "DELIVRD");
  report("c2", "UNDELIV");
  EXPECT_EQ(status_of(undeliverable), "undeliverable");
  EXPECT_EQ(scalar("SELECT last_error FROM messages WHERE id = $1", undeliverable),
            "UNDELIV err:000");

  const auto expired = claimed_message(1);
  submitted(expired, {"d1"});
  report("d1", "EXPIRED");
  EXPECT_EQ(status_of(expired), "expired");

  const auto rejected = claimed_message(1);
  submitted(rejected, {"e1"});
  report("e1", "REJECTD");
  EXPECT_EQ(status_of(rejected), "rejected");
}

TEST_F(receipt_store_test,
       receipts_match_only_their_connector_and_a_late_duplicate_changes_nothing) {
  const auto id = claimed_message(1);
  submitted(id, {"f1"});
  report("f1", "UNDELIV", "other-smsc");  // same id, another SMSC: not ours
  EXPECT_EQ(status_of(id), "submitted");
  report("f1", "DELIVRD");
  report("f1", "UNDELIV");  // a duplicate after the final state: stored, not applied
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE smsc_message_id = 'f1' AND "
                   "0 < $1",
                   id),
            "3");
}

TEST_F(receipt_store_test, an_old_unmatched_receipt_does_not_attach_to_a_later_submit) {
  report("g1", "UNDELIV");  // before the message was even claimed
  const auto id = claimed_message(1);
  submitted(id, {"g1"});
  EXPECT_EQ(status_of(id), "submitted");
}

TEST_F(receipt_store_test, replies_are_stored_with_their_number) {
  ASSERT_TRUE(
      store_->record_inbound({{"smsc1", "27821234567", "mail2sms", "YES please", std::nullopt, ""}})
          .has_value());
  pqxx::read_transaction tx(*inspect_);
  const auto row = tx.exec1("SELECT connector, source, destination, body FROM inbound_messages");
  EXPECT_EQ(row[0].as<std::string>(), "smsc1");
  EXPECT_EQ(row[1].as<std::string>(), "27821234567");
  EXPECT_EQ(row[3].as<std::string>(), "YES please");
}

TEST_F(receipt_store_test, only_a_dead_dispatchers_sending_rows_become_unknown_and_can_be_resent) {
  auto other = std::make_unique<sql::store>(db_);  // another serve process
  const auto id = claimed_message(1);              // claimed by store_'s session
  auto found = other->mark_interrupted();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_TRUE(found->empty());  // store_ is alive: its row is left alone
  EXPECT_EQ(status_of(id), "sending");

  store_.reset();  // the process that claimed it is gone (its session lock with it)
  found = other->mark_interrupted();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().id, id);
  EXPECT_EQ(found->front().recipient, "+27821234567");
  EXPECT_EQ(status_of(id), "unknown");

  ASSERT_TRUE(other->requeue_unknown({id}).has_value());
  EXPECT_EQ(status_of(id), "queued");
  auto again = other->claim(10);
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->size(), 1u);
}

TEST_F(receipt_store_test, one_batch_attaches_a_parts_receipts_up_to_its_first_final_one) {
  const auto id = claimed_message(2);
  submitted(id, {"i1", "i2"});
  auto r = store_->record_reports({{"smsc1", "i1", "ENROUTE", ""},
                                   {"smsc1", "i1", "DELIVRD", "000"},
                                   {"smsc1", "i1", "UNDELIV", "001"},  // a duplicate after it
                                   {"smsc1", "i2", "DELIVRD", "000"}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE message_id = $1", id), "3");
  EXPECT_EQ(
      scalar("SELECT message_id FROM delivery_reports WHERE state = 'UNDELIV' AND 0 < $1", id),
      "NULL");
}

TEST_F(receipt_store_test, receipts_for_every_part_before_the_submit_take_it_straight_to_final) {
  const auto id = claimed_message(3);
  report("j3", "DELIVRD");
  report("j1", "DELIVRD");
  report("j2", "DELIVRD");
  submitted(id, {"j1", "j2", "j3"});
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(scalar("SELECT string_agg(status, ',' ORDER BY id) FROM message_events "
                   "WHERE message_id = $1",
                   id),
            "sending,submitted,delivered");
}

TEST_F(receipt_store_test, a_final_failure_before_the_submit_is_recorded_refunds_the_cost) {
  const auto id = claimed_message(1);
  execute("UPDATE messages SET cost = 7");
  const auto before = std::stoll(scalar("SELECT credit FROM accounts WHERE id = $1", account_id_));
  report("k1", "UNDELIV");
  submitted(id, {"k1"});
  EXPECT_EQ(status_of(id), "undeliverable");
  EXPECT_EQ(scalar("SELECT credit FROM accounts WHERE id = $1", account_id_),
            std::to_string(before + 7));
  EXPECT_EQ(
      scalar("SELECT count(*) FROM credit_ledger WHERE reason LIKE 'refund:%' AND 0 < $1", id),
      "1");
}

TEST_F(receipt_store_test, a_receipt_stored_while_its_part_is_being_recorded_is_still_applied) {
  const auto id = claimed_message(1);
  // The outcome's transaction stops after writing the part's SMSC id, uncommitted.
  install_gate(
      "CREATE TRIGGER gate BEFORE INSERT OR UPDATE OF smsc_message_id ON message_parts "
      "FOR EACH ROW EXECUTE FUNCTION gate()");
  std::thread recording([&] { submitted(id, {"l1"}); });
  ASSERT_TRUE(held_at_gate());
  report("l1", "DELIVRD");  // sees no part with l1 yet: stored unmatched, and committed
  release_gate();
  recording.join();
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE message_id = $1", id), "1");
}

TEST_F(receipt_store_test, a_part_recorded_while_its_receipt_is_being_stored_still_gets_it) {
  const auto id = claimed_message(1);
  // The receipt's transaction stops after looking for its part, before it commits.
  install_gate(
      "CREATE TRIGGER gate BEFORE INSERT ON delivery_reports "
      "FOR EACH ROW EXECUTE FUNCTION gate()");
  std::thread storing([&] { report("n1", "DELIVRD"); });
  ASSERT_TRUE(held_at_gate());
  submitted(id, {"n1"});  // sees no stored receipt for n1 yet
  release_gate();
  storing.join();
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE message_id = $1", id), "1");
}

TEST_F(receipt_store_test, two_batches_finishing_one_message_at_once_still_deliver_it) {
  const auto id = claimed_message(2);
  submitted(id, {"q1", "q2"});
  // The first batch stops at its COMMIT, after it read the message's verdict (q2 still open).
  install_gate(
      "CREATE CONSTRAINT TRIGGER gate AFTER UPDATE ON message_parts "
      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
      "WHEN (NEW.smsc_message_id = 'q1') EXECUTE FUNCTION gate()");
  std::thread first([&] { report("q1", "DELIVRD"); });
  ASSERT_TRUE(held_at_gate());
  std::atomic<bool> second_done = false;
  std::thread second([&] {
    report("q2", "DELIVRD");
    second_done = true;
  });
  // The second batch either waits for the first (the message row is locked) or, if nothing
  // made it wait, finishes having seen q1 still open.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!second_done && std::chrono::steady_clock::now() < deadline &&
         scalar("SELECT count(*) FROM pg_locks WHERE NOT granted "
                "AND locktype IN ('transactionid', 'tuple') AND 0 < $1",
                1) == "0") {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  release_gate();
  first.join();
  second.join();
  EXPECT_EQ(status_of(id), "delivered");
}

TEST_F(receipt_store_test, the_sweep_matches_what_a_stopped_process_left_unmatched) {
  const auto id = claimed_message(1);
  submitted(id, {"o1"});
  // As a process that committed the receipt and stopped before its second look leaves it.
  execute(
      "INSERT INTO delivery_reports (smsc_message_id, connector, state) "
      "VALUES ('o1', 'smsc1', 'DELIVRD')");
  EXPECT_EQ(status_of(id), "submitted");
  const auto old = claimed_message(1);
  submitted(old, {"o2"});
  execute("UPDATE messages SET sent_at = now() - interval '3 hours' WHERE status = 'submitted'");
  execute(
      "INSERT INTO delivery_reports (smsc_message_id, connector, state, received_at) "
      "VALUES ('o2', 'smsc1', 'DELIVRD', now() - interval '2 hours')");

  auto matched = store_->match_stored_reports(std::chrono::hours(1));
  ASSERT_TRUE(matched.has_value()) << matched.error().message;
  EXPECT_EQ(*matched, 1u);
  EXPECT_EQ(status_of(id), "delivered");
  EXPECT_EQ(status_of(old), "submitted");  // outside the window
  matched = store_->match_stored_reports(std::chrono::hours(48));
  ASSERT_TRUE(matched.has_value()) << matched.error().message;
  EXPECT_EQ(*matched, 1u);
  EXPECT_EQ(status_of(old), "delivered");
}

TEST_F(receipt_store_test, record_batch_records_every_outcome_in_one_go) {
  const auto a = claimed_message(1);
  const auto b = claimed_message(1);
  auto r =
      store_->record_batch({{a, "smsc1", {status::submitted, {"h1"}, ""}, std::nullopt},
                            {b, "smsc1", {status::expired, {}, "validity ended"}, std::nullopt}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(status_of(a), "submitted");
  EXPECT_EQ(status_of(b), "expired");
}

// A refund updates its account (0004's trigger). Two failed messages of two accounts, refunded
// in one statement, took the accounts in the messages' order: here the higher account first.
// With the intake holding the lower one and asking for the higher one next, that was a deadlock
// (PostgreSQL rolls one side back after deadlock_timeout). Receipts lock the accounts to refund
// in id order first.
TEST_F(receipt_store_test, receipts_refunding_two_accounts_take_them_in_the_intake_s_order) {
  const auto [first, second] = messages_of_two_accounts();
  EXPECT_EQ(receipts_while_the_intake_holds_the_accounts(first, second, "UNDELIV"), "");
  EXPECT_EQ(status_of(first), "undeliverable");
  EXPECT_EQ(status_of(second), "undeliverable");
  EXPECT_EQ(scalar("SELECT count(*) FROM credit_ledger WHERE reason LIKE 'refund:%' AND 0 < $1", 1),
            "2");
}

// Mailed statuses (0008's trigger inserts a notification) took each account in the messages'
// order too, by the notification's foreign key (FOR KEY SHARE), refund or not: delivered
// messages of two accounts that want every status mailed deadlocked with the intake the same
// way (found by review). 0023 drops that key.
TEST_F(receipt_store_test, receipts_notifying_two_accounts_do_not_lock_them) {
  const auto [first, second] = messages_of_two_accounts();
  execute("UPDATE accounts SET notify = 'all'");
  execute("UPDATE messages SET mail_from = 'ops@example.com'");
  EXPECT_EQ(receipts_while_the_intake_holds_the_accounts(first, second, "DELIVRD"), "");
  EXPECT_EQ(scalar("SELECT count(*) FROM notifications WHERE status = 'delivered' AND 0 < $1", 1),
            "2");
}

// The same for outcomes failing messages that cost nothing (no refund, so no account locked
// first), of two accounts that want failures mailed.
TEST_F(receipt_store_test, outcomes_notifying_two_accounts_do_not_lock_them) {
  const auto [first, second] = messages_of_two_accounts();
  execute("UPDATE accounts SET notify = 'failures'");
  execute("UPDATE messages SET mail_from = 'ops@example.com', cost = 0");
  EXPECT_EQ(refusals_while_the_intake_holds_the_accounts(first, second), "");
  EXPECT_EQ(scalar("SELECT count(*) FROM notifications WHERE status = 'failed' AND 0 < $1", 1),
            "2");
}

// The same for a batch of outcomes that fails both messages (the SMSC refused them).
TEST_F(receipt_store_test, outcomes_refunding_two_accounts_take_them_in_the_intake_s_order) {
  const auto [first, second] = messages_of_two_accounts();
  EXPECT_EQ(refusals_while_the_intake_holds_the_accounts(first, second), "");
  EXPECT_EQ(status_of(first), "failed");
  EXPECT_EQ(status_of(second), "failed");
  EXPECT_EQ(scalar("SELECT count(*) FROM credit_ledger WHERE reason LIKE 'refund:%' AND 0 < $1", 1),
            "2");
}

// A receipt for a part of a message that an erasure has deleted and not committed waits for the
// erasure and is stored unmatched: it used to name the message, and fail on the foreign key once
// the erasure committed.
TEST_F(receipt_store_test, a_receipt_for_a_message_being_erased_is_stored_unmatched) {
  const auto id = claimed_message(1);
  submitted(id, {"t1"});
  // The erasure stops after its delete of the messages.
  install_gate(
      "CREATE TRIGGER gate BEFORE DELETE ON message_events "
      "FOR EACH STATEMENT EXECUTE FUNCTION gate()");
  sql::admin admin(db_);
  std::string erased = "not yet";
  std::thread erasing([&] {
    const auto r = admin.delete_account("ops");
    erased = r.has_value() ? "" : r.error().message;
  });
  ASSERT_TRUE(held_at_gate());
  std::string recorded = "not yet";
  std::thread receipt([&] {
    const auto r = store_->record_reports({{"smsc1", "t1", "DELIVRD", "000"}});
    recorded = r.has_value() ? "" : r.error().message;
  });
  EXPECT_TRUE(someone_waits_for_a_row());
  release_gate();
  erasing.join();
  receipt.join();
  EXPECT_EQ(erased, "");
  EXPECT_EQ(recorded, "");
  EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE id = $1", id), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM delivery_reports WHERE message_id IS NULL AND 0 < $1", 1),
            "1");
}

// An erasure locks the account, then deletes its messages; a receipt that fails one of them
// locks the message, then the account (its refund): a deadlock, and PostgreSQL rolls back the
// side whose deadlock_timeout ends first. That side runs again, once the other has committed
// (run_admin and in_transaction), and both do what they were asked.
class erasure_deadlock_test : public receipt_store_test {
 protected:
  // The erasure of "ops" against a receipt failing its message; `loser`: "erasure" or
  // "receipt", the side that is rolled back. PostgreSQL looks for a deadlock once, when a
  // waiter's deadlock_timeout has passed: the loser is the side that waits last, with the short
  // timeout, so that the cycle is there when it looks. Returns the two errors ("" for none).
  std::pair<std::string, std::string> erase_while_a_receipt_refunds(const std::string& loser) {
    const auto id = claimed_message(1);
    submitted(id, {"s1"});
    execute("UPDATE messages SET cost = 5");
    const auto database = scalar("SELECT current_database() WHERE 0 < $1", 1);
    // Each side's connection is opened on its thread, with the database's setting then.
    const auto timeout = [&](const char* t) {
      execute("ALTER DATABASE " + database + " SET deadlock_timeout = '" + t + "'");
    };
    sql::admin admin(db_);
    std::string erased, recorded;
    const auto erase = [&] {
      const auto r = admin.delete_account("ops");
      if (!r) erased = r.error().message;
    };
    const auto record = [&] {
      const auto r = store_->record_reports({{"smsc1", "s1", "UNDELIV", "000"}});
      if (!r) recorded = r.error().message;
    };
    std::thread first, second;
    if (loser == "erasure") {
      // The erasure stops at its delete of the account's inflight rows, holding the account;
      // the receipt takes the message and waits for the account; then the erasure goes on to
      // delete the message, and waits last.
      install_gate(
          "CREATE TRIGGER gate BEFORE DELETE ON dispatch_inflight "
          "FOR EACH STATEMENT EXECUTE FUNCTION gate()");
      timeout("100ms");
      first = std::thread(erase);
      EXPECT_TRUE(held_at_gate());
      timeout("10s");
      second = std::thread(record);
    } else {
      // The receipt stops at its update of the part, holding the message (key share); the
      // erasure takes the account and waits for the message; then the receipt goes on to lock
      // the message and the account for the refund, and waits last.
      install_gate(
          "CREATE TRIGGER gate BEFORE UPDATE ON message_parts "
          "FOR EACH STATEMENT EXECUTE FUNCTION gate()");
      timeout("100ms");
      first = std::thread(record);
      EXPECT_TRUE(held_at_gate());
      timeout("10s");
      second = std::thread(erase);
    }
    EXPECT_TRUE(someone_waits_for_a_row());
    release_gate();
    first.join();
    second.join();
    EXPECT_EQ(scalar("SELECT count(*) FROM accounts WHERE id = $1", account_id_), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE 0 < $1", 1), "0");
    return {erased, recorded};
  }
};

TEST_F(erasure_deadlock_test, an_erasure_rolled_back_for_a_deadlock_runs_again) {
  const auto [erased, recorded] = erase_while_a_receipt_refunds("erasure");
  EXPECT_EQ(erased, "");
  EXPECT_EQ(recorded, "");
}

TEST_F(erasure_deadlock_test, a_receipt_rolled_back_for_a_deadlock_runs_again) {
  const auto [erased, recorded] = erase_while_a_receipt_refunds("receipt");
  EXPECT_EQ(erased, "");
  EXPECT_EQ(recorded, "");
}

}  // namespace
}  // namespace mail2sms::testing
