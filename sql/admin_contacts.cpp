// Contacts and contact groups of an account (see admin.hpp): a CSV import that is all rows or
// none, and groups whose members are numbers or contact names. Numbers are E.164, read in the
// account's country; the audit trail counts them and never names them.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/phone/phone.hpp"
#include "sql/admin.hpp"
#include "sql/admin_support.hpp"
#include "sql/admin_values.hpp"
#include "sql/csv.hpp"

namespace mail2sms::sql {
namespace {

using detail::account_ref;
using detail::audit_in;
using detail::find_account;
using detail::iso_time_sql;
using detail::refuse;
using detail::run_admin;
using kind = admin_error::kind;

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return std::string(text);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// People write numbers with blanks ("082 123 4567"); phone::to_e164 takes spaces (a quoted
// local part can hold them), not tabs, which a file can.
result<std::string, std::string> e164_of(const std::string& text, const std::string& country) {
  std::string compact;
  for (const char c : text)
    if (c != ' ' && c != '\t') compact += c;
  return phone::to_e164(compact, country);
}

constexpr std::string_view columns_hint =
    "the first line names the columns: number (required), name, groups (e.g. "
    "number,name,groups)";

// Which field holds what, from the header row; -1 when the column is absent.
struct csv_columns {
  int number = -1;
  int name = -1;
  int groups = -1;
  std::size_t count = 0;
};

csv_columns read_header(const csv_record& header, const std::string& file) {
  csv_columns c;
  c.count = header.fields.size();
  const std::string where = file + ":" + std::to_string(header.line) + ": ";
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string column = lower(trim(header.fields[i]));
    int* slot = column == "number"   ? &c.number
                : column == "name"   ? &c.name
                : column == "groups" ? &c.groups
                                     : nullptr;
    if (slot == nullptr)
      refuse(kind::bad_file,
             where + "unknown column '" + column + "': " + std::string(columns_hint));
    if (*slot >= 0) refuse(kind::bad_file, where + "the column '" + column + "' appears twice");
    *slot = static_cast<int>(i);
  }
  if (c.number < 0)
    refuse(kind::bad_file, where + "there is no number column: " + std::string(columns_hint));
  return c;
}

// One contact as the file has it, merged over the rows with the same number.
struct imported_contact {
  std::string name;  // empty: keep the name a contact already has
  std::set<std::string> groups;
};

std::string check_contact_name(const std::string& name) {
  constexpr std::size_t max_length = 200;
  if (name.size() > max_length) return "the name is longer than 200 characters";
  if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    return "the name has a line break or another control character";
  return {};
}

// Reads every data row, or refuses with FILE:LINE at the first bad one.
std::map<std::string, imported_contact> read_rows(const std::vector<csv_record>& records,
                                                  const csv_columns& columns,
                                                  const account_ref& account,
                                                  const std::string& file) {
  std::map<std::string, imported_contact> contacts;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& record = records[r];
    const std::string where = file + ":" + std::to_string(record.line) + ": ";
    if (record.fields.size() != columns.count)
      refuse(kind::bad_file, where + std::to_string(record.fields.size()) +
                                " fields where the header has " + std::to_string(columns.count) +
                                " (a field with a comma must be in double quotes)");
    const std::string text = trim(record.fields[columns.number]);
    if (text.empty()) refuse(kind::bad_file, where + "the number is empty");
    auto number = e164_of(text, account.country);
    if (!number) refuse(kind::bad_file, where + number.error());
    auto& contact = contacts[*number];
    if (columns.name >= 0) {
      std::string name = trim(record.fields[columns.name]);
      if (const auto why = check_contact_name(name); !why.empty())
        refuse(kind::bad_file, where + why);
      if (!name.empty()) contact.name = std::move(name);
    }
    if (columns.groups < 0) continue;
    const std::string& cell = record.fields[columns.groups];
    std::size_t start = 0;
    while (start <= cell.size()) {
      const auto end = std::min(cell.find(';', start), cell.size());
      const std::string item = trim(std::string_view(cell).substr(start, end - start));
      start = end + 1;
      if (item.empty()) continue;
      auto group = normalise_group_name(item);
      if (!group) refuse(kind::bad_file, where + group.error());
      contact.groups.insert(*group);
    }
  }
  return contacts;
}

