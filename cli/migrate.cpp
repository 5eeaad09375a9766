// mail2sms migrate: apply sql/migrations (idempotent).
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/common.hpp"
#include "sql/migrate.hpp"

namespace mail2sms::cli {

void add_migrate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("migrate", "apply the database migrations (idempotent)");
  static std::string config_path;
  static bool json = false;
  add_config_option(*cmd, config_path);
  cmd->add_flag("--json", json, "print the result as JSON");
  cmd->callback([] {
    const auto cfg = load_config(config_path);
    database db(cfg.database);
    auto report = sql::migrate(db.connection_string());
    if (!report) throw exit_error{exit_failure, "migrate: " + report.error()};
    if (json) {
      std::cout << nlohmann::json{{"applied", report->applied}, {"already", report->already}}.dump()
                << '\n';
    } else {
      for (const auto& name : report->applied) std::cout << "applied " << name << '\n';
      std::cout << report->applied.size() << " applied, " << report->already.size()
                << " already up to date\n";
    }
  });
}

}  // namespace mail2sms::cli
