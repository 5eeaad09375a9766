// smpp::client with several binds against smpp::simulator over loopback TCP (port 0, no
// database): a transmitter + receiver pair (submits on one, receipts on the other, a receiver that
// is down), three transceivers sharing a burst, also while one of them loses its connection, and
// a receipt never acknowledged, sent again on the next bind.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/connectors/smpp/client.hpp"
#include "inbox.hpp"
#include "smpp_loopback_support.hpp"

namespace mail2sms::smpp {
namespace {

using namespace loopback;
using outcome_status = core::submit_outcome::status;
using testing::inbox;

std::size_t bound_binds(const client_stats& s) {
  std::size_t n = 0;
  for (const auto& b : s.per_bind) n += b.bound ? 1 : 0;
  return n;
}

std::function<bool(const json&)> event(const std::string& name) {
  return [name](const json& j) { return j.at("event") == name; };
}

// The session numbers the simulator gave to accepted binds of this kind.
std::set<int> sessions_bound_as(running_simulator& smsc, const std::string& command) {
  std::set<int> sessions;
  for (int n = 1; n <= 64; ++n) {
    const auto found = smsc.lines.count_if([&](const json& j) {
      return j.at("event") == "bind" && j.at("command") == command &&
             j.at("status") == "ESME_ROK" && j.at("session") == n;
    });
    if (found > 0) sessions.insert(n);
  }
  return sessions;
}

// A loopback port nothing listens on (it was free a moment ago).
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

TEST(SmppBinds, PairSubmitsOnTheTransmitterAndTakesReceiptsOnTheReceiver) {
  running_simulator smsc;
  inbox<core::delivery_report> reports;
  auto s = settings_for(smsc.port());
  s.topology = bind_topology::pair;
  s.on_receipt = [&reports](core::delivery_report r, client_settings::ack_fn ack) {
    reports.push(std::move(r));
    ack(true);
  };
  client esme(s);
  esme.start();
  ASSERT_TRUE(
      esme.wait_until([](const client_stats& st) { return st.bound && st.receiving; }, generous))
      << esme.stats().last_error;

  const auto stats = esme.stats();
  ASSERT_EQ(stats.per_bind.size(), 2U);
  EXPECT_EQ(stats.per_bind[0].label, "loopback#1 tx");
  EXPECT_EQ(stats.per_bind[0].role, bind_role::transmitter);
  EXPECT_EQ(stats.per_bind[1].label, "loopback#1 rx");
  EXPECT_EQ(stats.per_bind[1].role, bind_role::receiver);
  const auto tx = sessions_bound_as(smsc, "bind_transmitter");
  const auto rx = sessions_bound_as(smsc, "bind_receiver");
  ASSERT_EQ(tx.size(), 1U);
  ASSERT_EQ(rx.size(), 1U);
  EXPECT_EQ(sessions_bound_as(smsc, "bind_transceiver").size(), 0U);

  const auto sent = esme.submit(message_for("over the pair", "+27821230101"));
  ASSERT_EQ(sent.state, outcome_status::submitted) << sent.reason;
  const auto id = sent.smsc_message_ids.at(0);
  const auto submitted = smsc.lines.wait_for(
      [&id](const json& j) { return j.at("event") == "submit_sm" && j.at("message_id") == id; });
  ASSERT_TRUE(submitted);
  EXPECT_EQ(submitted->at("session"), *tx.begin());

  const auto report =
      reports.wait_for([&id](const core::delivery_report& r) { return r.smsc_message_id == id; });
  ASSERT_TRUE(report);
  EXPECT_EQ(report->connector, "loopback");  // the connector's name, not the bind's
  const auto routed = smsc.lines.wait_for([&id](const json& j) {
    return j.at("event") == "receipt_routed" && j.at("message_id") == id;
  });
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->at("session"), *rx.begin());

