// Account administration (see admin.hpp): settings, app passwords, sender allowlists, client
// certificates, credit and the audit trail. Contacts and groups are in admin_contacts.cpp,
// export and erasure in admin_erasure.cpp.
#include "sql/admin.hpp"

#include "core/mail/mail_text.hpp"
#include "core/phone/phone.hpp"
#include "sql/admin_support.hpp"
#include "sql/admin_values.hpp"

namespace mail2sms::sql {
namespace {

using detail::audit_in;
using detail::find_account;
using detail::iso_time_sql;
using detail::refuse;
using detail::run_admin;
using kind = admin_error::kind;

account_settings settings_from(const pqxx::row& r) {
  account_settings a;
  a.id = r["id"].as<std::int64_t>();
  a.name = r["name"].as<std::string>();
  a.status = r["status"].as<std::string>();
  a.country = r["country"].as<std::string>();
  a.sender_id = r["sender_id"].as<std::string>();
  a.max_parts = r["max_parts"].as<int>();
  a.subject = r["subject"].as<std::string>();
  a.timezone = r["timezone"].as<std::string>();
  a.credit_policy = r["credit_policy"].as<std::string>();
  a.too_long = r["too_long"].as<std::string>();
  a.countries = detail::text_array(r["countries"]);
  a.number_types = detail::text_array(r["number_types"]);
  a.messages_per_minute = r["messages_per_minute"].as<int>();
  a.segments_per_day = r["segments_per_day"].as<int>();
  a.per_number_per_hour = r["per_number_per_hour"].as<int>();
  a.dedup_seconds = r["dedup_seconds"].as<int>();
  a.clean = r["clean_text"].as<bool>();
  a.smart_gsm = r["smart_gsm"].as<bool>();
  a.transliterate = r["transliterate"].as<bool>();
  a.national_language = r["national_language"].as<std::string>();
  a.concatenation_reference = r["concatenation_reference"].as<int>();
  a.notify = r["notify"].as<std::string>();
  a.notify_to = r["notify_to"].as<std::string>();
  a.end_marker = r["end_marker"].as<std::string>();
  a.disclaimers = detail::text_array(r["disclaimers"]);
  a.credit = r["credit"].as<std::int64_t>();
  a.created_at = r["created"].as<std::string>();
  return a;
}

std::string settings_query(const std::string& where) {
  return "SELECT id, name, status, country, sender_id, max_parts, subject, timezone, "
         "credit_policy, too_long, countries, number_types, messages_per_minute, "
         "segments_per_day, per_number_per_hour, dedup_seconds, clean_text, smart_gsm, "
         "transliterate, national_language, concatenation_reference, notify, notify_to, end_marker, "
         "disclaimers, "
         "credit, " +
         iso_time_sql("created_at") + " AS created FROM accounts " + where;
}

std::optional<std::string> optional_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

// The audit detail of `account set`: KEY=VALUE, with any number in a text value masked.
std::string set_detail(const setting& s, const std::string& stored) {
  return std::string(s.key) + "=" + (s.sql_type == "text" ? phone::redact_numbers(stored) : stored);
}

}  // namespace

admin::admin(std::string connection_string) : connection_string_(std::move(connection_string)) {}

admin_result<account_settings> admin::account(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(settings_query("WHERE name = $1"), name);
    if (rows.empty()) refuse(kind::not_found, "no account named '" + name + "'");
    return settings_from(rows[0]);
  });
}

admin_result<std::vector<account_settings>> admin::accounts() {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    std::vector<account_settings> out;
    for (const auto& r : tx.exec(settings_query("ORDER BY name"))) out.push_back(settings_from(r));
    return out;
  });
}

