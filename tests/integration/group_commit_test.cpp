// sql::group_committer against a real PostgreSQL: mails from many threads at once are each
// committed exactly as given (whatever batch they shared), a 250 is never given for a mail the
// database refused, and one refused mail does not take the others in its batch down with it.
#include "sql/group_commit.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "core/policy/password.hpp"
#include "migrated_fixture.hpp"
#include "sql/admin.hpp"
#include "sql/migrate.hpp"
#include "sql/store.hpp"
#include "sql/stored_parts.hpp"
#include "sql/submissions.hpp"

namespace mail2sms::testing {
namespace {

class group_commit_test : public migrated_test {
 protected:
  void SetUp() override {
    migrated_test::SetUp();
    if (HasFatalFailure()) return;
    auto added = store_->add_account("ops", "ZA", policy::hash_password("correct horse"), 1000000);
    ASSERT_TRUE(added.has_value()) << added.error().message;
    account_ = *added;
  }

  // `senders` threads that start together, thread t running body(t); returns when all have.
  template <class Body>
  static void run_together(int senders, Body body) {
    std::latch start(senders);
    std::vector<std::jthread> threads;
    for (int t = 0; t < senders; ++t) {
      threads.emplace_back([&start, &body, t] {
        start.arrive_and_wait();
        body(t);
      });
    }
  }

  // `senders` threads start together, each enqueueing its consecutive share of `all` in order,
  // one mail at a time. Returns each mail's queue id.
  static std::vector<std::string> enqueue_from_threads(sql::group_committer& committer,
                                                       const std::vector<core::submission>& all,
                                                       int senders) {
    const auto per_sender = static_cast<int>(all.size()) / senders;
    std::vector<std::string> queue_ids(all.size());
    run_together(senders, [&](int t) {
      for (int k = 0; k < per_sender; ++k) {
        const auto i = static_cast<std::size_t>(t * per_sender + k);
        auto queued = committer.enqueue(all[i]);
        ASSERT_TRUE(queued.has_value()) << queued.error().message;
        ASSERT_FALSE(queued->refused) << queued->refused->text;
        queue_ids[i] = queued->queue_id;
      }
    });
    return queue_ids;
  }

  // `senders` threads start together, thread t enqueueing mail(t, k) for k below per_sender, one
  // at a time; every mail is answered, and a refusal is 5.7.1. Counts the admitted and refused.
  template <class Mail>
  static void enqueue_counting(sql::group_committer& committer, int senders, int per_sender,
                               Mail mail, std::atomic<int>& admitted, std::atomic<int>& refused) {
    run_together(senders, [&](int t) {
      for (int k = 0; k < per_sender; ++k) {
        auto queued = committer.enqueue(mail(t, k));
        ASSERT_TRUE(queued.has_value()) << queued.error().message;
        if (queued->refused) {
          EXPECT_EQ(queued->refused->enhanced_code, "5.7.1") << queued->refused->text;
          ++refused;
        } else {
          ++admitted;
        }
      }
    });
  }

  // Text with every character a PostgreSQL array literal must escape, non-ASCII in every other
  // one, and a multipart body.
  core::submission submission(int n, std::int64_t account_id) const {
    core::submission s;
    s.account_id = account_id;
    s.mail_from = "\"quoted\\user\"@example.com";
    s.message_id = "<" + std::to_string(n) + "@example.com>";
    s.recipients = {"+2782000" + std::to_string(1000 + n), "+2783000" + std::to_string(1000 + n)};
    s.sender_id = "ALERTS";
    s.text = "Mail " + std::to_string(n) + ": {a,b} \"q\" back\\slash, NULL\nline 2 @ 100% ";
    if (n % 2 == 1)
      s.text +=
          "caf\xC3\xA9 \xE2\x82\xAC"
          "5";                                        // GSM, in 2 and 3 octets of UTF-8
    if (n % 3 == 0) s.text += std::string(200, 'x');  // two parts
    s.sms = sms::encode(s.text, {.reference = static_cast<std::uint16_t>(n)});
    return s;
  }

