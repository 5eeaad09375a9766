// A private PostgreSQL cluster owned by mail2sms: created on first use (initdb), started on a
// unix socket inside its directory (no TCP), stopped by whoever started it.
#pragma once

#include <string>

#include "core/result.hpp"

namespace mail2sms::sql {

class embedded_cluster {
 public:
  // dir: the cluster's directory (created if missing). database: created if missing.
  explicit embedded_cluster(std::string dir, std::string database = "mail2sms");
  ~embedded_cluster();  // stops the server if this object started it
  embedded_cluster(const embedded_cluster&) = delete;
  embedded_cluster& operator=(const embedded_cluster&) = delete;

  // initdb if needed, start if not running, create the database if missing. The error says
  // what failed and where the server log is.
  result<ok_t, std::string> start();
  void stop();  // fast shutdown, if this object started it

  // A libpq connection string for the cluster's socket and database.
  std::string connection_string() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string database_;
  bool started_by_us_ = false;
};

}  // namespace mail2sms::sql