admin_result<account_counts> admin::counts(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto r = tx.exec_params1(
        "SELECT (SELECT count(*) FROM credentials WHERE account_id = $1 AND revoked_at IS NULL),"
        " (SELECT count(*) FROM account_senders WHERE account_id = $1),"
        " (SELECT count(*) FROM account_networks WHERE account_id = $1),"
        " (SELECT count(*) FROM account_certificates WHERE account_id = $1),"
        " (SELECT count(*) FROM contacts WHERE account_id = $1),"
        " (SELECT count(*) FROM contact_groups WHERE account_id = $1)",
        id);
    return account_counts{r[0].as<int>(), r[1].as<int>(), r[2].as<int>(),
                          r[3].as<int>(), r[4].as<int>(), r[5].as<int>()};
  });
}

admin_result<std::string> admin::set(const std::string& name, const std::string& key,
                                     const std::string& value) {
  const setting* s = find_setting(key);
  if (s == nullptr) return fail(admin_error{kind::invalid, unknown_setting_message(key)});
  auto normal = normalise_setting(*s, value);
  if (!normal) return fail(admin_error{kind::invalid, normal.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    std::string stored = *normal;
    if (s->key == "timezone") {
      // PostgreSQL's names, in its spelling ("africa/johannesburg" -> "Africa/Johannesburg").
      auto zone = tx.exec_params(
          "SELECT name FROM pg_timezone_names WHERE lower(name) = lower($1) "
          "ORDER BY name = $1 DESC LIMIT 1",
          stored);
      if (zone.empty())
        refuse(kind::invalid,
               "timezone '" + stored + "' is not valid; write " + std::string(s->valid));
      stored = zone[0][0].as<std::string>();
    }
    const auto id = find_account(tx, name).id;
    // The column comes from the fixed settings table, never from the caller.
    tx.exec_params("UPDATE accounts SET " + std::string(s->column) +
                       " = $2::" + std::string(s->sql_type) + " WHERE id = $1",
                   id, stored);
    audit_in(tx, id, "account.set", name, set_detail(*s, stored));
    return stored;
  });
}

admin_result<bool> admin::add_disclaimer(const std::string& name, const std::string& pattern) {
  if (const auto why = mail::check_disclaimer_pattern(pattern); !why.empty())
    return fail(admin_error{kind::invalid, "disclaimer '" + pattern + "': " + why});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto added = tx.exec_params(
        "UPDATE accounts SET disclaimers = array_append(disclaimers, $2) "
        "WHERE id = $1 AND NOT ($2 = ANY (disclaimers)) RETURNING id",
        id, pattern);
    if (!added.empty())
      audit_in(tx, id, "account.disclaimer.add", name, phone::redact_numbers(pattern));
    return !added.empty();
  });
}

admin_result<ok_t> admin::remove_disclaimer(const std::string& name, const std::string& pattern) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto removed = tx.exec_params(
        "UPDATE accounts SET disclaimers = array_remove(disclaimers, $2) "
        "WHERE id = $1 AND $2 = ANY (disclaimers) RETURNING id",
        id, pattern);
    if (removed.empty())
      refuse(kind::not_found, "'" + name + "' has no disclaimer pattern '" + pattern +
                                  "' (see: mail2sms account disclaimer list " + name + ")");
    audit_in(tx, id, "account.disclaimer.remove", name, phone::redact_numbers(pattern));
    return ok;
  });
}

admin_result<ok_t> admin::add_password(const std::string& name, const std::string& label,
                                       const std::string& password_hash) {
  if (const auto why = check_password_label(label); !why.empty())
    return fail(admin_error{kind::invalid, why});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto live = tx.exec_params(
        "SELECT 1 FROM credentials WHERE account_id = $1 AND label = $2 AND revoked_at IS NULL", id,
        label);
    if (!live.empty())
      refuse(kind::conflict, "'" + name + "' already has a password labelled '" + label +
                                 "': revoke it first (mail2sms account password revoke " + name +
                                 " " + label + ") or choose another label");
    tx.exec_params("INSERT INTO credentials (account_id, label, hash) VALUES ($1, $2, $3)", id,
                   label, password_hash);
    audit_in(tx, id, "account.password.add", name, "label=" + label);
    return ok;
  });
}