  core::account account_;
};

TEST_F(group_commit_test, concurrent_mails_are_each_committed_exactly_as_given) {
  constexpr int senders = 24;
  constexpr int per_sender = 10;
  std::vector<core::submission> all;
  for (int i = 0; i < senders * per_sender; ++i) all.push_back(submission(i, account_.id));
  std::vector<std::string> queue_ids;
  {
    sql::group_committer committer(db_, {.max_batch = 16, .writers = 2});
    queue_ids = enqueue_from_threads(committer, all, senders);
    const auto stats = committer.statistics();
    EXPECT_EQ(stats.mails, all.size());
    EXPECT_LE(stats.largest_batch, 16u);
  }

  EXPECT_EQ(std::set<std::string>(queue_ids.begin(), queue_ids.end()).size(), all.size());
  pqxx::connection c(db_);
  pqxx::work tx(c);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& s = all[i];
    auto rows = tx.exec_params(
        "SELECT id, mail_from, mail_message_id, recipient, sender_id, body, encoding, segments, "
        "status FROM messages WHERE queue_id = $1 ORDER BY recipient",
        queue_ids[i]);
    ASSERT_EQ(rows.size(), 2u) << "mail " << i;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      EXPECT_EQ(rows[r]["recipient"].as<std::string>(), s.recipients[r]);
      EXPECT_EQ(rows[r]["mail_from"].as<std::string>(), s.mail_from);
      EXPECT_EQ(rows[r]["mail_message_id"].as<std::string>(), s.message_id);
      EXPECT_EQ(rows[r]["sender_id"].as<std::string>(), s.sender_id);
      EXPECT_EQ(rows[r]["body"].as<std::string>(), s.text);
      EXPECT_EQ(rows[r]["encoding"].as<std::string>(), "gsm7");
      EXPECT_EQ(rows[r]["segments"].as<std::size_t>(), s.sms.segments.size());
      EXPECT_EQ(rows[r]["status"].as<std::string>(), "queued");
      // Each mail's own parts, packed in its rows (0014) by reference to its text (a UDH and a
      // size each: sql/stored_parts.hpp); the batch's mails' are side by side in one parameter.
      const pqxx::binarystring packed(tx.exec_params1("SELECT parts FROM messages WHERE id = $1",
                                                      rows[r]["id"].as<std::int64_t>())[0]);
      ASSERT_FALSE(packed.empty());
      EXPECT_EQ(static_cast<unsigned char>(packed.data()[0]), 0xFF) << "not the by-text form";
      std::size_t udh_octets = 0;
      for (const auto& part : s.sms.segments) udh_octets += part.udh.size();
      EXPECT_EQ(packed.size(), 1 + 3 * s.sms.segments.size() + udh_octets);
      const auto parts = sql::unpack_parts(std::span(packed.data(), packed.size()),
                                           rows[r]["body"].as<std::string>(), s.sms.coding);
      ASSERT_TRUE(parts.has_value());
      ASSERT_EQ(parts->size(), s.sms.segments.size());
      for (std::size_t p = 0; p < parts->size(); ++p) {
        EXPECT_EQ(sms::to_hex((*parts)[p].udh), sms::to_hex(s.sms.segments[p].udh));
        EXPECT_EQ(sms::to_hex((*parts)[p].payload), sms::to_hex(s.sms.segments[p].payload));
      }
      // No event: its created_at says when it was queued (0021).
      EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM message_events WHERE message_id = $1",
                                rows[r]["id"].as<std::int64_t>())[0]
                    .as<int>(),
                0);
      // Its place in the dispatch queue, due when it says (0010).
      EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM dispatch_queue q JOIN messages m ON "
                                "m.id = q.message_id AND q.due_at = m.next_attempt_at "
                                "WHERE q.message_id = $1",
                                rows[r]["id"].as<std::int64_t>())[0]
                    .as<int>(),
                1);
    }
  }
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM dispatch_queue")[0].as<std::size_t>(), 2 * all.size());
}

