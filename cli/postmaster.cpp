// mail2sms postmaster list|show|delete: the mail sent to the postmaster (RFC 5321 4.5.1), which
// serve keeps whole in the database for a person to read.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/admin_support.hpp"
#include "core/mail/ascii_text.hpp"
#include "core/mail/rfc2047.hpp"
#include "sql/postmaster.hpp"

namespace mail2sms::cli {

namespace {

// The Subject of a header section, unfolded and decoded (RFC 2047); empty when it has none.
std::string subject_of(std::string_view headers) {
  std::size_t at = 0;
  while (at < headers.size()) {
    std::size_t end = headers.find("\r\n", at);
    if (end == std::string_view::npos) end = headers.size();
    const auto line = headers.substr(at, end - at);
    if (line.size() >= 8 && mail::iequals(line.substr(0, 8), "subject:")) {
      std::string value(line.substr(8));
      for (at = end + 2; at < headers.size() && (headers[at] == ' ' || headers[at] == '\t');) {
        end = headers.find("\r\n", at);
        if (end == std::string_view::npos) end = headers.size();
        value += headers.substr(at, end - at);
        at = end + 2;
      }
      return mail::decode_header_text(mail::trim(value));
    }
    at = end + 2;
  }
  return {};
}

std::int64_t mail_number(const std::string& text) {
  std::size_t used = 0;
  std::int64_t id = 0;
  try {
    id = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || id <= 0) {
    throw exit_error{exit_usage, "'" + text +
                                     "' is not a mail number: give the number `mail2sms "
                                     "postmaster list` shows (without the #)"};
  }
  return id;
}

}  // namespace

void add_postmaster_command(CLI::App& app) {
  static std::string config_path;
  static std::string which;
  static int limit = 50;
  static bool json = false;
  auto* postmaster = app.add_subcommand(
      "postmaster", "the mail sent to the postmaster, which serve keeps for a person to read");
  postmaster->require_subcommand(1);

  auto* list = postmaster->add_subcommand("list", "list the postmaster's mail, newest first");
  add_config_option(*list, config_path);
  list->add_option("--limit", limit, "at most this many (default 50)")
      ->check(CLI::Range(1, 1000000));
  list->add_flag("--json", json, "print the result as JSON");
  list->callback([] {
    const auto cfg = load_config(config_path);
    database db(cfg.database);
    const auto rows = sql::list_postmaster_mail(db.connection_string(), limit);
    if (!rows) throw exit_error{exit_failure, "cannot read the mailbox: " + rows.error().message};
    if (json) {
      auto out = nlohmann::json::array();
      for (const auto& r : *rows) {
        out.push_back({{"id", r.id},
                       {"received_at", r.received_at},
                       {"client", r.client},
                       {"helo", r.helo},
                       {"mail_from", r.mail_from},
                       {"recipient", r.recipient},
                       {"account", r.account ? nlohmann::json(*r.account) : nlohmann::json()},
                       {"tls", r.tls},
                       {"size", r.size},
                       {"subject", subject_of(r.headers)},
                       {"forward",
                        r.forward_to.empty()
                            ? nlohmann::json()
                            : nlohmann::json{{"to", r.forward_to},
                                             {"attempts", r.forward_attempts},
                                             {"pending", r.forward_pending},
                                             {"forwarded_at", r.forwarded_at.empty()
                                                                  ? nlohmann::json()
                                                                  : nlohmann::json(r.forwarded_at)},
                                             {"detail", r.forward_detail}}}});
      }
      return print_json(out);
    }
    if (rows->empty()) std::cout << "the postmaster has no mail\n";
    for (const auto& r : *rows) {
      std::cout << '#' << r.id << "  " << r.received_at << "  from <" << r.mail_from << "> at "
                << r.client << (r.account ? " (account " + *r.account + ")" : "") << ", " << r.size
                << " octets\n    Subject: " << subject_of(r.headers) << '\n';
    }
  });

  auto* show = postmaster->add_subcommand("show", "print one mail as it was received");
  add_config_option(*show, config_path);
  show->add_option("mail", which, "its number, as list shows it")->required();
  show->callback([] {
    const auto id = mail_number(which);
    const auto cfg = load_config(config_path);
    database db(cfg.database);
    const auto found = sql::postmaster_message(db.connection_string(), id);
    if (!found) throw exit_error{exit_failure, "cannot read the mailbox: " + found.error().message};
    if (!*found) {
      throw exit_error{exit_failure, "the postmaster has no mail #" + std::to_string(id) +
                                         " (mail2sms postmaster list shows the numbers)"};
    }
    std::cout << **found << std::flush;
  });

  auto* remove = postmaster->add_subcommand("delete", "delete one mail (audited)");
  add_config_option(*remove, config_path);
  remove->add_option("mail", which, "its number, as list shows it")->required();
  remove->callback([] {
    const auto id = mail_number(which);
    admin_session session(config_path);
    const auto gone = sql::delete_postmaster_mail(session.connection_string(), id);
    if (!gone) throw exit_error{exit_failure, "cannot delete: " + gone.error().message};
    if (!*gone) {
      throw exit_error{exit_failure, "the postmaster has no mail #" + std::to_string(id) +
                                         " (mail2sms postmaster list shows the numbers)"};
    }
    checked(session.admin().audit("postmaster.delete", "#" + std::to_string(id)));
    std::cout << "deleted #" << id << '\n';
  });
}

}  // namespace mail2sms::cli