admin_result<ok_t> admin::revoke_password(const std::string& name, const std::string& label) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto revoked = tx.exec_params(
        "UPDATE credentials SET revoked_at = now() "
        "WHERE account_id = $1 AND label = $2 AND revoked_at IS NULL RETURNING id",
        id, label);
    if (revoked.empty())
      refuse(kind::not_found, "'" + name + "' has no live password labelled '" + label +
                                  "' (see: mail2sms account password list " + name + ")");
    audit_in(tx, id, "account.password.revoke", name, "label=" + label);
    return ok;
  });
}

admin_result<std::vector<credential_row>> admin::passwords(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    std::vector<credential_row> out;
    for (const auto& r :
         tx.exec_params("SELECT label, " + iso_time_sql("created_at") + ", " +
                            iso_time_sql("revoked_at") + ", " + iso_time_sql("last_used_at") +
                            " FROM credentials WHERE account_id = $1 ORDER BY id",
                        id)) {
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), optional_text(r[2]),
                     optional_text(r[3])});
    }
    return out;
  });
}

admin_result<std::pair<std::string, bool>> admin::add_sender(const std::string& name,
                                                             const std::string& pattern) {
  auto normal = normalise_sender_pattern(pattern);
  if (!normal) return fail(admin_error{kind::invalid, normal.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto added = tx.exec_params(
        "INSERT INTO account_senders (account_id, pattern) VALUES ($1, $2) "
        "ON CONFLICT (account_id, pattern) DO NOTHING RETURNING id",
        id, *normal);
    if (!added.empty())
      audit_in(tx, id, "account.sender.add", name, phone::redact_numbers(*normal));
    return std::pair{*normal, !added.empty()};
  });
}

admin_result<std::string> admin::remove_sender(const std::string& name,
                                               const std::string& pattern) {
  auto normal = normalise_sender_pattern(pattern);
  if (!normal) return fail(admin_error{kind::invalid, normal.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto removed = tx.exec_params(
        "DELETE FROM account_senders WHERE account_id = $1 AND pattern = $2 RETURNING id", id,
        *normal);
    if (removed.empty())
      refuse(kind::not_found, "'" + name + "' has no sender pattern '" + *normal +
                                  "' (see: mail2sms account sender list " + name + ")");
    audit_in(tx, id, "account.sender.remove", name, phone::redact_numbers(*normal));
    return *normal;
  });
}

admin_result<std::vector<std::string>> admin::senders(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    std::vector<std::string> out;
    for (const auto& r : tx.exec_params(
             "SELECT pattern FROM account_senders WHERE account_id = $1 ORDER BY pattern", id))
      out.push_back(r[0].as<std::string>());
    return out;
  });
}

admin_result<std::pair<std::string, bool>> admin::add_certificate(const std::string& name,
                                                                  const std::string& fingerprint,
                                                                  const std::string& subject) {
  auto normal = normalise_fingerprint(fingerprint);
  if (!normal) return fail(admin_error{kind::invalid, normal.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto owner = tx.exec_params(
        "SELECT a.id, a.name FROM account_certificates c JOIN accounts a ON a.id = c.account_id "
        "WHERE c.fingerprint = $1",
        *normal);
    if (!owner.empty() && owner[0][0].as<std::int64_t>() != id)
      refuse(kind::conflict, "certificate " + *normal + " is registered to account '" +
                                 owner[0][1].as<std::string>() +
                                 "': a certificate identifies one account; remove it there first");
    if (!owner.empty()) return std::pair{*normal, false};
    tx.exec_params(
        "INSERT INTO account_certificates (account_id, fingerprint, subject) VALUES ($1, $2, $3)",
        id, *normal, subject);
    audit_in(tx, id, "account.cert.add", name, *normal);
    return std::pair{*normal, true};
  });
}