// Writers never share an account (its mails wait for the writer committing it): with mails of
// three accounts interleaved, every mail is committed, each account is charged for exactly its
// own, and its ledger is one unbroken chain of balances, whichever writer wrote each row.
TEST_F(group_commit_test, mails_of_several_accounts_are_all_committed_and_charged_in_order) {
  std::vector<std::int64_t> accounts{account_.id};
  for (const char* name : {"second", "third"}) {
    auto added = store_->add_account(name, "ZA", policy::hash_password("correct horse"), 1000000);
    ASSERT_TRUE(added.has_value()) << added.error().message;
    accounts.push_back(added->id);
  }
  constexpr int senders = 12;
  constexpr int per_sender = 15;
  std::map<std::int64_t, std::int64_t> charged;
  std::vector<core::submission> all;
  for (int i = 0; i < senders * per_sender; ++i) {
    all.push_back(submission(i, accounts[static_cast<std::size_t>(i) % accounts.size()]));
    charged[all.back().account_id] +=
        static_cast<std::int64_t>(all.back().sms.segments.size() * all.back().recipients.size());
  }
  {
    sql::group_committer committer(db_, {.max_batch = 4, .writers = 2});
    enqueue_from_threads(committer, all, senders);
    EXPECT_EQ(committer.statistics().mails, all.size());
  }
  pqxx::connection c(db_);
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM messages")[0].as<std::size_t>(), all.size() * 2);
  for (const auto id : accounts) {
    EXPECT_EQ(
        tx.exec_params1("SELECT credit FROM accounts WHERE id = $1", id)[0].as<std::int64_t>(),
        1000000 - charged[id]);
    // Each row's balance is the one before it plus its delta, in the order they were written.
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM (SELECT balance, delta, lag(balance) OVER "
                              "(ORDER BY id) AS before FROM credit_ledger WHERE account_id = $1 "
                              "AND delta < 0) l WHERE before IS NOT NULL "
                              "AND balance <> before + delta",
                              id)[0]
                  .as<int>(),
              0);
    EXPECT_EQ(tx.exec_params1("SELECT min(balance) FROM credit_ledger WHERE account_id = $1", id)[0]
                  .as<std::int64_t>(),
              1000000 - charged[id]);
  }
}

TEST_F(group_commit_test, a_refused_mail_fails_alone_and_its_batch_mates_are_committed) {
  constexpr int senders = 16;
  std::vector<core::submission> all;
  for (int i = 0; i < senders; ++i) {
    // Every fourth has no segments: the CHECK on messages.segments refuses it.
    all.push_back(submission(i, account_.id));
    if (i % 4 == 0) all.back().sms.segments.clear();
  }
  std::vector<std::optional<core::failure_kind>> failures(all.size());
  std::vector<std::string> queue_ids(all.size());
  {
    sql::group_committer committer(db_, {.max_batch = 64, .writers = 1});
    run_together(senders, [&](int t) {
      auto queued = committer.enqueue(all[static_cast<std::size_t>(t)]);
      if (queued) {
        queue_ids[static_cast<std::size_t>(t)] = queued->queue_id;
      } else {
        failures[static_cast<std::size_t>(t)] = queued.error().kind;
      }
    });
  }
  pqxx::connection c(db_);
  pqxx::work tx(c);
  for (int i = 0; i < senders; ++i) {
    const auto n = static_cast<std::size_t>(i);
    if (i % 4 == 0) {
      ASSERT_TRUE(failures[n].has_value()) << "mail " << i << " was acknowledged";
      EXPECT_EQ(*failures[n], core::failure_kind::permanent);
    } else {
      ASSERT_FALSE(failures[n].has_value()) << "mail " << i;
      EXPECT_EQ(
          tx.exec_params1("SELECT count(*) FROM messages WHERE queue_id = $1", queue_ids[n])[0]
              .as<int>(),
          2);
    }
  }
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM messages")[0].as<int>(), 2 * (senders - senders / 4));
}

