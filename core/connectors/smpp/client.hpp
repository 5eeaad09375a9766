// An SMPP 3.4 ESME (bind_transceiver) as a core::sms_connector: its own Asio thread keeps one
// connection bound, windowed and alive; submit() blocks the calling thread until the SMSC answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/connectors/smpp/pdu.hpp"
#include "core/ports.hpp"

namespace mail2sms::smpp {

struct client_settings {
  std::string name = "smpp";  // the connector's name in routes and logs
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  std::string system_id;    // at most 15 characters
  std::string password;     // at most 8
  std::string system_type;  // at most 12, usually empty
  int window = 10;          // submit_sm awaiting their response, at most
  std::chrono::milliseconds enquire_link_interval{30'000};  // after this long without traffic
  std::chrono::milliseconds response_timeout{10'000};       // per request; also connect, bind, and
                                                            // how long submit() waits for a bind
  std::chrono::milliseconds reconnect_min{1'000};           // backoff doubles from here...
  std::chrono::milliseconds reconnect_max{60'000};          // ...up to here, with jitter
  std::string default_source;            // source address when a message has no sender id
  double tps = 0;                        // segments per second (token bucket); 0 = no limit
  std::uint8_t registered_delivery = 1;  // ask for delivery receipts
  // Called on the client's I/O thread for every deliver_sm (receipts, replies), after the
  // deliver_sm_resp was queued. Keep it short; it must not call stop().
  std::function<void(const deliver_sm&)> on_deliver_sm;
};

// What the connection is doing, for health checks and tests.
struct client_stats {
  bool bound = false;
  std::uint64_t connect_failures = 0;
  std::uint64_t binds = 0;          // successful
  std::uint64_t bind_failures = 0;  // refused by the SMSC or timed out
  std::string last_error;           // the most recent connection or bind problem
};

class client final : public core::sms_connector {
 public:
  explicit client(client_settings settings);
  ~client() override;  // stop()
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Starts the I/O thread, which connects and binds (and reconnects) until stop().
  void start();
  // Unbinds cleanly (waiting at most response_timeout for unbind_resp), fails what is still
  // queued as transient, and joins the I/O thread. Idempotent; not from on_deliver_sm.
  void stop();

  const std::string& name() const override;

  // Thread-safe and blocking. Submits every segment (window and tps permitting) and waits for all
  // submit_sm_resp. Not bound within response_timeout, a response timeout, a lost connection,
  // throttling or a full queue -> transient_failure; a refusal such as ESME_RINVDSTADR ->
  // permanent_failure; the SMSC's status name and value are in `reason`. When a part fails, the
  // parts not yet sent are not sent.
  core::submit_outcome submit(const core::queued_message& message) override;

  client_stats stats() const;
  // Waits until `ready(stats())` holds or `timeout` passed; returns whether it holds.
  bool wait_until(const std::function<bool(const client_stats&)>& ready,
                  std::chrono::milliseconds timeout) const;

  class engine;  // the Asio side, kept out of this header

 private:
  std::unique_ptr<engine> engine_;
};

}  // namespace mail2sms::smpp
