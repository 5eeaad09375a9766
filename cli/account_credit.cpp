// mail2sms account credit|ledger: top up or take away credit (never below zero), and the ledger
// of every change with the balance after it.
#include <charconv>
#include <iomanip>
#include <iostream>

#include "cli/admin_support.hpp"

namespace mail2sms::cli {
namespace {

struct credit_options {
  std::string config_path;
  std::string name;
  std::string change;
  std::string reason;
  int limit = 50;
  bool json = false;
};

credit_options o;

// "+500" or "-20": a sign is required so that a top-up and a debit are never confused.
std::int64_t parse_change(const std::string& text) {
  std::int64_t n = 0;
  const char* begin = text.data() + 1;
  const char* end = text.data() + text.size();
  const bool ok = text.size() > 1 && (text[0] == '+' || text[0] == '-') &&
                  std::from_chars(begin, end, n).ptr == end && n > 0;
  if (!ok)
    throw exit_error{exit_usage, "'" + text +
                                     "' is not a credit change: write +N to add N segments or -N "
                                     "to take N away, e.g. +500 or -20"};
  return text[0] == '-' ? -n : n;
}

void change_credit() {
  const auto delta = parse_change(o.change);
  admin_session session(o.config_path);
  const auto balance = checked(session.admin().change_credit(o.name, delta, o.reason));
  if (o.json) return print_json({{"name", o.name}, {"delta", delta}, {"balance", balance}});
  std::cout << o.name << ": " << o.change << ", balance " << balance << '\n';
}

void show_ledger() {
  admin_session session(o.config_path);
  const auto rows = checked(session.admin().ledger(o.name, o.limit));
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& r : rows)
      out.push_back({{"at", r.at},
                     {"delta", r.delta},
                     {"balance", r.balance ? nlohmann::json(*r.balance) : nlohmann::json(nullptr)},
                     {"reason", r.reason},
                     {"queue_id", r.queue_id}});
    return print_json(out);
  }
  for (const auto& r : rows) {
    std::cout << r.at << "  " << std::right << std::setw(10)
              << ((r.delta > 0 ? "+" : "") + std::to_string(r.delta)) << std::setw(12)
              << (r.balance ? std::to_string(*r.balance) : "-") << "  " << r.reason
              << (r.queue_id.empty() ? "" : " [" + r.queue_id + "]") << '\n';
  }
}

}  // namespace

void add_account_credit_commands(CLI::App& account) {
  auto* credit = account.add_subcommand("credit", "add (+N) or take away (-N) credit, in segments");
  add_config_option(*credit, o.config_path);
  credit->add_option("name", o.name, "account name")->required();
  credit->add_option("change", o.change, "+N or -N")->required();
  credit->add_option("--reason", o.reason, "why, for the ledger (e.g. \"invoice 2024-117\")");
  credit->add_flag("--json", o.json, "print the result as JSON");
  credit->callback(change_credit);

  auto* ledger = account.add_subcommand("ledger", "the account's credit changes, newest first");
  add_config_option(*ledger, o.config_path);
  ledger->add_option("name", o.name, "account name")->required();
  ledger->add_option("--limit", o.limit, "at most this many (default 50)")
      ->check(CLI::Range(1, 1000000));
  ledger->add_flag("--json", o.json, "print the result as JSON");
  ledger->callback(show_ledger);
}

}  // namespace mail2sms::cli
