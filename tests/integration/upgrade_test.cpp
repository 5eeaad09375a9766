// Upgrades of a database with rows in it: the migrations that change or derive existing rows,
// each applied to a database an older binary filled (up to the migration before it), then used
// by the current code. `scripts/test` otherwise migrates only empty databases.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "core/sms/sms.hpp"
#include "migrated_fixture.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {
namespace {

std::string scalar(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx(conn);
  const auto rows = tx.exec(sql);
  return rows.empty() || rows[0][0].is_null() ? std::string("NULL") : rows[0][0].as<std::string>();
}

void execute(pqxx::connection& conn, const std::string& sql) {
  pqxx::work tx(conn);
  tx.exec(sql);
  tx.commit();
}

// 0019: replies get an account. Those kept before it get one only from the notification that
// mailed them to the account; the attribution rule is not run again over old replies (the
// account they were for may be gone, with its messages). New replies are attributed as they
// come, and go with their account.
TEST_F(upgrade_test, replies_kept_before_0019_belong_to_the_account_they_were_mailed_to) {
  std::string last;
  const auto db = migrated_before("0019", last);
  ASSERT_EQ(last, "0018_postmaster_mail");
  pqxx::connection conn(db);
  execute(conn,
          "INSERT INTO accounts (name, country) VALUES ('ops', 'ZA'), ('other', 'ZA');"
          "INSERT INTO messages (queue_id, account_id, recipient, encoding, segments, status) "
          "VALUES ('Q1', 1, '+27821000001', 'gsm7', 1, 'delivered');"
          // Two replies from the number ops wrote to; only the first was mailed to ops.
          "INSERT INTO inbound_messages (connector, source, destination, body) VALUES"
          " ('sim', '27821000001', 'ALERTS', 'mailed'),"
          " ('sim', '27821000001', 'ALERTS', 'not mailed');"
          "INSERT INTO notifications (message_id, account_id, kind, inbound_id, status, rcpt_to) "
          "SELECT 1, 1, 'reply', id, 'reply', 'ops@example.com' FROM inbound_messages "
          "WHERE body = 'mailed'");
  ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "0019_reply_account"));
  EXPECT_EQ(scalar(conn,
                   "SELECT string_agg(body || '=' || coalesce(account_id::text, 'none'), ',' "
                   "ORDER BY id) FROM inbound_messages"),
            "mailed=1,not mailed=none");

  // A reply after the upgrade is attributed when it comes, and erased with its account.
  execute(conn,
          "INSERT INTO inbound_messages (connector, source, destination, body) "
          "VALUES ('sim', '27821000001', 'ALERTS', 'after')");
  EXPECT_EQ(scalar(conn, "SELECT account_id FROM inbound_messages WHERE body = 'after'"), "1");
  execute(conn,
          "DELETE FROM notifications; DELETE FROM messages; DELETE FROM accounts WHERE id = 1");
  EXPECT_EQ(scalar(conn, "SELECT string_agg(body, ',' ORDER BY id) FROM inbound_messages"),
            "not mailed");
}

// 0025: failed logins kept before it lose a name tried that is no account's (a password typed as
// the name, a phone number); an account's name, and an erased account's label, stay.
TEST_F(upgrade_test, failed_logins_kept_before_0025_lose_names_that_are_no_account_s) {
  std::string last;
  const auto db = migrated_before("0025", last);
  ASSERT_EQ(last, "0024_reply_default_source");
  pqxx::connection conn(db);
  execute(conn,
          "INSERT INTO accounts (name, country) VALUES ('ops', 'ZA');"
          "INSERT INTO audit_log (actor, action, subject, detail, client, account_id) VALUES"
          " ('smtp', 'auth.failure', 'ops', 'AUTH PLAIN', '192.0.2.7', 1),"
          " ('smtp', 'auth.failure', 'correct horse battery', 'AUTH PLAIN', '192.0.2.7', NULL),"
          " ('smtp', 'auth.failure', 'deleted account #9', '', '', NULL),"
          " ('cli', 'account.add', 'ops', '', '', 1)");
  ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "0025_audit_unknown_names"));
  EXPECT_EQ(
      scalar(conn, "SELECT string_agg(subject || '/' || client, ',' ORDER BY id) FROM audit_log"),
      "ops/192.0.2.7,(not an account name)/192.0.2.7,deleted account #9/,ops/");
}