// A migration that changes the type of a column the intake's prepared statements return, run
// while serve is up (0022 made accounts' columns domains): PostgreSQL refuses the prepared
// statement from then on ("cached plan must not change result type"). The writer takes a new
// connection and the mail is committed, instead of every mail getting 451 until a restart.
TEST_F(group_commit_test, a_migration_under_a_running_writer_costs_no_mail) {
  sql::group_committer committer(db_, {.max_batch = 8, .writers = 1});
  auto first = committer.enqueue(submission(0, account_.id));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  {
    pqxx::work tx(*inspect_);
    tx.exec0("ALTER TABLE accounts ALTER COLUMN credit TYPE bigint");  // was account_credit
    tx.commit();
  }
  for (int i = 1; i <= 2; ++i) {
    auto queued = committer.enqueue(submission(i, account_.id));
    ASSERT_TRUE(queued.has_value()) << queued.error().message;
    EXPECT_FALSE(queued->refused);
  }
}

// The Message-ID look-up (dedup) probes messages_dedup whatever the statistics and the size the
// table had when the writer's connection first planned it. Planned once while the table was
// empty, it read every message of the account through messages_account_recipient for each
// recipient of each mail: a writer's backend spent 25 CPU seconds on 20,000 mails in a load run.
TEST_F(group_commit_test, the_dedup_lookup_reads_by_message_id_however_small_the_table_was) {
  const auto of_messages = [](pqxx::transaction_base& tx, const char* column) {
    return tx
        .exec1(std::string("SELECT ") + column +
               " FROM pg_stat_user_tables WHERE relname = 'messages'")[0]
        .as<std::int64_t>();
  };
  std::int64_t account_scans_before = 0;
  {
    pqxx::nontransaction tx(*inspect_);
    // Limits the load never reaches, so that every read of the intake runs: the velocity count,
    // the usage counters and their upsert, besides the Message-ID look-up.
    tx.exec(
        "UPDATE accounts SET per_number_per_hour = 1000, messages_per_minute = 1000000, "
        "segments_per_day = 1000000");
    tx.exec("ANALYZE messages, accounts");  // statistics of an empty table and of one account
    account_scans_before =
        tx.exec1("SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'accounts'")[0]
            .as<std::int64_t>();
    // Other accounts the statistics do not know of: each look-up of the batch's account must
    // stay one probe of the key, not a walk through every account.
    tx.exec(
        "INSERT INTO accounts (name, country) "
        "SELECT 'other-' || g, 'ZA' FROM generate_series(1, 2000) g");
  }
  std::vector<core::submission> all;
  for (int i = 0; i < 1600; ++i) all.push_back(submission(i, account_.id));
  std::int64_t transactions = 0;
  {
    sql::group_committer committer(db_, {.max_batch = 16, .writers = 1});
    for (int i = 0; i < 10; ++i) {  // one at a time: the look-up is planned while it is tiny
      auto queued = committer.enqueue(all[static_cast<std::size_t>(i)]);
      ASSERT_TRUE(queued.has_value()) << queued.error().message;
    }
    enqueue_from_threads(committer, {all.begin() + 10, all.end()}, 6);
    transactions = static_cast<std::int64_t>(committer.statistics().transactions);
  }  // the writer's backend reports its counters as it exits
  pqxx::nontransaction tx(*inspect_);
  const auto counter = [&](const char* column, const char* index) {
    return tx
        .exec_params1(
            std::string("SELECT ") + column + " FROM pg_stat_user_indexes WHERE indexrelname = $1",
            index)[0]
        .as<std::int64_t>();
  };
  for (int i = 0; i < 100 && of_messages(tx, "n_tup_ins") < 3200; ++i) {  // the writer's counters
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The writer's statements are planned once per connection (the history is a prepared
  // statement); none of them may read the table from end to end (the sequential scans before,
  // the migrations', read it empty).
  EXPECT_EQ(of_messages(tx, "seq_tup_read"), 0);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM messages")[0].as<int>(), 3200);
  // One look-up per recipient: by the Message-ID once the table has more than a few rows (a
  // sequential scan of a handful of rows may be cheaper before).
  EXPECT_GE(counter("idx_scan", "messages_dedup"), 3000);
  // Each look-up finds no row; a few reads more would be slack, thousands a scan.
  EXPECT_LT(counter("idx_tup_read", "messages_account_recipient"), 1000);
  // One key read per recipient, and four per transaction (the lock, the usage read, the
  // charge, the counters' join); a walk through the accounts would be 2,001 a batch.
  EXPECT_LE(counter("idx_tup_read", "accounts_pkey"), 3200 + 4 * transactions + 100);
  EXPECT_LT(tx.exec1("SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'accounts'")[0]
                    .as<std::int64_t>() -
                account_scans_before,
            100);
}

// A sender that gives every mail the same Message-ID (an alarm panel): each mail's dedup look-up
// reads that id's rows of the dedup window (a day here), not every row the account has stored
// under it. 3,000 older rows under the id: the look-ups of 20 new mails used to read 120,000
// index entries; within the window they read the new mails' own rows, a few hundred. A row of
// the window with the same text and number is still a duplicate.
TEST_F(group_commit_test, the_dedup_lookup_reads_only_the_window_of_a_reused_message_id) {
  constexpr const char* panel_id = "<alarm@panel.example>";
  const auto first = [&] {
    auto s = submission(0, account_.id);
    s.message_id = panel_id;
    return s;
  }();
  {
    pqxx::work tx(*inspect_);
    tx.exec_params(
        "INSERT INTO messages (queue_id, account_id, mail_message_id, recipient, body, encoding, "
        "  segments, status, created_at) "
        "SELECT 'old' || g, $1, $2, $3, $4, 'gsm7', 1, 'delivered', "
        "       now() - interval '2 days' - g * interval '1 minute' "
        "FROM generate_series(1, 3000) g",
        account_.id, panel_id, first.recipients[0], first.text);
    // The same mail an hour ago, to the first number only.
    tx.exec_params(
        "INSERT INTO messages (queue_id, account_id, mail_message_id, recipient, body, encoding, "
        "  segments, status, created_at) "
        "VALUES ('recent', $1, $2, $3, $4, 'gsm7', 1, 'delivered', now() - interval '1 hour')",
        account_.id, panel_id, first.recipients[0], first.text);
    tx.exec("ANALYZE messages");
    tx.commit();
  }
  const auto index_reads = [](pqxx::transaction_base& tx) {
    return tx
        .exec1(
            "SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'messages_dedup'")
        .front()
        .as<std::int64_t>();
  };
  const auto reads_before = [&] {
    pqxx::nontransaction tx(*inspect_);
    return index_reads(tx);
  }();
  std::size_t duplicates = 0;
  {
    sql::group_committer committer(db_, {.max_batch = 1, .writers = 1});
    for (int i = 0; i < 20; ++i) {
      auto s = submission(i, account_.id);
      s.message_id = panel_id;
      auto queued = committer.enqueue(s);
      ASSERT_TRUE(queued.has_value()) << queued.error().message;
      ASSERT_FALSE(queued->refused) << queued->refused->text;
      duplicates += queued->duplicates;
    }
  }                           // the writer's backend reports its counters as it exits
  EXPECT_EQ(duplicates, 1U);  // the first mail to the first number, sent an hour ago
  pqxx::nontransaction tx(*inspect_);
  for (int i = 0; i < 100; ++i) {  // until the writer's counters have arrived
    if (tx.exec1("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'messages'")[0]
            .as<std::int64_t>() >= 3001 + 39)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM messages WHERE queue_id NOT LIKE 'old%' "
                            "AND queue_id <> 'recent' AND mail_message_id = $1",
                            panel_id)[0]
                .as<int>(),
            39);
  EXPECT_LT(index_reads(tx) - reads_before, 2000);
}

