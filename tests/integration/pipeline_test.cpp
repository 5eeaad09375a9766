// sql::pipelined_connection against a real PostgreSQL: statements sent in one flight come back in
// order; whatever fails (a statement, its preparation, the COMMIT, the connection, the caller)
// leaves nothing committed and the connection ready for the next transaction, or, where the
// connection is lost after the COMMIT left, reports the outcome as unknown.
#include "sql/pipeline.hpp"

#include <signal.h>
#include <sys/socket.h>

#include <array>

#include "migrated_fixture.hpp"
#include "sql/pq_support.hpp"

namespace mail2sms::testing {
namespace {

class pipeline_test : public migrated_test {
 protected:
  void SetUp() override {
    migrated_test::SetUp();
    if (HasFatalFailure()) return;
    pqxx::nontransaction tx(*inspect_);
    tx.exec0(
        "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL, "
        "  raw bytea, ref int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
    connection_ = std::make_unique<sql::pipelined_connection>(db_);
  }

  // Queues an insert of note `id` (prepared once per connection).
  void insert(int id, std::string_view body = "text") {
    const auto number = std::to_string(id);
    const std::array<sql::pq_param, 2> params{{{number}, {body}}};
    connection_->send("insert_note", "INSERT INTO notes (id, body) VALUES ($1::int, $2)", params);
  }

  int notes() {
    pqxx::nontransaction tx(*inspect_);
    return tx.exec1("SELECT count(*) FROM notes")[0].as<int>();
  }

  // A whole transaction on the connection: it can still commit.
  void commit_note(int id) {
    connection_->send("BEGIN");
    insert(id);
    connection_->commit();
    connection_->take();
    connection_->take();
    connection_->finish_commit();
  }

  // A transaction of one named statement that returns a number: the number.
  std::int64_t run_named(const char* name, const char* sql) {
    connection_->send("BEGIN");
    connection_->send(name, sql, {});
    connection_->commit();
    connection_->take();
    const auto n = connection_->take().integer(0, 0);
    connection_->finish_commit();
    return n;
  }

  // The SQLSTATE of the sql_error that taking the next result throws; empty if it throws none.
  std::string sqlstate_of_next() {
    try {
      connection_->take();
    } catch (const pqxx::sql_error& e) {
      return e.sqlstate();
    }
    return "";
  }

  std::unique_ptr<sql::pipelined_connection> connection_;
};

TEST_F(pipeline_test, a_flight_returns_each_statements_rows_in_order_and_commits_with_its_write) {
  connection_->send("BEGIN");
  const std::string octets("a\0b\xff", 4);
  const std::array<sql::pq_param, 3> params{{{"7"}, {"{x,\"y z\"}"}, {octets, true}}};
  connection_->send(nullptr, "SELECT $1::int * 6, array_length($2::text[], 1), length($3::bytea)",
                    params);
  connection_->send(nullptr, "SELECT g, g % 2 = 0 FROM generate_series(1, 3) g", {});
  connection_->flush();
  connection_->take();  // BEGIN
  const auto first = connection_->take();
  ASSERT_EQ(first.size(), 1);
  EXPECT_EQ(first.integer(0, 0), 42);
  EXPECT_EQ(first.integer(0, 1), 2);
  EXPECT_EQ(first.integer(0, 2), 4);  // sent as binary: the NUL and the 0xFF went as they are
  const auto second = connection_->take();
  ASSERT_EQ(second.size(), 3);
  EXPECT_EQ(second.text(2, 0), "3");
  EXPECT_TRUE(second.boolean(1, 1));
  EXPECT_FALSE(second.boolean(0, 1));
  insert(1);
  connection_->commit();
  connection_->take();
  connection_->finish_commit();
  EXPECT_TRUE(connection_->usable());
  EXPECT_EQ(notes(), 1);
}

TEST_F(pipeline_test, a_failed_statement_throws_its_sqlstate_and_rolls_back_the_whole_flight) {
  connection_->send("BEGIN");
  insert(1);
  insert(1);  // the same key
  insert(2);
  connection_->commit();
  connection_->take();
  connection_->take();
  EXPECT_EQ(sqlstate_of_next(), "23505");  // the duplicate key
  EXPECT_TRUE(connection_->usable());
  EXPECT_EQ(notes(), 0);
  commit_note(3);
  EXPECT_EQ(notes(), 1);
}

TEST_F(pipeline_test, a_failure_in_the_first_flight_of_a_transaction_ends_it) {
  connection_->send("BEGIN");
  insert(1);
  connection_->send(nullptr, "SELECT 1 / 0", {});
  connection_->send(nullptr, "SELECT 1", {});
  connection_->flush();
  connection_->take();
  connection_->take();
  EXPECT_THROW(connection_->take(), pqxx::sql_error);
  EXPECT_TRUE(connection_->usable());
  commit_note(2);
  pqxx::nontransaction tx(*inspect_);
  EXPECT_EQ(tx.exec1("SELECT string_agg(id::text, ',') FROM notes")[0].as<std::string>(), "2");
}

TEST_F(pipeline_test, a_statement_that_cannot_be_prepared_is_prepared_again_next_time) {
  connection_->send("BEGIN");
  connection_->send("broken", "SELEC 1", {});
  connection_->flush();
  connection_->take();
  EXPECT_EQ(sqlstate_of_next(), "42601");  // the syntax error
  EXPECT_TRUE(connection_->usable());
  // Had the name been kept as prepared, this would run a statement the server does not have.
  EXPECT_EQ(run_named("broken", "SELECT 5"), 5);
}

TEST_F(pipeline_test, a_commit_that_fails_is_an_sql_error_not_an_unknown_outcome) {
  connection_->send("BEGIN");
  connection_->send(nullptr, "INSERT INTO notes (id, body, ref) VALUES (1, 'a', 9), (2, 'b', 9)",
                    {});
  connection_->commit();
  connection_->take();
  connection_->take();  // the unique key on ref is checked at COMMIT
  try {
    connection_->finish_commit();
    FAIL() << "the COMMIT of a deferred duplicate succeeded";
  } catch (const pqxx::in_doubt_error&) {
    FAIL() << "the server said why the COMMIT failed";
  } catch (const pqxx::sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  EXPECT_TRUE(connection_->usable());
  EXPECT_EQ(notes(), 0);
}

// The flight with the COMMIT has left when the connection goes (cut here on the client's side,
// while the insert waits for a row lock another transaction holds, so no reply can have been
// read before the cut): the server may commit, or not, and the client cannot tell.
TEST_F(pipeline_test, a_connection_lost_after_the_commit_left_is_an_unknown_outcome) {
  pqxx::work holder(*inspect_);
  holder.exec0("INSERT INTO notes (id, body) VALUES (1, 'held')");
  connection_->send("BEGIN");
  insert(1);
  connection_->commit();
  ASSERT_EQ(::shutdown(connection_->socket(), SHUT_RD), 0);
  EXPECT_THROW(
      {
        connection_->take();
        connection_->take();
        connection_->finish_commit();
      },
      pqxx::in_doubt_error);
  EXPECT_FALSE(connection_->usable());
  holder.abort();
}

// A statement fails, and a statement prepared for the first time behind it in the same flight
// is skipped by the server with it: its name must not be taken for prepared afterwards.
TEST_F(pipeline_test, a_statement_skipped_after_a_failure_is_prepared_on_its_next_use) {
  connection_->send("BEGIN");
  connection_->send(nullptr, "SELECT 1 / 0", {});
  connection_->send("later", "SELECT 7", {});
  connection_->flush();
  connection_->take();
  EXPECT_THROW(connection_->take(), pqxx::sql_error);
  ASSERT_TRUE(connection_->usable());
  EXPECT_EQ(run_named("later", "SELECT 7"), 7);
}

// The server ends the session in the middle of a flight (an administrator's
// pg_terminate_backend): it said so, before the COMMIT, so nothing is in doubt: a transient
// failure (the client is asked to try again), nothing committed.
TEST_F(pipeline_test, a_session_the_server_ends_before_the_commit_is_a_transient_failure) {
  connection_->send("BEGIN");
  insert(1);
  connection_->send(nullptr, "SELECT pg_terminate_backend(pg_backend_pid())", {});
  connection_->commit();
  connection_->take();
  connection_->take();
  try {
    connection_->take();
    FAIL() << "a terminated session's statement succeeded";
  } catch (const std::exception& e) {
    EXPECT_EQ(sql::classify(e).kind, core::failure_kind::transient) << e.what();
  }
  EXPECT_FALSE(connection_->usable());
  EXPECT_EQ(notes(), 0);
}

// The calling thread's connection is opened again after the server ended it while it was idle.
TEST_F(pipeline_test, the_threads_connection_is_opened_again_after_it_was_lost) {
  auto& mine = sql::thread_pipeline(db_);
  mine.send(nullptr, "SELECT pg_backend_pid()", {});
  mine.flush();
  const auto pid = mine.take().integer(0, 0);
  mine.abandon();  // ends the flight
  ASSERT_TRUE(mine.usable());
  pqxx::nontransaction tx(*inspect_);
  tx.exec1("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  try {
    mine.send("BEGIN");
    mine.flush();
    mine.take();
    FAIL() << "a terminated connection answered";
  } catch (const std::exception& e) {
    EXPECT_EQ(sql::classify(e).kind, core::failure_kind::transient) << e.what();
  }
  auto& again = sql::thread_pipeline(db_);
  EXPECT_TRUE(again.usable());
  again.send(nullptr, "SELECT pg_backend_pid()", {});
  again.flush();
  EXPECT_NE(again.take().integer(0, 0), pid);
  again.abandon();
}

// The caller may fail between two flights (a decision it could not make): abandon() rolls the
// transaction back, and its row locks go with it.
TEST_F(pipeline_test, an_abandoned_transaction_is_rolled_back_and_its_locks_released) {
  commit_note(1);
  connection_->send("BEGIN");
  connection_->send(nullptr, "SELECT id FROM notes WHERE id = 1 FOR UPDATE", {});
  insert(2);
  connection_->flush();
  connection_->take();
  connection_->take();
  connection_->take();
  EXPECT_FALSE(connection_->usable());
  connection_->abandon();
  EXPECT_TRUE(connection_->usable());
  pqxx::work tx(*inspect_);
  tx.exec0("SET LOCAL lock_timeout = '2s'");
  EXPECT_EQ(tx.exec("SELECT id FROM notes WHERE id = 1 FOR UPDATE").size(), 1u);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM notes WHERE id = 2")[0].as<int>(), 0);
}

TEST_F(pipeline_test, the_intake_write_refuses_a_batch_whose_rows_are_not_all_written) {
  pqxx::nontransaction tx(*inspect_);
  EXPECT_TRUE(tx.exec1("SELECT intake_wrote_rows('{1,2}', '{1,2}')")[0].as<bool>());
  try {
    tx.exec0("SELECT intake_wrote_rows('{1,2}', '{1,3}')");
    FAIL() << "a shortfall was let through";
  } catch (const pqxx::sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "XX000");
    EXPECT_NE(std::string(e.what()).find("where it meant {1,3}"), std::string::npos) << e.what();
  }
}

// A connection with answer_timeout 300 ms whose backend is stopped with SIGSTOP: a server
// process that hangs (a disk that does not return) with its kernel still taking what is sent.
// Resumed however the test ends.
class hung_pipeline {
 public:
  explicit hung_pipeline(const std::string& db)
      : connection_(std::make_unique<sql::pipelined_connection>(db, std::chrono::milliseconds(100),
                                                                std::chrono::milliseconds(300))) {
    connection_->send(nullptr, "SELECT pg_backend_pid()", {});
    connection_->flush();
    backend_ = static_cast<pid_t>(connection_->take().integer(0, 0));
    connection_->abandon();
    stopped_ = ::kill(backend_, SIGSTOP) == 0;
  }
  ~hung_pipeline() { ::kill(backend_, SIGCONT); }
  bool stopped() const { return stopped_; }
  sql::pipelined_connection& operator*() { return *connection_; }
  sql::pipelined_connection* operator->() { return connection_.get(); }

