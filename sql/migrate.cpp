// Applies sql/migrations/NNNN_name.sql in order, each in its own transaction together with its
// schema_migrations row, under an advisory lock so concurrent migrators never race.
#include "sql/migrate.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#ifndef MAIL2SMS_MIGRATIONS_DIR
#define MAIL2SMS_MIGRATIONS_DIR "sql/migrations"
#endif

namespace mail2sms::sql {
namespace {

namespace fs = std::filesystem;

constexpr long long migration_lock_key = 0x6d61696c32736d73;  // "mail2sms" in ASCII

struct migration_file {
  std::string name;  // "0001_init": the file name without .sql, as recorded
  fs::path path;
};

bool is_migration_name(const std::string& file) {
  return file.size() > 9 && file.ends_with(".sql") && file[4] == '_' &&
         std::all_of(file.begin(), file.begin() + 4,
                     [](unsigned char c) { return std::isdigit(c); });
}

// The NNNN_name.sql files in name order; a misnamed .sql file or a reused number is an error,
// since silently skipping a migration would leave the schema behind.
result<std::vector<migration_file>, std::string> list_migrations(const fs::path& dir) {
  std::vector<migration_file> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".sql")) continue;
    if (!is_migration_name(file))
      return fail("migration " + entry.path().string() + " is not named NNNN_name.sql");
    files.push_back({file.substr(0, file.size() - 4), entry.path()});
  }
  if (ec) return fail("cannot read the migrations directory " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].name.compare(0, 4, files[i - 1].name, 0, 4) == 0)
      return fail("migrations " + files[i - 1].name + ".sql and " + files[i].name +
                  ".sql share the number " + files[i].name.substr(0, 4));
  }
  return files;
}

result<std::string, std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read migration " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void take_lock(pqxx::work& tx) {
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
}

bool is_applied(pqxx::work& tx, const std::string& name) {
  return !tx.exec_params("SELECT 1 FROM schema_migrations WHERE name = $1", name).empty();
}

void ensure_table(pqxx::connection& conn) {
  pqxx::work tx(conn);
  take_lock(tx);
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " name text PRIMARY KEY,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  tx.commit();
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// true when this call applied it, false when it was already there (perhaps by another migrator).
result<bool, std::string> apply(pqxx::connection& conn, const migration_file& file) {
  auto sql = read_text(file.path);
  if (!sql) return fail(sql.error());
  try {
    pqxx::work tx(conn);
    take_lock(tx);
    if (is_applied(tx, file.name)) return false;
    tx.exec(*sql);
    tx.exec_params0("INSERT INTO schema_migrations (name) VALUES ($1)", file.name);
    tx.commit();
    return true;
  } catch (const pqxx::sql_error& e) {
    return fail("migration " + file.path.filename().string() + " failed and was rolled back: " +
                trimmed(e.what()) + " (SQLSTATE " + e.sqlstate() + ")");
  }
}

result<migration_report, std::string> apply_all(pqxx::connection& conn,
                                                const std::vector<migration_file>& files) {
  ensure_table(conn);
  migration_report report;
  for (const auto& file : files) {
    auto applied = apply(conn, file);
    if (!applied) return fail(applied.error());
    (*applied ? report.applied : report.already).push_back(file.name);
  }
  return report;
}

}  // namespace

std::string default_migrations_dir() {
  if (const char* env = std::getenv("MAIL2SMS_MIGRATIONS_DIR"); env != nullptr && *env != '\0')
    return env;
  return MAIL2SMS_MIGRATIONS_DIR;
}

result<migration_report, std::string> migrate(const std::string& connection_string,
                                              const std::string& migrations_dir) {
  const fs::path dir = migrations_dir.empty() ? default_migrations_dir() : migrations_dir;
  auto files = list_migrations(dir);
  if (!files) return fail(files.error());
  try {
    pqxx::connection conn(connection_string);
    return apply_all(conn, *files);
  } catch (const pqxx::broken_connection& e) {
    return fail("cannot connect to the database: " + trimmed(e.what()));
  } catch (const std::exception& e) {
    return fail("migrating failed: " + trimmed(e.what()));
  }
}

}  // namespace mail2sms::sql
