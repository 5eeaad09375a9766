#include "sql/pq_support.hpp"

#include "sql/conninfo.hpp"

#include "core/backoff.hpp"

#include <spdlog/spdlog.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>

namespace mail2sms::sql {

namespace {
thread_local std::unique_ptr<pqxx::connection> conn;
thread_local std::string conn_info;
}  // namespace

std::string conninfo_value(const std::string& value) {
  const bool plain = !value.empty() && std::none_of(value.begin(), value.end(), [](char c) {
    return c == '\'' || c == '\\' || std::isspace(static_cast<unsigned char>(c)) != 0;
  });
  if (plain) return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string with_connection_defaults(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return conninfo;
  }
  std::map<std::string, std::string> set;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) set.emplace(o->keyword, o->val);
  }
  PQconninfoFree(options);
  // libpq takes what the string leaves unset from a service file (service=, PGSERVICE) or from
  // the environment (PGCONNECT_TIMEOUT): the operator's too, so no default then.
  const auto in_environment = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0';
  };
  if (set.contains("service") || in_environment("PGSERVICE") || in_environment("PGCONNECT_TIMEOUT"))
    return conninfo;
  set.emplace("connect_timeout", "10");  // kept where the operator set it
  std::string out;
  for (const auto& [keyword, value] : set) {
    if (!out.empty()) out += ' ';
    out += keyword + "=" + conninfo_value(value);
  }
  return out;
}

void drop_thread_connection() { conn.reset(); }

bool has_thread_connection(const std::string& conninfo) {
  return conn && conn->is_open() && conn_info == conninfo;
}

pqxx::connection& thread_connection(const std::string& conninfo) {
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

struct channel_listener::connection {
  struct receiver : pqxx::notification_receiver {
    receiver(pqxx::connection& c, const std::string& channel)
        : pqxx::notification_receiver(c, channel) {}
    void operator()(const std::string&, int) override {}
  };
  connection(const std::string& conninfo, const std::string& channel)
      : conn(conninfo), recv(conn, channel) {}
  pqxx::connection conn;
  receiver recv;
};

channel_listener::channel_listener(std::string conninfo, std::string channel, std::string name)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      name_(std::move(name)),
      outage_(name_, "no connection", "connected again") {}

channel_listener::~channel_listener() = default;

bool channel_listener::connect() {
  try {
    connection_ = std::make_unique<connection>(conninfo_, channel_);
  } catch (const std::exception& e) {
    failed("cannot connect", e);
    return false;
  }
  ++connections_;
  outage_.succeeded();
  return true;
}

// A lost connection counts as the outage's first failure and is tried again at once; each
// failed attempt doubles the wait before the next.
void channel_listener::failed(const char* what, const std::exception& e) {
  const auto now = std::chrono::steady_clock::now();
  connection_.reset();
  const auto failures = outage_.failed(e.what(), what, now);
  if (failures == 1) {
    retry_at_ = now;
  } else {
    const int doublings = static_cast<int>(std::min<std::uint64_t>(failures - 2, 64));
    retry_at_ = now + core::doubled(first_retry, doublings, retry_ceiling);
  }
}

bool channel_listener::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!connection_) {
    if (std::chrono::steady_clock::now() < retry_at_) {
      std::this_thread::sleep_until(std::min(deadline, retry_at_));
      if (std::chrono::steady_clock::now() < retry_at_) return false;
    }
    if (!connect()) {
      std::this_thread::sleep_until(deadline);
      return false;
    }
  }
  try {
    if (timeout.count() == 0) return connection_->conn.get_notifs() > 0;
    // In whole milliseconds, rounded up: libpqxx waits in those, and the timeout is a minimum.
    const auto left = std::max<std::chrono::milliseconds::rep>(
        0, std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
               .count());
    return connection_->conn.await_notification(left / 1000, (left % 1000) * 1000) > 0;
  } catch (const std::exception& e) {
    failed("connection lost", e);
    std::this_thread::sleep_until(deadline);
    return false;
  }
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool blank = false;  // white space seen and not yet written
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

core::store_error classify(const std::exception& e) {
  const std::string_view what = e.what();
  std::string message = one_line(what.substr(0, what.find('\n')));
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr)
    return {core::failure_kind::in_doubt, std::move(message)};
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr)
    return {core::failure_kind::transient, std::move(message)};
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    if (state.rfind("23", 0) == 0 || state.rfind("22", 0) == 0)
      return {core::failure_kind::permanent, std::move(message)};
  }
  return {core::failure_kind::transient, std::move(message)};
}

}  // namespace mail2sms::sql
