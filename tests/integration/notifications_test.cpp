// The notification outbox against a real PostgreSQL: the trigger writes a row when a message of
// an account that asked reaches a reported state (in the transaction of the state change) and
// none for notify = off, null or MAILER-DAEMON senders; claims by two notifiers never share a
// row; sent and given-up rows leave an event; rows go with their message and with retention.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <thread>

#include "core/sms/sms.hpp"
#include "migrated_fixture.hpp"
#include "sql/admin.hpp"
#include "sql/notifications.hpp"
#include "sql/postmaster.hpp"
#include "sql/retention.hpp"

namespace mail2sms::testing {
namespace {

using status = core::submit_outcome::status;
using std::chrono::seconds;

class notifications_test : public account_queue_test {
 protected:
  void SetUp() override {
    account_queue_test::SetUp();
    if (HasFatalFailure()) return;
    outbox_ = std::make_unique<sql::notification_store>(db_);
  }

  void execute(const std::string& sql) {
    pqxx::nontransaction tx(*inspect_);
    tx.exec(sql);
  }
  std::string value(const std::string& sql) {
    pqxx::nontransaction tx(*inspect_);
    const auto rows = tx.exec(sql);
    return rows.empty() || rows[0][0].is_null() ? "NULL" : rows[0][0].as<std::string>();
  }
  void set_notify(const std::string& notify, const std::string& to = "sender") {
    pqxx::work tx(*inspect_);
    tx.exec_params("UPDATE accounts SET notify = $1, notify_to = $2 WHERE id = $3", notify, to,
                   account_id_);
    tx.commit();
  }