  esme.stop();
  EXPECT_TRUE(smsc.lines.wait_for(
      [&](const json& j) { return j.at("event") == "unbind" && j.at("session") == *tx.begin(); }));
  EXPECT_TRUE(smsc.lines.wait_for(
      [&](const json& j) { return j.at("event") == "unbind" && j.at("session") == *rx.begin(); }));
  EXPECT_FALSE(esme.stats().bound);
  EXPECT_FALSE(esme.stats().receiving);
}

// Receipts queue at the SMSC while no receiver is bound; sending goes on, and stats say why.
TEST(SmppBinds, AReceiverThatIsDownDoesNotStopSending) {
  running_simulator smsc;
  auto s = settings_for(smsc.port());
  s.topology = bind_topology::pair;
  s.receiver_port = closed_port();
  client esme(s);
  esme.start();
  ASSERT_TRUE(esme.wait_until(
      [](const client_stats& st) {
        return st.bound && st.per_bind.size() == 2 && st.per_bind[1].connect_failures >= 1;
      },
      generous))
      << esme.stats().last_error;
  EXPECT_TRUE(esme.available());
  const auto stats = esme.stats();
  EXPECT_FALSE(stats.receiving);
  EXPECT_NE(stats.last_error.find("loopback#1 rx: cannot connect"), std::string::npos)
      << stats.last_error;

  const auto sent = esme.submit(message_for("receipt held", "+27821230102"));
  ASSERT_EQ(sent.state, outcome_status::submitted) << sent.reason;
  EXPECT_TRUE(smsc.lines.wait_for(event("receipt_held")));
  esme.stop();
}

// The SMSC keeps a receipt until the ESME acknowledges it: one the ESME took and never answered
// (its connection ended first) comes again on the next bind.
TEST(SmppBinds, AReceiptNeverAcknowledgedComesAgainOnTheNextBind) {
  running_simulator smsc;
  inbox<core::delivery_report> unanswered, again;
  auto s = settings_for(smsc.port());
  s.on_receipt = [&unanswered](core::delivery_report r, client_settings::ack_fn) {
    unanswered.push(std::move(r));  // never acknowledged
  };
  std::string id;
  {
    client esme(s);
    esme.start();
    ASSERT_TRUE(esme.wait_until([](const client_stats& st) { return st.bound; }, generous))
        << esme.stats().last_error;
    const auto sent = esme.submit(message_for("kept until answered", "+27821230103"));
    ASSERT_EQ(sent.state, outcome_status::submitted) << sent.reason;
    const auto first = unanswered.wait_for([](const core::delivery_report&) { return true; });
    ASSERT_TRUE(first);
    id = first->smsc_message_id;
    esme.stop();
  }
  s.on_receipt = [&again](core::delivery_report r, client_settings::ack_fn ack) {
    again.push(std::move(r));
    ack(true);
  };
  client esme(s);
  esme.start();
  EXPECT_TRUE(
      again.wait_for([&id](const core::delivery_report& r) { return r.smsc_message_id == id; }));
  esme.stop();
}

core::queued_message burst_message(int i) {
  return message_for("burst " + std::to_string(i), "+2782124" + std::to_string(1000 + i), "ACME",
                     static_cast<std::uint16_t>(i));
}

std::string burst_destination(int i) { return "2782124" + std::to_string(1000 + i); }

// Submits messages 0..count-1 with submit_async, and those that fail as transient again (as the
// dispatcher would) until all are submitted; returns message -> SMSC id and counts the failures.
std::map<int, std::string> submit_all(client& esme, int count, int& failures) {
  std::map<int, std::string> submitted;
  std::vector<int> due;
  for (int i = 0; i < count; ++i) due.push_back(i);
  for (int round = 0; !due.empty() && round < 20; ++round) {
    inbox<std::pair<int, core::submit_outcome>> outcomes;
    for (const int i : due) {
      esme.submit_async(burst_message(i), [&outcomes, i](core::submit_outcome o) {
        outcomes.push({i, std::move(o)});
      });
    }
    const auto sent = due;
    due.clear();
    for (const int i : sent) {
      const auto got = outcomes.wait_for([i](const auto& o) { return o.first == i; });
      EXPECT_TRUE(got) << "no outcome for message " << i;
      if (!got) return submitted;
      if (got->second.state == outcome_status::submitted) {
        submitted[i] = got->second.smsc_message_ids.at(0);
      } else {
        EXPECT_EQ(got->second.state, outcome_status::transient_failure) << got->second.reason;
        ++failures;
        due.push_back(i);
      }
    }
  }
  return submitted;
}

// Each message exactly once at the SMSC; returns the session each one went on.
std::map<int, int> sessions_of(running_simulator& smsc, const std::map<int, std::string>& ids) {
  std::map<int, int> sessions;
  for (const auto& [i, id] : ids) {
    const auto destination = burst_destination(i);
    EXPECT_EQ(smsc.lines.count_if([&](const json& j) {
      return j.at("event") == "submit_sm" && j.at("destination") == destination;
    }),
              1U)
        << destination;
    const auto part = smsc.lines.wait_for([&id = id](const json& j) {
      return j.at("event") == "submit_sm" && j.at("message_id") == id;
    });
    if (part) sessions[i] = part->at("session").get<int>();
  }
  return sessions;
}

TEST(SmppBinds, ThreeTransceiversShareABurst) {
  running_simulator smsc;
  auto s = settings_for(smsc.port());
  s.binds = 3;
  client esme(s);
  esme.start();
  ASSERT_TRUE(
      esme.wait_until([](const client_stats& st) { return bound_binds(st) == 3; }, generous))
      << esme.stats().last_error;
  const auto first_sessions = sessions_bound_as(smsc, "bind_transceiver");
  ASSERT_EQ(first_sessions.size(), 3U);
  EXPECT_EQ(esme.stats().per_bind[2].label, "loopback#3 trx");

  constexpr int count = 30;
  int failures = 0;
  const auto submitted = submit_all(esme, count, failures);
  ASSERT_EQ(submitted.size(), static_cast<std::size_t>(count));
  EXPECT_EQ(failures, 0);
  const auto sessions = sessions_of(smsc, submitted);
  ASSERT_EQ(sessions.size(), static_cast<std::size_t>(count));
  // All three have the whole window free at first: the first three messages go one to each.
  const std::set<int> first_three{sessions.at(0), sessions.at(1), sessions.at(2)};
  EXPECT_EQ(first_three, first_sessions);

  const auto unbinds_before = smsc.lines.count_if(event("unbind"));
  esme.stop();
  EXPECT_EQ(smsc.lines.count_if(event("unbind")), unbinds_before + 3);
  EXPECT_EQ(bound_binds(esme.stats()), 0U);
}

TEST(SmppBinds, TheOtherBindsCarryOnWhileOneReconnects) {
  running_simulator smsc(0, {}, [](simulator_settings& sim) { sim.drop_after = 10; });
  auto s = settings_for(smsc.port());
  s.binds = 3;
  s.window = 1;  // one outstanding submit per bind: a drop loses only the unanswered one
  client esme(s);
  esme.start();
  ASSERT_TRUE(
      esme.wait_until([](const client_stats& st) { return bound_binds(st) == 3; }, generous))
      << esme.stats().last_error;

  constexpr int count = 30;
  int failures = 0;
  const auto submitted = submit_all(esme, count, failures);
  ASSERT_EQ(submitted.size(), static_cast<std::size_t>(count));
  EXPECT_GE(failures, 1);  // the submit the simulator dropped with its connection
  EXPECT_TRUE(smsc.lines.wait_for(event("dropped_connection")));
  std::set<int> carriers;
  for (const auto& [i, session] : sessions_of(smsc, submitted)) carriers.insert(session);
  EXPECT_GE(carriers.size(), 3U);

  // The dropped binds came back on their own; then stop() unbinds all three.
  ASSERT_TRUE(esme.wait_until(
      [](const client_stats& st) { return bound_binds(st) == 3 && st.binds >= 4; }, generous));
  const auto unbinds_before = smsc.lines.count_if(event("unbind"));
  esme.stop();
  EXPECT_EQ(smsc.lines.count_if(event("unbind")), unbinds_before + 3);
  EXPECT_EQ(bound_binds(esme.stats()), 0U);
}

}  // namespace
}  // namespace mail2sms::smpp