// A group member as the operator named it: a number (which becomes a contact when create is
// set) or the name of exactly one contact. Returns the contact's id and the number.
std::pair<std::int64_t, std::string> resolve_member(pqxx::work& tx, const account_ref& account,
                                                    const std::string& account_name,
                                                    const std::string& member, bool create,
                                                    int& created) {
  if (auto number = e164_of(member, account.country)) {
    auto found = tx.exec_params("SELECT id FROM contacts WHERE account_id = $1 AND number = $2",
                                account.id, *number);
    if (!found.empty()) return {found[0][0].as<std::int64_t>(), *number};
    if (!create)
      refuse(kind::not_found, phone::mask(*number) + " is not a contact of '" + account_name + "'");
    ++created;
    auto id =
        tx.exec_params1("INSERT INTO contacts (account_id, number) VALUES ($1, $2) RETURNING id",
                        account.id, *number)[0];
    return {id.as<std::int64_t>(), *number};
  } else if (std::none_of(member.begin(), member.end(),
                          [](unsigned char c) { return std::isalpha(c); })) {
    refuse(kind::invalid, number.error());
  }
  auto named = tx.exec_params(
      "SELECT id, number FROM contacts WHERE account_id = $1 AND name = $2 ORDER BY id", account.id,
      member);
  if (named.empty())
    refuse(kind::not_found, "no contact of '" + account_name + "' is named '" + member +
                                "': name members by number, or by the name of a contact "
                                "(see: mail2sms contacts list " +
                                account_name + ")");
  if (named.size() > 1)
    refuse(kind::conflict, std::to_string(named.size()) + " contacts of '" + account_name +
                               "' are named '" + member + "': give the number instead");
  return {named[0][0].as<std::int64_t>(), named[0][1].as<std::string>()};
}

// The group's id; not_found when the account has no such group.
std::int64_t find_group(pqxx::work& tx, std::int64_t account_id, const std::string& account_name,
                        const std::string& group) {
  auto rows = tx.exec_params("SELECT id FROM contact_groups WHERE account_id = $1 AND name = $2",
                             account_id, group);
  if (rows.empty())
    refuse(kind::not_found, "'" + account_name + "' has no group '" + group +
                                "' (see: mail2sms group list " + account_name + ")");
  return rows[0][0].as<std::int64_t>();
}

}  // namespace

admin_result<import_counts> admin::import_contacts(const std::string& name, const std::string& csv,
                                                   const std::string& file_name) {
  auto records = parse_csv(csv);
  if (!records)
    return fail(admin_error{kind::bad_file, file_name + ":" + std::to_string(records.error().line) +
                                               ": " + records.error().message});
  if (records->empty())
    return fail(admin_error{kind::bad_file,
                            file_name + ": the file is empty; " + std::string(columns_hint)});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto account = find_account(tx, name);
    const auto columns = read_header(records->front(), file_name);
    const auto contacts = read_rows(*records, columns, account, file_name);

    std::vector<std::string> numbers, names, member_numbers, member_groups;
    std::set<std::string> groups;
    for (const auto& [number, contact] : contacts) {
      numbers.push_back(number);
      names.push_back(contact.name);
      for (const auto& g : contact.groups) {
        member_numbers.push_back(number);
        member_groups.push_back(g);
        groups.insert(g);
      }
    }
    import_counts counts;
    counts.records = static_cast<int>(records->size()) - 1;
    counts.groups_created = static_cast<int>(
        tx.exec_params(
              "INSERT INTO contact_groups (account_id, name) SELECT $1, unnest($2::text[]) "
              "ON CONFLICT (account_id, name) DO NOTHING RETURNING id",
              account.id,
              text_array_literal(std::vector<std::string>(groups.begin(), groups.end())))
            .size());
    const auto number_array = text_array_literal(numbers);
    const auto name_array = text_array_literal(names);
    counts.created = static_cast<int>(
        tx.exec_params("INSERT INTO contacts (account_id, number, name) "
                       "SELECT $1, n, nm FROM unnest($2::text[], $3::text[]) AS x(n, nm) "
                       "ON CONFLICT (account_id, number) DO NOTHING RETURNING id",
                       account.id, number_array, name_array)
            .size());
    counts.updated = static_cast<int>(contacts.size()) - counts.created;
    // An empty name in the file keeps the name the contact has.
    tx.exec_params(
        "UPDATE contacts c SET name = x.nm FROM unnest($2::text[], $3::text[]) AS x(n, nm) "
        "WHERE c.account_id = $1 AND c.number = x.n AND x.nm <> '' AND c.name <> x.nm",
        account.id, number_array, name_array);
    counts.memberships_added = static_cast<int>(
        tx.exec_params("INSERT INTO group_members (group_id, contact_id) "
                       "SELECT g.id, c.id FROM unnest($2::text[], $3::text[]) AS x(n, g) "
                       "JOIN contacts c ON c.account_id = $1 AND c.number = x.n "
                       "JOIN contact_groups g ON g.account_id = $1 AND g.name = x.g "
                       "ON CONFLICT DO NOTHING RETURNING 1",
                       account.id, text_array_literal(member_numbers),
                       text_array_literal(member_groups))
            .size());
    audit_in(tx, account.id, "contacts.import", name,
             phone::redact_numbers(file_name) + ": " + std::to_string(counts.records) + " rows, " +
                 std::to_string(counts.created) + " new, " + std::to_string(counts.updated) +
                 " updated, " + std::to_string(counts.groups_created) + " groups created, " +
                 std::to_string(counts.memberships_added) + " memberships added");
    return counts;
  });
}

admin_result<std::vector<contact_row>> admin::contacts(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    std::vector<contact_row> out;
    for (const auto& r : tx.exec_params(
             "SELECT c.number, c.name, " + iso_time_sql("c.created_at") +
                 ", COALESCE(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL),"
                 " '{}') FROM contacts c LEFT JOIN group_members m ON m.contact_id = c.id "
                 "LEFT JOIN contact_groups g ON g.id = m.group_id WHERE c.account_id = $1 "
                 "GROUP BY c.id ORDER BY c.number",
             id)) {
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), detail::text_array(r[3]),
                     r[2].as<std::string>()});
    }
    return out;
  });
}

