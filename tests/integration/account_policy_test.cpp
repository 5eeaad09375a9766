// The account checks that live in the database, against a private PostgreSQL: what a session
// loads when it identifies an account, and what the commit decides (credit, rate limits, the
// velocity limit, the dedup window) and writes (ledger, counters), refunds included.
#include <gtest/gtest.h>

#include <latch>
#include <pqxx/pqxx>
#include <thread>

#include "core/policy/password.hpp"
#include "core/sms/sms.hpp"
#include "migrated_fixture.hpp"
#include "sql/group_commit.hpp"
#include "sql/migrate.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {
namespace {

class account_policy_test : public migrated_test {
 protected:
  void SetUp() override {
    migrated_test::SetUp();
    if (HasFatalFailure()) return;
    auto added = store_->add_account("ops", "ZA", hash(), 100);
    ASSERT_TRUE(added.has_value()) << added.error().message;
    account_ = *added;
  }

  static const std::string& hash() {
    static const std::string h = policy::hash_password("correct horse");
    return h;
  }

  void sql(const std::string& statement) {
    pqxx::connection c(db_);
    pqxx::work tx(c);
    tx.exec0(statement);
    tx.commit();
  }

  std::string value(const std::string& query) {
    pqxx::connection c(db_);
    pqxx::work tx(c);
    auto r = tx.exec1(query);
    return r[0].is_null() ? "NULL" : r[0].as<std::string>();
  }

  core::submission mail(std::vector<std::string> to, std::string message_id = "",
                        std::string text = "Disk full") const {
    core::submission s;
    s.account_id = account_.id;
    s.message_id = std::move(message_id);
    s.recipients = std::move(to);
    s.text = std::move(text);
    s.sms = sms::encode(s.text);
    return s;
  }

  core::enqueued enqueue(const core::submission& s) {
    auto r = store_->enqueue(s);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.has_value() ? *r : core::enqueued{};
  }

  core::account account_;
};

TEST_F(account_policy_test, authenticate_loads_settings_senders_and_groups) {
  sql("UPDATE accounts SET countries = '{ZA,DE}', number_types = '{mobile}', too_long = "
      "'truncate', subject = 'subject-and-body', end_marker = '##', disclaimers = "
      "'{\"^CONFIDENTIAL\"}',"
      " smart_gsm = false, transliterate = true, timezone = 'Africa/Johannesburg'");
  sql("INSERT INTO account_senders (account_id, pattern) SELECT id, '*@example.com' FROM accounts");
  sql("INSERT INTO contacts (account_id, number) SELECT id, n FROM accounts, "
      "unnest('{+27821000001,+27821000002}'::text[]) n");
  sql("INSERT INTO contact_groups (account_id, name) SELECT id, g FROM accounts, "
      "unnest('{oncall,empty}'::text[]) g");
  sql("INSERT INTO group_members SELECT g.id, c.id FROM contact_groups g, contacts c "
      "WHERE g.name = 'oncall'");
  auto found = store_->authenticate("ops", "correct horse");
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  const core::account& a = **found;
  EXPECT_EQ(a.countries, (std::vector<std::string>{"ZA", "DE"}));
  EXPECT_EQ(a.number_types, (std::vector<std::string>{"mobile"}));
  EXPECT_TRUE(a.truncate);
  EXPECT_EQ(a.text.subject, mail::subject_policy::subject_and_body);
  EXPECT_EQ(a.text.end_marker, "##");
  EXPECT_EQ(a.text.disclaimer_patterns, (std::vector<std::string>{"^CONFIDENTIAL"}));
  EXPECT_FALSE(a.smart_gsm);
  EXPECT_TRUE(a.transliterate);
  EXPECT_EQ(a.timezone, "Africa/Johannesburg");
  EXPECT_EQ(a.senders, (std::vector<std::string>{"*@example.com"}));
  ASSERT_EQ(a.groups.size(), 2u);
  EXPECT_EQ(a.groups.at("oncall"), (std::vector<std::string>{"+27821000001", "+27821000002"}));
  EXPECT_TRUE(a.groups.at("empty").empty());
  EXPECT_EQ(value("SELECT count(*) FROM credentials WHERE last_used_at IS NOT NULL"), "1");
}

TEST_F(account_policy_test, revoked_passwords_and_suspended_accounts_do_not_authenticate) {
  sql("INSERT INTO credentials (account_id, label, hash) SELECT id, 'laptop', '" + hash() +
      "' FROM accounts");
  sql("UPDATE credentials SET revoked_at = now() WHERE label = 'default'");
  auto found = store_->authenticate("ops", "correct horse");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->has_value());  // the laptop's password is the same text: still good
  sql("UPDATE credentials SET revoked_at = now()");
  EXPECT_FALSE(store_->authenticate("ops", "correct horse")->has_value());
  sql("UPDATE credentials SET revoked_at = NULL");
  sql("UPDATE accounts SET status = 'suspended'");
  EXPECT_FALSE(store_->authenticate("ops", "correct horse")->has_value());
}

