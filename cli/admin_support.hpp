// What the administration subcommands (account, contacts, group, purge, audit) share: the
// database opened from --config with sql::admin on it, admin errors as exit codes, and the
// account-level subcommands that live in their own files.
#pragma once

#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <string>

#include "cli/common.hpp"
#include "sql/admin.hpp"

namespace mail2sms::cli {

// The configuration, its database (started when embedded) and the admin calls on it.
class admin_session {
 public:
  explicit admin_session(const std::string& config_path);
  sql::admin& admin() { return admin_; }
  const config::config& config() const { return config_; }
  const std::string& connection_string() const { return db_.connection_string(); }

 private:
  config::config config_;
  database db_;
  sql::admin admin_;
};

// The value, or an exit_error: 2 for what the operator wrote wrong, 1 for the rest.
template <class T>
T checked(result<T, sql::admin_error> r) {
  if (r) return std::move(r).value();
  const auto& e = r.error();
  switch (e.what) {
    case sql::admin_error::kind::invalid:
      throw exit_error{exit_usage, e.message};
    case sql::admin_error::kind::database:
      throw exit_error{exit_failure, "database: " + e.message};
    default:
      throw exit_error{exit_failure, e.message};
  }
}

void print_json(const nlohmann::json& value);

// One line of standard input (a password): at least 8 characters, else exit 2.
std::string read_password();

// Registered under `account` by add_account_command.
void add_account_access_commands(CLI::App& account);  // password, sender, cert
void add_account_credit_commands(CLI::App& account);  // credit, ledger
void add_account_data_commands(CLI::App& account);    // export, delete

}  // namespace mail2sms::cli