  // A one-part message from mail_from, claimed by the dispatcher; returns its id.
  std::int64_t claimed_message(const std::string& mail_from, const std::string& number) {
    core::submission s;
    s.account_id = account_id_;
    s.mail_from = mail_from;
    s.message_id = "<m" + number + "@client.example.org>";
    s.recipients = {number};
    s.text = "disk full";
    s.sms = sms::encode(s.text);
    auto enqueued = store_->enqueue(s);
    EXPECT_TRUE(enqueued.has_value() && !enqueued->refused);
    auto claimed = store_->claim(10);
    EXPECT_TRUE(claimed.has_value() && claimed->size() == 1u);
    return claimed.has_value() && !claimed->empty() ? claimed->front().id : 0;
  }
  // A second account, noc, that wrote `text` to `number` from `sender_id` ("": the connector's
  // own address); returns its id (0 if it could not be made, after a failed expectation).
  std::int64_t noc_wrote(const std::string& number, const std::string& sender_id,
                         const std::string& text) {
    auto noc = store_->add_account("noc", "ZA", "$argon2id$unused", 1000000);
    EXPECT_TRUE(noc.has_value());
    if (!noc) return 0;
    core::submission s;
    s.account_id = noc->id;
    s.mail_from = "bob@example.net";
    s.recipients = {number};
    s.sender_id = sender_id;
    s.text = text;
    s.sms = sms::encode(s.text);
    EXPECT_TRUE(store_->enqueue(s).has_value());
    return noc->id;
  }
  void outcome(std::int64_t id, status what, const std::string& reason, std::string smsc_id = "") {
    core::submit_outcome o{what, {}, reason};
    if (!smsc_id.empty()) o.smsc_message_ids = {std::move(smsc_id)};
    auto r = store_->record(id, "smsc1", o, std::nullopt);
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
  void receipt(const std::string& smsc_id, const std::string& state) {
    auto r = store_->record_reports({{"smsc1", smsc_id, state, "001"}});
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }
  std::string rows_for(std::int64_t message) {
    return value(
        "SELECT string_agg(status || ' ' || rcpt_to || ' ' || state, ', ' ORDER BY id) "
        "FROM notifications WHERE message_id = " +
        std::to_string(message));
  }

  std::unique_ptr<sql::notification_store> outbox_;
};

TEST_F(notifications_test, none_for_an_account_with_notify_off) {
  const auto failed = claimed_message("alice@example.org", "+27821000001");
  outcome(failed, status::permanent_failure, "ESME_RINVDSTADR");
  EXPECT_EQ(value("SELECT status FROM messages WHERE id = " + std::to_string(failed)), "failed");
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "0");
}

TEST_F(notifications_test, failures_are_queued_with_the_state_change_delivered_only_for_all) {
  set_notify("failures");
  const auto failed = claimed_message("alice@example.org", "+27821000001");
  outcome(failed, status::permanent_failure, "ESME_RINVDSTADR");
  EXPECT_EQ(rows_for(failed), "failed alice@example.org pending");

  const auto expired = claimed_message("alice@example.org", "+27821000002");
  outcome(expired, status::expired, "validity passed");
  EXPECT_EQ(rows_for(expired), "expired alice@example.org pending");

  const auto undeliverable = claimed_message("alice@example.org", "+27821000003");
  outcome(undeliverable, status::submitted, "", "s3");
  receipt("s3", "UNDELIV");
  EXPECT_EQ(rows_for(undeliverable), "undeliverable alice@example.org pending");

  const auto delivered = claimed_message("alice@example.org", "+27821000004");
  outcome(delivered, status::submitted, "", "s4");
  EXPECT_EQ(rows_for(delivered), "NULL");  // submitted is not reported
  receipt("s4", "DELIVRD");
  EXPECT_EQ(rows_for(delivered), "NULL");

  set_notify("all", "noc@example.net");
  const auto delivered_all = claimed_message("alice@example.org", "+27821000005");
  outcome(delivered_all, status::submitted, "", "s5");
  receipt("s5", "DELIVRD");
  EXPECT_EQ(rows_for(delivered_all), "delivered noc@example.net pending");
}

TEST_F(notifications_test, never_for_null_or_mailer_daemon_senders) {
  set_notify("all", "noc@example.net");
  int n = 0;
  for (const char* sender : {"", "MAILER-DAEMON@example.org", "postmaster@example.org",
                             "owner-list@example.org", "list-request@example.org",
                             "\"MAILER-DAEMON\"@example.org"}) {
    const auto id = claimed_message(sender, "+2782100010" + std::to_string(n++));
    outcome(id, status::permanent_failure, "ESME_RINVDSTADR");
    EXPECT_EQ(rows_for(id), "NULL") << "sender '" << sender << "'";
  }
}

TEST_F(notifications_test, a_claim_returns_what_the_mail_needs_and_leases_it) {
  set_notify("failures");
  const auto failed = claimed_message("alice@example.org", "+27821000001");
  outcome(failed, status::permanent_failure, "ESME_RINVDSTADR");
  auto claimed = outbox_->claim(10, seconds(600));
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 1u);
  const auto& n = claimed->front();
  EXPECT_EQ(n.attempts, 1);
  EXPECT_EQ(n.rcpt_to, "alice@example.org");
  EXPECT_EQ(n.recipient, "+27821000001");
  EXPECT_EQ(n.status, "failed");
  EXPECT_EQ(n.reason, "ESME_RINVDSTADR");
  EXPECT_EQ(n.mail_message_id, "<m+27821000001@client.example.org>");
  EXPECT_NE(n.accepted_at.find(" +0000"), std::string::npos) << n.accepted_at;
  EXPECT_FALSE(n.queue_id.empty());
  // Leased: not due again within the lease.
  auto again = outbox_->claim(10, seconds(600));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());

  // Released untried (serve stopping): due at once, the attempt not counted.
  ASSERT_TRUE(outbox_->release({n.id}).has_value());
  auto released = outbox_->claim(10, seconds(600));
  ASSERT_TRUE(released.has_value() && released->size() == 1u);
  EXPECT_EQ(released->front().attempts, 1);

