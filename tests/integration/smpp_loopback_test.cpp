// smpp::client against smpp::simulator over loopback TCP (port 0, no database): binds, single and
// concatenated GSM and UCS-2 submits as the simulator reports them, receipts, refusals, a wrong
// password, a lost SMSC, and clean stops. Waits are on condition variables with generous bounds.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/connectors/smpp/client.hpp"
#include "core/connectors/smpp/command_status.hpp"
#include "core/connectors/smpp/simulator.hpp"
#include "core/sms/sms.hpp"
#include "inbox.hpp"
#include "smpp_loopback_support.hpp"

namespace mail2sms::smpp {
namespace {

using namespace std::chrono_literals;
using namespace loopback;
using outcome_status = core::submit_outcome::status;

using testing::inbox;

// An SMSC that accepts any bind and then answers nothing: for response and enquire_link timeouts.
class silent_smsc {
 public:
  silent_smsc() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    boost::asio::co_spawn(io_, accept(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~silent_smsc() {
    boost::asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (const auto& s : sockets_) s->close(ignored);
    });
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

  inbox<command_id> received;

 private:
  using tcp = boost::asio::ip::tcp;

  boost::asio::awaitable<void> accept() {
    for (;;) {
      boost::system::error_code ec;
      auto socket = co_await acceptor_.async_accept(
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      auto shared = std::make_shared<tcp::socket>(std::move(socket));
      sockets_.push_back(shared);
      boost::asio::co_spawn(io_, serve(shared), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket) {
    std::vector<std::uint8_t> buffer;
    std::array<std::uint8_t, 1024> chunk{};
    boost::system::error_code ec;
    for (;;) {
      auto parsed = parse(buffer);
      if (parsed.status == parse_status::ok) {
        buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(parsed.consumed));
        received.push(parsed.message.command);
        if (parsed.message.command == command_id::bind_transceiver) {
          const pdu resp{command_id::bind_transceiver_resp, 0, parsed.message.sequence,
                         bind_resp{"silent", {}}};
          const auto out = *encode(resp);
          co_await boost::asio::async_write(
              *socket, boost::asio::buffer(out),
              boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
        continue;
      }
      if (parsed.status != parse_status::need_more) co_return;
      const auto n = co_await socket->async_read_some(
          boost::asio::buffer(chunk), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::thread thread_;
};

TEST(SmppLoopback, SubmitsGsmSingleConcatenatedGsmAndUcs2) {
  running_simulator smsc;
  client esme(settings_for(smsc.port()));
  esme.start();
  ASSERT_TRUE(esme.wait_until(is_bound, generous));

  // One GSM part, from an alphanumeric sender.
  const std::string hello = "Hello from mail2sms: disk /var is 91% full @ db1";
  const auto single = esme.submit(message_for(hello, "+27821230001"));
  ASSERT_EQ(single.state, outcome_status::submitted) << single.reason;
  ASSERT_EQ(single.smsc_message_ids.size(), 1U);
  EXPECT_FALSE(single.smsc_message_ids[0].empty());
  const auto part = smsc.lines.wait_for([](const json& j) {
    return j.at("event") == "submit_sm" && j.at("destination") == "27821230001";
  });
  ASSERT_TRUE(part);
  EXPECT_EQ(part->at("source"), "ACME");
  EXPECT_EQ(part->at("system_id"), "esme");
  EXPECT_EQ(part->at("data_coding"), 0);
  EXPECT_EQ(part->at("esm_class"), 0);
  EXPECT_EQ(part->at("udh"), "");
  EXPECT_EQ(part->at("text"), hello);
  EXPECT_EQ(part->at("message_id"), single.smsc_message_ids[0]);
  const auto whole = smsc.lines.wait_for(message_to("27821230001"));
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->at("text"), hello);
  EXPECT_EQ(whole->at("parts"), 1);

  // Three GSM parts with a concatenation UDH, from a numeric sender.
  std::string long_text;
  for (int i = 0; long_text.size() < 400; ++i)
    long_text += "Line " + std::to_string(i) + " of the report. ";
  auto three = message_for(long_text, "+27821230002", "+27115550000", 0x77);
  ASSERT_EQ(three.segments.size(), 3U);
  const auto multi = esme.submit(three);
  ASSERT_EQ(multi.state, outcome_status::submitted) << multi.reason;
  ASSERT_EQ(multi.smsc_message_ids.size(), 3U);
  const auto joined = smsc.lines.wait_for(message_to("27821230002"));
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->at("text"), long_text);
  EXPECT_EQ(joined->at("parts"), 3);
  EXPECT_EQ(joined->at("source"), "27115550000");
  EXPECT_EQ(joined->at("message_ids"), json(multi.smsc_message_ids));
  const auto first_part = smsc.lines.wait_for([](const json& j) {
    return j.at("event") == "submit_sm" && j.at("destination") == "27821230002";
  });
  ASSERT_TRUE(first_part);
  EXPECT_EQ(first_part->at("esm_class"), 0x40);
  EXPECT_EQ(first_part->at("udh"), "0500037703" + std::string("01"));

  // UCS-2 (Cyrillic and an emoji), with the default source.
  const std::string unicode = "Привет, мир! Сервер упал 👋";
  auto ucs2 = message_for(unicode, "+27821230003", "");
  ASSERT_EQ(ucs2.coding, sms::encoding::ucs2);
  const auto wide = esme.submit(ucs2);
  ASSERT_EQ(wide.state, outcome_status::submitted) << wide.reason;
  const auto wide_msg = smsc.lines.wait_for(message_to("27821230003"));
  ASSERT_TRUE(wide_msg);
  EXPECT_EQ(wide_msg->at("text"), unicode);
  EXPECT_EQ(wide_msg->at("data_coding"), 8);
  EXPECT_EQ(wide_msg->at("source"), "Alerts");

  esme.stop();
  EXPECT_FALSE(esme.stats().bound);
  const auto after = esme.submit(message_for("late"));
  EXPECT_EQ(after.state, outcome_status::transient_failure);
}

TEST(SmppLoopback, DeliveryReceiptReachesTheCallback) {
  running_simulator smsc;
  inbox<deliver_sm> receipts;
  auto s = settings_for(smsc.port());
  s.on_deliver_sm = [&receipts](const deliver_sm& d) { receipts.push(d); };
  client esme(s);
  esme.start();
  const auto sent = esme.submit(message_for("receipt please", "+27821230004"));
  ASSERT_EQ(sent.state, outcome_status::submitted) << sent.reason;
  const auto id = sent.smsc_message_ids.at(0);
  const auto receipt =
      receipts.wait_for([&id](const deliver_sm& d) { return receipted_message_id(d.tlvs) == id; });
  ASSERT_TRUE(receipt);
  EXPECT_EQ(receipt->esm_class, 0x04);
  EXPECT_EQ(receipt->source_addr, "27821230004");
  EXPECT_EQ(receipt->destination_addr, "ACME");
  EXPECT_EQ(get_message_state(receipt->tlvs), message_state::delivered);
  const std::string text(receipt->short_message.begin(), receipt->short_message.end());
  EXPECT_EQ(text.rfind("id:" + id + " sub:001 dlvr:001 submit date:", 0), 0U) << text;
  EXPECT_NE(text.find(" stat:DELIVRD err:000 text:"), std::string::npos) << text;
}

TEST(SmppLoopback, RefusalsArePermanentAndThrottlingIsTransient) {
  running_simulator smsc(0, [](const submit_sm& sm) -> std::uint32_t {
    if (sm.destination_addr == "27820000000") return status::invalid_destination;
    if (sm.destination_addr == "27820000001") return status::throttled;
    if (sm.destination_addr == "27820000002") return status::queue_full;
    return status::ok;
  });
  auto s = settings_for(smsc.port());
  s.throttle_pause = 20ms;   // throttled segments are retried after this pause...
  s.throttle_limit = 200ms;  // ...until this long, then fail as transient
  client esme(s);
  esme.start();

  const auto refused = esme.submit(message_for("x", "+27820000000"));
  EXPECT_EQ(refused.state, outcome_status::permanent_failure);
  EXPECT_NE(refused.reason.find("ESME_RINVDSTADR"), std::string::npos) << refused.reason;
  EXPECT_NE(refused.reason.find("0x0000000B"), std::string::npos) << refused.reason;

  const auto throttled = esme.submit(message_for("x", "+27820000001"));
  EXPECT_EQ(throttled.state, outcome_status::transient_failure);
  EXPECT_NE(throttled.reason.find("ESME_RTHROTTLED"), std::string::npos) << throttled.reason;

  const auto full = esme.submit(message_for("x", "+27820000002"));
  EXPECT_EQ(full.state, outcome_status::transient_failure);
  EXPECT_NE(full.reason.find("ESME_RMSGQFUL"), std::string::npos) << full.reason;

  // A number the client itself cannot address never reaches the SMSC.
  const auto unaddressable = esme.submit(message_for("x", "oncall"));
  EXPECT_EQ(unaddressable.state, outcome_status::permanent_failure);

  // The session is still good afterwards.
  EXPECT_EQ(esme.submit(message_for("fine", "+27821230005")).state, outcome_status::submitted);
}

TEST(SmppLoopback, ThrottlingPausesTheBindAndTheSegmentIsSentAgain) {
  std::atomic<int> answers{0};
  running_simulator smsc(0, [&answers](const submit_sm&) -> std::uint32_t {
    const int n = ++answers;
    return n == 1 ? status::throttled : n == 2 ? status::queue_full : status::ok;
  });
  auto s = settings_for(smsc.port());
  s.throttle_pause = 20ms;
  client esme(s);
  esme.start();
  const auto outcome = esme.submit(message_for("again", "+27821230007"));
  EXPECT_EQ(outcome.state, outcome_status::submitted) << outcome.reason;
  EXPECT_EQ(answers.load(), 3);  // throttled, queue full, accepted: one submit() call
}

TEST(SmppLoopback, WrongPasswordFailsTheBindAndSubmitGivesUpInTime) {
  running_simulator smsc;
  auto s = settings_for(smsc.port(), "wrong");
  s.response_timeout = 500ms;
  client esme(s);
  esme.start();
  ASSERT_TRUE(
      esme.wait_until([](const client_stats& st) { return st.bind_failures >= 1; }, generous));
  EXPECT_FALSE(esme.stats().bound);
  EXPECT_NE(esme.stats().last_error.find("ESME_RBINDFAIL"), std::string::npos)
      << esme.stats().last_error;
  const auto bind_line = smsc.lines.wait_for(
      [](const json& j) { return j.at("event") == "bind" && j.at("status") == "ESME_RBINDFAIL"; });
  ASSERT_TRUE(bind_line);
  EXPECT_FALSE(bind_line->contains("password"));

  const auto started = std::chrono::steady_clock::now();
  const auto outcome = esme.submit(message_for("never", "+27821230006"));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(outcome.state, outcome_status::transient_failure);
  EXPECT_NE(outcome.reason.find("not bound"), std::string::npos) << outcome.reason;
  EXPECT_LT(took, generous);
  esme.stop();
}

TEST(SmppLoopback, ReconnectsWhenTheSmscComesBack) {
  std::optional<running_simulator> first;
  first.emplace();
  const auto port = first->port();
  client esme(settings_for(port));
  esme.start();
  ASSERT_TRUE(esme.wait_until(is_bound, generous));

  first.reset();  // the SMSC goes away
  ASSERT_TRUE(esme.wait_until([](const client_stats& s) { return !s.bound; }, generous));
  const auto while_down = esme.submit(message_for("down", "+27821230007"));
  EXPECT_EQ(while_down.state, outcome_status::transient_failure);

  running_simulator second(port);
  ASSERT_TRUE(
      esme.wait_until([](const client_stats& s) { return s.bound && s.binds >= 2; }, generous));
  const auto back = esme.submit(message_for("up again", "+27821230008"));
  EXPECT_EQ(back.state, outcome_status::submitted) << back.reason;
  EXPECT_TRUE(second.lines.wait_for(message_to("27821230008")));
}

TEST(SmppLoopback, ManyConcurrentSubmittersThroughASmallWindowAndRateLimit) {
  running_simulator smsc;
  auto s = settings_for(smsc.port());
  s.window = 2;
  s.tps = 200;
  client esme(s);
  esme.start();
  std::vector<std::thread> senders;
  std::vector<core::submit_outcome> outcomes(8);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    senders.emplace_back([&, i] {
      outcomes[i] = esme.submit(message_for(std::string(300, 'a' + static_cast<char>(i)),
                                            "+2782123010" + std::to_string(i), "ACME",
                                            static_cast<std::uint16_t>(i)));
    });
  }
  for (auto& t : senders) t.join();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].state, outcome_status::submitted) << i << ": " << outcomes[i].reason;
    EXPECT_EQ(outcomes[i].smsc_message_ids.size(), 2U);
    const auto whole = smsc.lines.wait_for(message_to("2782123010" + std::to_string(i)));
    ASSERT_TRUE(whole) << i;
    EXPECT_EQ(whole->at("text"), std::string(300, 'a' + static_cast<char>(i)));
  }
}

TEST(SmppLoopback, SilentSmscTimesOutSubmitsAndTheIdleLinkIsReplaced) {
  silent_smsc smsc;
  auto s = settings_for(smsc.port());
  s.response_timeout = 300ms;
  s.enquire_link_interval = 100ms;
  client esme(s);
  esme.start();
  ASSERT_TRUE(esme.wait_until(is_bound, generous));

  const auto outcome = esme.submit(message_for("into the void", "+27821230009"));
  EXPECT_EQ(outcome.state, outcome_status::transient_failure);
  EXPECT_NE(outcome.reason.find("no submit_sm_resp within 300 ms"), std::string::npos)
      << outcome.reason;
  EXPECT_TRUE(smsc.received.wait_for([](command_id c) { return c == command_id::submit_sm; }));

  // Idle after the bind: enquire_link goes out; unanswered, the link is dropped and rebound.
  EXPECT_TRUE(smsc.received.wait_for([](command_id c) { return c == command_id::enquire_link; }));
  EXPECT_TRUE(esme.wait_until([](const client_stats& st) { return st.binds >= 2; }, generous));
}

TEST(SmppLoopback, StopWithoutStartAndDoubleStopAreHarmless) {
  client never_started(settings_for(1));
  never_started.stop();
  EXPECT_EQ(never_started.submit(message_for("x")).state, outcome_status::transient_failure);

  running_simulator smsc;
  client esme(settings_for(smsc.port()));
  esme.start();
  ASSERT_TRUE(esme.wait_until(is_bound, generous));
  esme.stop();
  esme.stop();
  smsc.stop();
  smsc.stop();
}

TEST(SmppSimulatorSettings, FromCommandLineValues) {
  const auto s = simulator_settings_from("0.0.0.0:2775", "smsc", "pw");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "0.0.0.0");
  EXPECT_EQ(s->port, 2775);
  EXPECT_EQ(s->system_id, "smsc");
  const auto v6 = simulator_settings_from("[::1]:0", "smsc", "pw");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(simulator_settings_from("2775", "smsc", "pw"));
  EXPECT_FALSE(simulator_settings_from("host:70000", "smsc", "pw"));
  EXPECT_FALSE(simulator_settings_from("host:27x5", "smsc", "pw"));
  EXPECT_FALSE(simulator_settings_from("host:2775", "", "pw"));
  EXPECT_FALSE(simulator_settings_from("host:2775", "smsc", "ninechars"));
}

}  // namespace
}  // namespace mail2sms::smpp
