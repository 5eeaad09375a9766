// mail2sms account add|show|list|set|disclaimer|network: create accounts, read and change their
// settings. Passwords, senders and certificates are in account_access.cpp, credit in
// account_credit.cpp, export and delete in account_data.cpp.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli/admin_support.hpp"
#include "core/phone/phone.hpp"
#include "core/policy/password.hpp"
#include "sql/admin_values.hpp"
#include "sql/store.hpp"

namespace mail2sms::cli {
namespace {

struct account_options {
  std::string config_path;
  std::string name;
  std::string cidr;
  std::string key;
  std::string value;
  std::string country = "US";
  std::int64_t credit = 0;
  bool password_stdin = false;
  bool json = false;
};

void check_account_name(const std::string& name) {
  if (!policy::is_account_name(name))
    throw exit_error{exit_usage, "account name '" + name +
                                     "' is not valid: use 1-64 letters, digits, '.', '_' or '-'"};
}

void add(account_options& o) {
  check_account_name(o.name);
  for (auto& c : o.country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!phone::is_known_region(o.country))
    throw exit_error{exit_usage, "--country takes an ISO 3166 two-letter code, e.g. ZA or US"};
  if (!o.password_stdin)
    throw exit_error{exit_usage,
                     "give the password on standard input with --password-stdin, e.g.\n"
                     "  printf '%s\\n' \"$PASSWORD\" | mail2sms account add NAME --password-stdin"};
  const auto hash = policy::hash_password(read_password());
  const auto cfg = load_config(o.config_path);
  database db(cfg.database);
  sql::store store(db.connection_string());
  if (auto existing = store.find_account(o.name); existing && *existing)
    throw exit_error{exit_failure, "account '" + o.name + "' already exists"};
  auto created = store.add_account(o.name, o.country, hash, o.credit);
  if (!created)
    throw exit_error{exit_failure, "cannot create the account: " + created.error().message};
  if (o.json) {
    print_json({{"id", created->id},
                {"name", created->name},
                {"country", created->country},
                {"credit", o.credit}});
  } else {
    std::cout << "account '" << created->name << "' created (country " << created->country
              << ", credit " << o.credit << ")\n";
  }
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// A setting's value as JSON (numbers, booleans and lists typed) and as `show` prints it.
std::pair<nlohmann::json, std::string> setting_value(const sql::account_settings& a,
                                                     std::string_view key) {
  const auto limit = [](int n) {
    return std::pair{nlohmann::json(n), n == 0 ? "0 (no limit)" : std::to_string(n)};
  };
  const auto flag = [](bool b) {
    return std::pair{nlohmann::json(b), std::string(b ? "true" : "false")};
  };
  if (key == "sender-id")
    return {a.sender_id, a.sender_id.empty() ? "(the connector's default)" : a.sender_id};
  if (key == "country") return {a.country, a.country};
  if (key == "max-parts") return {a.max_parts, std::to_string(a.max_parts)};
  if (key == "subject") return {a.subject, a.subject};
  if (key == "timezone") return {a.timezone, a.timezone};
  if (key == "status") return {a.status, a.status};
  if (key == "credit-policy") return {a.credit_policy, a.credit_policy};
  if (key == "too-long") return {a.too_long, a.too_long};
  if (key == "countries") {
    const bool any = a.countries == std::vector<std::string>{"*"};
    return {a.countries, a.countries.empty() ? "(" + a.country + " only: the account's country)"
                         : any               ? "* (any country)"
                                             : joined(a.countries)};
  }
  if (key == "number-types") return {a.number_types, joined(a.number_types)};
  if (key == "messages-per-minute") return limit(a.messages_per_minute);
  if (key == "segments-per-day") return limit(a.segments_per_day);
  if (key == "per-number-per-hour") return limit(a.per_number_per_hour);
  if (key == "dedup-window")
    return {a.dedup_seconds,
            a.dedup_seconds == 0 ? "0 (off)" : std::to_string(a.dedup_seconds) + "s"};
  if (key == "clean") return flag(a.clean);
  if (key == "smart-gsm") return flag(a.smart_gsm);
  if (key == "transliterate") return flag(a.transliterate);
  if (key == "national-language") return {a.national_language, a.national_language};
  if (key == "concatenation-reference")
    return {a.concatenation_reference, std::to_string(a.concatenation_reference) + "-bit"};
  if (key == "notify") return {a.notify, a.notify};
  if (key == "notify-to") return {a.notify_to, a.notify_to};
  if (key == "end-marker") return {a.end_marker, a.end_marker.empty() ? "(none)" : a.end_marker};
  return {nullptr, ""};
}

nlohmann::json settings_json(const sql::account_settings& a) {
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& s : sql::settings())
    settings[std::string(s.key)] = setting_value(a, s.key).first;
  return settings;
}

void show(const account_options& o) {
  admin_session session(o.config_path);
  const auto a = checked(session.admin().account(o.name));
  const auto n = checked(session.admin().counts(o.name));
  if (o.json) {
    print_json({{"id", a.id},
                {"name", a.name},
                {"status", a.status},
                {"credit", a.credit},
                {"created_at", a.created_at},
                {"settings", settings_json(a)},
                {"disclaimers", a.disclaimers},
                {"counts",
                 {{"passwords", n.passwords},
                  {"senders", n.senders},
                  {"networks", n.networks},
                  {"certificates", n.certificates},
                  {"contacts", n.contacts},
                  {"groups", n.groups}}}});
    return;
  }
  std::cout << "name:        " << a.name << "\nstatus:      " << a.status
            << "\ncredit:      " << a.credit << "\ncreated at:  " << a.created_at
            << "\nsettings (mail2sms account set " << a.name << " KEY VALUE):\n";
  std::size_t key_width = 0;
  for (const auto& s : sql::settings()) key_width = std::max(key_width, s.key.size());
  for (const auto& s : sql::settings()) {
    std::cout << "  " << std::left << std::setw(static_cast<int>(key_width + 2)) << s.key
              << setting_value(a, s.key).second << '\n';
  }
  std::cout << "disclaimers: " << a.disclaimers.size() << " (mail2sms account disclaimer list "
            << a.name << ")\n"
            << "passwords: " << n.passwords << ", senders: " << n.senders
            << ", networks: " << n.networks << ", certificates: " << n.certificates
            << ", contacts: " << n.contacts << ", groups: " << n.groups << '\n';
}

void list(const account_options& o) {
  admin_session session(o.config_path);
  const auto accounts = checked(session.admin().accounts());
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& a : accounts)
      out.push_back({{"id", a.id},
                     {"name", a.name},
                     {"status", a.status},
                     {"country", a.country},
                     {"credit", a.credit},
                     {"created_at", a.created_at}});
    print_json(out);
    return;
  }
  for (const auto& a : accounts) {
    std::cout << std::left << std::setw(24) << a.name << std::setw(10) << a.status << std::setw(4)
              << a.country << std::right << std::setw(12) << a.credit << "  " << a.created_at
              << '\n';
  }
}