  ASSERT_TRUE(outbox_->retry(n.id, seconds(0), "451 4.3.0 later").has_value());
  auto retried = outbox_->claim(10, seconds(600));
  ASSERT_TRUE(retried.has_value() && retried->size() == 1u);
  EXPECT_EQ(retried->front().attempts, 2);

  ASSERT_TRUE(outbox_->sent(n.id, "250 2.0.0 queued").has_value());
  EXPECT_EQ(rows_for(failed), "failed alice@example.org sent");
  EXPECT_EQ(value("SELECT detail FROM message_events WHERE status = 'notification'"),
            "delivery-status mail (failed) sent: 250 2.0.0 queued");
  auto after = outbox_->claim(10, seconds(0));
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->empty());
}

TEST_F(notifications_test, giving_up_leaves_an_event) {
  set_notify("failures");
  const auto failed = claimed_message("alice@example.org", "+27821000001");
  outcome(failed, status::permanent_failure, "ESME_RINVDSTADR");
  auto claimed = outbox_->claim(10, seconds(600));
  ASSERT_TRUE(claimed.has_value() && claimed->size() == 1u);
  ASSERT_TRUE(outbox_->give_up(claimed->front().id, "RCPT TO: 550 5.1.1 unknown").has_value());
  EXPECT_EQ(rows_for(failed), "failed alice@example.org given-up");
  EXPECT_EQ(value("SELECT detail FROM message_events WHERE status = 'notification'"),
            "delivery-status mail (failed) given up: RCPT TO: 550 5.1.1 unknown");
}

TEST_F(notifications_test, two_notifiers_never_claim_one_row) {
  set_notify("failures");
  constexpr int messages = 60;
  {
    pqxx::work tx(*inspect_);
    // Failed messages written directly: the trigger queues one notification each.
    tx.exec_params(
        "INSERT INTO messages (queue_id, account_id, mail_from, recipient, encoding, segments, "
        "status) SELECT 'Q' || i, $1, 'alice@example.org', '+2782100' || lpad(i::text, 4, '0'), "
        "'gsm7', 1, 'sending' FROM generate_series(1, $2) i",
        account_id_, messages);
    tx.exec("UPDATE messages SET status = 'failed'");
    tx.commit();
  }
  ASSERT_EQ(value("SELECT count(*) FROM notifications"), std::to_string(messages));
  sql::notification_store other(db_);
  std::vector<std::int64_t> first;
  std::vector<std::int64_t> second;
  auto drain = [](sql::notification_store& outbox, std::vector<std::int64_t>& ids) {
    for (;;) {
      auto claimed = outbox.claim(3, seconds(600));
      if (!claimed.has_value() || claimed->empty()) return;
      for (const auto& n : *claimed) ids.push_back(n.id);
    }
  };
  std::thread a([&] { drain(*outbox_, first); });
  std::thread b([&] { drain(other, second); });
  a.join();
  b.join();
  std::set<std::int64_t> all(first.begin(), first.end());
  for (const auto id : second) EXPECT_TRUE(all.insert(id).second) << "claimed twice: " << id;
  EXPECT_EQ(all.size(), static_cast<std::size_t>(messages));
  EXPECT_EQ(value("SELECT max(attempts) FROM notifications"), "1");
}

TEST_F(notifications_test, rows_go_with_their_message_and_with_retention) {
  set_notify("failures");
  const auto one = claimed_message("alice@example.org", "+27821000001");
  outcome(one, status::permanent_failure, "x");
  const auto two = claimed_message("alice@example.org", "+27821000002");
  outcome(two, status::permanent_failure, "x");
  execute("DELETE FROM messages WHERE id = " + std::to_string(one));
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "1");

  execute("UPDATE notifications SET created_at = now() - interval '31 days'");
  auto purged = sql::purge_bodies(db_, 30);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->notifications, 1);
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "0");
}

