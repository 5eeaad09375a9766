// A fresh, migrated database per test with sql::admin on it, an account or two, and a
// connection of the test's own to read what was committed.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "core/policy/password.hpp"
#include "migrated_fixture.hpp"
#include "sql/admin.hpp"
#include "sql/migrate.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {

// ~100 ms per argon2id hash: one for the whole process.
inline const std::string& known_hash() {
  static const std::string hash = policy::hash_password("correct horse");
  return hash;
}

class admin_test : public migrated_test {
 protected:
  void SetUp() override {
    migrated_test::SetUp();
    if (HasFatalFailure()) return;
    admin_ = std::make_unique<sql::admin>(db_);
  }

  core::account add_account(const std::string& name, const std::string& country = "ZA",
                            std::int64_t credit = 0) {
    auto added = store_->add_account(name, country, known_hash(), credit);
    EXPECT_TRUE(added.has_value()) << added.error().message;
    return added.has_value() ? *added : core::account{};
  }

  sql::admin& admin() { return *admin_; }

  template <class... Args>
  pqxx::result query(const std::string& sql, Args&&... args) {
    pqxx::read_transaction tx(*inspect_);
    return tx.exec_params(sql, std::forward<Args>(args)...);
  }

  template <class... Args>
  void execute(const std::string& sql, Args&&... args) {
    pqxx::work tx(*inspect_);
    tx.exec_params(sql, std::forward<Args>(args)...);
    tx.commit();
  }

  int count(const std::string& sql) { return query(sql)[0][0].as<int>(); }

  std::unique_ptr<sql::admin> admin_;
};

// The value of a result that must have one; the error's message otherwise.
#define ASSERT_OK(r) ASSERT_TRUE((r).has_value()) << (r).error().message

// The error of a result that must have failed with this kind.
template <class T>
sql::admin_error error_of(const sql::admin_result<T>& r, sql::admin_error::kind expected) {
  EXPECT_FALSE(r.has_value()) << "expected an error";
  if (r.has_value()) return {};
  EXPECT_EQ(static_cast<int>(r.error().what), static_cast<int>(expected)) << r.error().message;
  return r.error();
}

}  // namespace mail2sms::testing
