// mail2sms purge (message texts past [retention] body_days, for cron) and mail2sms audit list
// (who changed what, newest first).
#include <iomanip>
#include <iostream>

#include "cli/admin_support.hpp"
#include "sql/retention.hpp"

namespace mail2sms::cli {

void add_purge_command(CLI::App& app) {
  static std::string config_path;
  static bool json = false;
  auto* purge = app.add_subcommand(
      "purge",
      "erase the texts of final messages and of replies, and mail to the postmaster, older than "
      "[retention] body_days");
  add_config_option(*purge, config_path);
  purge->add_flag("--json", json, "print the counts as JSON");
  purge->callback([] {
    admin_session session(config_path);
    const int days = session.config().retention.body_days;
    const auto purged = sql::purge_bodies(session.connection_string(), days);
    if (!purged) throw exit_error{exit_failure, "cannot purge: " + purged.error().message};
    const std::string detail =
        "body_days=" + std::to_string(days) + ": " + std::to_string(purged->messages) +
        " messages, " + std::to_string(purged->parts) + " parts, " +
        std::to_string(purged->replies) + " replies, " + std::to_string(purged->notifications) +
        " notifications, " + std::to_string(purged->postmaster) + " postmaster mails";
    if (purged->messages + purged->parts + purged->replies + purged->notifications +
            purged->postmaster >
        0)
      checked(session.admin().audit("retention.purge", detail));
    if (json) {
      print_json({{"body_days", days},
                  {"messages", purged->messages},
                  {"parts", purged->parts},
                  {"replies", purged->replies},
                  {"notifications", purged->notifications},
                  {"postmaster", purged->postmaster}});
    } else {
      std::cout << "purged texts older than " << days << " days: " << purged->messages
                << " messages, " << purged->parts << " parts, " << purged->replies << " replies, "
                << purged->notifications << " notifications, " << purged->postmaster
                << " mails to the postmaster\n";
    }
  });
}

void add_audit_command(CLI::App& app) {
  static std::string config_path;
  static std::string account;
  static int limit = 50;
  static bool json = false;
  auto* audit =
      app.add_subcommand("audit", "the audit log: administrative changes and security events");
  audit->require_subcommand(1);
  auto* list = audit->add_subcommand("list", "list audit rows, newest first");
  add_config_option(*list, config_path);
  list->add_option("--account", account, "only this account's rows");
  list->add_option("--limit", limit, "at most this many (default 50)")
      ->check(CLI::Range(1, 1000000));
  list->add_flag("--json", json, "print the result as JSON");
  list->callback([] {
    admin_session session(config_path);
    const auto rows = checked(
        session.admin().audit_log(account.empty() ? std::nullopt : std::optional(account), limit));
    if (json) {
      auto out = nlohmann::json::array();
      for (const auto& r : rows) {
        out.push_back(
            {{"id", r.id},
             {"at", r.at},
             {"actor", r.actor},
             {"action", r.action},
             {"subject", r.subject},
             {"detail", r.detail},
             {"client", r.client},
             {"account", r.account ? nlohmann::json(*r.account) : nlohmann::json(nullptr)}});
      }
      return print_json(out);
    }
    for (const auto& r : rows) {
      std::cout << r.at << "  " << std::left << std::setw(6) << r.actor << std::setw(26) << r.action
                << std::setw(20) << r.subject << r.detail
                << (r.client.empty() ? "" : "  [" + r.client + "]") << '\n';
    }
  });
}

}  // namespace mail2sms::cli
