// 0016's notifications and the watcher serve runs on them: every change to what a session
// remembers of an account (networks, certificates, senders, contact groups, the account's own
// columns but credit) speaks on mail2sms_accounts; the intake's and the refunds' credit updates
// do not; watch_account_changes calls back on the connection made and on each change.
#include "sql/account_changes.hpp"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "migrated_fixture.hpp"

namespace mail2sms::testing {
namespace {

using namespace std::chrono_literals;

class account_changes_test : public migrated_test {
 protected:
  void SetUp() override {
    migrated_test::SetUp();
    if (HasFatalFailure()) return;
    auto account = store_->add_account("ops", "ZA", "$argon2id$unused", 1000);
    ASSERT_TRUE(account.has_value()) << account.error().message;
    id_ = std::to_string(account->id);
    listening_ = std::make_unique<pqxx::connection>(db_);
    receiver_ = std::make_unique<counter>(*listening_, sql::accounts_channel);
  }

  struct counter : pqxx::notification_receiver {
    counter(pqxx::connection& c, const std::string& channel)
        : pqxx::notification_receiver(c, channel) {}
    void operator()(const std::string&, int) override { ++heard; }
    int heard = 0;
  };

  // The notifications that came since the last call: those of a commit come with it, so a
  // second's wait for the first, then a fifth for any more, is ample.
  int heard() {
    listening_->await_notification(1, 0);
    listening_->await_notification(0, 200000);
    listening_->get_notifs();
    const int n = receiver_->heard;
    receiver_->heard = 0;
    return n;
  }

  // Runs `sql` in a transaction of its own; how many notifications the listener then got.
  int notifications_after(const std::string& sql) {
    {
      pqxx::work tx(*inspect_);
      tx.exec0(sql);
      tx.commit();
    }
    return heard();
  }

  std::string id_;
  std::unique_ptr<pqxx::connection> listening_;
  std::unique_ptr<counter> receiver_;
};

TEST_F(account_changes_test, every_column_of_accounts_but_credit_is_watched) {
  pqxx::work tx(*inspect_);
  std::set<std::string> unwatched;
  for (const auto& row :
       tx.exec("SELECT a.attname FROM pg_attribute a WHERE a.attrelid = 'accounts'::regclass "
               "AND a.attnum > 0 AND NOT a.attisdropped "
               "AND a.attnum <> ALL (SELECT unnest(t.tgattr::int2[]) FROM pg_trigger t "
               "                     WHERE t.tgname = 'accounts_settings_changed')"))
    unwatched.insert(row[0].as<std::string>());
  // A column added to accounts that sessions remember (or that decides who may send) belongs in
  // 0016's list, in a migration of its own; credit alone is read at every commit instead.
  EXPECT_EQ(unwatched, std::set<std::string>{"credit"});
}

TEST_F(account_changes_test, what_sessions_remember_speaks_when_it_changes) {
  EXPECT_EQ(notifications_after("INSERT INTO account_networks (account_id, network) VALUES (" +
                                id_ + ", '192.0.2.0/24')"),
            1);
  EXPECT_EQ(notifications_after("UPDATE account_networks SET network = '192.0.2.0/25' WHERE "
                                "account_id = " +
                                id_),
            1);
  EXPECT_EQ(notifications_after("DELETE FROM account_networks WHERE account_id = " + id_), 1);
  EXPECT_EQ(
      notifications_after("INSERT INTO account_certificates (account_id, fingerprint) VALUES (" +
                          id_ + ", repeat('ab', 32))"),
      1);
  EXPECT_EQ(notifications_after("INSERT INTO account_senders (account_id, pattern) VALUES (" + id_ +
                                ", '*@example.com')"),
            1);
  EXPECT_EQ(notifications_after("INSERT INTO contacts (account_id, number) VALUES (" + id_ +
                                ", '+27821234567')"),
            1);
  EXPECT_EQ(notifications_after("INSERT INTO contact_groups (account_id, name) VALUES (" + id_ +
                                ", 'oncall')"),
            1);
  EXPECT_EQ(
      notifications_after("INSERT INTO group_members SELECT g.id, c.id FROM contact_groups g, "
                          "contacts c WHERE g.account_id = " +
                          id_),
      1);
  EXPECT_EQ(notifications_after("UPDATE accounts SET max_parts = 3 WHERE id = " + id_), 1);
  EXPECT_EQ(notifications_after("UPDATE accounts SET status = 'suspended' WHERE id = " + id_), 1);
  // Many rows in one statement, or many statements in one transaction: one notification.
  EXPECT_EQ(notifications_after("INSERT INTO account_networks (account_id, network) VALUES (" +
                                id_ + ", '198.51.100.0/24'), (" + id_ +
                                ", '203.0.113.0/24'); "
                                "UPDATE accounts SET timezone = 'UTC' WHERE id = " +
                                id_),
            1);
  EXPECT_EQ(notifications_after("DELETE FROM accounts WHERE id = " + id_), 1);
}

TEST_F(account_changes_test, credit_taken_and_given_back_is_silent) {
  EXPECT_EQ(notifications_after("UPDATE accounts SET credit = credit - 7 WHERE id = " + id_), 0);
  EXPECT_EQ(notifications_after("UPDATE accounts SET credit = credit + 7 WHERE id = " + id_), 0);
  // The intake's own write, for a mail of this account.
  core::submission s;
  s.account_id = std::stoll(id_);
  s.recipients = {"+27821234567"};
  s.text = "disk full";
  s.sms = sms::encode(s.text);
  const auto queued = store_->enqueue(s);
  ASSERT_TRUE(queued.has_value()) << queued.error().message;
  ASSERT_FALSE(queued->refused);
  EXPECT_EQ(heard(), 0);
}

TEST_F(account_changes_test, the_watcher_calls_back_when_it_connects_and_on_each_change) {
  std::atomic<int> calls = 0;
  std::jthread watcher([this, &calls](std::stop_token stop) {
    sql::watch_account_changes(
        db_, stop, [&calls] { ++calls; }, 100ms);
  });
  auto wait_for = [&calls](int n) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (calls.load() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    return calls.load();
  };
  EXPECT_EQ(wait_for(1), 1);  // connected: whatever was remembered before may be stale
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(calls.load(), 1);  // nothing changed, nothing called
  {
    pqxx::work tx(*inspect_);
    tx.exec0("INSERT INTO account_networks (account_id, network) VALUES (" + id_ +
             ", '10.0.0.0/8')");
    tx.commit();
  }
  EXPECT_EQ(wait_for(2), 2);
  {
    pqxx::work tx(*inspect_);
    tx.exec0("UPDATE accounts SET credit = credit - 1 WHERE id = " + id_);
    tx.commit();
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(calls.load(), 2);
  // Its connection cut: it connects again and calls back, for what it may have missed.
  {
    pqxx::work tx(*inspect_);
    const auto cut = tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE query LIKE 'LISTEN%mail2sms_accounts%' AND pid <> pg_backend_pid() "
        "AND pid <> " +
        std::to_string(listening_->backendpid()));
    tx.commit();
    ASSERT_EQ(cut.size(), 1u);
  }
  EXPECT_GE(wait_for(3), 3);
  watcher.request_stop();
}

}  // namespace
}  // namespace mail2sms::testing
