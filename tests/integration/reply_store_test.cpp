// Replies that arrive in parts (concatenated deliver_sm): kept until whole, stored whole once,
// repeats ignored, replies never mixed, incomplete ones stored as they are after the wait.
#include <gtest/gtest.h>

#include <barrier>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "migrated_fixture.hpp"
#include "sql/retention.hpp"

namespace mail2sms::testing {
namespace {

core::inbound_message part(std::string text, int reference, int total, int number,
                           std::string source = "27821234567", std::string connector = "smsc1") {
  return {.connector = std::move(connector),
          .source = std::move(source),
          .destination = "mail2sms",
          .text = std::move(text),
          .part = core::reply_part{.reference = static_cast<std::uint16_t>(reference),
                                   .total = static_cast<std::uint8_t>(total),
                                   .number = static_cast<std::uint8_t>(number)},
          .default_source = ""};
}

class reply_store_test : public migrated_test {
 protected:
  void record(std::vector<core::inbound_message> messages, sql::store* on = nullptr) {
    const auto stored = (on ? on : store_.get())->record_inbound(messages);
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
  }

  std::string scalar(const std::string& sql) {
    pqxx::read_transaction tx(*inspect_);
    const auto v = tx.exec1(sql)[0];
    return v.is_null() ? "NULL" : v.as<std::string>();
  }