// Sessions that send the same mails at once (a client retrying on several connections): each
// Message-ID is stored and charged once per number, whether the copies met in one batch or in
// two transactions, and every copy is answered 250.
TEST_F(group_commit_test, the_same_mails_from_many_sessions_at_once_are_each_stored_once) {
  constexpr int senders = 8;
  std::vector<core::submission> mails;
  for (int i = 0; i < 30; ++i) mails.push_back(submission(i, account_.id));
  std::atomic<std::size_t> duplicates = 0;
  {
    sql::group_committer committer(db_, {.max_batch = 4, .writers = 3});
    run_together(senders, [&](int) {
      for (const auto& m : mails) {
        auto queued = committer.enqueue(m);
        ASSERT_TRUE(queued.has_value()) << queued.error().message;
        ASSERT_FALSE(queued->refused) << queued->refused->text;
        duplicates += queued->duplicates;
      }
    });
  }
  EXPECT_EQ(duplicates, mails.size() * 2 * (senders - 1));  // two numbers a mail
  pqxx::work tx(*inspect_);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM messages")[0].as<std::size_t>(), mails.size() * 2);
  EXPECT_EQ(tx.exec1("SELECT count(DISTINCT (mail_message_id, recipient)) FROM messages")[0]
                .as<std::size_t>(),
            mails.size() * 2);
  std::int64_t cost = 0;
  for (const auto& m : mails) cost += static_cast<std::int64_t>(m.sms.segments.size() * 2);
  EXPECT_EQ(tx.exec_params1("SELECT credit FROM accounts WHERE id = $1", account_.id)[0]
                .as<std::int64_t>(),
            1000000 - cost);
}

