// sql::classify: what a failure is (in doubt, permanent, transient) and the one line the logs get
// of it: the first, since PostgreSQL's DETAIL may quote a whole row.
#include <gtest/gtest.h>

#include <pqxx/except>

#include "sql/pq_support.hpp"

namespace mail2sms::sql {
namespace {

TEST(classify, keeps_the_first_line_of_the_message_only) {
  const pqxx::sql_error check(
      "ERROR:  new row for relation \"messages\" violates check constraint \"body_size\"\n"
      "DETAIL:  Failing row contains (7, +27821234567, Meet me at the usual place).\n",
      "INSERT ...", "23514");
  const auto e = classify(check);
  EXPECT_EQ(e.kind, core::failure_kind::permanent);
  EXPECT_EQ(e.message,
            "ERROR: new row for relation \"messages\" violates check constraint \"body_size\"");
}

TEST(classify, tells_an_unknown_outcome_from_a_lost_connection) {
  const auto lost = classify(pqxx::broken_connection(
      "server closed the connection unexpectedly\n\tThis probably means the server terminated "
      "abnormally\n"));
  EXPECT_EQ(lost.kind, core::failure_kind::transient);
  EXPECT_EQ(lost.message, "server closed the connection unexpectedly");
  EXPECT_EQ(classify(pqxx::in_doubt_error("connection lost while committing")).kind,
            core::failure_kind::in_doubt);
}

TEST(one_line, joins_white_space_runs_into_one_space_and_trims_the_ends) {
  EXPECT_EQ(one_line("  FATAL:  the database system\r\n\tis shutting down \n"),
            "FATAL: the database system is shutting down");
  EXPECT_EQ(one_line(""), "");
}

}  // namespace
}  // namespace mail2sms::sql
