// Migrations against a real PostgreSQL: a fresh database gets every file, a second run changes
// nothing, a broken migration rolls back and says which file and why, concurrent runs agree.
#include "sql/migrate.hpp"

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <future>

#include "pg_fixture.hpp"

namespace mail2sms::testing {
namespace {

namespace fs = std::filesystem;

// The migrations shipped in the source tree, by name, in order.
std::vector<std::string> shipped_migrations() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(sql::default_migrations_dir())) {
    if (entry.path().extension() == ".sql") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> recorded_migrations(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  std::vector<std::string> names;
  for (const auto& row : tx.exec("SELECT name FROM schema_migrations ORDER BY name"))
    names.push_back(row[0].as<std::string>());
  return names;
}

// Every column of every table in the public schema, to compare schemas.
std::vector<std::string> schema_of(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  std::vector<std::string> columns;
  const auto rows = tx.exec(
      "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable "
      "FROM information_schema.columns WHERE table_schema = 'public' "
      "ORDER BY table_name, ordinal_position");
  for (const auto& row : rows) columns.push_back(row[0].as<std::string>());
  return columns;
}

bool table_exists(const std::string& conninfo, const std::string& table) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return !tx.exec_params1("SELECT to_regclass($1)", "public." + table)[0].is_null();
}

void write_file(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

class migrate_test : public pg_test {};

TEST_F(migrate_test, fresh_database_gets_every_migration_in_order) {
  const auto db = fresh_database();
  auto report = sql::migrate(db);
  ASSERT_TRUE(report.has_value()) << report.error();
  ASSERT_FALSE(shipped_migrations().empty());
  EXPECT_EQ(report->applied, shipped_migrations());
  EXPECT_TRUE(report->already.empty());
  EXPECT_EQ(recorded_migrations(db), shipped_migrations());
}

TEST_F(migrate_test, second_run_applies_nothing_and_keeps_the_schema) {
  const auto db = fresh_database();
  ASSERT_TRUE(sql::migrate(db).has_value());
  const auto schema = schema_of(db);
  auto again = sql::migrate(db);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->already, shipped_migrations());
  EXPECT_EQ(schema_of(db), schema);
  EXPECT_EQ(recorded_migrations(db), shipped_migrations());
}

TEST_F(migrate_test, the_design_tables_exist) {
  const auto db = fresh_database();
  ASSERT_TRUE(sql::migrate(db).has_value());
  for (const char* table :
       {"schema_migrations", "accounts", "credentials", "messages", "message_parts",
        "message_events", "delivery_reports", "inbound_messages", "credit_ledger", "audit_log"}) {
    EXPECT_TRUE(table_exists(db, table)) << table;
  }
}

TEST_F(migrate_test, failing_migration_rolls_back_and_names_file_and_error) {
  temp_dir dir;
  write_file(dir.path() / "0001_first.sql", "CREATE TABLE first_table (x integer);\n");
  write_file(dir.path() / "0002_broken.sql",
             "CREATE TABLE half_done (y integer);\nINSERT INTO half_done VALUES (1);\nSELEC 1;\n");
  const auto db = fresh_database();

  auto report = sql::migrate(db, dir.path().string());
  ASSERT_FALSE(report.has_value());
  EXPECT_NE(report.error().find("0002_broken.sql"), std::string::npos) << report.error();
  EXPECT_NE(report.error().find("syntax error at or near \"SELEC\""), std::string::npos)
      << report.error();
  EXPECT_NE(report.error().find("42601"), std::string::npos) << report.error();
  EXPECT_EQ(recorded_migrations(db), std::vector<std::string>{"0001_first"});
  EXPECT_TRUE(table_exists(db, "first_table"));
  EXPECT_FALSE(table_exists(db, "half_done"));

  write_file(dir.path() / "0002_broken.sql", "CREATE TABLE half_done (y integer);\n");
  auto fixed = sql::migrate(db, dir.path().string());
  ASSERT_TRUE(fixed.has_value()) << fixed.error();
  EXPECT_EQ(fixed->applied, std::vector<std::string>{"0002_broken"});
  EXPECT_EQ(fixed->already, std::vector<std::string>{"0001_first"});
}

TEST_F(migrate_test, concurrent_migrators_apply_each_file_once) {
  const auto db = fresh_database();
  auto run = [&db] { return sql::migrate(db); };
  auto first = std::async(std::launch::async, run);
  auto second = std::async(std::launch::async, run);
  auto a = first.get();
  auto b = second.get();
  ASSERT_TRUE(a.has_value()) << a.error();
  ASSERT_TRUE(b.has_value()) << b.error();
  std::vector<std::string> applied = a->applied;
  applied.insert(applied.end(), b->applied.begin(), b->applied.end());
  std::sort(applied.begin(), applied.end());
  EXPECT_EQ(applied, shipped_migrations());
  EXPECT_EQ(recorded_migrations(db), shipped_migrations());
}

TEST_F(migrate_test, environment_overrides_the_default_directory) {
  temp_dir dir;
  write_file(dir.path() / "0001_only.sql", "CREATE TABLE only_table (x integer);\n");
  ASSERT_EQ(setenv("MAIL2SMS_MIGRATIONS_DIR", dir.path().c_str(), 1), 0);
  EXPECT_EQ(sql::default_migrations_dir(), dir.path().string());
  const auto db = fresh_database();
  auto report = sql::migrate(db);
  unsetenv("MAIL2SMS_MIGRATIONS_DIR");
  ASSERT_TRUE(report.has_value()) << report.error();
  EXPECT_EQ(report->applied, std::vector<std::string>{"0001_only"});
  EXPECT_TRUE(sql::default_migrations_dir().ends_with("sql/migrations"));
}

TEST_F(migrate_test, misnamed_or_renumbered_files_are_errors) {
  temp_dir dir;
  write_file(dir.path() / "0001_a.sql", "SELECT 1;\n");
  write_file(dir.path() / "2_b.sql", "SELECT 1;\n");
  auto misnamed = sql::migrate(fresh_database(), dir.path().string());
  ASSERT_FALSE(misnamed.has_value());
  EXPECT_NE(misnamed.error().find("2_b.sql is not named NNNN_name.sql"), std::string::npos)
      << misnamed.error();

  fs::remove(dir.path() / "2_b.sql");
  write_file(dir.path() / "0001_c.sql", "SELECT 1;\n");
  auto twice = sql::migrate(fresh_database(), dir.path().string());
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().find("share the number 0001"), std::string::npos) << twice.error();
}

TEST_F(migrate_test, missing_directory_and_unreachable_database_are_errors) {
  auto missing = sql::migrate(connection_string(), "/nonexistent/migrations");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().find("/nonexistent/migrations"), std::string::npos) << missing.error();

  auto unreachable = sql::migrate("host=/nonexistent port=5432 dbname=x user=x");
  ASSERT_FALSE(unreachable.has_value());
  EXPECT_EQ(unreachable.error().rfind("cannot connect to the database: ", 0), 0u)
      << unreachable.error();
}

}  // namespace
}  // namespace mail2sms::testing
