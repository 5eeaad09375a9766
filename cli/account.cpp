// mail2sms account add|show: create an account with its first password, show one.
#include <nlohmann/json.hpp>

#include <iostream>
#include <regex>

#include "cli/common.hpp"
#include "core/policy/password.hpp"
#include "sql/store.hpp"

namespace mail2sms::cli {
namespace {

struct account_options {
  std::string config_path;
  std::string name;
  std::string cidr;
  std::string country = "US";
  std::int64_t credit = 0;
  bool password_stdin = false;
  bool json = false;
};

std::string read_password() {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.size() < 8)
    throw exit_error{exit_usage, "the password must have at least 8 characters"};
  return password;
}

void check_account_name(const std::string& name) {
  static const std::regex valid("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  if (!std::regex_match(name, valid))
    throw exit_error{exit_usage, "account name '" + name +
                                     "' is not valid: use 1-64 letters, digits, '.', '_' or '-'"};
}

nlohmann::json to_json(const sql::account_row& a) {
  return {{"id", a.account.id},       {"name", a.account.name},
          {"country", a.account.country}, {"sender_id", a.account.sender_id},
          {"max_parts", a.account.max_parts}, {"status", a.status},
          {"credit", a.credit},       {"created_at", a.created_at}};
}

void add(account_options& o) {
  check_account_name(o.name);
  for (auto& c : o.country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (o.country.size() != 2 || !std::isalpha(static_cast<unsigned char>(o.country[0])) ||
      !std::isalpha(static_cast<unsigned char>(o.country[1])))
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
  if (!created) throw exit_error{exit_failure, "cannot create the account: " + created.error().message};
  if (o.json) {
    std::cout << nlohmann::json{{"id", created->id}, {"name", created->name}, {"country", created->country},
                                 {"credit", o.credit}}.dump()
              << '\n';
  } else {
    std::cout << "account '" << created->name << "' created (country " << created->country
              << ", credit " << o.credit << ")\n";
  }
}

// Opens the configured database, finds the named account (or says it does not exist) and
// hands both to fn.
template <class F>
void with_account(const account_options& o, F&& fn) {
  const auto cfg = load_config(o.config_path);
  database db(cfg.database);
  sql::store store(db.connection_string());
  auto found = store.find_account(o.name);
  if (!found) throw exit_error{exit_failure, "cannot read accounts: " + found.error().message};
  if (!*found) throw exit_error{exit_failure, "no account named '" + o.name + "'"};
  fn(store, **found);
}

void show(const account_options& o) {
  with_account(o, [&](sql::store&, const sql::account_row& a) {
    if (o.json) {
      std::cout << to_json(a).dump() << '\n';
      return;
    }
    std::cout << "name:       " << a.account.name << "\nstatus:     " << a.status
              << "\ncountry:    " << a.account.country << "\nsender id:  "
              << (a.account.sender_id.empty() ? "(connector default)" : a.account.sender_id)
              << "\nmax parts:  " << a.account.max_parts << "\ncreated at: " << a.created_at
              << '\n';
  });
}

void change_network(const account_options& o, bool add) {
  std::optional<result<bool, core::store_error>> outcome;
  with_account(o, [&](sql::store& store, const sql::account_row&) {
    outcome = add ? store.add_network(o.name, o.cidr) : store.remove_network(o.name, o.cidr);
  });
  const auto& changed = *outcome;
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
  with_account(o, [&](sql::store& store, const sql::account_row&) {
    auto listed = store.networks(o.name);
    if (!listed) throw exit_error{exit_failure, "cannot read networks: " + listed.error().message};
    if (o.json) {
      std::cout << nlohmann::json(*listed).dump() << '\n';
    } else {
      for (const auto& n : *listed) std::cout << n << '\n';
    }
  });
}

}  // namespace

void add_account_command(CLI::App& app) {
  static account_options o;
  auto* account = app.add_subcommand("account", "manage accounts");
  account->require_subcommand(1);

  auto* add_cmd = account->add_subcommand("add", "create an account with its first password");
  add_config_option(*add_cmd, o.config_path);
  add_cmd->add_option("name", o.name, "account name (the SMTP AUTH user name)")->required();
  add_cmd->add_flag("--password-stdin", o.password_stdin, "read the password from standard input");
  add_cmd->add_option("--country", o.country, "default country for national numbers (ISO 3166, e.g. ZA)");
  add_cmd->add_option("--credit", o.credit, "starting credit, in SMS segments")
      ->check(CLI::NonNegativeNumber);
  add_cmd->add_flag("--json", o.json, "print the result as JSON");
  add_cmd->callback([] { add(o); });

  auto* show_cmd = account->add_subcommand("show", "show an account");
  add_config_option(*show_cmd, o.config_path);
  show_cmd->add_option("name", o.name, "account name")->required();
  show_cmd->add_flag("--json", o.json, "print the result as JSON");
  show_cmd->callback([] { show(o); });

  auto* network = account->add_subcommand(
      "network", "client networks that may send as the account without AUTH (legacy systems)");
  network->require_subcommand(1);
  for (const char* verb : {"add", "remove"}) {
    const bool adding = std::string(verb) == "add";
    auto* cmd = network->add_subcommand(verb, adding ? "allow a network (CIDR)" : "remove a network");
    add_config_option(*cmd, o.config_path);
    cmd->add_option("name", o.name, "account name")->required();
    cmd->add_option("cidr", o.cidr, "an address or CIDR, e.g. 192.0.2.0/24")->required();
    cmd->callback([adding] { change_network(o, adding); });
  }
  auto* list = network->add_subcommand("list", "list the account's networks");
  add_config_option(*list, o.config_path);
  list->add_option("name", o.name, "account name")->required();
  list->add_flag("--json", o.json, "print the result as JSON");
  list->callback([] { list_networks(o); });
}

}  // namespace mail2sms::cli
