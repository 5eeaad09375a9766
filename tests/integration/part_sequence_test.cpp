// The SMPP sequence number per part and query_sm's claims in sql::store against a real PostgreSQL:
// a claim gives every part a distinct number, on the row with the dispatcher session before any
// outcome (and still there when a crash made the row `unknown`); parts recorded on a connector
// with query_after are due for a query then, claimed so that no second claim takes them, and a
// final state, from a receipt or a query's answer, ends their queries.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>

#include "core/sms/sms.hpp"
#include "migrated_fixture.hpp"
#include "sql/store.hpp"

namespace mail2sms::testing {
namespace {

using namespace std::chrono_literals;
using status = core::submit_outcome::status;

class part_sequence_test : public account_queue_test {
 protected:

  std::vector<core::queued_message> claim() {
    auto claimed = store_->claim(100);
    EXPECT_TRUE(claimed.has_value()) << claimed.error().message;
    return claimed.has_value() ? *claimed : std::vector<core::queued_message>{};
  }

  pqxx::result rows(const std::string& sql) {
    pqxx::read_transaction tx(*inspect_);
    return tx.exec(sql);
  }
  void execute(const std::string& sql) {
    pqxx::nontransaction tx(*inspect_);
    tx.exec(sql);
  }

  std::vector<core::part_query> claim_queries(std::chrono::seconds validity = 48h) {
    auto due = store_->claim_queries("smsc1", 100, 60s, validity);
    EXPECT_TRUE(due.has_value()) << due.error().message;
    return due.has_value() ? *due : std::vector<core::part_query>{};
  }

};

TEST_F(part_sequence_test, a_claim_records_a_distinct_sequence_per_part_before_any_outcome) {
  enqueue_parts(1);
  enqueue_parts(3);
  enqueue_parts(2);
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 3U);
  std::set<std::uint32_t> numbers;
  for (const auto& m : claimed) {
    ASSERT_NE(m.smpp_sequence, 0U);
    EXPECT_EQ(m.smpp_sequence % 256, 0U);  // a block per message: part n is + n - 1
    for (std::size_t i = 0; i < m.segments.size(); ++i) {
      const auto n = m.smpp_sequence + static_cast<std::uint32_t>(i);
      EXPECT_LT(n, 0x40000000U);  // below the SMPP client's own numbers
      EXPECT_TRUE(numbers.insert(n).second) << "sequence " << n << " given twice";
    }
  }
  EXPECT_EQ(numbers.size(), 6U);

  // On the rows, with the dispatcher session, while no outcome is recorded.
  for (const auto& row : rows("SELECT id, status, dispatch_session, smpp_sequence FROM messages")) {
    EXPECT_EQ(row[1].as<std::string>(), "sending");
    EXPECT_FALSE(row[2].is_null());
    std::uint32_t claimed_sequence = 0;
    for (const auto& m : claimed) {
      if (m.id == row[0].as<std::int64_t>()) claimed_sequence = m.smpp_sequence;
    }
    EXPECT_EQ(row[3].as<std::uint32_t>(), claimed_sequence);
  }
  const auto shown = store_->show_message(claimed[1].queue_id);
  ASSERT_TRUE(shown.has_value()) << shown.error().message;
  ASSERT_EQ(shown->size(), 1U);
  EXPECT_EQ(shown->front().message.status, "sending");
  EXPECT_TRUE(shown->front().dispatch_session.has_value());
  EXPECT_EQ(shown->front().smpp_sequence, claimed[1].smpp_sequence);
  EXPECT_EQ(shown->front().parts.size(), claimed[1].segments.size());

  // A retry is a new claim: new numbers.
  auto retried =
      store_->record(claimed[0].id, "smsc1", {status::transient_failure, {}, "ESME_RTHROTTLED"},
                     std::chrono::system_clock::now() - 1s);
  ASSERT_TRUE(retried.has_value()) << retried.error().message;
  const auto again = claim();
  ASSERT_EQ(again.size(), 1U);
  EXPECT_FALSE(numbers.contains(again[0].smpp_sequence));
}

TEST_F(part_sequence_test, an_interrupted_message_keeps_its_session_and_sequence_when_unknown) {
  enqueue_parts(2);
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1U);
  auto other = std::make_unique<sql::store>(db_);  // another serve process
  store_.reset();                                  // the one that claimed it died
  auto found = other->mark_interrupted();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_EQ(found->size(), 1U);
  const auto shown = other->show_message(std::to_string(claimed[0].id));
  ASSERT_TRUE(shown.has_value()) << shown.error().message;
  ASSERT_EQ(shown->size(), 1U);
  EXPECT_EQ(shown->front().message.status, "unknown");
  EXPECT_TRUE(shown->front().dispatch_session.has_value());
  EXPECT_EQ(shown->front().smpp_sequence, claimed[0].smpp_sequence);
  ASSERT_EQ(shown->front().parts.size(), 2U);
  EXPECT_EQ(shown->front().parts[0].smsc_message_id, "");  // nothing to ask query_sm about
}

