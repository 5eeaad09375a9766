// A PostgreSQL connection in libpq's pipeline mode, for the intake's transactions: statements sent
// together in one flight and their results read after, so a transaction's statements share round
// trips (libpqxx 6.4 has no pipeline mode). Failures are thrown as libpqxx's exceptions
// (sql_error with the SQLSTATE, broken_connection, in_doubt_error), so classify() and the
// callers' retries treat them as they treat libpqxx's own. Internal to sql/.
#pragma once

#include <libpq-fe.h>

#include <pqxx/except>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace mail2sms::sql {

// A statement's parameter: text, or binary (bytea, and binary_array's arrays), which libpq
// sends with its length. libpq reads a text value up to its NUL, whatever its length: it must
// end with one, as std::string's data() and string literals do.
struct pq_param {
  std::string_view value;
  bool binary = false;
};

// One statement's rows.
class pq_rows {
 public:
  explicit pq_rows(PGresult* r) : result_(r, &PQclear) {}
  int size() const { return PQntuples(result_.get()); }
  std::string_view text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  bool boolean(int row, int column) const { return text(row, column) == "t"; }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

inline constexpr std::chrono::milliseconds default_lock_timeout{30000};
inline constexpr std::chrono::milliseconds default_answer_timeout{60000};

// The server sent nothing for answer_timeout while a result was due: it hangs (a stopped
// process, a disk that does not return, a network that lost the connection without a reset).
// The connection is closed. Thrown before the flight's COMMIT was sent; after it, the outcome is
// unknown and in_doubt_error is thrown instead. Not worth trying again at once: the server that
// hung is still the one a new connection would reach.
class no_answer : public pqxx::broken_connection {
 public:
  using pqxx::broken_connection::broken_connection;
};

class pipelined_connection {
 public:
  // lock_timeout: the longest a statement waits for a row lock (then 55P03). answer_timeout: the
  // longest a result may be due with nothing from the server (then no_answer or in_doubt_error);
  // longer than lock_timeout, which a statement may wait out legitimately. Throws
  // broken_connection (no_answer when the server accepted the connection and then said nothing).
  explicit pipelined_connection(const std::string& conninfo,
                                std::chrono::milliseconds lock_timeout = default_lock_timeout,
                                std::chrono::milliseconds answer_timeout = default_answer_timeout);
  ~pipelined_connection();
  pipelined_connection(const pipelined_connection&) = delete;
  pipelined_connection& operator=(const pipelined_connection&) = delete;

  // Open, and not in the middle of a flight.
  bool usable() const;
  // The connection's socket (-1 when closed): for tests that cut it.
  int socket() const { return conn_ ? PQsocket(conn_) : -1; }

  // Queues a statement: prepared under `name` on first use (parsed once per connection), or,
  // with no name, parsed and planned every time.
  void send(const char* name, const char* sql, std::span<const pq_param> params);
  void send(const char* sql) { send(nullptr, sql, {}); }
  // Sends what is queued and has the server send the results so far; the transaction goes on.
  void flush();
  // Queues COMMIT and ends the flight: from here on a lost connection leaves the outcome unknown
  // (in_doubt_error) unless a statement before the COMMIT has failed.
  void commit();
  // The next statement's rows, in the order sent; a failed statement throws, and the flight and
  // the transaction are rolled back first, leaving the connection ready for the next.
  pq_rows take();
  // After commit(): the COMMIT's outcome and the end of the flight.
  void finish_commit();
  // Ends whatever is open (the caller's flight after a failure of its own): results still due
  // are read and dropped and the transaction is rolled back. Closes the connection if it cannot.
  void abandon() noexcept;

 private:
  PGresult* next_result();  // of the next command, with its terminating NULL consumed
  // Until PQgetResult can return without blocking (what is queued is sent meanwhile): false if
  // nothing came from the server for answer_timeout_. A failed connection is true: PQgetResult
  // then reports what the server sent before it went, or the failure, without blocking.
  bool await_result() noexcept;
  // Closes the connection and throws: in_doubt_error once the COMMIT is out, else
  // broken_connection (no_answer if `timed_out`).
  [[noreturn]] void fail_connection(bool timed_out = false);
  void send_sync();
  void drain() noexcept;
  void close() noexcept;
  PGconn* conn_ = nullptr;
  std::chrono::milliseconds answer_timeout_;
  std::set<std::string, std::less<>> prepared_;
  // The commands sent whose results are not read yet: "" a statement, else the PREPARE of that
  // name (its result is read by take(), not returned).
  std::deque<std::string> due_;
  bool open_ = false;         // a flight has begun (its transaction too) and not ended
  bool synced_ = false;       // the flight's sync point is sent (commit() or after a failure)
  bool commit_sent_ = false;  // and its last command is COMMIT
  bool failed_ = false;       // a statement of this flight failed (the rest are skipped)
};

// The calling thread's pipelined connection (one per thread, as thread_connection), opened on
// first use and again after it broke.
pipelined_connection& thread_pipeline(
    const std::string& conninfo, std::chrono::milliseconds lock_timeout = default_lock_timeout,
    std::chrono::milliseconds answer_timeout = default_answer_timeout);

}  // namespace mail2sms::sql