TEST_F(account_policy_test, a_name_no_account_can_have_is_a_wrong_name_not_an_outage) {
  // Not UTF-8: PostgreSQL refused the parameter (22021), which AUTH answered as an outage (454,
  // no failure counted) for as long as the client kept sending it (review, session 27).
  for (const std::string& name : {std::string("\xff"), std::string("op\xc3"), std::string(70, 'o'),
                                  std::string("ops@example.com")}) {
    auto found = store_->authenticate(name, "correct horse");
    ASSERT_TRUE(found.has_value()) << found.error().message;
    EXPECT_FALSE(found->has_value());
  }
  EXPECT_TRUE(store_->authenticate("ops", "correct horse")->has_value());
  // Not looked up at all: a store whose database is gone answers them the same (a real name is
  // an outage there).
  sql::store dead("host=/nonexistent-dir dbname=mail2sms connect_timeout=5");
  auto impossible = dead.authenticate("\xff", "correct horse");
  ASSERT_TRUE(impossible.has_value());
  EXPECT_FALSE(impossible->has_value());
  EXPECT_FALSE(dead.authenticate("ops", "correct horse").has_value());
}

TEST_F(account_policy_test, a_registered_certificate_finds_its_active_account) {
  const std::string fingerprint(64, 'a');
  sql("INSERT INTO account_certificates (account_id, fingerprint) SELECT id, '" + fingerprint +
      "' FROM accounts");
  auto found = store_->by_certificate(fingerprint);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, "ops");
  EXPECT_FALSE(store_->by_certificate(std::string(64, 'b'))->has_value());
  sql("UPDATE accounts SET status = 'suspended'");
  EXPECT_FALSE(store_->by_certificate(fingerprint)->has_value());
}

TEST_F(account_policy_test, auth_failures_are_audited_with_the_client_and_never_the_password) {
  store_->record_auth_failure("192.0.2.7", "ops", "PLAIN");
  store_->record_auth_failure("192.0.2.7", "nobody", "LOGIN");  // or a password typed as the name
  // Names no account can have, not UTF-8 or too long (PostgreSQL refused the first, and the
  // attempt went unrecorded; review, session 27).
  store_->record_auth_failure("192.0.2.8", "\xff", "PLAIN");
  store_->record_auth_failure("192.0.2.8", std::string(127, 'a') + "\xc3\xa9", "LOGIN");
  EXPECT_EQ(value("SELECT string_agg(subject || '/' || client || '/' || detail || '/' || "
                  "coalesce(account_id::text, '-'), ',' ORDER BY id) FROM audit_log "
                  "WHERE action = 'auth.failure'"),
            "ops/192.0.2.7/AUTH PLAIN/" + std::to_string(account_.id) +
                ",(not an account name)/192.0.2.7/AUTH LOGIN/-"
                ",(not an account name)/192.0.2.8/AUTH PLAIN/-"
                ",(not an account name)/192.0.2.8/AUTH LOGIN/-");
}

// The subject has the digits masked; the link to the account must not depend on them (a name
// like "acct-1234567b" was audited without its account).
TEST_F(account_policy_test, an_auth_failure_is_linked_to_an_account_whose_name_holds_digits) {
  sql("UPDATE accounts SET name = 'shop-2024112901'");
  store_->record_auth_failure("192.0.2.7", "shop-2024112901", "PLAIN");
  const auto row = value(
      "SELECT subject || '/' || coalesce(account_id::text, '-') FROM audit_log "
      "WHERE action = 'auth.failure'");
  EXPECT_EQ(row.find("2024112901"), std::string::npos) << row;
  EXPECT_EQ(row.substr(row.rfind('/') + 1), std::to_string(account_.id)) << row;
}