  // "source|body|parts|parts_missing" of every stored reply, oldest first.
  std::vector<std::string> replies() {
    pqxx::read_transaction tx(*inspect_);
    std::vector<std::string> out;
    for (const auto& r : tx.exec("SELECT source || '|' || coalesce(body, 'NULL') || '|' || parts "
                                 "|| '|' || parts_missing::text FROM inbound_messages ORDER BY id"))
      out.push_back(r[0].as<std::string>());
    return out;
  }
};

TEST_F(reply_store_test, parts_in_any_order_become_one_reply_when_the_last_arrives) {
  record({part("ccc", 7, 3, 3)});
  record({part("aaa", 7, 3, 1)});
  EXPECT_TRUE(replies().empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM inbound_parts"), "2");
  record({part("bbb", 7, 3, 2)});
  EXPECT_EQ(replies(), std::vector<std::string>{"27821234567|aaabbbccc|3|{}"});
  // The parts stay, done and without their texts, until the wait has passed.
  EXPECT_EQ(scalar("SELECT count(*) FROM inbound_parts WHERE NOT done OR body IS NOT NULL"), "0");
  const auto swept = store_->store_incomplete_replies(std::chrono::seconds(0));
  ASSERT_TRUE(swept.has_value()) << swept.error().message;
  EXPECT_EQ(*swept, 0u);
  EXPECT_EQ(scalar("SELECT count(*) FROM inbound_parts"), "0");
  EXPECT_EQ(replies().size(), 1u);
}

TEST_F(reply_store_test, a_part_sent_again_is_stored_once) {
  record({part("Hel", 9, 2, 1), part("Hel", 9, 2, 1)});  // twice in one batch
  record({part("Hel", 9, 2, 1)});                        // and again later
  record({part("lo", 9, 2, 2)});
  EXPECT_EQ(replies(), std::vector<std::string>{"27821234567|Hello|2|{}"});
  // The SMSC sends a part of the reply stored already again (a deliver_sm_resp lost after the
  // commit): a repeat, not the start of another reply, now or after the wait.
  record({part("lo", 9, 2, 2)});
  record({part("Hel", 9, 2, 1)});
  EXPECT_EQ(replies().size(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM inbound_parts WHERE NOT done"), "0");
  const auto swept = store_->store_incomplete_replies(std::chrono::seconds(0));
  ASSERT_TRUE(swept.has_value()) << swept.error().message;
  EXPECT_EQ(*swept, 0u);
  EXPECT_EQ(replies().size(), 1u);
}

TEST_F(reply_store_test, parts_of_different_replies_are_never_mixed) {
  record({part("A1", 1, 2, 1, "27821111111"), part("B1", 1, 2, 1, "27822222222"),
          part("C1", 2, 2, 1, "27821111111"), part("D1", 1, 2, 1, "27821111111", "smsc2")});
  record({part("A2", 1, 2, 2, "27821111111"), part("B2", 1, 2, 2, "27822222222"),
          part("C2", 2, 2, 2, "27821111111"), part("D2", 1, 2, 2, "27821111111", "smsc2")});
  pqxx::read_transaction tx(*inspect_);
  const auto rows = tx.exec(
      "SELECT connector || '|' || source || '|' || body FROM inbound_messages ORDER BY body");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "smsc1|27821111111|A1A2");
  EXPECT_EQ(rows[1][0].as<std::string>(), "smsc1|27822222222|B1B2");
  EXPECT_EQ(rows[2][0].as<std::string>(), "smsc1|27821111111|C1C2");
  EXPECT_EQ(rows[3][0].as<std::string>(), "smsc2|27821111111|D1D2");
}

TEST_F(reply_store_test, a_batch_with_single_replies_and_a_whole_reply_stores_both) {
  record({{.connector = "smsc1",
           .source = "27823333333",
           .destination = "mail2sms",
           .text = "single",
           .part = std::nullopt,
           .default_source = ""},
          part("wh", 4, 2, 1),
          part("ole", 4, 2, 2)});
  auto all = replies();
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"27821234567|whole|2|{}", "27823333333|single|1|{}"}));
}

TEST_F(reply_store_test, a_reply_missing_parts_is_stored_as_it_is_after_the_wait) {
  record({part("one ", 5, 3, 1), part(" three", 5, 3, 3)});
  auto stored = store_->store_incomplete_replies(std::chrono::hours(1));
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(*stored, 0u);  // not waited long enough
  EXPECT_TRUE(replies().empty());

  stored = store_->store_incomplete_replies(std::chrono::seconds(0));
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(*stored, 1u);
  EXPECT_EQ(replies(),
            std::vector<std::string>{"27821234567|one [part 2 of 3 missing] three|3|{2}"});
  EXPECT_EQ(scalar("SELECT count(*) FROM inbound_parts"), "0");
  // The part that comes after that starts a reply of its own.
  record({part("two", 5, 3, 2)});
  EXPECT_EQ(replies().size(), 1u);
}

TEST_F(reply_store_test, retention_erases_the_text_of_parts_left_waiting) {
  record({part("secret", 6, 2, 1)});
  {
    pqxx::work tx(*inspect_);
    tx.exec0("UPDATE inbound_parts SET received_at = now() - interval '40 days'");
    tx.commit();
  }
  const auto purged = sql::purge_bodies(db_, 30);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->replies, 1);
  EXPECT_EQ(scalar("SELECT body FROM inbound_parts"), "NULL");
}

// Two binds (or two serve processes) receive the two parts of one reply at the same moment:
// each transaction must see the other's part, so every reply ends whole exactly once.
TEST_F(reply_store_test, two_writers_with_one_part_each_store_every_reply_whole) {
  auto other = std::make_unique<sql::store>(db_);
  constexpr int rounds = 40;
  std::barrier sync(2);
  auto writer = [&](sql::store* on, int number) {
    for (int r = 0; r < rounds; ++r) {
      sync.arrive_and_wait();
      const auto stored =
          on->record_inbound({part(number == 1 ? "x" : "y", r, 2, number, "27820000000")});
      ASSERT_TRUE(stored.has_value()) << stored.error().message;
    }
  };
  std::thread a(writer, store_.get(), 1);
  std::thread b(writer, other.get(), 2);
  a.join();
  b.join();
  EXPECT_EQ(scalar("SELECT count(*) FROM inbound_messages WHERE body = 'xy' AND parts = 2"),
            std::to_string(rounds));
  EXPECT_EQ(scalar("SELECT count(*) FROM inbound_parts WHERE NOT done"), "0");
}

}  // namespace
}  // namespace mail2sms::testing
