// What the subcommands share: exit codes, loading the configuration, opening the database
// (starting the embedded cluster when the configuration asks for one), and JSON printing.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "sql/embedded.hpp"

namespace mail2sms::cli {

// sysexits-style: 0 ok, 1 failed at run time, 2 bad usage or configuration.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Thrown by a subcommand to end the program with a message and an exit code.
struct exit_error {
  int code;
  std::string message;
};

// --config FILE, defaulting to $MAIL2SMS_CONFIG or ./mail2sms.toml.
void add_config_option(CLI::App& command, std::string& path);

// Loads and validates the configuration; exit_error(2) with file, line and key on any error.
config::config load_config(const std::string& path);

// The database for this run: an embedded cluster started (and later stopped) when configured.
class database {
 public:
  explicit database(const config::database_config& cfg);
  const std::string& connection_string() const { return connection_string_; }

 private:
  std::unique_ptr<sql::embedded_cluster> cluster_;
  std::string connection_string_;
};

std::string read_all_stdin();

// Set by main(): the subcommands' callbacks put their exit code here.
int& exit_status();

void add_serve_command(CLI::App& app);
void add_migrate_command(CLI::App& app);
void add_account_command(CLI::App& app);
void add_contacts_command(CLI::App& app);
void add_group_command(CLI::App& app);
void add_purge_command(CLI::App& app);
void add_audit_command(CLI::App& app);
void add_sms_command(CLI::App& app);
void add_mail_command(CLI::App& app);
void add_messages_command(CLI::App& app);
void add_postmaster_command(CLI::App& app);
void add_smsc_sim_command(CLI::App& app);

}  // namespace mail2sms::cli
