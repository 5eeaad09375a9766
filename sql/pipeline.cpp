#include "sql/pipeline.hpp"

#include <pqxx/except>

#include <spdlog/spdlog.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <vector>

#include "sql/pq_support.hpp"

namespace mail2sms::sql {

namespace {

std::string no_answer_message(std::chrono::milliseconds timeout) {
  return "PostgreSQL sent nothing for " + std::to_string(timeout.count()) +
         " ms while a result was due ([database] answer_timeout); the connection is closed";
}

}  // namespace

std::string_view pq_rows::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t pq_rows::integer(int row, int column) const {
  const auto t = text(row, column);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc{} || end != t.data() + t.size())
    throw pqxx::conversion_error("not an integer: '" + std::string(t) + "'");
  return n;
}

pipelined_connection::pipelined_connection(const std::string& conninfo,
                                           std::chrono::milliseconds lock_timeout,
                                           std::chrono::milliseconds answer_timeout)
    : conn_(PQconnectdb(conninfo.c_str())), answer_timeout_(answer_timeout) {
  auto refuse = [this](const std::string& what) {
    const std::string message = what + (conn_ ? PQerrorMessage(conn_) : "out of memory");
    PQfinish(conn_);
    conn_ = nullptr;
    throw pqxx::broken_connection(message);
  };
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) refuse("");
  // Never blocked in libpq: a send queues what the socket cannot take, and every wait for the
  // server is a poll bounded by answer_timeout (await_result).
  if (PQsetnonblocking(conn_, 1) != 0) refuse("non-blocking mode: ");
  // As thread_connection: JIT compiling a short statement costs more than running it. And no
  // sequential scans: each of the intake's statements reaches its rows by an index whatever the
  // statistics said when it was planned, once per connection (a prepared statement's generic
  // plan, made while a table was empty, would otherwise scan it for every row of every batch).
  // Once is all: PostgreSQL would otherwise plan the account lock and the history read again for
  // every transaction (their custom plans for a short array look cheaper than the generic one),
  // about 60 us each time; with a connection per mail, batches of a dozen mails, that was 3 % of
  // PostgreSQL's CPU per mail (docs/PERFORMANCE.md, session 17).
  // And a bound on waiting for a row lock: the sessions whose mails a batch holds wait for its
  // commit, and nothing else would end that wait.
  const std::string settings =
      "SET jit = off; SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan; "
      "SET lock_timeout = " +
      std::to_string(lock_timeout.count());
  if (PQsendQuery(conn_, settings.c_str()) != 1) refuse(settings + ": ");
  bool set_ok = true;
  for (;;) {
    if (!await_result()) {
      PQfinish(conn_);
      conn_ = nullptr;
      throw no_answer(settings + ": " + no_answer_message(answer_timeout_));
    }
    PGresult* set = PQgetResult(conn_);
    if (set == nullptr) break;
    set_ok = set_ok && PQresultStatus(set) == PGRES_COMMAND_OK;
    PQclear(set);
  }
  if (!set_ok || PQstatus(conn_) != CONNECTION_OK) refuse(settings + ": ");
  // The server's notices (none is expected on the intake's path) go to the log, not to stderr.
  PQsetNoticeProcessor(
      conn_,
      [](void*, const char* message) {
        std::string_view text(message);
        while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
        spdlog::warn("PostgreSQL (intake): {}", text);
      },
      nullptr);
  if (PQenterPipelineMode(conn_) != 1) refuse("pipeline mode: ");
}

pipelined_connection::~pipelined_connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool pipelined_connection::usable() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK && !open_;
}

void pipelined_connection::send(const char* name, const char* sql,
                                std::span<const pq_param> params) {
  if (conn_ == nullptr) throw pqxx::broken_connection("the intake's connection is closed");
  if (synced_) throw std::logic_error("a statement queued after its flight ended");
  open_ = true;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  values.reserve(params.size());
  lengths.reserve(params.size());
  formats.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  const int n = static_cast<int>(params.size());
  if (name == nullptr) {
    if (PQsendQueryParams(conn_, sql, n, nullptr, values.data(), lengths.data(), formats.data(),
                          0) != 1)
      fail_connection();
    due_.emplace_back();
    return;
  }
  if (!prepared_.contains(name)) {
    if (PQsendPrepare(conn_, name, sql, n, nullptr) != 1) fail_connection();
    prepared_.emplace(name);
    due_.emplace_back(name);
  }
  if (PQsendQueryPrepared(conn_, name, n, values.data(), lengths.data(), formats.data(), 0) != 1)
    fail_connection();
  due_.emplace_back();
}

