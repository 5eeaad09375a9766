// mail2sms sms encode / mail render: what a text or a mail would become, and why, without sending.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli/common.hpp"
#include "core/acceptance.hpp"
#include "core/mail/mail_text.hpp"
#include "core/sms/explain.hpp"
#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"
#include "sql/store.hpp"

namespace mail2sms::cli {
namespace {

std::string code_point(char32_t c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(c));
  return buffer;
}

std::string character(char32_t c) {
  std::string out;
  sms::utf8::append(out, c);
  return out;
}

nlohmann::json notes_json(const std::vector<sms::character_note>& notes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : notes) {
    out.push_back({{"character", character(n.character)},
                   {"code_point", code_point(n.character)},
                   {"count", n.count},
                   {"replacement", n.replacement}});
  }
  return out;
}

// How the concatenation reference width (an account setting, or --ref16) is shown.
std::string reference_text(const sms::encode_options& o) {
  return o.reference_16bit ? "16-bit reference (IEI 0x08)" : "8-bit reference (IEI 0x00)";
}

nlohmann::json to_json(const sms::encoding_explanation& e, const sms::encode_options& o) {
  const sms::encoded_message& m = e.message;
  nlohmann::json parts = nlohmann::json::array();
  for (std::size_t i = 0; i < m.segments.size(); ++i) {
    const auto& s = m.segments[i];
    parts.push_back(
        {{"udh", sms::to_hex(s.udh)},
         {"units", m.coding == sms::encoding::gsm7 ? s.payload.size() : s.payload.size() / 2},
         {"text", sms::decode_part(m, i)}});
  }
  return {{"text", m.text},
          {"encoding", sms::to_string(m.coding)},
          {"units", m.units},
          {"segments", m.segments.size()},
          {"parts", parts},
          {"national_language", sms::to_string(o.national)},
          {"locking_shift", sms::to_string(m.locking_shift)},
          {"single_shift", sms::to_string(m.single_shift)},
          {"concatenation_reference", o.reference_16bit ? 16 : 8},
          {"replaced", notes_json(e.replaced)},
          {"forcing_ucs2", notes_json(e.forcing_ucs2)},
          {"segments_if_replaced", e.segments_if_replaced},
          {"segments_without_replacements", e.segments_without_replacements}};
}

std::string notes_text(const std::vector<sms::character_note>& notes) {
  std::string out;
  for (const auto& n : notes) {
    if (!out.empty()) out += ", ";
    out += "'" + character(n.character) + "' " + code_point(n.character) + " x" +
           std::to_string(n.count) + " -> " +
           (n.replacement.empty() ? "(nothing)" : "'" + n.replacement + "'");
  }
  return out;
}

void print_why(const sms::encoding_explanation& e) {
  const auto segments = e.message.segments.size();
  if (!e.forcing_ucs2.empty()) {
    std::cout << "why:      UCS-2 because of " << notes_text(e.forcing_ucs2) << '\n'
              << "          replacing them: " << e.segments_if_replaced << " segment(s) instead of "
              << segments << '\n';
  } else if (!e.replaced.empty()) {
    std::cout << "why:      GSM after replacing " << notes_text(e.replaced) << '\n'
              << "          without that: " << e.segments_without_replacements
              << " segment(s) in UCS-2\n";
  } else {
    std::cout << "why:      every character has a GSM 03.38 form\n";
  }
}

void print(const sms::encoding_explanation& e, const sms::encode_options& o, bool json,
           bool show_parts) {
  if (json) {
    std::cout << to_json(e, o).dump() << '\n';
    return;
  }
  const sms::encoded_message& m = e.message;
  if (!show_parts) std::cout << "text:\n" << m.text << "\n\n";
  std::cout << "encoding: " << sms::to_string(m.coding) << '\n'
            << "units:    " << m.units
            << (m.coding == sms::encoding::gsm7 ? " septets" : " UTF-16 units") << '\n'
            << "segments: " << m.segments.size() << '\n';
  std::cout << "national: " << sms::to_string(o.national);
  if (m.locking_shift != sms::national_language::none ||
      m.single_shift != sms::national_language::none) {
    std::cout << " (tables used: locking shift " << sms::to_string(m.locking_shift)
              << ", single shift " << sms::to_string(m.single_shift) << ")";
  } else if (o.national != sms::national_language::none) {
    std::cout << " (not needed: the default GSM alphabet)";
  }
  std::cout << "\nconcat:   " << reference_text(o) << '\n';
  print_why(e);
  if (!show_parts) return;
  for (std::size_t i = 0; i < m.segments.size(); ++i) {
    const auto& s = m.segments[i];
    std::cout << "part " << i + 1 << (s.udh.empty() ? "" : " (udh " + sms::to_hex(s.udh) + ")")
              << ": " << sms::decode_part(m, i) << '\n';
  }
}

// The encoding flags both commands share.
struct encoding_flags {
  bool json = false;
  bool no_smart = false;
  bool transliterate = false;
  bool reference_16bit = false;
  std::string national = "none";

  void add_to(CLI::App& command) {
    command.add_flag("--json", json, "print the result as JSON");
    command.add_flag("--no-smart", no_smart,
                     "keep typographic quotes, dashes and spaces (no smart GSM replacements)");
    command.add_flag("--transliterate", transliterate,
                     "transliterate characters without a GSM form (Any-Latin; Latin-ASCII)");
    command.add_flag("--ref16", reference_16bit, "a 16-bit concatenation reference (IEI 0x08)");
    command
        .add_option("--national", national,
                    "allow a national language shift table (3GPP TS 23.038): none, turkish, "
                    "spanish, portuguese")
        ->check(CLI::IsMember({"none", "turkish", "spanish", "portuguese"}));
  }