TEST_F(notifications_test, accounts_wanting_notifications_are_named) {
  auto none = outbox_->accounts_wanting_notifications();
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  set_notify("failures");
  auto some = outbox_->accounts_wanting_notifications();
  ASSERT_TRUE(some.has_value());
  EXPECT_EQ(*some, std::vector<std::string>{"ops"});
}

TEST_F(notifications_test, a_reply_goes_to_the_one_account_it_can_be_for) {
  const auto answered = claimed_message("alice@example.org", "+27821000001");
  outcome(answered, status::submitted, "", "s1");
  // notify = off: a reply is stored and mailed to nobody.
  ASSERT_TRUE(
      store_->record_inbound({{"smsc1", "27821000001", "x", "ok", std::nullopt, ""}}).has_value());
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "0");

  set_notify("failures");
  ASSERT_TRUE(store_->record_inbound({{"smsc1", "27821000001", "x", "On my way", std::nullopt, ""}})
                  .has_value());
  ASSERT_TRUE(store_->record_inbound({{"smsc1", "27829999999", "x", "who?", std::nullopt, ""}})
                  .has_value());
  EXPECT_EQ(value("SELECT string_agg(kind || ' ' || rcpt_to || ' ' || message_id, ',') "
                  "FROM notifications"),
            "reply alice@example.org " + std::to_string(answered));
  auto claimed = outbox_->claim(10, seconds(600));
  ASSERT_TRUE(claimed.has_value() && claimed->size() == 1u);
  EXPECT_TRUE(claimed->front().reply);
  EXPECT_EQ(claimed->front().reply_text, std::optional<std::string>("On my way"));
  EXPECT_EQ(claimed->front().recipient, "+27821000001");
  EXPECT_EQ(claimed->front().mail_message_id, "<m+27821000001@client.example.org>");

  // Another account with notify on writes to the number later, from a number of its own.
  execute("UPDATE messages SET created_at = now() - interval '1 hour'");
  ASSERT_NE(noc_wrote("+27821000001", "+27820000002", "call me"), 0);
  execute("UPDATE accounts SET notify = 'all', notify_to = 'noc@example.net' WHERE name = 'noc'");
  // A reply to noc's number is noc's.
  ASSERT_TRUE(
      store_->record_inbound({{"smsc1", "+27821000001", "27820000002", "sure", std::nullopt, ""}})
          .has_value());
  EXPECT_EQ(value("SELECT rcpt_to FROM notifications ORDER BY id DESC LIMIT 1"), "noc@example.net");
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "2");
  // A reply to another address could be either account's: mailed to no one (0008 gave it to
  // the account that wrote last, noc, whatever it answered).
  ASSERT_TRUE(
      store_->record_inbound({{"smsc1", "+27821000001", "x", "for alice?", std::nullopt, ""}})
          .has_value());
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "2");

  // The account a reply is for has notify off: mailed to no one (not to the other account).
  execute("UPDATE accounts SET notify = 'off' WHERE name = 'noc'");
  ASSERT_TRUE(
      store_
          ->record_inbound({{"smsc1", "+27821000001", "27820000002", "for noc", std::nullopt, ""}})
          .has_value());
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "2");
  EXPECT_EQ(value("SELECT count(*) FROM inbound_messages"), "6");  // every reply is stored

  // Older than 7 days: nobody's.
  execute("UPDATE messages SET created_at = now() - interval '8 days'");
  ASSERT_TRUE(store_->record_inbound({{"smsc1", "27821000001", "x", "late", std::nullopt, ""}})
                  .has_value());
  EXPECT_EQ(value("SELECT count(*) FROM notifications"), "2");
}

