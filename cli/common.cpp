// Shared plumbing of the subcommands.
#include "cli/common.hpp"

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "sql/conninfo.hpp"

namespace mail2sms::cli {

void add_config_option(CLI::App& command, std::string& path) {
  const char* env = std::getenv("MAIL2SMS_CONFIG");
  path = env != nullptr && *env != '\0' ? env : "mail2sms.toml";
  command.add_option("--config,-c", path,
                     "configuration file (default: $MAIL2SMS_CONFIG or ./mail2sms.toml)");
}

config::config load_config(const std::string& path) {
  auto loaded = config::load_file(path);
  if (!loaded) throw exit_error{exit_usage, loaded.error().to_string()};
  return std::move(loaded).value();
}

// Every connection of the run gets sql::with_connection_defaults (bounded waits on a database
// that stops answering) for what the configuration leaves unset.
database::database(const config::database_config& cfg) {
  if (cfg.embedded.empty()) {
    connection_string_ = sql::with_connection_defaults(cfg.url);
    return;
  }
  cluster_ = std::make_unique<sql::embedded_cluster>(cfg.embedded, "mail2sms",
                                                     static_cast<std::size_t>(cfg.wal_reserve_mb));
  auto started = cluster_->start();
  if (!started) throw exit_error{exit_failure, "embedded PostgreSQL: " + started.error()};
  connection_string_ = sql::with_connection_defaults(cluster_->connection_string());
}

std::string read_all_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

int& exit_status() {
  static int status = exit_ok;
  return status;
}

}  // namespace mail2sms::cli