// An account with credit_policy 'fail' sending from many sessions at once: exactly as many mails
// are admitted as the credit pays for, the rest refused 5.7.1, and the balance never below zero.
TEST_F(group_commit_test, the_credit_of_an_account_sending_from_many_sessions_is_never_overdrawn) {
  {
    pqxx::work tx(*inspect_);
    tx.exec_params(
        "UPDATE accounts SET credit = 50, credit_policy = 'fail', dedup_seconds = 0 "
        "WHERE id = $1",
        account_.id);
    tx.commit();
  }
  constexpr int senders = 8;
  std::vector<core::submission> all;
  for (int i = 0; i < senders * 10; ++i) {
    auto s = submission(1 + 3 * i, account_.id);  // one part to two numbers: 2 credits
    ASSERT_EQ(s.sms.segments.size(), 1u);
    all.push_back(std::move(s));
  }
  std::atomic<int> admitted = 0, refused = 0;
  {
    sql::group_committer committer(db_, {.max_batch = 4, .writers = 3});
    enqueue_counting(
        committer, senders, 10,
        [&](int t, int k) { return all[static_cast<std::size_t>(t * 10 + k)]; }, admitted, refused);
  }
  EXPECT_EQ(admitted, 25);
  EXPECT_EQ(refused, 55);
  pqxx::work tx(*inspect_);
  EXPECT_EQ(tx.exec_params1("SELECT credit FROM accounts WHERE id = $1", account_.id)[0]
                .as<std::int64_t>(),
            0);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM messages")[0].as<int>(), 50);
  EXPECT_EQ(tx.exec_params1("SELECT min(balance) FROM credit_ledger WHERE account_id = $1",
                            account_.id)[0]
                .as<std::int64_t>(),
            0);
}

