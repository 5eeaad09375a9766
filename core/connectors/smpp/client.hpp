// An SMPP 3.4 ESME as a core::sms_connector: one or more binds (transceivers, or transmitters with
// receivers), each with its own Asio thread keeping one connection bound, windowed and alive;
// submit() picks a bind and blocks the calling thread until the SMSC answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/connectors/smpp/pdu.hpp"
#include "core/connectors/smpp/receipt.hpp"
#include "core/dispatch/reports.hpp"
#include "core/ports.hpp"

namespace mail2sms::smpp {

// TLS to the SMSC (implicit: the handshake right after the TCP connect, before the bind).
struct client_tls_settings {
  bool enabled = false;
  std::string ca_file;      // PEM CAs to trust; empty: the system's trust store
  bool verify = true;       // check the certificate chain and the server's name
  std::string server_name;  // sent as SNI and checked; empty: host
};

// What one bind is: bind_transceiver, bind_transmitter or bind_receiver.
enum class bind_role { transceiver, transmitter, receiver };

// The connector's binds: `binds` transceivers, or (pair) `binds` transmitters and
// `receiver_binds` receivers with the same credentials.
enum class bind_topology { transceiver, pair };

inline constexpr int max_binds = 32;  // per kind, per connector

struct client_settings {
  std::string name = "smpp";  // the connector's name in routes and logs
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  client_tls_settings tls;
  std::string system_id;    // at most 15 characters
  std::string password;     // at most 8
  std::string system_type;  // at most 12, usually empty
  bind_topology topology = bind_topology::transceiver;
  int binds = 1;                    // transceivers, or in pair mode transmitters (1..max_binds)
  int receiver_binds = 1;           // pair mode: receivers (1..max_binds)
  std::string receiver_host;        // pair mode: where the receivers connect; empty: host
  std::uint16_t receiver_port = 0;  // pair mode: 0: port
  int window = 10;                  // per bind: submit_sm awaiting their response, at most
  std::chrono::milliseconds enquire_link_interval{30'000};  // after this long without traffic
  std::chrono::milliseconds response_timeout{10'000};       // per request; also connect, bind, and
                                                            // how long submit() waits for a bind
  std::chrono::milliseconds reconnect_min{1'000};           // backoff doubles from here...
  std::chrono::milliseconds reconnect_max{60'000};          // ...up to here, with jitter
  std::string default_source;            // source address when a message has no sender id
  double tps = 0;  // segments per second for the connector (one bucket, all binds); 0 = no limit
  std::uint8_t registered_delivery = 1;  // ask for delivery receipts
  bool sar = false;                      // concatenation in SAR TLVs instead of a UDH
  // How the SMSC writes message ids: in submit_sm_resp (and receipted_message_id), and in the
  // receipt text's id: field. Both are normalised so a receipt finds its part.
  id_format submit_id_format = id_format::as_is;
  id_format receipt_id_format = id_format::as_is;
  // ESME_RTHROTTLED / ESME_RMSGQFUL: the segment goes back to the front of the queue and nothing
  // is sent for throttle_pause; after throttle_limit of such answers it fails as transient.
  std::chrono::milliseconds throttle_pause{1'000};
  std::chrono::milliseconds throttle_limit{60'000};

  // deliver_sm (from any bind that receives): a receipt goes to on_receipt, anything else to
  // on_reply, on that bind's I/O thread (keep them short; they must not call stop()). The
  // deliver_sm_resp is sent when the handler calls `ack` (from any thread, while the client
  // exists): ESME_ROK when stored, else ESME_RX_T_APPN so the SMSC sends it again. Without handlers
  // it is acknowledged at once.
  using ack_fn = std::function<void(bool stored)>;
  std::function<void(core::delivery_report, ack_fn)> on_receipt;
  std::function<void(core::inbound_message, ack_fn)> on_reply;
  // Called for every deliver_sm before the two above, after nothing (for tests and tools).
  std::function<void(const deliver_sm&)> on_deliver_sm;
};

// What the connections are doing, for health checks and tests. A connector's stats sum its
// binds' (in per_bind); `bound` is whether it can send.
struct client_stats {
  bool bound = false;  // a bind: it is bound; the connector: a transmitting bind is bound
  std::uint64_t connect_failures = 0;  // TCP connect or TLS handshake (and verification)
  std::uint64_t binds = 0;          // successful
  std::uint64_t bind_failures = 0;  // refused by the SMSC or timed out
  std::string last_error;           // the most recent connection or bind problem (a
                                    // connector of several binds: prefixed with the bind's label)
  std::string label;                // a bind: "smsc1#2 tx" (just "smsc1" for a lone transceiver)
  bind_role role = bind_role::transceiver;  // a bind's
  bool receiving = false;  // the connector: a bind that can receive (deliver_sm) is bound
  std::vector<client_stats> per_bind;  // the connector: each bind's, transmitting binds first
};

class client final : public core::sms_connector {
 public:
  // Throws std::runtime_error when TLS is on and its CA file cannot be loaded (a start-up error).
  explicit client(client_settings settings);
  ~client() override;  // stop()
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Starts the binds' I/O threads, which connect and bind (and reconnect, each with its own
  // backoff) until stop().
  void start();
  // Unbinds every bind cleanly and at once (each waiting at most response_timeout for
  // unbind_resp; over TLS then at most 2 s for the close_notify exchange), fails what is still
  // queued as transient, and joins the I/O threads. Idempotent; not from on_deliver_sm.
  void stop();

  const std::string& name() const override;

  // Thread-safe and blocking. Picks the transmitting bind with the most free window among those
  // bound (all parts of a message go on that one bind, in order), submits every segment (window
  // and tps permitting) and waits for all submit_sm_resp. Not bound within response_timeout, a
  // response timeout, a lost connection, throttling or a full queue -> transient_failure; a refusal
  // such as ESME_RINVDSTADR -> permanent_failure; the SMSC's status name and value are in `reason`.
  // When a part fails, the parts not yet sent are not sent.
  core::submit_outcome submit(const core::queued_message& message) override;
  // The same, without blocking: `done` runs on the client's I/O thread.
  void submit_async(const core::queued_message& message,
                    std::function<void(core::submit_outcome)> done) override;
  // A transmitting bind is bound, or not yet known to be down (within response_timeout of
  // losing its bind). A receiver that is down does not make the connector unavailable.
  bool available() const override;
  // query_sm for the part (its id as the SMSC wrote it in submit_sm_resp, the source address
  // as the submit had it); `done` runs on the client's I/O thread, also when no answer came
  // (not bound, response_timeout, connection lost, stopping).
  void query_async(const core::part_query& part,
                   std::function<void(core::query_result)> done) override;

  client_stats stats() const;
  // Waits until `ready(stats())` holds or `timeout` passed; returns whether it holds.
  bool wait_until(const std::function<bool(const client_stats&)>& ready,
                  std::chrono::milliseconds timeout) const;

  class engine;    // one bind: the Asio side, kept out of this header
  class bind_set;  // the binds, how submits are spread over them, their stats

 private:
  std::unique_ptr<bind_set> binds_;
};

}  // namespace mail2sms::smpp
