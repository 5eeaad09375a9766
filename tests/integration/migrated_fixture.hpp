// A test on a database of its own, migrated to the current schema, with a store on it and a
// connection to look at the rows with. Derive from migrated_test; a SetUp of your own calls
// migrated_test::SetUp() first and returns if HasFatalFailure().
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "pg_fixture.hpp"
#include "sql/migrate.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {

class migrated_test : public pg_test {
 protected:
  void SetUp() override {
    pg_test::SetUp();
    if (HasFatalFailure()) return;
    db_ = fresh_database();
    auto migrated = sql::migrate(db_);
    ASSERT_TRUE(migrated.has_value()) << migrated.error();
    store_ = std::make_unique<sql::store>(db_);
    inspect_ = std::make_unique<pqxx::connection>(db_);
  }

  std::string db_;
  std::unique_ptr<sql::store> store_;
  std::unique_ptr<pqxx::connection> inspect_;
};

}  // namespace mail2sms::testing
