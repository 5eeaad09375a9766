// Account administration, what an operator does from the CLI: settings, app passwords, sender
// allowlists, client certificates, credit, contacts and groups, export and erasure, the audit
// trail. Every change commits together with its audit_log row (actor 'cli'); details in the
// audit trail never hold a password or a whole phone number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::sql {

struct admin_error {
  // invalid: the operator wrote something that can never work (exit 2); bad_file: a file the
  // operator gave holds something unusable (exit 1, naming FILE:LINE); not_found and conflict:
  // the data says no (exit 1); database: PostgreSQL failed.
  enum class kind { invalid, bad_file, not_found, conflict, database };
  kind what = kind::database;
  std::string message;  // what was wrong and what to do
};

template <class T>
using admin_result = result<T, admin_error>;

// Every setting of an account as stored (see admin_values.hpp for the keys that set them).
struct account_settings {
  std::int64_t id = 0;
  std::string name;
  std::string status;
  std::string country;
  std::string sender_id;
  int max_parts = 0;
  std::string subject;
  std::string timezone;
  std::string credit_policy;
  std::string too_long;
  std::vector<std::string> countries;  // empty: the account's own country; "*": any
  std::vector<std::string> number_types;
  int messages_per_minute = 0;
  int segments_per_day = 0;
  int per_number_per_hour = 0;
  int dedup_seconds = 0;
  bool clean = true;
  bool smart_gsm = true;
  bool transliterate = false;
  std::string national_language;    // none, turkish, spanish, portuguese
  int concatenation_reference = 8;  // bits: 8 or 16
  std::string notify;     // off, failures, all: which final states are mailed
  std::string notify_to;  // "sender" (the mail's envelope sender) or an address
  std::string end_marker;
  std::vector<std::string> disclaimers;
  std::int64_t credit = 0;
  std::string created_at;  // ISO 8601, UTC
};

struct account_counts {
  int passwords = 0;  // live (not revoked)
  int senders = 0;
  int networks = 0;
  int certificates = 0;
  int contacts = 0;
  int groups = 0;
};

struct credential_row {
  std::string label;
  std::string created_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> last_used_at;
};

struct certificate_row {
  std::string fingerprint;  // SHA-256 of the DER, lower-case hex
  std::string subject;
  std::string created_at;
};

struct ledger_row {
  std::string at;
  std::int64_t delta = 0;
  std::optional<std::int64_t> balance;  // after the change (rows from before 0004 have none)
  std::string reason;
  std::string queue_id;
};

struct audit_row {
  std::int64_t id = 0;
  std::string at;
  std::string actor;
  std::string action;
  std::string subject;
  std::string detail;
  std::string client;
  std::optional<std::string> account;  // the account's name while it exists
};

struct contact_row {
  std::string number;  // E.164
  std::string name;
  std::vector<std::string> groups;
  std::string created_at;
};

struct group_row {
  std::string name;
  int members = 0;
  std::string created_at;
};

struct import_counts {
  int records = 0;  // data rows read
  int created = 0;  // new contacts
  int updated = 0;  // contacts that were there already
  int groups_created = 0;
  int memberships_added = 0;
};

struct group_change {
  bool group_created = false;  // add: the group is new; remove without members: it was deleted
  int members_changed = 0;
  int contacts_created = 0;  // add: members given as numbers that were no contact yet
};

class admin {
 public:
  explicit admin(std::string connection_string);

  admin_result<account_settings> account(const std::string& name);
  admin_result<std::vector<account_settings>> accounts();
  admin_result<account_counts> counts(const std::string& name);

  // `account set NAME KEY VALUE`: validates (an unknown key or a bad value is `invalid`, with
  // the keys or what a valid value looks like) and returns the value as stored.
  admin_result<std::string> set(const std::string& name, const std::string& key,
                                const std::string& value);
  // ICU regular expressions that cut a mail's text where they match. add: false when the
  // account had it already; remove: not_found when it did not.
  admin_result<bool> add_disclaimer(const std::string& name, const std::string& pattern);
  admin_result<ok_t> remove_disclaimer(const std::string& name, const std::string& pattern);

  // App passwords. A label is unique among the live ones; a revoked label may be used again.
  admin_result<ok_t> add_password(const std::string& name, const std::string& label,
                                  const std::string& password_hash);
  admin_result<ok_t> revoke_password(const std::string& name, const std::string& label);
  admin_result<std::vector<credential_row>> passwords(const std::string& name);

  // Sender patterns; returns the pattern as stored (lower case) and whether it is new.
  admin_result<std::pair<std::string, bool>> add_sender(const std::string& name,
                                                        const std::string& pattern);
  admin_result<std::string> remove_sender(const std::string& name, const std::string& pattern);
  admin_result<std::vector<std::string>> senders(const std::string& name);

  // Client certificates by fingerprint (any form normalise_fingerprint takes); conflict when
  // another account has it. add returns the stored fingerprint and whether it is new.
  admin_result<std::pair<std::string, bool>> add_certificate(const std::string& name,
                                                             const std::string& fingerprint,
                                                             const std::string& subject);
  admin_result<std::string> remove_certificate(const std::string& name,
                                               const std::string& fingerprint);
  admin_result<std::vector<certificate_row>> certificates(const std::string& name);

  // Adds delta (negative: takes away) in one statement that never takes the balance below 0
  // (conflict, saying the balance); writes the ledger row. Returns the balance after.
  admin_result<std::int64_t> change_credit(const std::string& name, std::int64_t delta,
                                           const std::string& reason);
  admin_result<std::vector<ledger_row>> ledger(const std::string& name, int limit);

  // Contacts from RFC 4180 CSV text with a header row (number, name, groups): all rows or none;
  // a bad row is `bad_file` with "FILE:LINE: what is wrong".
  admin_result<import_counts> import_contacts(const std::string& name, const std::string& csv,
                                              const std::string& file_name);
  admin_result<std::vector<contact_row>> contacts(const std::string& name);
  admin_result<std::string> remove_contact(const std::string& name, const std::string& number);

  // Members are numbers (read in the account's country; they become contacts as needed) or
  // the names of existing contacts. remove with no members deletes the group.
  admin_result<group_change> add_to_group(const std::string& name, const std::string& group,
                                          const std::vector<std::string>& members);
  admin_result<group_change> remove_from_group(const std::string& name, const std::string& group,
                                               const std::vector<std::string>& members);
  admin_result<std::vector<group_row>> groups(const std::string& name);
  admin_result<std::vector<contact_row>> group_members(const std::string& name,
                                                       const std::string& group);

  // Everything stored about the account as one JSON document (README "Accounts" lists it),
  // read in one snapshot.
  admin_result<std::string> export_account(const std::string& name);
  // Erases the account and what hangs off it in one transaction; the credit ledger stays,
  // anonymised, and the audit trail keeps its rows without the name. Returns the id it had.
  admin_result<std::int64_t> delete_account(const std::string& name);

  // Newest first; account: only that account's rows.
  admin_result<std::vector<audit_row>> audit_log(const std::optional<std::string>& account,
                                                 int limit);
  // A row for a change that is not about one account (e.g. a purge).
  admin_result<ok_t> audit(const std::string& action, const std::string& detail);

 private:
  std::string connection_string_;
};

}  // namespace mail2sms::sql