TEST_F(account_policy_test, credit_is_reserved_with_a_ledger_row_and_the_balance_after_it) {
  auto first = enqueue(mail({"+27821000001", "+27821000002"}, "", std::string(200, 'x')));
  ASSERT_FALSE(first.refused);
  EXPECT_EQ(first.cost, 4);
  EXPECT_EQ(value("SELECT credit FROM accounts"), "96");
  EXPECT_EQ(value("SELECT string_agg(delta || ' ' || balance || ' ' || reason, ',' ORDER BY id) "
                  "FROM credit_ledger"),
            "100 100 initial credit,-4 96 reserved: 4 segments to 2 recipients");
  EXPECT_EQ(value("SELECT string_agg(cost::text, ',') FROM messages"), "2,2");
  sql("UPDATE accounts SET credit = 1");
  auto poor = enqueue(mail({"+27821000003"}, "", std::string(200, 'x')));
  ASSERT_TRUE(poor.refused);
  EXPECT_EQ(poor.refused->enhanced_code, "4.7.1");
  EXPECT_EQ(value("SELECT count(*) FROM messages"), "2");
}

TEST_F(account_policy_test, a_message_that_fails_for_good_refunds_its_cost_once) {
  ASSERT_FALSE(enqueue(mail({"+27821000001"}, "", std::string(200, 'x'))).refused);
  EXPECT_EQ(value("SELECT credit FROM accounts"), "98");
  auto claimed = store_->claim(10);
  ASSERT_TRUE(claimed.has_value() && claimed->size() == 1u);
  core::submit_outcome failed{core::submit_outcome::status::permanent_failure, {}, "invalid dest"};
  ASSERT_TRUE(store_->record(claimed->front().id, "smsc1", failed, std::nullopt).has_value());
  EXPECT_EQ(value("SELECT credit FROM accounts"), "100");
  EXPECT_EQ(value("SELECT cost FROM messages"), "0");
  EXPECT_EQ(value("SELECT delta || ' ' || balance FROM credit_ledger WHERE reason LIKE 'refund%'"),
            "2 100");
  sql("UPDATE messages SET status = 'expired'");  // another final state: nothing more to refund
  EXPECT_EQ(value("SELECT credit FROM accounts"), "100");
  EXPECT_EQ(value("SELECT count(*) FROM credit_ledger WHERE reason LIKE 'refund%'"), "1");
}

TEST_F(account_policy_test, the_velocity_limit_counts_committed_messages_to_the_number) {
  sql("UPDATE accounts SET per_number_per_hour = 2");
  EXPECT_FALSE(enqueue(mail({"+27821000001"})).refused);
  EXPECT_FALSE(enqueue(mail({"+27821000001", "+27821000002"})).refused);
  auto third = enqueue(mail({"+27821000002", "+27821000001"}));
  ASSERT_TRUE(third.refused);
  EXPECT_NE(third.refused->text.find("+2782*****01"), std::string::npos) << third.refused->text;
  sql("UPDATE messages SET created_at = now() - interval '61 minutes'");
  EXPECT_FALSE(enqueue(mail({"+27821000001"})).refused);  // an hour later
}

TEST_F(account_policy_test, the_dedup_window_skips_numbers_that_had_this_message_id) {
  EXPECT_EQ(enqueue(mail({"+27821000001"}, "<m1@x>")).duplicates, 0u);
  auto again = enqueue(mail({"+27821000001", "+27821000002"}, "<m1@x>"));
  EXPECT_FALSE(again.refused);
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(again.cost, 1);
  auto all_seen = enqueue(mail({"+27821000001", "+27821000002"}, "<m1@x>"));
  EXPECT_EQ(all_seen.duplicates, 2u);
  EXPECT_FALSE(all_seen.queue_id.empty());  // accepted: the client must not retry it
  EXPECT_EQ(value("SELECT count(*) FROM messages"), "2");
  EXPECT_EQ(enqueue(mail({"+27821000001"}, "<m2@x>")).duplicates, 0u);

  sql("UPDATE messages SET created_at = now() - interval '2 days'");  // past the default day
  EXPECT_EQ(enqueue(mail({"+27821000001"}, "<m1@x>")).duplicates, 0u);
  sql("UPDATE accounts SET dedup_seconds = 0");
  EXPECT_EQ(enqueue(mail({"+27821000001"}, "<m1@x>")).duplicates, 0u);
}