TEST_F(notifications_test, two_accounts_sharing_a_sender_id_get_no_reply_by_mail) {
  // Both write to one number from the connector's own address (no sender ID): a reply cannot
  // say which of them it answers, so neither is mailed it.
  const auto first = claimed_message("alice@example.org", "+27821000003");
  outcome(first, status::submitted, "", "s3");
  set_notify("all");
  ASSERT_NE(noc_wrote("+27821000003", "", "call me"), 0);
  execute("UPDATE accounts SET notify = 'all', notify_to = 'noc@example.net' WHERE name = 'noc'");
  ASSERT_TRUE(
      store_->record_inbound({{"smsc1", "27821000003", "27820000009", "yes", std::nullopt, ""}})
          .has_value());
  EXPECT_EQ(value("SELECT count(*) FROM notifications WHERE kind = 'reply'"), "0");
  EXPECT_EQ(value("SELECT count(*) FROM inbound_messages"), "1");
}

TEST_F(notifications_test, a_reply_to_another_account_s_sender_id_is_nobody_s) {
  // noc's sender ID is +27830000002; it wrote to the number more than 7 days ago. ops wrote
  // yesterday, from the connector's own address. The number replies to +27830000002: the reply
  // is for noc, not ops (0017 gave it to ops, and mailed it there). Now it is nobody's.
  const auto recent = claimed_message("alice@example.org", "+27821000004");
  outcome(recent, status::submitted, "", "s4");
  const auto noc = noc_wrote("+27821000004", "+27830000002", "old");
  ASSERT_NE(noc, 0);
  execute("UPDATE accounts SET sender_id = '+27830000002' WHERE name = 'noc'");
  execute("UPDATE messages SET created_at = now() - interval '8 days' WHERE account_id = " +
          std::to_string(noc));
  set_notify("all");
  ASSERT_TRUE(
      store_->record_inbound({{"smsc1", "27821000004", "27830000002", "for noc", std::nullopt, ""}})
          .has_value());
  EXPECT_EQ(value("SELECT count(*) FROM notifications WHERE kind = 'reply'"), "0");
  EXPECT_EQ(value("SELECT count(*) FROM inbound_messages WHERE account_id IS NULL"), "1");
  // The same reply to the connector's own address is ops's, as before.
  ASSERT_TRUE(
      store_->record_inbound({{"smsc1", "27821000004", "Alerts", "for ops", std::nullopt, ""}})
          .has_value());
  EXPECT_EQ(value("SELECT count(*) FROM notifications WHERE kind = 'reply'"), "1");
  EXPECT_EQ(value("SELECT a.name FROM inbound_messages i JOIN accounts a ON a.id = i.account_id"),
            "ops");
}

// A reply to the sender ID of an account erased since (or of one that changed it) answers a
// message no account has any more: it is nobody's, even though another account wrote to the
// number from the connector's default source (0019 gave it to that account). serve says whether
// a reply went to the default source (0024); one that did is still that account's.
TEST_F(notifications_test, a_reply_to_an_erased_account_s_sender_id_is_nobody_s) {
  const auto from_default = claimed_message("alice@example.org", "+27821000005");
  outcome(from_default, status::submitted, "", "s5");
  set_notify("all");
  ASSERT_NE(noc_wrote("+27821000005", "+27830000003", "from noc"), 0);
  auto reply = [this](const char* destination, const char* text) {
    ASSERT_TRUE(store_
                    ->record_inbound({{.connector = "smsc1",
                                       .source = "27821000005",
                                       .destination = destination,
                                       .text = text,
                                       .part = std::nullopt,
                                       .default_source = "Alerts"}})
                    .has_value());
  };
  auto owner_of = [this](const char* text) {
    return value(
        "SELECT coalesce(a.name, '(nobody)') FROM inbound_messages i "
        "LEFT JOIN accounts a ON a.id = i.account_id WHERE i.body = '" +
        std::string(text) + "'");
  };
  reply("27830000003", "for noc");
  EXPECT_EQ(owner_of("for noc"), "noc");
  reply("0830000003", "for noc, national");  // as an SMSC may report the address
  EXPECT_EQ(owner_of("for noc, national"), "noc");
  ASSERT_TRUE(sql::admin(db_).delete_account("noc").has_value());
  reply("27830000003", "for erased noc");
  EXPECT_EQ(owner_of("for erased noc"), "(nobody)");
  EXPECT_EQ(value("SELECT count(*) FROM notifications WHERE kind = 'reply'"), "0");
  // To the connector's default source: the account that wrote from there.
  reply("Alerts", "for ops");
  EXPECT_EQ(owner_of("for ops"), "ops");
  EXPECT_EQ(value("SELECT count(*) FROM notifications WHERE kind = 'reply'"), "1");
}

