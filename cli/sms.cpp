// mail2sms sms encode / mail render: what a text or a mail would become, without sending.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/common.hpp"
#include "core/acceptance.hpp"
#include "core/mail/mail_text.hpp"
#include "core/sms/sms.hpp"

namespace mail2sms::cli {
namespace {


nlohmann::json to_json(const std::string& text, const sms::encoded_message& m) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& s : m.segments) {
    parts.push_back({{"udh", sms::to_hex(s.udh)},
                     {"units", m.coding == sms::encoding::gsm7 ? s.payload.size() : s.payload.size() / 2},
                     {"text", sms::decode(m.coding, s.payload)}});
  }
  return {{"text", text},
          {"encoding", sms::to_string(m.coding)},
          {"units", m.units},
          {"segments", m.segments.size()},
          {"parts", parts}};
}

void print(const std::string& text, const sms::encoded_message& m, bool json) {
  if (json) {
    std::cout << to_json(text, m).dump() << '\n';
    return;
  }
  std::cout << "encoding: " << sms::to_string(m.coding) << '\n'
            << "units:    " << m.units << (m.coding == sms::encoding::gsm7 ? " septets" : " UTF-16 units")
            << '\n'
            << "segments: " << m.segments.size() << '\n';
  int n = 1;
  for (const auto& s : m.segments) {
    std::cout << "part " << n++ << (s.udh.empty() ? "" : " (udh " + sms::to_hex(s.udh) + ")") << ": "
              << sms::decode(m.coding, s.payload) << '\n';
  }
}

}  // namespace

void add_sms_command(CLI::App& app) {
  static bool json = false;
  auto* sms_cmd = app.add_subcommand("sms", "SMS encoding tools");
  sms_cmd->require_subcommand(1);
  auto* encode = sms_cmd->add_subcommand(
      "encode", "read UTF-8 text on stdin; print its encoding, segment count and parts");
  encode->add_flag("--json", json, "print the result as JSON");
  encode->callback([] {
    std::string text = read_all_stdin();
    // A text piped from echo ends in a newline nobody meant to send.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    print(text, sms::encode(text), json);
  });
}

void add_mail_command(CLI::App& app) {
  static bool json = false;
  auto* mail_cmd = app.add_subcommand("mail", "mail conversion tools");
  mail_cmd->require_subcommand(1);
  auto* render = mail_cmd->add_subcommand(
      "render", "read an RFC 5322 message on stdin; print the SMS it would become");
  render->add_flag("--json", json, "print the result as JSON");
  render->callback([] {
    const auto extracted = mail::extract_text(read_all_stdin());
    if (!extracted) throw exit_error{exit_failure, "the mail would be refused: " + extracted.error()};
    const std::string text = core::sms_text_of(*extracted);  // the rule acceptance applies
    if (text.empty()) throw exit_error{exit_failure, "the mail would be refused: it has no text to send"};
    print(text, sms::encode(text), json);
  });
}

}  // namespace mail2sms::cli