void set(const account_options& o) {
  // A bad key or value is reported before the database is opened.
  const auto* s = sql::find_setting(o.key);
  if (s == nullptr) throw exit_error{exit_usage, sql::unknown_setting_message(o.key)};
  if (auto normal = sql::normalise_setting(*s, o.value); !normal)
    throw exit_error{exit_usage, normal.error()};
  admin_session session(o.config_path);
  checked(session.admin().set(o.name, o.key, o.value));
  const auto a = checked(session.admin().account(o.name));
  std::cout << o.name << ": " << o.key << " = " << setting_value(a, o.key).second << '\n';
}

void change_disclaimer(const account_options& o, bool adding) {
  admin_session session(o.config_path);
  if (adding) {
    const bool added = checked(session.admin().add_disclaimer(o.name, o.value));
    std::cout << (added ? "added" : "already there") << ": the text of '" << o.name
              << "''s mails is cut from the line where /" << o.value << "/ matches\n";
  } else {
    checked(session.admin().remove_disclaimer(o.name, o.value));
    std::cout << "removed the disclaimer pattern /" << o.value << "/ from '" << o.name << "'\n";
  }
}

void list_disclaimers(const account_options& o) {
  admin_session session(o.config_path);
  const auto a = checked(session.admin().account(o.name));
  if (o.json) return print_json(a.disclaimers);
  for (const auto& d : a.disclaimers) std::cout << d << '\n';
}