  sms::encode_options options() const {
    sms::encode_options o;
    o.smart_gsm = !no_smart;
    o.transliterate = transliterate;
    o.reference_16bit = reference_16bit;
    sms::parse_national_language(national, o.national);
    return o;
  }
};

}  // namespace

void add_sms_command(CLI::App& app) {
  static encoding_flags flags;
  auto* sms_cmd = app.add_subcommand("sms", "SMS encoding tools");
  sms_cmd->require_subcommand(1);
  auto* encode = sms_cmd->add_subcommand(
      "encode", "read UTF-8 text on stdin; print its encoding, segment count, parts and why");
  flags.add_to(*encode);
  encode->callback([] {
    std::string text = read_all_stdin();
    // A text piped from echo ends in a newline nobody meant to send.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const auto options = flags.options();
    print(sms::explain(text, options), options, flags.json, true);
  });
}

void add_mail_command(CLI::App& app) {
  static encoding_flags flags;
  static std::string policy = "body";
  static mail::text_options text_options;
  static bool no_clean = false;
  auto* mail_cmd = app.add_subcommand("mail", "mail conversion tools");
  mail_cmd->require_subcommand(1);
  auto* render = mail_cmd->add_subcommand(
      "render", "read an RFC 5322 message on stdin; print the SMS it would become, and why");
  flags.add_to(*render);
  render
      ->add_option("--subject-policy", policy,
                   "body (the subject only when the body is empty), subject, subject-and-body")
      ->check(CLI::IsMember({"body", "subject", "subject-and-body"}));
  render->add_option("--end-marker", text_options.end_marker,
                     "a line that ends the text (e.g. ##)");
  render->add_option("--disclaimer", text_options.disclaimer_patterns,
                     "a regular expression: the text is cut from the line where it matches "
                     "(repeatable)");
  render->add_flag("--no-clean", no_clean,
                   "keep signatures, quoted replies, forward headers and mobile footers");
  static std::string account_name;
  static std::string config_path;
  render->add_option("--account", account_name,
                     "render with this account's settings (subject policy, cleaning, end marker, "
                     "disclaimers, smart GSM, transliteration, national language, "
                     "concatenation reference, max parts) instead of the flags");
  add_config_option(*render, config_path);
  render->callback([] {
    std::optional<core::account> account;
    if (!account_name.empty()) {
      const auto cfg = load_config(config_path);
      database db(cfg.database);
      sql::store store(db.connection_string());
      auto found = store.account_profile(account_name);
      if (!found) throw exit_error{exit_failure, "cannot read accounts: " + found.error().message};
      if (!*found) throw exit_error{exit_failure, "no account named '" + account_name + "'"};
      account = std::move(**found);
      text_options = account->text;
      policy = std::string(mail::to_string(account->text.subject));
      no_clean = !account->text.clean;
      flags.no_smart = !account->smart_gsm;
      flags.transliterate = account->transliterate;
      flags.national = std::string(sms::to_string(account->national));
      flags.reference_16bit = account->reference_16bit;
    }
    for (const auto& pattern : text_options.disclaimer_patterns) {
      if (const auto why = mail::check_disclaimer_pattern(pattern); !why.empty()) {
        throw exit_error{exit_usage, "--disclaimer '" + pattern + "': " + why};
      }
    }
    mail::parse_subject_policy(policy, text_options.subject);
    text_options.clean = !no_clean;
    const auto extracted = mail::extract_text(read_all_stdin(), text_options);
    if (!extracted)
      throw exit_error{exit_failure, "the mail would be refused: " + extracted.error()};
    const std::string text = core::sms_text_of(*extracted, text_options);  // as acceptance does
    if (text.empty()) {
      throw exit_error{exit_failure, "the mail would be refused: it has no text to send"};
    }
    const auto options = flags.options();
    auto explained = sms::explain(text, options);
    // What the account's max parts makes of it: sent, cut (if it asks for that) or refused.
    std::string verdict;
    if (account) {
      const auto parts = explained.message.segments.size();
      const auto max = static_cast<std::size_t>(account->max_parts);
      verdict = parts <= max ? "sent" : account->truncate ? "truncated" : "refused";
    }
    if (flags.json) {
      auto out = to_json(explained, options);
      out["source"] = extracted->source;
      out["subject"] = extracted->subject;
      out["subject_policy"] = mail::to_string(text_options.subject);
      if (account) {
        out["account"] = account->name;
        out["max_parts"] = account->max_parts;
        out["verdict"] = verdict;
      }
      std::cout << out.dump() << '\n';
      return;
    }
    std::cout << "source:   " << extracted->source << '\n';
    if (account) {
      std::cout << "account:  " << account->name << " (at most " << account->max_parts
                << " parts): "
                << (verdict == "sent"        ? "would be sent"
                    : verdict == "truncated" ? "would be cut to fit, ending in \"...\""
                                             : "would be refused (552 5.3.4): too many parts")
                << '\n';
    }
    print(explained, options, false, false);
  });
}

}  // namespace mail2sms::cli