void pipelined_connection::flush() {
  if (conn_ == nullptr) throw pqxx::broken_connection("the intake's connection is closed");
  // What the socket does not take now is sent while the results are awaited.
  if (PQsendFlushRequest(conn_) != 1 || PQflush(conn_) < 0) fail_connection();
}

void pipelined_connection::commit() {
  send("COMMIT");
  commit_sent_ = true;
  send_sync();
}

void pipelined_connection::send_sync() {
  if (PQpipelineSync(conn_) != 1) fail_connection();
  synced_ = true;
}

bool pipelined_connection::await_result() noexcept {
  const auto deadline = std::chrono::steady_clock::now() + answer_timeout_;
  for (;;) {
    // Sends what is queued (or what the socket takes of it); done once a result has come.
    const int unsent = PQflush(conn_);
    if (unsent < 0 || !PQisBusy(conn_)) return true;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd socket{PQsocket(conn_), static_cast<short>(POLLIN | (unsent == 1 ? POLLOUT : 0)), 0};
    if (socket.fd < 0) return true;
    const int ready = ::poll(
        &socket, 1,
        static_cast<int>(std::min<std::int64_t>(left.count(), std::numeric_limits<int>::max())));
    // A failure of the socket (or of reading it) is PQgetResult's to report, without blocking.
    if (ready < 0 && errno != EINTR) return true;
    if (ready > 0 && (socket.revents & ~POLLOUT) != 0 && PQconsumeInput(conn_) == 0) return true;
  }
}

PGresult* pipelined_connection::next_result() {
  if (!await_result()) fail_connection(true);
  PGresult* r = PQgetResult(conn_);
  if (r == nullptr) fail_connection();  // a result was due: the connection is gone
  // What the server sent is the statement's own outcome even when the connection closed right
  // after it: an answer, or an error with the server's SQLSTATE (57P01: terminated). An error
  // of libpq's own is the connection's.
  const auto status = PQresultStatus(r);
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const bool from_server = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK ||
                           status == PGRES_PIPELINE_SYNC || status == PGRES_PIPELINE_ABORTED ||
                           (state != nullptr && std::string_view(state).substr(0, 2) != "08");
  if (!from_server) {
    PQclear(r);
    fail_connection();
  }
  if (status != PGRES_PIPELINE_SYNC && PQstatus(conn_) == CONNECTION_OK) {
    // A command's results end with a NULL; each statement here has a single result.
    if (!await_result()) {
      PQclear(r);
      fail_connection(true);
    }
    if (PGresult* extra = PQgetResult(conn_); extra != nullptr) {
      PQclear(extra);
      PQclear(r);
      fail_connection();
    }
  }
  return r;
}

pq_rows pipelined_connection::take() {
  if (conn_ == nullptr) throw pqxx::broken_connection("the intake's connection is closed");
  while (!due_.empty()) {
    const std::string prepare = std::move(due_.front());
    due_.pop_front();
    PGresult* r = next_result();
    const auto status = PQresultStatus(r);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (prepare.empty()) return pq_rows(r);
      PQclear(r);
      continue;
    }
    // A COMMIT that failed with the connection: committed or not, nobody can tell.
    if (prepare.empty() && due_.empty() && commit_sent_ && PQstatus(conn_) != CONNECTION_OK) {
      PQclear(r);
      fail_connection();
    }
    // The first failure of the flight; what follows it up to the sync point was skipped. One
    // without an SQLSTATE is not a statement's error: the connection is given up (in doubt once
    // the COMMIT is out).
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state == nullptr) {
      PQclear(r);
      fail_connection();
    }
    const std::string sqlstate = state;
    std::string message = PQresultErrorMessage(r);
    if (message.empty()) message = std::string("unexpected ") + PQresStatus(status);
    PQclear(r);
    if (!prepare.empty()) prepared_.erase(prepare);
    failed_ = true;
    drain();
    // "cached plan must not change result type": a migration changed a column a prepared
    // statement returns (0022's domains, with this serve running). The statement would fail so
    // for the connection's life; a new connection prepares it again.
    if (sqlstate == stale_plan_state) close();
    throw pqxx::sql_error(message, "", sqlstate.c_str());
  }
  throw std::logic_error("a result taken that no statement was sent for");
}