void change_network(const account_options& o, bool add) {
  admin_session session(o.config_path);
  checked(session.admin().account(o.name));  // says so when there is no such account
  sql::store store(session.connection_string());
  const auto changed =
      add ? store.add_network(o.name, o.cidr) : store.remove_network(o.name, o.cidr);
  if (!changed) {
    if (changed.error().kind == core::failure_kind::permanent)
      throw exit_error{exit_usage, "'" + o.cidr +
                                       "' is not a network: write an address or CIDR, e.g. "
                                       "192.0.2.10, 192.0.2.0/24 or 2001:db8::/32"};
    throw exit_error{exit_failure, "cannot change networks: " + changed.error().message};
  }
  if (add) {
    std::cout << (*changed ? "added " : "already there: ") << o.cidr << " for '" << o.name
              << "': clients there may send as it without AUTH\n";
  } else {
    if (!*changed) throw exit_error{exit_failure, "'" + o.name + "' has no network " + o.cidr};
    std::cout << "removed " << o.cidr << " from '" << o.name << "'\n";
  }
}

void list_networks(const account_options& o) {
  admin_session session(o.config_path);
  checked(session.admin().account(o.name));
  sql::store store(session.connection_string());
  auto listed = store.networks(o.name);
  if (!listed) throw exit_error{exit_failure, "cannot read networks: " + listed.error().message};
  if (o.json) return print_json(*listed);
  for (const auto& n : *listed) std::cout << n << '\n';
}

// NAME, --config and (when json) --json on a subcommand whose callback is fn.
template <class F>
CLI::App* command(CLI::App& parent, const char* name, const char* help, account_options& o,
                  bool json, F fn) {
  auto* cmd = parent.add_subcommand(name, help);
  add_config_option(*cmd, o.config_path);
  cmd->add_option("name", o.name, "account name")->required();
  if (json) cmd->add_flag("--json", o.json, "print the result as JSON");
  cmd->callback(fn);
  return cmd;
}

std::string settings_help() {
  std::string help = "change a setting. KEY VALUE:\n";
  for (const auto& s : sql::settings())
    help += "  " + std::string(s.key) + ": " + std::string(s.valid) + "\n";
  return help;
}

}  // namespace

void add_account_command(CLI::App& app) {
  static account_options o;
  auto* account = app.add_subcommand("account", "manage accounts");
  account->require_subcommand(1);

  auto* add_cmd = command(*account, "add", "create an account with its first password", o, true,
                          [] { add(o); });
  add_cmd->add_flag("--password-stdin", o.password_stdin, "read the password from standard input");
  add_cmd->add_option("--country", o.country,
                      "default country for national numbers (ISO 3166, e.g. ZA)");
  add_cmd->add_option("--credit", o.credit, "starting credit, in SMS segments")
      ->check(CLI::NonNegativeNumber);

  command(*account, "show", "show an account: every setting, its credit and what it has", o, true,
          [] { show(o); });
  auto* list_cmd = account->add_subcommand("list", "list the accounts");
  add_config_option(*list_cmd, o.config_path);
  list_cmd->add_flag("--json", o.json, "print the result as JSON");
  list_cmd->callback([] { list(o); });

  auto* set_cmd = command(*account, "set", "", o, false, [] { set(o); });
  set_cmd->description(settings_help());
  set_cmd->add_option("key", o.key, "the setting (see above)")->required();
  set_cmd->add_option("value", o.value, "its new value (\"\" clears text settings)")->required();

  auto* disclaimer = account->add_subcommand(
      "disclaimer", "patterns (ICU regular expressions) where a mail's text is cut");
  disclaimer->require_subcommand(1);
  for (const bool adding : {true, false}) {
    auto* cmd = command(*disclaimer, adding ? "add" : "remove",
                        adding ? "add a pattern" : "remove a pattern", o, false,
                        [adding] { change_disclaimer(o, adding); });
    cmd->add_option("pattern", o.value, "an ICU regular expression, matched case-insensitively")
        ->required();
  }
  command(*disclaimer, "list", "list the patterns", o, true, [] { list_disclaimers(o); });

  auto* network = account->add_subcommand(
      "network", "client networks that may send as the account without AUTH (legacy systems)");
  network->require_subcommand(1);
  for (const bool adding : {true, false}) {
    auto* cmd = command(*network, adding ? "add" : "remove",
                        adding ? "allow a network (CIDR)" : "remove a network", o, false,
                        [adding] { change_network(o, adding); });
    cmd->add_option("cidr", o.cidr, "an address or CIDR, e.g. 192.0.2.0/24")->required();
  }
  command(*network, "list", "list the account's networks", o, true, [] { list_networks(o); });

  add_account_access_commands(*account);
  add_account_credit_commands(*account);
  add_account_data_commands(*account);
}

}  // namespace mail2sms::cli