TEST_F(account_policy_test, rate_limits_count_in_the_accounts_minute_and_day) {
  // The minute window must not turn over in the middle: start early in a minute.
  const auto second = std::stoi(value("SELECT extract(second FROM clock_timestamp())::int"));
  if (second > 50) std::this_thread::sleep_for(std::chrono::seconds(61 - second));
  sql("UPDATE accounts SET messages_per_minute = 3, timezone = 'Pacific/Kiritimati'");
  EXPECT_FALSE(enqueue(mail({"+27821000001", "+27821000002"})).refused);
  EXPECT_TRUE(enqueue(mail({"+27821000003", "+27821000004"})).refused);
  EXPECT_FALSE(enqueue(mail({"+27821000003"})).refused);
  EXPECT_EQ(value("SELECT used FROM usage_counters WHERE kind = 'minute'"), "3");
  // The day begins at midnight in the account's time zone (UTC+14 here).
  EXPECT_EQ(
      value("SELECT window_start = date_trunc('day', now() AT TIME ZONE 'Pacific/Kiritimati') "
            "FROM usage_counters WHERE kind = 'day'"),
      "t");
  sql("UPDATE accounts SET messages_per_minute = 0, segments_per_day = 4");
  EXPECT_FALSE(enqueue(mail({"+27821000005"})).refused);  // 3 + 1
  auto over = enqueue(mail({"+27821000006"}));
  ASSERT_TRUE(over.refused);
  EXPECT_NE(over.refused->text.find("4 SMS segments a day, 4 are used"), std::string::npos)
      << over.refused->text;
}

TEST_F(account_policy_test, concurrent_batches_never_spend_more_than_the_credit) {
  sql("UPDATE accounts SET credit = 50");
  constexpr int senders = 100;
  std::atomic<int> accepted{0}, refused{0};
  {
    sql::group_committer committer(db_, {.max_batch = 8, .writers = 2});
    std::latch start(senders);
    std::vector<std::jthread> threads;
    for (int i = 0; i < senders; ++i) {
      threads.emplace_back([&, i] {
        auto s = mail({"+2782100" + std::to_string(1000 + i)});
        start.arrive_and_wait();
        auto r = committer.enqueue(s);
        ASSERT_TRUE(r.has_value()) << r.error().message;
        (r->refused ? refused : accepted) += 1;
      });
    }
  }
  EXPECT_EQ(accepted.load(), 50);
  EXPECT_EQ(refused.load(), 50);
  EXPECT_EQ(value("SELECT credit FROM accounts"), "0");
  EXPECT_EQ(value("SELECT count(*) FROM messages"), "50");
  EXPECT_EQ(value("SELECT sum(delta) || ' ' || min(balance) FROM credit_ledger WHERE delta < 0"),
            "-50 0");
}

TEST_F(account_policy_test, concurrent_writers_never_exceed_a_rate_limit) {
  sql("UPDATE accounts SET credit = 1000, messages_per_minute = 30");
  const auto second = std::stoi(value("SELECT extract(second FROM clock_timestamp())::int"));
  if (second > 50) std::this_thread::sleep_for(std::chrono::seconds(61 - second));
  constexpr int senders = 100;
  std::atomic<int> accepted{0};
  {
    sql::group_committer committer(db_, {.max_batch = 4, .writers = 2});
    std::latch start(senders);
    std::vector<std::jthread> threads;
    for (int i = 0; i < senders; ++i) {
      threads.emplace_back([&, i] {
        auto s = mail({"+2782100" + std::to_string(1000 + i)});
        start.arrive_and_wait();
        auto r = committer.enqueue(s);
        ASSERT_TRUE(r.has_value()) << r.error().message;
        if (!r->refused) accepted += 1;
      });
    }
  }
  EXPECT_EQ(accepted.load(), 30);
  EXPECT_EQ(value("SELECT count(*) FROM messages"), "30");
}

TEST_F(account_policy_test, with_the_dedup_window_off_a_batch_sends_a_repeated_message_id) {
  sql("UPDATE accounts SET dedup_seconds = 0");
  std::atomic<int> sent{0};
  {
    sql::group_committer committer(db_, {.max_batch = 64, .writers = 1});
    std::latch done(20);
    for (int i = 0; i < 20; ++i) {
      committer.enqueue_async(mail({"+27821000001"}, "<same@x>"), [&](auto r) {
        if (r && !r->refused && r->duplicates == 0) sent += 1;
        done.count_down();
      });
    }
    done.wait();
  }
  EXPECT_EQ(sent.load(), 20);
  EXPECT_EQ(value("SELECT count(*) FROM messages"), "20");
}

}  // namespace
}  // namespace mail2sms::testing