// Messages and ledger rows have no foreign key to their account (0013): what keeps an account's
// erasure from leaving any behind is the row lock both take on the account. The account is
// deleted while eight sessions' mails to it are being committed; those before the erasure are
// admitted, those after it refused, and nothing of the account is left: no message, no part or
// event or queue row of one, no ledger row under its id.
TEST_F(group_commit_test, an_account_deleted_while_its_mails_are_committed_leaves_nothing_behind) {
  auto gone = store_->add_account("gone", "ZA", policy::hash_password("battery staple"), 1000000);
  ASSERT_TRUE(gone.has_value()) << gone.error().message;
  constexpr int senders = 8, per_sender = 150;
  std::atomic<int> admitted = 0, refused = 0;
  {
    sql::group_committer committer(db_, {.max_batch = 16, .writers = 2});
    std::jthread eraser([&] {
      while (admitted < 40) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      auto deleted = sql::admin(db_).delete_account("gone");
      EXPECT_TRUE(deleted.has_value());
    });
    enqueue_counting(
        committer, senders, per_sender,
        [&](int t, int k) { return submission(t * per_sender + k, gone->id); }, admitted, refused);
  }
  EXPECT_GE(admitted, 40);
  EXPECT_GT(refused, 0) << "the erasure came after the last mail: nothing was tested";
  pqxx::work tx(*inspect_);
  auto count = [&](const std::string& query) {
    return tx.exec_params1(query, gone->id)[0].as<int>();
  };
  EXPECT_EQ(count("SELECT count(*) FROM accounts WHERE id = $1"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE account_id = $1"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM credit_ledger WHERE account_id = $1"), 0);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM credit_ledger WHERE account_id IS NULL "
                     "AND reason LIKE 'reserved:%'")[0]
                .as<int>(),
            admitted);
  for (const char* table : {"message_parts", "message_events", "dispatch_queue"}) {
    EXPECT_EQ(
        tx.exec1(std::string("SELECT count(*) FROM ") + table +
                 " t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = t.message_id)")[0]
            .as<int>(),
        0)
        << table;
  }
}