 private:
  std::unique_ptr<sql::pipelined_connection> connection_;
  pid_t backend_ = 0;
  bool stopped_ = false;
};

// The server takes the flight and says nothing: after answer_timeout the connection is given up,
// as a transient failure (nothing was committed: the COMMIT had not left), not tried again.
TEST_F(pipeline_test, a_server_that_hangs_before_the_commit_is_given_up_after_the_answer_timeout) {
  hung_pipeline c(db_);
  ASSERT_TRUE(c.stopped());
  c->send("BEGIN");
  c->send(nullptr, "SELECT 1", {});
  c->flush();
  try {
    c->take();
    FAIL() << "a stopped server answered";
  } catch (const sql::no_answer& e) {
    EXPECT_EQ(sql::classify(e).kind, core::failure_kind::transient);
    EXPECT_NE(std::string(e.what()).find("answer_timeout"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(c->usable());
}

// The same once the COMMIT has left: committed or not, nobody can tell.
TEST_F(pipeline_test, a_server_that_hangs_after_the_commit_left_is_an_unknown_outcome) {
  hung_pipeline c(db_);
  ASSERT_TRUE(c.stopped());
  c->send("BEGIN");
  const std::array<sql::pq_param, 2> params{{{"1"}, {"text"}}};
  c->send(nullptr, "INSERT INTO notes (id, body) VALUES ($1::int, $2)", params);
  c->commit();
  EXPECT_THROW(
      {
        c->take();
        c->take();
        c->finish_commit();
      },
      pqxx::in_doubt_error);
  EXPECT_FALSE(c->usable());
}

// A flight larger than the socket takes while the server reads nothing: the sends queue it
// instead of blocking, and the wait for the answer ends at answer_timeout as for a small one.
TEST_F(pipeline_test, a_flight_the_hung_server_never_reads_does_not_block_the_sender) {
  hung_pipeline c(db_);
  ASSERT_TRUE(c.stopped());
  const std::string large(8 << 20, 'x');
  c->send("BEGIN");
  for (int id = 1; id <= 4; ++id) {
    const auto number = std::to_string(id);
    const std::array<sql::pq_param, 2> params{{{number}, {large}}};
    c->send(nullptr, "INSERT INTO notes (id, body) VALUES ($1::int, $2)", params);
  }
  c->flush();
  EXPECT_THROW(c->take(), sql::no_answer);
}

TEST_F(pipeline_test, a_server_that_is_not_there_is_a_broken_connection) {
  EXPECT_THROW(sql::pipelined_connection("host=/nonexistent dbname=none connect_timeout=2"),
               pqxx::broken_connection);
}

}  // namespace
}  // namespace mail2sms::testing
