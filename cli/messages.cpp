// mail2sms messages list|show: the queue and what happened to each message (numbers masked); show
// has a message's parts with the evidence its last claim left (dispatch session, SMPP sequence).
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

#include "cli/common.hpp"
#include "core/phone/phone.hpp"
#include "sql/store.hpp"

namespace mail2sms::cli {

namespace {

// While a message is `sending` or `unknown`, its parts' SMPP sequence numbers and the claiming
// dispatcher session say what was (or may have been) on the wire; afterwards they are history.
bool in_doubt(const sql::message_detail& d) {
  return d.message.status == "sending" || d.message.status == "unknown";
}

nlohmann::json json_of(const sql::message_detail& d, const std::string& number) {
  const auto& m = d.message;
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : d.parts) {
    nlohmann::json part{{"part", p.part_no},    {"smsc_message_id", p.smsc_message_id},
                        {"state", p.state},     {"error_code", p.error_code},
                        {"queries", p.queries}, {"query_at", p.query_at}};
    if (in_doubt(d) && d.dispatch_session) part["dispatch_session"] = *d.dispatch_session;
    if (in_doubt(d) && d.smpp_sequence) part["smpp_sequence"] = *d.smpp_sequence + p.part_no - 1;
    parts.push_back(std::move(part));
  }
  return {{"id", m.id},
          {"queue_id", m.queue_id},
          {"account", m.account},
          {"recipient", number},
          {"status", m.status},
          {"encoding", m.encoding},
          {"segments", m.segments},
          {"attempts", m.attempts},
          {"connector", m.connector},
          {"last_error", m.last_error},
          {"created_at", m.created_at},
          {"parts", parts}};
}

void print_text(const sql::message_detail& d, const std::string& number) {
  const auto& m = d.message;
  std::cout << "message " << m.id << "  queue id " << m.queue_id << "  account " << m.account
            << "  to " << number << "\n  status " << m.status << ", " << m.segments << "x"
            << m.encoding << ", " << m.attempts << " attempts"
            << (m.connector.empty() ? "" : ", via " + m.connector) << ", accepted " << m.created_at
            << (m.last_error.empty() ? "" : "\n  last error: " + m.last_error) << '\n';
  for (const auto& p : d.parts) {
    std::cout << "  part " << p.part_no;
    if (in_doubt(d) && d.dispatch_session)
      std::cout << "  dispatch session " << *d.dispatch_session;
    if (in_doubt(d) && d.smpp_sequence)
      std::cout << "  sequence " << (*d.smpp_sequence + p.part_no - 1);
    if (!p.smsc_message_id.empty()) std::cout << "  smsc id " << p.smsc_message_id;
    if (!p.state.empty())
      std::cout << "  " << p.state << (p.error_code.empty() ? "" : " err:" + p.error_code);
    if (p.queries > 0) std::cout << "  query_sm asked " << p.queries << "x";
    if (!p.query_at.empty()) std::cout << "  next query_sm " << p.query_at;
    std::cout << '\n';
  }
}

void add_show_command(CLI::App& messages) {
  static std::string config_path;
  static std::string which;
  static bool json = false;
  static bool full_numbers = false;
  auto* show = messages.add_subcommand(
      "show",
      "one message with its parts (and, while sending or unknown, the dispatch session "
      "and SMPP sequence number each part was sent with)");
  add_config_option(*show, config_path);
  show->add_option("message", which, "its queue id (every recipient of that mail) or row id")
      ->required();
  show->add_flag("--json", json, "print one JSON object per message");
  show->add_flag("--full-numbers", full_numbers,
                 "show whole recipient numbers (masked by default)");
  show->callback([] {
    const auto cfg = load_config(config_path);
    database db(cfg.database);
    sql::store store(db.connection_string());
    const auto found = store.show_message(which);
    if (!found) throw exit_error{exit_failure, "cannot read messages: " + found.error().message};
    if (found->empty()) {
      throw exit_error{exit_failure, "no message with queue id or id '" + which +
                                         "' (mail2sms messages list shows them)"};
    }
    for (const auto& d : *found) {
      const auto number = full_numbers ? d.message.recipient : phone::mask(d.message.recipient);
      if (json) {
        std::cout << json_of(d, number).dump() << '\n';
      } else {
        print_text(d, number);
      }
    }
  });
}

}  // namespace

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
        std::cout << m.created_at << "  " << std::left << std::setw(16) << m.queue_id << " "
                  << std::setw(10) << m.account << " " << std::setw(16) << number << " "
                  << std::setw(9) << m.status << " " << m.segments << "x" << m.encoding
                  << (m.last_error.empty() ? "" : "  " + m.last_error) << '\n';
      }
    }
  });
  add_show_command(*messages);
}

}  // namespace mail2sms::cli
