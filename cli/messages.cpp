// mail2sms messages list: the queue and what happened to each message (numbers masked).
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

#include "cli/common.hpp"
#include "core/phone/phone.hpp"
#include "sql/store.hpp"

namespace mail2sms::cli {

void add_messages_command(CLI::App& app) {
  static std::string config_path;
  static std::string account;
  static std::string status;
  static int limit = 50;
  static bool json = false;
  static bool full_numbers = false;
  auto* messages = app.add_subcommand("messages", "inspect the message queue");
  messages->require_subcommand(1);
  auto* list = messages->add_subcommand("list", "list messages, newest first");
  add_config_option(*list, config_path);
  list->add_option("--account", account, "only this account's messages");
  list->add_option("--status", status, "only messages in this status")
      ->check(CLI::IsMember({"queued", "sending", "submitted", "delivered", "failed", "expired", "unknown", "undeliverable", "rejected"}));
  list->add_option("--limit", limit, "at most this many (default 50)")->check(CLI::Range(1, 100000));
  list->add_flag("--json", json, "print JSON lines");
  list->add_flag("--full-numbers", full_numbers, "show whole recipient numbers (masked by default)");
  list->callback([] {
    const auto cfg = load_config(config_path);
    database db(cfg.database);
    sql::store store(db.connection_string());
    auto rows = store.list_messages(account.empty() ? std::nullopt : std::optional(account),
                                    status.empty() ? std::nullopt : std::optional(status), limit);
    if (!rows) throw exit_error{exit_failure, "cannot read messages: " + rows.error().message};
    for (const auto& m : *rows) {
      const auto number = full_numbers ? m.recipient : phone::mask(m.recipient);
      if (json) {
        std::cout << nlohmann::json{{"id", m.id},          {"queue_id", m.queue_id},
                                    {"account", m.account}, {"recipient", number},
                                    {"status", m.status},   {"encoding", m.encoding},
                                    {"segments", m.segments}, {"attempts", m.attempts},
                                    {"connector", m.connector}, {"last_error", m.last_error},
                                    {"created_at", m.created_at}}
                         .dump()
                  << '\n';
      } else {
        std::cout << m.created_at << "  " << std::left << std::setw(12) << m.queue_id << " "
                  << std::setw(10) << m.account << " " << std::setw(16) << number << " "
                  << std::setw(9) << m.status << " " << m.segments << "x" << m.encoding
                  << (m.last_error.empty() ? "" : "  " + m.last_error) << '\n';
      }
    }
  });
}

}  // namespace mail2sms::cli
