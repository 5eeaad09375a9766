// An SMPP 3.4 SMSC simulator for tests and for trying mail2sms without an operator: accepts binds,
// acknowledges submit_sm, sends delivery receipts, and reports every message as a JSON line.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/connectors/smpp/pdu.hpp"
#include "core/result.hpp"

namespace boost::asio {
class io_context;
}

namespace mail2sms::smpp {

struct simulator_settings {
  std::string host = "127.0.0.1";  // address to listen on
  std::uint16_t port = 2775;       // 0: any free port, see simulator::port()
  std::string system_id;           // the credentials ESMEs must bind with
  std::string password;
  // Implicit TLS (PEM files; both or neither): every connection starts with a TLS handshake. It
  // adds the events tls (protocol, server_name: the SNI asked for), tls_failed (reason) and
  // tls_closed (close_notify: whether the ESME answered ours after unbind).
  std::string tls_cert;
  std::string tls_key;
  // when a submit_sm asks for one (registered_delivery); off, query_sm still answers with the
  // state the receipt would have had (ENROUTE until receipt_delay passed)
  bool delivery_receipts = true;
  std::chrono::seconds inactivity_timeout{300};  // an ESME silent this long is disconnected
  // Receives each JSON line (without its newline) on the simulator's I/O thread: first
  // {"event":"listening","host":..,"port":N}, then bind, submit_sm (with the sequence number it
  // came with), submit_sm_refused, message, query_sm, unbind, receipt_held and receipt_routed (a
  // receipt sent on another bind than its submit) events (bind, submit_sm, unbind and
  // dropped_connection name the connection: "session":N). When empty, the lines go to stdout, one
  // per line, flushed. Binds may be transmitter, receiver or transceiver; receipts go to a bind of
  // the submitter's system_id that receives (held until one binds), never to a transmitter.
  std::function<void(const std::string&)> output;
  // The command_status to answer a submit_sm with (0 accepts it); for tests of refusals and
  // throttling. When empty, every well-formed submit_sm is accepted.
  std::function<std::uint32_t(const submit_sm&)> submit_status;
  bool stop_on_signals = false;  // SIGINT/SIGTERM stop run() (for the CLI)

  // Failure modes and timing, for tests and for trying a setup against a difficult SMSC.
  std::chrono::milliseconds receipt_delay{0};   // between submit_sm_resp and the receipt
  std::chrono::milliseconds response_delay{0};  // before each submit_sm_resp
  unsigned throttle_every = 0;    // every Nth submit_sm gets ESME_RTHROTTLED (0: never)
  unsigned queue_full_every = 0;  // every Nth submit_sm gets ESME_RMSGQFUL (0: never)
  unsigned drop_after = 0;        // close the connection on the Nth submit_sm, unanswered
  bool never_respond = false;     // accept submit_sm but never answer it
  std::string receipt_state = "DELIVRD";  // the stat: (and message_state) receipts report
};

// `mail2sms smsc-sim --listen HOST:PORT --system-id ID --password PW`: the settings those three
// values give, or a sentence saying what is wrong with them. "[::1]:2775" is accepted for IPv6.
result<simulator_settings, std::string> simulator_settings_from(std::string_view listen,
                                                                std::string system_id,
                                                                std::string password);

class simulator {
 public:
  // With its own io_context, driven by run(). Listens from here on (throws std::system_error
  // when the endpoint cannot be bound, std::runtime_error when the TLS files cannot be loaded:
  // start-up errors).
  explicit simulator(simulator_settings settings);
  // On the caller's io_context, driven by whoever runs it.
  simulator(boost::asio::io_context& io, simulator_settings settings);
  ~simulator();  // stop(), and with its own io_context waits for it to wind down
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  std::uint16_t port() const;  // the bound port (useful with port 0)

  // Own io_context only: serves until stop() (or a signal, with stop_on_signals).
  void run();
  // Closes the listener and every ESME connection. Thread-safe, idempotent.
  void stop();
  // Sends a mobile-originated message (deliver_sm, GSM or UCS-2 as the text needs) to one
  // receiver or transceiver bound now (dropped when there is none). Thread-safe.
  void inject_reply(std::string source, std::string destination, std::string text);

  class impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace mail2sms::smpp