// 0020: the postmaster's mailbox keeps a running total. It starts from the mail already kept
// (each mail its size and 1 KiB), and every delete gives room back.
TEST_F(upgrade_test, the_postmaster_mailbox_total_starts_from_the_mail_already_kept) {
  std::string last;
  const auto db = migrated_before("0020", last);
  ASSERT_EQ(last, "0019_reply_account");
  pqxx::connection conn(db);
  execute(conn,
          "INSERT INTO postmaster_mail (client, helo, mail_from, recipient, tls, size, message) "
          "VALUES ('192.0.2.1', 'a', '', 'postmaster', false, 3, 'abc'),"
          "       ('192.0.2.2', 'b', '', 'postmaster', true, 5000, "
          "        convert_to(repeat('x', 5000), 'UTF8'))");
  ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "0020_postmaster_mailbox"));
  EXPECT_EQ(scalar(conn, "SELECT used FROM postmaster_mailbox"),
            std::to_string(3 + 5000 + 2 * 1024));
  // The mail kept before is not forwarded (no address was given for it).
  EXPECT_EQ(scalar(conn, "SELECT count(*) FROM postmaster_mail WHERE forward_next_at IS NOT NULL"),
            "0");
  execute(conn, "DELETE FROM postmaster_mail WHERE size = 5000");
  EXPECT_EQ(scalar(conn, "SELECT used FROM postmaster_mailbox"), std::to_string(3 + 1024));
  execute(conn, "DELETE FROM postmaster_mail");
  EXPECT_EQ(scalar(conn, "SELECT used FROM postmaster_mailbox"), "0");
}

// 0021: the intake's `queued` events go (the message's created_at says it); a requeue's, with
// its reason, and every later event stay.
TEST_F(upgrade_test, the_intakes_queued_events_are_dropped_and_the_rest_kept) {
  std::string last;
  const auto db = migrated_before("0021", last);
  ASSERT_EQ(last, "0020_postmaster_mailbox");
  pqxx::connection conn(db);
  execute(conn,
          "INSERT INTO accounts (name, country) VALUES ('ops', 'ZA');"
          "INSERT INTO messages (queue_id, account_id, recipient, encoding, segments, status) "
          "VALUES ('Q1', 1, '+27821000001', 'gsm7', 1, 'queued');"
          "INSERT INTO message_events (message_id, status) VALUES (1, 'queued');"
          // Not the intake's: one with a detail, written at the message's creation.
          "INSERT INTO message_events (message_id, status, detail) VALUES (1, 'queued', 'held');"
          "INSERT INTO message_events (message_id, status, detail, at) VALUES"
          " (1, 'sending', '', now() + interval '1 second'),"
          " (1, 'queued', 'throttled by the SMSC', now() + interval '2 seconds'),"
          " (1, 'queued', '', now() + interval '3 seconds')");
  ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "0021_intake_without_queued_event"));
  EXPECT_EQ(scalar(conn,
                   "SELECT string_agg(status || ':' || detail, ',' ORDER BY id) "
                   "FROM message_events"),
            "queued:held,sending:,queued:throttled by the SMSC,queued:");

  // And the intake now writes none (its statement without the events, checked by 0021's
  // function).
  sql::store store(db);
  core::submission s;
  s.account_id = 1;
  s.recipients = {"+27821000002"};
  s.text = "after 0021";
  s.sms = sms::encode(s.text);
  auto queued = store.enqueue(s);
  ASSERT_TRUE(queued.has_value()) << queued.error().message;
  EXPECT_EQ(scalar(conn, "SELECT count(*) FROM message_events"), "4");
}