admin_result<std::string> admin::remove_contact(const std::string& name,
                                                const std::string& number) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto account = find_account(tx, name);
    auto e164 = e164_of(number, account.country);
    if (!e164) refuse(kind::invalid, e164.error());
    auto removed =
        tx.exec_params("DELETE FROM contacts WHERE account_id = $1 AND number = $2 RETURNING id",
                       account.id, *e164);
    if (removed.empty())
      refuse(kind::not_found, phone::mask(*e164) + " is not a contact of '" + name + "'");
    audit_in(tx, account.id, "contacts.remove", name, phone::mask(*e164));
    return *e164;
  });
}

admin_result<group_change> admin::add_to_group(const std::string& name, const std::string& group,
                                               const std::vector<std::string>& members) {
  auto group_name = normalise_group_name(group);
  if (!group_name) return fail(admin_error{kind::invalid, group_name.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto account = find_account(tx, name);
    group_change change;
    auto created = tx.exec_params(
        "INSERT INTO contact_groups (account_id, name) VALUES ($1, $2) "
        "ON CONFLICT (account_id, name) DO NOTHING RETURNING id",
        account.id, *group_name);
    change.group_created = !created.empty();
    const auto group_id = change.group_created ? created[0][0].as<std::int64_t>()
                                               : find_group(tx, account.id, name, *group_name);
    if (change.group_created) audit_in(tx, account.id, "group.create", name, *group_name);
    for (const auto& member : members) {
      const auto contact = resolve_member(tx, account, name, member, true, change.contacts_created);
      change.members_changed += static_cast<int>(
          tx.exec_params("INSERT INTO group_members (group_id, contact_id) VALUES ($1, $2) "
                         "ON CONFLICT DO NOTHING RETURNING 1",
                         group_id, contact.first)
              .size());
    }
    if (change.members_changed > 0)
      audit_in(tx, account.id, "group.member.add", name,
               *group_name + ": " + std::to_string(change.members_changed) + " added (" +
                   std::to_string(change.contacts_created) + " new contacts)");
    return change;
  });
}

admin_result<group_change> admin::remove_from_group(const std::string& name,
                                                    const std::string& group,
                                                    const std::vector<std::string>& members) {
  auto group_name = normalise_group_name(group);
  if (!group_name) return fail(admin_error{kind::invalid, group_name.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto account = find_account(tx, name);
    const auto group_id = find_group(tx, account.id, name, *group_name);
    group_change change;
    if (members.empty()) {
      change.members_changed =
          tx.exec_params1("SELECT count(*) FROM group_members WHERE group_id = $1", group_id)[0]
              .as<int>();
      tx.exec_params("DELETE FROM contact_groups WHERE id = $1", group_id);
      change.group_created = true;  // here: the group itself went
      audit_in(tx, account.id, "group.delete", name,
               *group_name + " (" + std::to_string(change.members_changed) + " members)");
      return change;
    }
    int unused = 0;
    for (const auto& member : members) {
      const auto contact = resolve_member(tx, account, name, member, false, unused);
      auto removed = tx.exec_params(
          "DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2 RETURNING 1", group_id,
          contact.first);
      if (removed.empty())
        refuse(kind::not_found, phone::mask(contact.second) + " is not in group '" + *group_name +
                                    "'; nothing was changed");
      ++change.members_changed;
    }
    audit_in(tx, account.id, "group.member.remove", name,
             *group_name + ": " + std::to_string(change.members_changed) + " removed");
    return change;
  });
}

admin_result<std::vector<group_row>> admin::groups(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    std::vector<group_row> out;
    for (const auto& r :
         tx.exec_params("SELECT g.name, count(m.contact_id), " + iso_time_sql("g.created_at") +
                            " FROM contact_groups g LEFT JOIN group_members m ON m.group_id = g.id "
                            "WHERE g.account_id = $1 GROUP BY g.id ORDER BY g.name",
                        id))
      out.push_back({r[0].as<std::string>(), r[1].as<int>(), r[2].as<std::string>()});
    return out;
  });
}

admin_result<std::vector<contact_row>> admin::group_members(const std::string& name,
                                                            const std::string& group) {
  auto group_name = normalise_group_name(group);
  if (!group_name) return fail(admin_error{kind::invalid, group_name.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    const auto group_id = find_group(tx, id, name, *group_name);
    std::vector<contact_row> out;
    for (const auto& r :
         tx.exec_params("SELECT c.number, c.name, " + iso_time_sql("c.created_at") +
                            " FROM group_members m JOIN contacts c ON c.id = m.contact_id "
                            "WHERE m.group_id = $1 ORDER BY c.number",
                        group_id))
      out.push_back(
          {r[0].as<std::string>(), r[1].as<std::string>(), {*group_name}, r[2].as<std::string>()});
    return out;
  });
}

}  // namespace mail2sms::sql