admin_result<std::string> admin::remove_certificate(const std::string& name,
                                                    const std::string& fingerprint) {
  auto normal = normalise_fingerprint(fingerprint);
  if (!normal) return fail(admin_error{kind::invalid, normal.error()});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    auto removed = tx.exec_params(
        "DELETE FROM account_certificates WHERE account_id = $1 AND fingerprint = $2 RETURNING id",
        id, *normal);
    if (removed.empty())
      refuse(kind::not_found, "'" + name + "' has no certificate " + *normal +
                                  " (see: mail2sms account cert list " + name + ")");
    audit_in(tx, id, "account.cert.remove", name, *normal);
    return *normal;
  });
}

admin_result<std::vector<certificate_row>> admin::certificates(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    std::vector<certificate_row> out;
    for (const auto& r :
         tx.exec_params("SELECT fingerprint, subject, " + iso_time_sql("created_at") +
                            " FROM account_certificates WHERE account_id = $1 "
                            "ORDER BY id",
                        id))
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
    return out;
  });
}

admin_result<std::int64_t> admin::change_credit(const std::string& name, std::int64_t delta,
                                                const std::string& reason) {
  constexpr std::int64_t max_change = 1'000'000'000'000;
  if (delta == 0 || delta > max_change || delta < -max_change)
    return fail(
        admin_error{kind::invalid, "the change must be +N or -N with N from 1 to 1000000000000"});
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    // One statement: a reservation committing at the same moment cannot take the balance below
    // zero between a check and the update.
    auto changed = tx.exec_params(
        "UPDATE accounts SET credit = credit + $2 WHERE id = $1 AND credit + $2 >= 0 "
        "RETURNING credit",
        id, delta);
    if (changed.empty()) {
      const auto balance =
          tx.exec_params1("SELECT credit FROM accounts WHERE id = $1", id)[0].as<std::int64_t>();
      refuse(kind::conflict, "'" + name + "' has a balance of " + std::to_string(balance) +
                                 ": taking away " + std::to_string(-delta) +
                                 " would make it negative; nothing was changed");
    }
    const auto balance = changed[0][0].as<std::int64_t>();
    const std::string why = reason.empty() ? (delta > 0 ? "top-up" : "adjustment") : reason;
    tx.exec_params(
        "INSERT INTO credit_ledger (account_id, delta, reason, balance) VALUES ($1, $2, $3, $4)",
        id, delta, why, balance);
    audit_in(tx, id, "account.credit", name,
             (delta > 0 ? "+" : "") + std::to_string(delta) + " (" + phone::redact_numbers(why) +
                 "), balance " + std::to_string(balance));
    return balance;
  });
}

admin_result<std::vector<ledger_row>> admin::ledger(const std::string& name, int limit) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const auto id = find_account(tx, name).id;
    std::vector<ledger_row> out;
    for (const auto& r :
         tx.exec_params("SELECT " + iso_time_sql("at") +
                            ", delta, balance, reason, COALESCE(queue_id, '') FROM credit_ledger "
                            "WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
                        id, limit)) {
      ledger_row row{r[0].as<std::string>(), r[1].as<std::int64_t>(), std::nullopt,
                     r[3].as<std::string>(), r[4].as<std::string>()};
      if (!r[2].is_null()) row.balance = r[2].as<std::int64_t>();
      out.push_back(std::move(row));
    }
    return out;
  });
}

admin_result<std::vector<audit_row>> admin::audit_log(const std::optional<std::string>& account,
                                                      int limit) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    const std::int64_t id = account ? find_account(tx, *account).id : 0;  // 0: every row
    std::vector<audit_row> out;
    for (const auto& r :
         tx.exec_params("SELECT l.id, " + iso_time_sql("l.at") +
                            ", l.actor, l.action, l.subject, l.detail, l.client, a.name "
                            "FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id "
                            "WHERE $1 = 0 OR l.account_id = $1 ORDER BY l.id DESC LIMIT $2",
                        id, limit)) {
      out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
                     r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                     r[6].as<std::string>(), optional_text(r[7])});
    }
    return out;
  });
}

admin_result<ok_t> admin::audit(const std::string& action, const std::string& detail) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO audit_log (actor, action, detail) VALUES ('cli', $1, $2)", action,
                   detail);
    return ok;
  });
}

}  // namespace mail2sms::sql
