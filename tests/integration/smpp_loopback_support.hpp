// What the SMPP loopback tests share: the simulator on its own thread (port 0) with its JSON
// lines collected, client settings for it, and messages to submit.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "core/connectors/smpp/client.hpp"
#include "core/connectors/smpp/simulator.hpp"
#include "core/sms/sms.hpp"
#include "inbox.hpp"

namespace mail2sms::smpp::loopback {

using namespace std::chrono_literals;
using json = nlohmann::json;

inline constexpr auto generous = 20s;  // an upper bound for things that take milliseconds

class running_simulator {
 public:
  // `adjust` sets failure modes and the like before the simulator starts.
  explicit running_simulator(std::uint16_t port = 0,
                             std::function<std::uint32_t(const submit_sm&)> policy = {},
                             const std::function<void(simulator_settings&)>& adjust = {}) {
    simulator_settings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.system_id = "esme";
    s.password = "secret";
    s.output = [this](const std::string& line) { lines.push(json::parse(line)); };
    s.submit_status = std::move(policy);
    if (adjust) adjust(s);
    sim_.emplace(std::move(s));
    thread_ = std::thread([this] { sim_->run(); });
  }
  ~running_simulator() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    sim_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return sim_->port(); }

  testing::inbox<json> lines;

 private:
  std::optional<simulator> sim_;
  std::thread thread_;
};

inline client_settings settings_for(std::uint16_t port, std::string password = "secret") {
  client_settings s;
  s.name = "loopback";
  s.host = "127.0.0.1";
  s.port = port;
  s.system_id = "esme";
  s.password = std::move(password);
  s.window = 4;
  s.response_timeout = 2s;
  s.enquire_link_interval = 200ms;
  s.reconnect_min = 20ms;
  s.reconnect_max = 200ms;
  s.default_source = "Alerts";
  return s;
}

inline core::queued_message message_for(const std::string& text,
                                        std::string recipient = "+27821234567",
                                        std::string sender = "ACME",
                                        std::uint16_t reference = 0x2A) {
  const auto encoded = sms::encode(text, {reference, false});
  core::queued_message m;
  m.id = 1;
  m.queue_id = "q-" + std::to_string(reference);
  m.recipient = std::move(recipient);
  m.sender_id = std::move(sender);
  m.coding = encoded.coding;
  m.segments = encoded.segments;
  return m;
}

inline std::function<bool(const json&)> message_to(const std::string& destination) {
  return [destination](const json& j) {
    return j.at("event") == "message" && j.at("destination") == destination;
  };
}

inline bool is_bound(const client_stats& s) { return s.bound; }

}  // namespace mail2sms::smpp::loopback
