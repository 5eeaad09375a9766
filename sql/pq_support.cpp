#include "sql/pq_support.hpp"

#include <memory>

namespace mail2sms::sql {

pqxx::connection& thread_connection(const std::string& conninfo) {
  thread_local std::unique_ptr<pqxx::connection> conn;
  thread_local std::string conn_info;
  if (!conn || !conn->is_open() || conn_info != conninfo) {
    conn.reset();
    conn = std::make_unique<pqxx::connection>(conninfo);
    // Every statement here is short; JIT compiling one costs tens to hundreds of milliseconds,
    // and a misestimate on a growing queue is enough to trigger it on every batch.
    conn->set_variable("jit", "off");
    conn_info = conninfo;
  }
  return *conn;
}

core::store_error classify(const std::exception& e) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr)
    return {core::failure_kind::in_doubt, e.what()};
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr)
    return {core::failure_kind::transient, e.what()};
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    if (state.rfind("23", 0) == 0 || state.rfind("22", 0) == 0)
      return {core::failure_kind::permanent, e.what()};
  }
  return {core::failure_kind::transient, e.what()};
}

}  // namespace mail2sms::sql