void pipelined_connection::finish_commit() {
  take();  // the COMMIT's: the transaction is committed
  open_ = synced_ = commit_sent_ = failed_ = false;
  // Then the sync point's. A connection lost before it changes nothing about the commit: the
  // connection is given up and the caller hears of success.
  PGresult* r = await_result() ? PQgetResult(conn_) : nullptr;
  const bool synced =
      r != nullptr && PQstatus(conn_) == CONNECTION_OK && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
  PQclear(r);
  if (!synced) close();
}

void pipelined_connection::abandon() noexcept {
  if (conn_ != nullptr && open_) drain();
}

void pipelined_connection::drain() noexcept {
  if (conn_ == nullptr) return;
  auto to_sync_point = [this] {
    // Commands' results, each followed by a NULL, then the sync point's. Two NULLs in a row
    // would mean nothing more is coming: a state this class never leaves a connection in. A
    // PREPARE the server skipped (it came after the failure) made no statement: its name is
    // prepared again on next use.
    int nulls = 0;
    for (;;) {
      if (!await_result()) return false;  // the connection is closed (not clean)
      PGresult* r = PQgetResult(conn_);
      if (PQstatus(conn_) != CONNECTION_OK) {
        PQclear(r);
        return false;
      }
      if (r == nullptr) {
        if (++nulls == 2) return false;
        continue;
      }
      nulls = 0;
      const auto status = PQresultStatus(r);
      PQclear(r);
      if (status == PGRES_PIPELINE_SYNC) return true;
      if (due_.empty()) continue;  // the ROLLBACK's
      if (!due_.front().empty() && status != PGRES_COMMAND_OK) prepared_.erase(due_.front());
      due_.pop_front();
    }
  };
  bool clean = (synced_ || PQpipelineSync(conn_) == 1) && to_sync_point();
  due_.clear();
  open_ = synced_ = commit_sent_ = failed_ = false;
  if (clean && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    clean = PQsendQueryParams(conn_, "ROLLBACK", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
            PQpipelineSync(conn_) == 1 && to_sync_point() &&
            PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }
  if (!clean) close();
}

void pipelined_connection::close() noexcept {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  due_.clear();
  prepared_.clear();
  open_ = synced_ = commit_sent_ = failed_ = false;
}

void pipelined_connection::fail_connection(bool timed_out) {
  const std::string message = timed_out ? no_answer_message(answer_timeout_)
                              : conn_   ? PQerrorMessage(conn_)
                                        : "the intake's connection is closed";
  const bool in_doubt = commit_sent_ && !failed_;
  close();
  if (in_doubt) throw pqxx::in_doubt_error("connection lost while committing: " + message);
  if (timed_out) throw no_answer(message);
  throw pqxx::broken_connection(message);
}

pipelined_connection& thread_pipeline(const std::string& conninfo,
                                      std::chrono::milliseconds lock_timeout,
                                      std::chrono::milliseconds answer_timeout) {
  thread_local std::unique_ptr<pipelined_connection> conn;
  thread_local std::string conn_info;
  thread_local std::chrono::milliseconds conn_lock_timeout{}, conn_answer_timeout{};
  if (!conn || !conn->usable() || conn_info != conninfo || conn_lock_timeout != lock_timeout ||
      conn_answer_timeout != answer_timeout) {
    conn.reset();
    conn = std::make_unique<pipelined_connection>(conninfo, lock_timeout, answer_timeout);
    conn_info = conninfo;
    conn_lock_timeout = lock_timeout;
    conn_answer_timeout = answer_timeout;
  }
  return *conn;
}

}  // namespace mail2sms::sql
