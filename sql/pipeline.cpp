#include "sql/pipeline.hpp"

#include <pqxx/except>

#include <spdlog/spdlog.h>

#include <charconv>
#include <stdexcept>
#include <vector>

#include "sql/pq_support.hpp"

namespace mail2sms::sql {

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
                                           std::chrono::milliseconds lock_timeout)
    : conn_(PQconnectdb(conninfo.c_str())) {
  auto refuse = [this](const std::string& what) {
    const std::string message = what + (conn_ ? PQerrorMessage(conn_) : "out of memory");
    PQfinish(conn_);
    conn_ = nullptr;
    throw pqxx::broken_connection(message);
  };
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) refuse("");
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
  PGresult* set = PQexec(conn_, settings.c_str());
  const bool set_ok = PQresultStatus(set) == PGRES_COMMAND_OK;
  PQclear(set);
  if (!set_ok) refuse(std::string(settings) + ": ");
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
  if (PQsendFlushRequest(conn_) != 1 || PQflush(conn_) != 0) fail_connection();
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

PGresult* pipelined_connection::next_result() {
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
  PGresult* r = PQgetResult(conn_);
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

void pipelined_connection::fail_connection() {
  const std::string message = conn_ ? PQerrorMessage(conn_) : "the intake's connection is closed";
  const bool in_doubt = commit_sent_ && !failed_;
  close();
  if (in_doubt) throw pqxx::in_doubt_error("connection lost while committing: " + message);
  throw pqxx::broken_connection(message);
}

pipelined_connection& thread_pipeline(const std::string& conninfo,
                                      std::chrono::milliseconds lock_timeout) {
  thread_local std::unique_ptr<pipelined_connection> conn;
  thread_local std::string conn_info;
  thread_local std::chrono::milliseconds conn_lock_timeout{};
  if (!conn || !conn->usable() || conn_info != conninfo || conn_lock_timeout != lock_timeout) {
    conn.reset();
    conn = std::make_unique<pipelined_connection>(conninfo, lock_timeout);
    conn_info = conninfo;
    conn_lock_timeout = lock_timeout;
  }
  return *conn;
}

}  // namespace mail2sms::sql