// Each writer connects and prepares its statements when the committer starts, not when the
// first mail waits for it; and leaves its connection idle, outside any transaction, with nothing
// written.
TEST_F(group_commit_test, writers_are_connected_before_the_first_mail) {
  pqxx::nontransaction look(*inspect_);
  const auto others = [&] {
    return look
        .exec1(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'idle' AND xact_start IS NULL")[0]
        .as<int>();
  };
  const int before = others();
  const auto ledger = [&] { return look.exec1("SELECT count(*) FROM credit_ledger")[0].as<int>(); };
  const int ledger_before = ledger();  // the account's opening credit
  sql::group_committer committer(db_, {.max_batch = 16, .writers = 2});
  for (int i = 0; i < 200 && others() < before + 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(others(), before + 2);
  EXPECT_EQ(look.exec1("SELECT count(*) FROM messages")[0].as<int>(), 0);
  EXPECT_EQ(ledger(), ledger_before);
  EXPECT_EQ(committer.statistics().transactions, 0u);
}

// The writers' connections are ended while idle (as a server restart or an administrator ends
// them): the next mail is committed on a new connection, not answered 451.
TEST_F(group_commit_test, a_writers_connection_ended_while_idle_costs_no_mail) {
  sql::group_committer committer(db_, {.max_batch = 16, .writers = 1});
  auto first = committer.enqueue(submission(1, account_.id));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  pqxx::nontransaction look(*inspect_);
  const auto ended = look.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client "
      "backend'");
  ASSERT_GE(ended.size(), 1u);
  for (int i = 0; i < 200; ++i) {
    if (look.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")[0]
            .as<int>() == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto second = committer.enqueue(submission(2, account_.id));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_FALSE(second->refused);
  EXPECT_EQ(look.exec1("SELECT count(*) FROM messages")[0].as<int>(), 4);  // two recipients each
}

// An account row held by another transaction (an erasure, an operator's psql) for longer than
// lock_timeout: the mail is a transient failure (the session's 451) with nothing stored, instead
// of its session waiting on with no end. Once the row is free, mail is committed again.
TEST_F(group_commit_test,
       an_account_held_past_the_lock_timeout_fails_the_mail_with_nothing_stored) {
  sql::group_committer committer(
      db_, {.max_batch = 16, .writers = 1, .lock_timeout = std::chrono::milliseconds(300)});
  pqxx::connection holder(db_);
  pqxx::work held(holder);
  held.exec_params("SELECT id FROM accounts WHERE id = $1 FOR UPDATE", account_.id);
  auto queued = committer.enqueue(submission(1, account_.id));
  ASSERT_FALSE(queued.has_value());
  EXPECT_EQ(queued.error().kind, core::failure_kind::transient);
  EXPECT_NE(queued.error().message.find("lock timeout"), std::string::npos)
      << queued.error().message;
  held.commit();
  pqxx::nontransaction look(*inspect_);
  EXPECT_EQ(look.exec1("SELECT count(*) FROM messages")[0].as<int>(), 0);
  auto again = committer.enqueue(submission(2, account_.id));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(again->refused);
  EXPECT_EQ(look.exec1("SELECT count(*) FROM messages")[0].as<int>(), 2);  // two recipients
}

TEST_F(group_commit_test, an_unreachable_database_is_a_transient_failure) {
  sql::group_committer committer("host=/nonexistent dbname=none connect_timeout=2", {});
  auto queued = committer.enqueue(submission(1, account_.id));
  ASSERT_FALSE(queued.has_value());
  EXPECT_EQ(queued.error().kind, core::failure_kind::transient);
}

// Queue ids from two threads at once: 16 digits of Crockford's base 32, never the same twice,
// and each thread's in increasing order (so that the index on them is written at its end).
TEST(queue_ids, are_sixteen_base32_digits_increase_and_do_not_repeat_across_threads) {
  constexpr int per_thread = 20000;  // more than 2,048 a millisecond: the count carries
  std::vector<std::string> first, second;
  std::thread other([&second] {
    for (int i = 0; i < per_thread; ++i) second.push_back(sql::new_queue_id());
  });
  for (int i = 0; i < per_thread; ++i) first.push_back(sql::new_queue_id());
  other.join();
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end()));
  EXPECT_TRUE(std::is_sorted(second.begin(), second.end()));
  std::set<std::string> distinct(first.begin(), first.end());
  distinct.insert(second.begin(), second.end());
  EXPECT_EQ(distinct.size(), 2u * per_thread);
  for (const auto& id : distinct) {
    ASSERT_EQ(id.size(), 16u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos) << id;
  }
  // The process's tag is the last 24 bits: the same in every id of this process.
  auto tag_of = [](const std::string& id) {
    static constexpr std::string_view digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::uint64_t low = 0;  // the last 8 digits: 40 bits
    for (std::size_t i = 8; i < 16; ++i) low = low << 5 | digits.find(id[i]);
    return low & 0xFFFFFF;
  };
  EXPECT_EQ(tag_of(first.front()), tag_of(second.back()));
  EXPECT_EQ(tag_of(first.back()), tag_of(second.front()));
}

TEST(queue_ids, spell_the_time_the_count_and_the_tag_in_that_order) {
  // 2026-12-01 00:00:00.000 UTC in ms with count 0 and tag 0, count 1, tag 1; all ones.
  const std::uint64_t ms = 1796083200000;
  EXPECT_EQ(sql::queue_id_of(ms << 12, 0), "38HEWTR000000000");
  EXPECT_EQ(sql::queue_id_of((ms << 12) | 1, 0), "38HEWTR0000G0000");
  EXPECT_EQ(sql::queue_id_of(ms << 12, 1), "38HEWTR000000001");
  EXPECT_EQ(sql::queue_id_of((std::uint64_t{1} << 56) - 1, 0xFFFFFF), "ZZZZZZZZZZZZZZZZ");
  EXPECT_LT(sql::queue_id_of((ms << 12) | 4095, 0xFFFFFF), sql::queue_id_of((ms + 1) << 12, 0));
}

}  // namespace
}  // namespace mail2sms::testing
