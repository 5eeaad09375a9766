// What the admin_*.cpp files share: a transaction that turns failures into admin_error, the
// account lookup, and the audit row every change writes. Internal to sql/.
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "sql/admin.hpp"
#include "sql/pq_support.hpp"

namespace mail2sms::sql::detail {

// Thrown inside an admin transaction to roll it back and report error.
struct admin_failure {
  admin_error error;
};

[[noreturn]] inline void refuse(admin_error::kind what, std::string message) {
  throw admin_failure{{what, std::move(message)}};
}

// Runs fn(tx) in a transaction (of type Tx) and commits it; admin_failure and database errors
// become the result's error, and the transaction rolls back. A transaction PostgreSQL rolled
// back to break a deadlock runs again (three times in all), so fn must change nothing but the
// database: an erasure locks the account, then its messages, while a receipt settling one of
// them as failed holds the message and waits for the account (the refund).
template <class Tx = pqxx::work, class F>
auto run_admin(const std::string& conninfo, F&& fn)
    -> admin_result<decltype(fn(std::declval<Tx&>()))> {
  for (int attempt = 1;; ++attempt) {
    try {
      Tx tx(thread_connection(conninfo));
      auto value = fn(tx);
      tx.commit();
      return value;
    } catch (const admin_failure& f) {
      return fail(f.error);
    } catch (const std::exception& e) {
      if (attempt == 3 || !worth_running_again(e))
        return fail(admin_error{admin_error::kind::database, classify(e).message});
    }
  }
}

struct account_ref {
  std::int64_t id = 0;
  std::string country;
};

// The named account, locked against a concurrent delete for the rest of the transaction;
// not_found (saying so) when there is none.
inline account_ref find_account(pqxx::transaction_base& tx, const std::string& name) {
  auto rows =
      tx.exec_params("SELECT id, country FROM accounts WHERE name = $1 FOR KEY SHARE", name);
  if (rows.empty()) refuse(admin_error::kind::not_found, "no account named '" + name + "'");
  return {rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>()};
}

// detail must already be free of passwords and whole numbers (redact_numbers).
inline void audit_in(pqxx::transaction_base& tx, std::int64_t account_id, const std::string& action,
                     const std::string& subject, const std::string& detail) {
  tx.exec_params(
      "INSERT INTO audit_log (actor, action, subject, detail, account_id) "
      "VALUES ('cli', $1, $2, $3, $4)",
      action, subject, detail, account_id);
}

// The elements of a text[] field.
inline std::vector<std::string> text_array(const pqxx::field& f) {
  std::vector<std::string> out;
  auto parser = f.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
  }
  return out;
}

// ISO 8601 in UTC, as every admin listing shows times.
inline std::string iso_time_sql(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

}  // namespace mail2sms::sql::detail
