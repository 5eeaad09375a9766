// A test on a database of its own, migrated to the current schema, with a store on it and a
// connection to look at the rows with. Derive from migrated_test; a SetUp of your own calls
// migrated_test::SetUp() first and returns if HasFatalFailure().
#pragma once

#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "core/sms/sms.hpp"
#include "pg_fixture.hpp"
#include "sql/migrate.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {

class migrated_test : public pg_test {
 protected:
  void SetUp() override {
    pg_test::SetUp();
    if (HasFatalFailure()) return;
    db_ = fresh_database();
    auto migrated = sql::migrate(db_);
    ASSERT_TRUE(migrated.has_value()) << migrated.error();
    store_ = std::make_unique<sql::store>(db_);
    inspect_ = std::make_unique<pqxx::connection>(db_);
  }

  std::string db_;
  std::unique_ptr<sql::store> store_;
  std::unique_ptr<pqxx::connection> inspect_;
};

// With an account "ops" (ZA, credit to spare) that queues messages of N GSM parts.
class account_queue_test : public migrated_test {
 protected:
  void SetUp() override {
    migrated_test::SetUp();
    if (HasFatalFailure()) return;
    auto account = store_->add_account("ops", "ZA", "$argon2id$unused", 1000000);
    ASSERT_TRUE(account.has_value()) << account.error().message;
    account_id_ = account->id;
  }

  // Queues a message of `parts` GSM segments to +27821234567, from `account` (0: account_id_).
  void enqueue_parts(int parts, std::int64_t account = 0) {
    core::submission s;
    s.account_id = account != 0 ? account : account_id_;
    s.recipients = {"+27821234567"};
    s.text = std::string(static_cast<std::size_t>(parts - 1) * 153 + 10, 'x');
    s.sms = sms::encode(s.text);
    ASSERT_EQ(s.sms.segments.size(), static_cast<std::size_t>(parts));
    const auto queued = store_->enqueue(s);
    ASSERT_TRUE(queued.has_value()) << queued.error().message;
  }

  std::int64_t account_id_ = 0;
};

// For tests of an upgrade: a database migrated up to (not including) a given migration, to put
// rows in as an older binary wrote them before migrating the rest of the way.
class upgrade_test : public pg_test {
 protected:
  // A fresh database with the migrations named before `first_left_out` applied; `last` gets the
  // last one applied, or why migrating failed.
  std::string migrated_before(const std::string& first_left_out, std::string& last) {
    namespace fs = std::filesystem;
    temp_dir older;
    for (const auto& entry : fs::directory_iterator(sql::default_migrations_dir())) {
      const auto name = entry.path().filename().string();
      if (entry.path().extension() == ".sql" && name < first_left_out)
        fs::copy_file(entry.path(), older.path() / name);
    }
    auto db = fresh_database();
    const auto old = sql::migrate(db, older.path().string());
    last = old ? old->applied.back() : "migrating failed: " + old.error();
    return db;
  }

  // Migrates `db` the rest of the way; `first` is the migration that must come first. Call it
  // as ASSERT_NO_FATAL_FAILURE(migrate_rest(db, "00NN_name")).
  static void migrate_rest(const std::string& db, const std::string& first) {
    auto migrated = sql::migrate(db);
    ASSERT_TRUE(migrated.has_value()) << migrated.error();
    ASSERT_FALSE(migrated->applied.empty());
    EXPECT_EQ(migrated->applied.front(), first);
  }
};

}  // namespace mail2sms::testing