TEST_F(part_sequence_test, submitted_parts_are_queried_after_query_after_and_claimed_once) {
  store_->set_query_after({{"smsc1", 60s}});
  enqueue_parts(2);
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1U);
  const auto id = claimed[0].id;
  ASSERT_TRUE(store_->record(id, "smsc1", {status::submitted, {"s1", "s2"}, ""}, std::nullopt));
  // Due a minute from now, not before.
  const auto scheduled = rows(
      "SELECT count(*) FROM message_parts WHERE query_at BETWEEN now() + interval '50 seconds'"
      " AND now() + interval '70 seconds'");
  EXPECT_EQ(scheduled[0][0].as<int>(), 2);
  EXPECT_TRUE(claim_queries().empty());

  execute("UPDATE message_parts SET query_at = now() - interval '1 second'");
  const auto due = claim_queries();
  ASSERT_EQ(due.size(), 2U);
  EXPECT_EQ(due[0].smsc_message_id, "s1");
  EXPECT_EQ(due[1].smsc_message_id, "s2");
  EXPECT_EQ(due[0].queries, 1);
  EXPECT_EQ(due[0].recipient, "+27821234567");
  EXPECT_EQ(due[0].queue_id, claimed[0].queue_id);
  // Claimed: another process's sweep finds nothing until the next query is due.
  auto other = std::make_unique<sql::store>(db_);
  auto none = other->claim_queries("smsc1", 100, 60s, 48h);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(rows("SELECT count(*) FROM message_parts WHERE query_at > now() + "
                 "interval '50 seconds'")[0][0]
                .as<int>(),
            2);

  // The answers, recorded as receipts: a non-final one changes nothing, final ones settle.
  ASSERT_TRUE(store_->record_reports({{"smsc1", "s1", "ENROUTE", ""}}).has_value());
  EXPECT_EQ(rows("SELECT count(*) FROM message_parts WHERE query_at IS NOT NULL")[0][0].as<int>(),
            2);
  ASSERT_TRUE(store_->record_reports({{"smsc1", "s1", "DELIVRD", ""}}).has_value());
  EXPECT_EQ(rows("SELECT count(*) FROM message_parts WHERE query_at IS NOT NULL")[0][0].as<int>(),
            1);
  ASSERT_TRUE(store_->record_reports({{"smsc1", "s2", "DELIVRD", ""}}).has_value());
  EXPECT_EQ(rows("SELECT status FROM messages")[0][0].as<std::string>(), "delivered");
  EXPECT_EQ(rows("SELECT count(*) FROM message_parts WHERE query_at IS NOT NULL")[0][0].as<int>(),
            0);
}

TEST_F(part_sequence_test, queries_back_off_and_end_with_the_validity_period) {
  store_->set_query_after({{"smsc1", 100s}});
  enqueue_parts(1);
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1U);
  ASSERT_TRUE(
      store_->record(claimed[0].id, "smsc1", {status::submitted, {"s1"}, ""}, std::nullopt));
  const auto wait_after_claim = [&](std::chrono::seconds validity) {
    execute("UPDATE message_parts SET query_at = now() - interval '1 second'");
    const auto due = store_->claim_queries("smsc1", 100, 100s, validity);
    EXPECT_TRUE(due.has_value() && due->size() == 1U);
    const auto r = rows("SELECT extract(epoch FROM query_at - now())::int FROM message_parts");
    return r[0][0].is_null() ? -1 : r[0][0].as<int>();
  };
  EXPECT_NEAR(wait_after_claim(48h), 100, 5);  // query_after * 2^0
  EXPECT_NEAR(wait_after_claim(48h), 200, 5);  // * 2^1
  EXPECT_NEAR(wait_after_claim(48h), 400, 5);  // * 2^2
  EXPECT_EQ(wait_after_claim(1s), -1);         // past the validity period: that was the last
  EXPECT_TRUE(claim_queries().empty());
}

TEST_F(part_sequence_test, parts_of_connectors_without_query_after_or_settled_are_not_asked) {
  store_->set_query_after({{"smsc1", 60s}});
  enqueue_parts(1);
  enqueue_parts(1);
  const auto claimed = claim();
  ASSERT_EQ(claimed.size(), 2U);
  ASSERT_TRUE(
      store_->record(claimed[0].id, "other", {status::submitted, {"o1"}, ""}, std::nullopt));
  ASSERT_TRUE(
      store_->record(claimed[1].id, "smsc1", {status::submitted, {"s1"}, ""}, std::nullopt));
  EXPECT_EQ(rows("SELECT count(*) FROM message_parts WHERE query_at IS NOT NULL")[0][0].as<int>(),
            1);
  // The message settled some other way meanwhile (an operator, a second part): dropped, cleared.
  execute("UPDATE messages SET status = 'failed' WHERE id = " + std::to_string(claimed[1].id));
  execute(
      "UPDATE message_parts SET query_at = now() - interval '1 second'"
      " WHERE query_at IS NOT NULL");
  EXPECT_TRUE(claim_queries().empty());
  EXPECT_EQ(rows("SELECT count(*) FROM message_parts WHERE query_at IS NOT NULL")[0][0].as<int>(),
            0);
}

}  // namespace
}  // namespace mail2sms::testing
