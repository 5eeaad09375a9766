// smpp::client against smpp::simulator over loopback TCP (port 0, no database): segments go out
// with the sequence numbers the dispatcher recorded for them, the client's own requests with
// numbers from its range, and query_sm returns what the simulator knows of a message.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "core/connectors/smpp/client.hpp"
#include "core/connectors/smpp/sequence_numbers.hpp"
#include "core/connectors/smpp/simulator.hpp"
#include "core/sms/sms.hpp"
#include "smpp_loopback_support.hpp"

namespace mail2sms::smpp {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using outcome_status = core::submit_outcome::status;
using loopback::generous;
using loopback::is_bound;

// The shared loopback simulator, with delivery receipts on or off (and their delay).
class running_simulator : public loopback::running_simulator {
 public:
  explicit running_simulator(bool receipts, std::chrono::milliseconds receipt_delay = 0ms,
                             int throttle_every = 0)
      : loopback::running_simulator(0, {}, [&](simulator_settings& s) {
          s.delivery_receipts = receipts;
          s.receipt_delay = receipt_delay;
          s.throttle_every = throttle_every;
        }) {}
};

client_settings settings_for(std::uint16_t port) {
  auto s = loopback::settings_for(port);
  s.window = 8;
  s.response_timeout = 5s;
  s.enquire_link_interval = client_settings{}.enquire_link_interval;
  return s;
}

core::queued_message message_for(const std::string& text, std::uint32_t first_sequence) {
  auto m = loopback::message_for(text);
  m.queue_id = "q1";
  m.smpp_sequence = first_sequence;
  return m;
}

// The simulator reports a submit_sm before it answers it: once submit() returned, it is here.
std::vector<std::uint32_t> sequences_seen(testing::inbox<json>& lines) {
  std::vector<std::uint32_t> out;
  lines.count_if([&](const json& j) {
    if (j.at("event") == "submit_sm") out.push_back(j.at("sequence").get<std::uint32_t>());
    return false;
  });
  return out;
}

core::query_result query(client& esme, const std::string& id) {
  std::promise<core::query_result> answer;
  auto future = answer.get_future();
  core::part_query part;
  part.smsc_message_id = id;
  part.sender_id = "ACME";
  esme.query_async(part, [&answer](core::query_result r) { answer.set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(generous), std::future_status::ready);
  return future.get();
}

TEST(smpp_sequence, segments_carry_the_recorded_numbers_and_the_clients_own_stay_apart) {
  running_simulator smsc(true);
  client esme(settings_for(smsc.port()));
  esme.start();
  ASSERT_TRUE(esme.wait_until(is_bound, generous));

  const auto three = esme.submit(message_for(std::string(400, 'x'), 0x1200));  // 3 GSM parts
  ASSERT_EQ(three.state, outcome_status::submitted) << three.reason;
  ASSERT_EQ(three.smsc_message_ids.size(), 3U);
  EXPECT_EQ(sequences_seen(smsc.lines), (std::vector<std::uint32_t>{0x1200, 0x1201, 0x1202}));

  // No number given (a message claimed before the migration, or a test): the client's own.
  const auto plain = esme.submit(message_for("no number", 0));
  ASSERT_EQ(plain.state, outcome_status::submitted) << plain.reason;
  const auto seen = sequences_seen(smsc.lines);
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_GE(seen[3], first_own_sequence);
  EXPECT_LE(seen[3], last_own_sequence);

  // query_sm also takes one of the client's own numbers.
  const auto answer = query(esme, three.smsc_message_ids[0]);
  EXPECT_EQ(answer.what, core::query_result::kind::state) << answer.reason;
  const auto asked = smsc.lines.wait_for([](const json& j) { return j.at("event") == "query_sm"; });
  ASSERT_TRUE(asked.has_value());
  EXPECT_GE(asked->at("sequence").get<std::uint32_t>(), first_own_sequence);
  EXPECT_EQ(asked->at("source"), "ACME");  // the source address the submit had
  esme.stop();
}

TEST(smpp_sequence, a_throttled_segment_is_sent_again_with_its_number) {
  running_simulator sim(true, 0ms, 2);  // the second submit_sm is refused with ESME_RTHROTTLED
  auto settings = settings_for(sim.port());
  settings.throttle_pause = 10ms;
  settings.window = 1;
  client esme(settings);
  esme.start();
  ASSERT_TRUE(esme.wait_until(is_bound, generous));
  const auto two = esme.submit(message_for(std::string(200, 'y'), 0x700));  // 2 parts
  ASSERT_EQ(two.state, outcome_status::submitted) << two.reason;
  const auto accepted = sequences_seen(sim.lines);
  // Part 2 was refused once and accepted when sent again, with the same number.
  EXPECT_EQ(accepted, (std::vector<std::uint32_t>{0x700, 0x701}));
  EXPECT_EQ(sim.lines.count_if([](const json& j) { return j.at("event") == "submit_sm_refused"; }),
            1U);
  esme.stop();
}

TEST(smpp_sequence, query_sm_returns_what_the_smsc_knows_of_the_message) {
  running_simulator delivered(false);  // receipts withheld; the state is still known
  client esme(settings_for(delivered.port()));
  esme.start();
  ASSERT_TRUE(esme.wait_until(is_bound, generous));
  const auto sent = esme.submit(message_for("where is it", 0x300));
  ASSERT_EQ(sent.state, outcome_status::submitted) << sent.reason;
  const auto answer = query(esme, sent.smsc_message_ids[0]);
  EXPECT_EQ(answer.what, core::query_result::kind::state) << answer.reason;
  EXPECT_EQ(answer.state, "DELIVRD");
  EXPECT_EQ(answer.error_code, "");

  const auto unknown = query(esme, "ffffffff");
  EXPECT_EQ(unknown.what, core::query_result::kind::not_found);
  EXPECT_NE(unknown.reason.find("ESME_RQUERYFAIL"), std::string::npos) << unknown.reason;
  esme.stop();

  running_simulator slow(false, std::chrono::hours(1));  // its receipt would be an hour away
  client later(settings_for(slow.port()));
  later.start();
  ASSERT_TRUE(later.wait_until(is_bound, generous));
  const auto pending = later.submit(message_for("not yet", 0x400));
  ASSERT_EQ(pending.state, outcome_status::submitted) << pending.reason;
  const auto enroute = query(later, pending.smsc_message_ids[0]);
  EXPECT_EQ(enroute.what, core::query_result::kind::state) << enroute.reason;
  EXPECT_EQ(enroute.state, "ENROUTE");
  later.stop();
}

TEST(smpp_sequence, a_query_without_a_bind_fails_at_once) {
  client esme(settings_for(1));  // nothing listens on port 1
  esme.start();
  const auto answer = query(esme, "1");
  EXPECT_EQ(answer.what, core::query_result::kind::failed);
  EXPECT_NE(answer.reason.find("not bound"), std::string::npos) << answer.reason;
  esme.stop();
  const auto stopped = query(esme, "1");
  EXPECT_EQ(stopped.what, core::query_result::kind::failed);
  EXPECT_NE(stopped.reason.find("not running"), std::string::npos) << stopped.reason;
}

}  // namespace
}  // namespace mail2sms::smpp