// Addresses compare as numbers where both are (the last nine digits, so a national form matches
// the international one; short codes whole), otherwise as text in any case; an empty one never.
TEST_F(notifications_test, reply_addresses_compare_as_numbers_where_both_are) {
  EXPECT_EQ(value("SELECT same_reply_address('27820000000', '+27820000000')"), "t");
  EXPECT_EQ(value("SELECT same_reply_address('27820000000', '+27820000001')"), "f");
  EXPECT_EQ(value("SELECT same_reply_address('0820000000', '+27820000000')"), "t");
  EXPECT_EQ(value("SELECT same_reply_address('ALERTS', 'Alerts')"), "t");
  EXPECT_EQ(value("SELECT same_reply_address('40000', '140000')"), "f");
  EXPECT_EQ(value("SELECT same_reply_address('', '')"), "f");
}

// A reply that arrives while its account is being erased (the erasure has deleted the messages
// and not yet committed) waits for the erasure, and is then attributed without that account.
// Before, its foreign key check failed after the wait, and the whole batch of replies with it
// was refused to the SMSC, again at every resend.
TEST_F(notifications_test, a_reply_during_its_account_s_erasure_is_stored_as_nobody_s) {
  const auto noc = noc_wrote("+27821000006", "", "from noc");
  ASSERT_NE(noc, 0);
  const auto id = std::to_string(noc);

  pqxx::connection erasing(db_);  // the erasure's first steps: the account, then its messages
  pqxx::work erasure(erasing);
  erasure.exec("SELECT id FROM accounts WHERE id = " + id + " FOR UPDATE");
  erasure.exec(
      "DELETE FROM dispatch_queue q USING messages m WHERE m.id = q.message_id AND "
      "m.account_id = " +
      id);
  erasure.exec("DELETE FROM messages WHERE account_id = " + id);
  std::optional<bool> stored;
  std::thread replying([&] {
    stored = store_
                 ->record_inbound({{.connector = "smsc1",
                                    .source = "27821000006",
                                    .destination = "x",
                                    .text = "during the erasure",
                                    .part = std::nullopt,
                                    .default_source = ""}})
                 .has_value();
  });
  for (int i = 0; i < 500 && value("SELECT count(*) FROM pg_locks WHERE NOT granted") == "0"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(value("SELECT count(*) FROM pg_locks WHERE NOT granted"), "0");
  erasure.exec("DELETE FROM accounts WHERE id = " + id);
  erasure.commit();
  replying.join();
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(*stored);
  EXPECT_EQ(value("SELECT count(*) FROM inbound_messages WHERE body = 'during the erasure' "
                  "AND account_id IS NULL"),
            "1");
}

// Mail to the postmaster to be forwarded (0020): claimed under a lease, released untried when
// serve stops (due at once, the attempt not counted), forwarded once; the mailbox's running
// total follows deliveries and deletions, and a mail that does not fit is not stored.
TEST_F(notifications_test, postmaster_mail_is_claimed_released_and_forwarded_once) {
  sql::postmaster_box box(db_, 4096, "ops@example.org");
  core::postmaster_mail mail{.client = "192.0.2.7",
                             .helo = "mx",
                             .mail_from = "abuse@isp.example",
                             .recipient = "Postmaster",
                             .account_id = std::nullopt,
                             .tls = false,
                             .message = "Subject: hi\r\n\r\nhello\r\n"};
  auto stored = box.deliver(mail);
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  ASSERT_TRUE(stored->has_value());
  const auto id = **stored;
  EXPECT_EQ(value("SELECT used FROM postmaster_mailbox"),
            std::to_string(mail.message.size() + 1024));
  sql::postmaster_box small(db_, 2048, "ops@example.org");
  auto too_big = small.deliver(mail);  // twice (size + 1,024) > 2,048
  ASSERT_TRUE(too_big.has_value());
  EXPECT_FALSE(too_big->has_value());

  auto claimed = box.claim_forwards(10, seconds(600));
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().id, id);
  EXPECT_EQ(claimed->front().attempts, 1);
  EXPECT_EQ(claimed->front().forward_to, "ops@example.org");
  EXPECT_EQ(claimed->front().message, mail.message);
  EXPECT_TRUE(box.claim_forwards(10, seconds(600))->empty());  // leased
  ASSERT_TRUE(box.release_forwards({id}).has_value());
  auto again = box.claim_forwards(10, seconds(600));
  ASSERT_TRUE(again.has_value() && again->size() == 1u);
  EXPECT_EQ(again->front().attempts, 1);
  ASSERT_TRUE(box.forwarded(id, "250 ok").has_value());
  ASSERT_TRUE(box.release_forwards({id}).has_value());  // too late: stays forwarded
  EXPECT_TRUE(box.claim_forwards(10, seconds(0))->empty());
  EXPECT_EQ(value("SELECT forwarded_at IS NOT NULL FROM postmaster_mail"), "t");

  execute("DELETE FROM postmaster_mail");
  EXPECT_EQ(value("SELECT used FROM postmaster_mailbox"), "0");
}

