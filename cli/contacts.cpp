// mail2sms contacts import|list|remove and mail2sms group add|remove|list: an account's address
// book, and the groups that GROUP@DOMAIN sends to. Numbers are shown masked unless asked.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/admin_support.hpp"
#include "core/phone/phone.hpp"

namespace mail2sms::cli {
namespace {

struct contacts_options {
  std::string config_path;
  std::string account;
  std::string file;
  std::string number;
  std::string group;
  std::vector<std::string> members;
  bool json = false;
  bool full_numbers = false;
};

contacts_options o;

std::string shown(const std::string& number) {
  return o.full_numbers ? number : phone::mask(number);
}

std::string plural(int n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void import_contacts() {
  std::ifstream file(o.file, std::ios::binary);
  if (!file) throw exit_error{exit_usage, "cannot read " + o.file + ": " + std::strerror(errno)};
  std::ostringstream text;
  text << file.rdbuf();
  admin_session session(o.config_path);
  const auto n = checked(session.admin().import_contacts(o.account, text.str(), o.file));
  if (o.json)
    return print_json({{"rows", n.records},
                       {"created", n.created},
                       {"updated", n.updated},
                       {"groups_created", n.groups_created},
                       {"memberships_added", n.memberships_added}});
  std::cout << o.file << ": " << plural(n.records, "row", "rows") << "; "
            << plural(n.created, "new contact", "new contacts") << ", " << n.updated << " updated; "
            << plural(n.groups_created, "group", "groups") << " created; "
            << plural(n.memberships_added, "membership", "memberships") << " added\n";
}

nlohmann::json contact_json(const sql::contact_row& c, bool with_groups) {
  nlohmann::json out{{"number", shown(c.number)}, {"name", c.name}, {"created_at", c.created_at}};
  if (with_groups) out["groups"] = c.groups;
  return out;
}

void print_contacts(const std::vector<sql::contact_row>& rows, bool with_groups) {
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& c : rows) out.push_back(contact_json(c, with_groups));
    return print_json(out);
  }
  for (const auto& c : rows) {
    std::string groups;
    for (const auto& g : c.groups) groups += (groups.empty() ? "" : ";") + g;
    std::cout << std::left << std::setw(18) << shown(c.number) << std::setw(24)
              << (c.name.empty() ? "-" : c.name) << (with_groups ? groups : "") << '\n';
  }
}

void list_contacts() {
  admin_session session(o.config_path);
  print_contacts(checked(session.admin().contacts(o.account)), true);
}

void remove_contact() {
  admin_session session(o.config_path);
  const auto number = checked(session.admin().remove_contact(o.account, o.number));
  std::cout << "removed " << shown(number) << " from '" << o.account << "''s contacts and groups\n";
}

void add_to_group() {
  admin_session session(o.config_path);
  const auto change = checked(session.admin().add_to_group(o.account, o.group, o.members));
  std::cout << "group '" << o.group << "' of '" << o.account
            << "': " << (change.group_created ? "created, " : "")
            << plural(change.members_changed, "member", "members") << " added";
  if (change.contacts_created > 0)
    std::cout << " (" << plural(change.contacts_created, "new contact", "new contacts") << ")";
  std::cout << '\n';
}

void remove_from_group() {
  admin_session session(o.config_path);
  const auto change = checked(session.admin().remove_from_group(o.account, o.group, o.members));
  if (o.members.empty()) {
    std::cout << "group '" << o.group << "' of '" << o.account << "' deleted ("
              << plural(change.members_changed, "member", "members") << "; the contacts stay)\n";
  } else {
    std::cout << "group '" << o.group << "' of '" << o.account
              << "': " << plural(change.members_changed, "member", "members") << " removed\n";
  }
}

void list_groups() {
  admin_session session(o.config_path);
  if (!o.group.empty())
    return print_contacts(checked(session.admin().group_members(o.account, o.group)), false);
  const auto groups = checked(session.admin().groups(o.account));
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& g : groups)
      out.push_back({{"name", g.name}, {"members", g.members}, {"created_at", g.created_at}});
    return print_json(out);
  }
  for (const auto& g : groups)
    std::cout << std::left << std::setw(24) << g.name << plural(g.members, "member", "members")
              << '\n';
}

CLI::App* command(CLI::App& parent, const char* name, const char* help, bool lists, void (*fn)()) {
  auto* cmd = parent.add_subcommand(name, help);
  add_config_option(*cmd, o.config_path);
  cmd->add_option("account", o.account, "account name")->required();
  if (lists) {
    cmd->add_flag("--json", o.json, "print the result as JSON");
    cmd->add_flag("--full-numbers", o.full_numbers, "show whole numbers (masked by default)");
  }
  cmd->callback(fn);
  return cmd;
}

}  // namespace

void add_contacts_command(CLI::App& app) {
  auto* contacts = app.add_subcommand("contacts", "an account's contacts (numbers with names)");
  contacts->require_subcommand(1);
  auto* import = command(*contacts, "import",
                         "import contacts from CSV (columns: number, name, groups); all rows or "
                         "none",
                         false, import_contacts);
  import->add_option("file", o.file, "an RFC 4180 CSV file with a header row")->required();
  import->add_flag("--json", o.json, "print the counts as JSON");
  command(*contacts, "list", "list the contacts with their groups", true, list_contacts);
  command(*contacts, "remove", "remove a contact (and its group memberships)", false,
          remove_contact)
      ->add_option("number", o.number, "the number (national numbers in the account's country)")
      ->required();
}

void add_group_command(CLI::App& app) {
  auto* group =
      app.add_subcommand("group", "contact groups: mail to GROUP@DOMAIN goes to each member");
  group->require_subcommand(1);
  auto* add =
      command(*group, "add", "create a group and/or add members to it", false, add_to_group);
  add->add_option("group", o.group, "group name: lower case, starts with a letter (e.g. oncall)")
      ->required();
  add->add_option("members", o.members, "numbers (become contacts as needed) or contact names");
  auto* remove = command(*group, "remove", "remove members, or the whole group when none are named",
                         false, remove_from_group);
  remove->add_option("group", o.group, "group name")->required();
  remove->add_option("members", o.members, "numbers or contact names");
  command(*group, "list", "list the groups, or one group's members", true, list_groups)
      ->add_option("group", o.group, "a group: list its members");
}

}  // namespace mail2sms::cli