// 0022: the accounts' rules become domains. The rows keep their values, every rule still
// refuses what it refused (check_violation, as before), and the settings trigger still speaks for
// settings and not for credit.
TEST_F(upgrade_test, account_rules_as_domains_keep_the_rows_and_refuse_what_they_refused) {
  std::string last;
  const auto db = migrated_before("0022", last);
  ASSERT_EQ(last, "0021_intake_without_queued_event");
  pqxx::connection conn(db);
  execute(conn,
          "INSERT INTO accounts (name, country, credit, status, notify, notify_to, max_parts) "
          "VALUES ('ops.team', 'ZA', 500, 'suspended', 'failures', 'ops@example.com', 3)");
  ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "0022_account_domains"));
  EXPECT_EQ(scalar(conn,
                   "SELECT concat_ws(',', name, country, credit, status, notify, notify_to, "
                   "max_parts, dedup_seconds, concatenation_reference) FROM accounts"),
            "ops.team,ZA,500,suspended,failures,ops@example.com,3,86400,8");
  EXPECT_EQ(scalar(conn,
                   "SELECT count(*) FROM pg_constraint WHERE conrelid = 'accounts'::regclass "
                   "AND contype = 'c'"),
            "0");

  for (const char* refused :
       {"UPDATE accounts SET credit = credit - 501", "UPDATE accounts SET country = 'za'",
        "UPDATE accounts SET name = '-x'", "UPDATE accounts SET max_parts = 0",
        "UPDATE accounts SET status = 'closed'", "UPDATE accounts SET subject = 'none'",
        "UPDATE accounts SET credit_policy = 'x'", "UPDATE accounts SET too_long = 'x'",
        "UPDATE accounts SET messages_per_minute = -1", "UPDATE accounts SET segments_per_day = -1",
        "UPDATE accounts SET per_number_per_hour = -1", "UPDATE accounts SET dedup_seconds = -1",
        "UPDATE accounts SET national_language = 'greek'",
        "UPDATE accounts SET concatenation_reference = 7", "UPDATE accounts SET notify = 'x'",
        "UPDATE accounts SET notify_to = 'a@b, c@d'",
        "INSERT INTO accounts (name, country) VALUES ('new', 'Z1')"}) {
    EXPECT_THROW(execute(conn, refused), pqxx::check_violation) << refused;
  }
  execute(conn, "UPDATE accounts SET credit = credit - 500, notify_to = 'sender'");
  EXPECT_EQ(scalar(conn, "SELECT credit || notify_to FROM accounts"), "0sender");
  // What the rules allow at their edges is still allowed.
  execute(conn,
          "UPDATE accounts SET name = 'a" + std::string(63, 'z') +
              "', max_parts = 255, concatenation_reference = 16, subject = 'subject-and-body', "
              "national_language = 'portuguese', notify = 'all', credit_policy = 'fail', "
              "too_long = 'truncate', messages_per_minute = 0, dedup_seconds = 0, "
              "notify_to = 'first.last+sms@mail.example.co.za'");
  execute(conn, "UPDATE accounts SET max_parts = 1, concatenation_reference = 8");
  EXPECT_EQ(
      scalar(conn, "SELECT length(name) || ',' || max_parts || ',' || notify_to FROM accounts"),
      "64,1,first.last+sms@mail.example.co.za");
  // The error names the column's domain.
  try {
    execute(conn, "UPDATE accounts SET dedup_seconds = -1");
    ADD_FAILURE() << "a negative dedup window was stored";
  } catch (const pqxx::check_violation& e) {
    EXPECT_NE(std::string(e.what()).find("account_dedup_seconds"), std::string::npos) << e.what();
  }

  // The trigger dropped and made again: a settings change notifies, a credit change does not.
  struct counter : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    void operator()(const std::string&, int) override { ++heard; }
    int heard = 0;
  };
  pqxx::connection listening(db);
  counter receiver(listening, "mail2sms_accounts");
  execute(conn, "UPDATE accounts SET credit = credit + 1");
  listening.await_notification(1, 0);
  EXPECT_EQ(receiver.heard, 0);
  execute(conn, "UPDATE accounts SET status = 'active'");
  listening.await_notification(5, 0);
  EXPECT_EQ(receiver.heard, 1);
}

}  // namespace
}  // namespace mail2sms::testing