TEST_F(notifications_test, settings_are_set_shown_audited_and_exported_with_the_outbox) {
  sql::admin admin(db_);
  auto account = admin.account("ops");
  ASSERT_TRUE(account.has_value()) << account.error().message;
  EXPECT_EQ(account->notify, "off");
  EXPECT_EQ(account->notify_to, "sender");
  auto set = admin.set("ops", "notify", "Failures");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(*set, "failures");
  ASSERT_TRUE(admin.set("ops", "notify-to", "noc@example.net").has_value());
  auto bad = admin.set("ops", "notify-to", "NOC <noc@example.net>");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().what, sql::admin_error::kind::invalid);
  account = admin.account("ops");
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->notify, "failures");
  EXPECT_EQ(account->notify_to, "noc@example.net");
  EXPECT_EQ(value("SELECT count(*) FROM audit_log WHERE detail IN "
                  "('notify=failures', 'notify-to=noc@example.net')"),
            "2");

  const auto failed = claimed_message("alice@example.org", "+27821000001");
  outcome(failed, status::permanent_failure, "ESME_RINVDSTADR");
  auto exported = admin.export_account("ops");
  ASSERT_TRUE(exported.has_value()) << exported.error().message;
  const auto doc = nlohmann::json::parse(*exported);
  EXPECT_EQ(doc["account"]["notify"], "failures");
  EXPECT_EQ(doc["account"]["notify_to"], "noc@example.net");
  ASSERT_EQ(doc["messages"][0]["notifications"].size(), 1u);
  EXPECT_EQ(doc["messages"][0]["notifications"][0]["to"], "noc@example.net");
  EXPECT_EQ(doc["messages"][0]["notifications"][0]["state"], "pending");
}

TEST_F(notifications_test, notify_to_must_be_sender_or_one_address) {
  pqxx::work tx(*inspect_);
  EXPECT_THROW(tx.exec("UPDATE accounts SET notify_to = 'a@b, c@d'"), pqxx::check_violation);
}

}  // namespace
}  // namespace mail2sms::testing
