// A private PostgreSQL cluster for integration tests: one per test process, started on first use
// in a fresh directory under /tmp, stopped and removed after the last test (a gtest Environment).
// Derive from pg_test; call fresh_database() for an empty database of the test's own.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "sql/embedded.hpp"

namespace mail2sms::testing {

// A directory under /tmp, removed with everything in it when this goes away.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "mail2sms-test") {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }  // empty if mkdtemp failed

 private:
  std::filesystem::path path_;
};

// The process's shared cluster. Registered with gtest during static initialisation, so its
// TearDown stops the server and removes the directory after the last test.
class pg_environment final : public ::testing::Environment {
 public:
  static pg_environment& instance() {
    static pg_environment* env =
        static_cast<pg_environment*>(::testing::AddGlobalTestEnvironment(new pg_environment));
    return *env;
  }

  // Starts the cluster the first time; "" when it runs, else why it does not.
  const std::string& ensure_started() {
    if (attempted_) return error_;
    attempted_ = true;
    dir_ = std::make_unique<temp_dir>("mail2sms-pg");
    if (dir_->path().empty()) return error_ = "cannot create a directory under /tmp";
    setenv("MAIL2SMS_PG_UNSAFE_NO_FSYNC", "1", 0);  // a throwaway cluster: speed over durability
    cluster_ = std::make_unique<sql::embedded_cluster>(dir_->path().string(), "mail2sms_test");
    // A test that ends in std::terminate (a failed ASSERT returning past a joinable std::thread)
    // never reaches TearDown: its server would run on, and its directory stay, after the
    // process is gone. Stop them on the way out.
    std::set_terminate([] {
      instance().TearDown();
      std::abort();
    });
    if (auto started = cluster_->start(); !started) error_ = started.error();
    return error_;
  }

  void TearDown() override {
    cluster_.reset();  // stops the server it started
    dir_.reset();      // removes the directory
  }

  sql::embedded_cluster& cluster() { return *cluster_; }

 private:
  pg_environment() = default;

  bool attempted_ = false;
  std::string error_;
  std::unique_ptr<temp_dir> dir_;
  std::unique_ptr<sql::embedded_cluster> cluster_;
};

inline pg_environment& pg_environment_registration = pg_environment::instance();

class pg_test : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& error = pg_environment::instance().ensure_started();
    ASSERT_TRUE(error.empty()) << "the test PostgreSQL cluster did not start: " << error;
  }

  // The cluster's default database, shared by every test in the process.
  static std::string connection_string() {
    return pg_environment::instance().cluster().connection_string();
  }

  static std::string connection_string(const std::string& database) {
    return connection_string() + " dbname=" + database;  // libpq: the last dbname wins
  }

  static const std::string& cluster_dir() { return pg_environment::instance().cluster().dir(); }

  // A new, empty database for this test; returns its connection string.
  static std::string fresh_database() {
    static std::atomic<int> counter{0};
    const std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    pqxx::connection conn(connection_string());
    pqxx::nontransaction tx(conn);
    tx.exec0("CREATE DATABASE " + tx.quote_name(name));
    return connection_string(name);
  }
};

}  // namespace mail2sms::testing
