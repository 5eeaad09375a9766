// The query_sm sweep with in-memory fakes: answers with a state become receipts, the rest do not;
// a connector that is down or has no query_after is not asked; several batches are drained.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "core/dispatch/part_queries.hpp"
#include "tests/captured_log.hpp"

namespace mail2sms::core {
namespace {

struct fake_queries final : query_store {
  result<std::vector<part_query>, store_error> claim_queries(
      const std::string& connector, int limit, std::chrono::seconds after,
      std::chrono::seconds validity) override {
    claims.push_back({connector, after, validity, limit});
    if (failing > 0) {
      --failing;
      return fail(store_error{failure_kind::transient, "database down"});
    }
    std::vector<part_query> out;
    while (!due.empty() && static_cast<int>(out.size()) < limit) {
      out.push_back(due.front());
      due.erase(due.begin());
    }
    return out;
  }
  struct claim {
    std::string connector;
    std::chrono::seconds after, validity;
    int limit = 0;
  };
  std::vector<part_query> due;
  std::vector<claim> claims;
  int failing = 0;  // claims that fail before they work again
};

struct fake_reports final : report_store {
  result<ok_t, store_error> record_reports(const std::vector<delivery_report>& r) override {
    reports.insert(reports.end(), r.begin(), r.end());
    return ok;
  }
  result<ok_t, store_error> record_inbound(const std::vector<inbound_message>&) override {
    return ok;
  }
  std::vector<delivery_report> reports;
};

// Answers from a table by SMSC id, some on another thread (as an SMPP client does).
struct asking_connector final : sms_connector {
  const std::string& name() const override { return name_; }
  submit_outcome submit(const queued_message&) override { return {}; }
  bool available() const override { return up; }
  void query_async(const part_query& part, std::function<void(query_result)> done) override {
    asked.push_back(part.smsc_message_id);
    auto answer = answers.at(part.smsc_message_id);
    if (part.part_no % 2 == 0) {
      threads.emplace_back([done = std::move(done), answer] { done(answer); });
    } else {
      done(answer);
    }
  }
  std::string name_ = "smsc1";
  bool up = true;
  std::map<std::string, query_result> answers;
  std::vector<std::string> asked;
  std::vector<std::jthread> threads;  // joined when the connector goes
};

query_result state(std::string s, std::string err = "") {
  return {query_result::kind::state, std::move(s), std::move(err), ""};
}

part_query part(std::int64_t message, int part_no, std::string id) {
  return {message,        part_no, "Q" + std::to_string(message), "smsc1", std::move(id), "",
          "+27821234567", 1};
}

TEST(part_queries, answers_with_a_state_are_recorded_as_receipts_of_that_state) {
  fake_queries queries;
  fake_reports reports;
  asking_connector smsc;
  smsc.answers = {{"a", state("DELIVRD")},
                  {"b", state("ENROUTE")},
                  {"c", state("UNDELIV", "34")},
                  {"d", {query_result::kind::not_found, "", "", "ESME_RQUERYFAIL"}},
                  {"e", {query_result::kind::failed, "", "", "no query_sm_resp within 10000 ms"}}};
  queries.due = {part(1, 1, "a"), part(1, 2, "b"), part(2, 1, "c"), part(3, 2, "d"),
                 part(4, 1, "e")};
  part_queries sweep(queries, reports, {{&smsc, std::chrono::seconds(600), 10}},
                     std::chrono::seconds(3600), 2);
  EXPECT_EQ(sweep.sweep(), 3U);
  EXPECT_EQ(smsc.asked.size(), 5U);
  ASSERT_EQ(reports.reports.size(), 3U);
  EXPECT_EQ(reports.reports[0].smsc_message_id, "a");
  EXPECT_EQ(reports.reports[0].state, "DELIVRD");
  EXPECT_EQ(reports.reports[0].connector, "smsc1");
  EXPECT_EQ(reports.reports[1].state, "ENROUTE");
  EXPECT_EQ(reports.reports[2].state, "UNDELIV");
  EXPECT_EQ(reports.reports[2].error_code, "34");
  // Batches of 2 until one came back short; each claim with the connector's settings.
  ASSERT_EQ(queries.claims.size(), 3U);
  EXPECT_EQ(queries.claims[0].connector, "smsc1");
  EXPECT_EQ(queries.claims[0].after, std::chrono::seconds(600));
  EXPECT_EQ(queries.claims[0].validity, std::chrono::seconds(3600));
}

TEST(part_queries, no_more_are_in_flight_at_once_than_the_connectors_window) {
  fake_queries queries;
  fake_reports reports;
  asking_connector smsc;
  for (int i = 1; i <= 5; ++i) {
    const auto id = "m" + std::to_string(i);
    smsc.answers[id] = state("DELIVRD");
    queries.due.push_back(part(i, 1, id));
  }
  part_queries sweep(queries, reports, {{&smsc, std::chrono::seconds(60), 2}},
                     std::chrono::seconds(3600), 100);
  EXPECT_EQ(sweep.sweep(), 5U);
  ASSERT_EQ(queries.claims.size(), 3U);  // 2, 2, then 1: a short claim ends the round
  for (const auto& c : queries.claims) EXPECT_EQ(c.limit, 2);
}

TEST(part_queries, a_connector_that_is_down_or_does_not_ask_is_skipped) {
  fake_queries queries;
  fake_reports reports;
  asking_connector down;
  down.up = false;
  asking_connector off;
  off.name_ = "off";
  queries.due = {part(1, 1, "a")};
  part_queries sweep(queries, reports,
                     {{&down, std::chrono::seconds(60), 10}, {&off, std::chrono::seconds(0), 10}},
                     std::chrono::seconds(3600));
  EXPECT_EQ(sweep.sweep(), 0U);
  EXPECT_TRUE(queries.claims.empty());
  EXPECT_TRUE(down.asked.empty());
  EXPECT_EQ(queries.due.size(), 1U);  // still there for when it is up
}

TEST(part_queries, a_connector_that_cannot_ask_says_so_and_nothing_is_recorded) {
  struct plain final : sms_connector {
    const std::string& name() const override { return name_; }
    submit_outcome submit(const queued_message&) override { return {}; }
    std::string name_ = "smsc1";
  } http_like;
  fake_queries queries;
  fake_reports reports;
  queries.due = {part(1, 1, "a")};
  part_queries sweep(queries, reports, {{&http_like, std::chrono::seconds(60), 10}},
                     std::chrono::seconds(3600));
  EXPECT_EQ(sweep.sweep(), 0U);
  EXPECT_TRUE(reports.reports.empty());
}

// The database away: a sweep a second would otherwise log a line a second.
TEST(part_queries, failing_claims_are_logged_once_and_the_recovery_too) {
  fake_queries queries;
  fake_reports reports;
  asking_connector smsc;
  smsc.answers = {{"a", state("DELIVRD")}};
  queries.due = {part(1, 1, "a")};
  queries.failing = 3;
  part_queries sweep(queries, reports, {{&smsc, std::chrono::seconds(60), 10}},
                     std::chrono::seconds(3600));
  mail2sms::testing::captured_log log;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(sweep.sweep(), 0U);
  EXPECT_EQ(sweep.sweep(), 1U);
  EXPECT_EQ(log.count("query_sm: cannot claim parts to ask about: smsc1: database down"), 1)
      << log.text();
  EXPECT_EQ(log.count("query_sm: claiming parts again after"), 1) << log.text();
  EXPECT_EQ(log.count("[warning] query_sm:"), 1) << log.text();  // of the three failed claims
}

}  // namespace
}  // namespace mail2sms::core
