// What every libpqxx caller in sql/ shares: the calling thread's connection and the mapping of
// pqxx exceptions to core::store_error. Internal to sql/.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "core/outage_log.hpp"
#include "core/ports.hpp"

namespace mail2sms::sql {

// A libpq keyword value, quoted when it needs to be.
std::string conninfo_value(const std::string& value);

// One connection per thread ("a world" each, as libpqxx advises), reopened when it broke.
pqxx::connection& thread_connection(const std::string& conninfo);
// Closes the calling thread's connection: the next thread_connection opens a new one.
void drop_thread_connection();
// Whether the calling thread holds an open connection to conninfo from an earlier call.
bool has_thread_connection(const std::string& conninfo);

// Runs `sql` as a statement prepared under `name` on this connection (prepared on first use, again
// after a reconnect): parsed once, and planned once where PostgreSQL finds the generic plan as
// good as planning for the values. For statements whose plan cannot depend on their parameters
// (arrays unnested into INSERTs, look-ups by primary key), where parsing and planning cost more
// than running them.
template <class... Args>
pqxx::result exec_prepared_once(pqxx::transaction_base& tx, const char* name, const char* sql,
                                Args&&... args) {
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// A connection of its own that LISTENs on one channel, opened on first use and again after it
// broke; for one thread (the dispatcher's, the notifier's, the account watcher's).
//
// While the database cannot be reached, a new connection is tried after 0.1 s, then after twice
// as long each time up to retry_ceiling, and the failure is logged once, then at most once a
// minute (core::outage_log; a loop calling wait every 100 ms through an outage would otherwise log
// ten lines a second, and make the server log one FATAL per attempt where it refuses them). The
// connection made again is logged with how long it was missing.
class channel_listener {
 public:
  static constexpr std::chrono::milliseconds first_retry{100};
  static constexpr std::chrono::milliseconds retry_ceiling{5000};

  channel_listener(std::string conninfo, std::string channel, std::string name);
  ~channel_listener();
  // Whether a NOTIFY came within timeout (0: whether one has come). A broken connection is
  // logged (as `name`) and dropped, and the timeout is still waited out: a caller looping on
  // this does not spin while the database is down.
  bool wait(std::chrono::milliseconds timeout);
  // How many times the LISTEN connection has been made: a caller that must not miss a NOTIFY
  // sees from a change that some may have come while there was none.
  std::uint64_t connections() const { return connections_; }

 private:
  struct connection;
  bool connect();
  void failed(const char* what, const std::exception& e);

  std::string conninfo_;
  std::string channel_;
  std::string name_;
  std::unique_ptr<connection> connection_;
  std::uint64_t connections_ = 0;
  core::outage_log outage_;                         // the outage under way, if any
  std::chrono::steady_clock::time_point retry_at_;  // when the next attempt may be made
};

// Text for a log line: each run of white space (line breaks in libpq's and PostgreSQL's
// messages: DETAIL, CONTEXT) one space, none at the ends.
std::string one_line(std::string_view text);

// in_doubt for a commit whose outcome is unknown, permanent for integrity and data errors
// (SQLSTATE classes 23 and 22: retrying will not help), transient for the rest. The message is
// the exception's first line, one_line: what follows it may quote values (PostgreSQL's DETAIL
// "Failing row contains (...)" holds a whole row, a mail's text too), and a log line must stay
// one line.
core::store_error classify(const std::exception& e);

// PostgreSQL rolled the transaction back to break a deadlock (40P01) or a serialization
// conflict (40001): the same transaction, run again, can succeed. libpqxx throws those as
// deadlock_detected and serialization_failure, which are not sql_errors (and carry no SQLSTATE);
// the intake's pipeline (sql/pipeline.cpp) throws sql_errors with the SQLSTATE.
inline bool worth_running_again(const std::exception& e) {
  if (dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr ||
      dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr)
    return true;
  const auto* error = dynamic_cast<const pqxx::sql_error*>(&e);
  return error != nullptr && (error->sqlstate() == "40P01" || error->sqlstate() == "40001");
}

// The server ended the session (SQLSTATE class 57: terminated by an administrator, a crash or
// a shutdown): the transaction was rolled back, and a new connection may do it again.
inline bool session_ended(const pqxx::sql_error& e) { return e.sqlstate().starts_with("57P"); }

// Runs fn(transaction) on the calling thread's connection and commits; any failure becomes a
// store_error. A transaction PostgreSQL rolled back to break a deadlock or a serialization
// conflict (worth_running_again) runs again, three times in all: fn must change nothing but the
// database (not the state it captures: it returns what it found). The deadlocks left: an
// account's erasure (account, then messages) against a receipt or an outcome that refunds one of
// its messages (message, then account), and replies of two accounts stored in one batch (each
// reply's foreign key takes its account) against the intake.
//
// So does one whose connection, open from an earlier call, turns out to have ended while it was
// idle (PostgreSQL restarted, or ended the session): on a new connection. Nothing was committed
// (a connection lost at the COMMIT itself is in_doubt_error, never run again). Without this, the
// first receipts each thread stored after a restart of the database were refused, and the SMSC
// may never send them again.
template <class F>
auto in_transaction(const std::string& conninfo, F&& fn)
    -> result<decltype(fn(std::declval<pqxx::work&>())), core::store_error> {
  for (int attempt = 1;; ++attempt) {
    const bool reused = has_thread_connection(conninfo);
    try {
      pqxx::work tx(thread_connection(conninfo));
      auto value = fn(tx);
      tx.commit();
      return value;
    } catch (const pqxx::in_doubt_error& e) {
      return fail(classify(e));
    } catch (const pqxx::broken_connection& e) {
      if (attempt == 3 || !reused) return fail(classify(e));
      drop_thread_connection();
    } catch (const pqxx::sql_error& e) {
      if (attempt == 3 || !((reused && session_ended(e)) || worth_running_again(e)))
        return fail(classify(e));
      if (session_ended(e)) drop_thread_connection();
    } catch (const std::exception& e) {
      if (attempt == 3 || !worth_running_again(e)) return fail(classify(e));
    }
  }
}

// A prepared statement whose result's types a migration changed since it was prepared ("cached
// plan must not change result type", feature_not_supported): it works again on a new connection.
inline constexpr const char* stale_plan_state = "0A000";
inline bool stale_plan(const pqxx::sql_error& e) { return e.sqlstate() == stale_plan_state; }

// As in_transaction, for look-ups that only read (fn may run twice): when the thread's
// connection, open from an earlier call, turns out to have ended while it was idle (PostgreSQL
// restarted, or ended the session: 57P01 and its kin, or a closed socket), fn runs once more on
// a new connection. The SMTP client would otherwise get a temporary failure for the first
// look-up of each pool thread after every restart of the database. A connection that could not
// be opened is not tried again (the caller would wait twice as long for the same answer), and
// the end of the transaction cannot lose what was read.
template <class F>
auto in_read_transaction(const std::string& conninfo, F&& fn)
    -> result<decltype(fn(std::declval<pqxx::work&>())), core::store_error> {
  for (bool reused = has_thread_connection(conninfo);; reused = false) {
    try {
      pqxx::work tx(thread_connection(conninfo));
      auto value = fn(tx);
      try {
        tx.commit();
      } catch (const std::exception&) {  // a read: nothing to lose, the next call reconnects
      }
      return value;
    } catch (const pqxx::broken_connection& e) {
      if (!reused) return fail(classify(e));
    } catch (const pqxx::sql_error& e) {
      if (!reused || !session_ended(e)) return fail(classify(e));
    } catch (const std::exception& e) {
      return fail(classify(e));
    }
    drop_thread_connection();
  }
}

}  // namespace mail2sms::sql
