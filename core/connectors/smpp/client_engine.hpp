// The Asio side of one bind of smpp::client (internal): one I/O thread, one connection at a time,
// a queue of segments waiting for the window and the connector's token bucket, and the requests
// awaiting responses.
// Everything below `io thread only` is touched only by handlers running on io_.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/connectors/smpp/client.hpp"
#include "core/connectors/smpp/sequence_numbers.hpp"
#include "core/connectors/smpp/token_bucket.hpp"
#include "core/connectors/smpp/transport.hpp"

namespace mail2sms::smpp {

namespace asio = boost::asio;
using steady_clock = std::chrono::steady_clock;

// Completion for co_spawn: a coroutine that throws has a bug; let it end the I/O thread loudly.
inline void rethrow_on_error(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// What one segment came to.
struct segment_result {
  enum class kind { ok, transient, permanent };
  kind what = kind::transient;
  std::string message_id;
  std::string reason;
};

// One submit() call: resolved when every one of its segments has a result.
struct pending_message {
  pending_message(std::size_t parts, std::function<void(core::submit_outcome)> on_done)
      : done(std::move(on_done)), ids(parts), remaining(parts) {}
  std::function<void(core::submit_outcome)> done;  // called once, on the I/O thread
  std::vector<std::string> ids;
  std::size_t remaining;
  bool failed = false;
  bool permanent = false;
  bool purged = false;  // its unsent segments were dropped after the first failure
  std::string reason;
};

struct segment_job {
  std::shared_ptr<pending_message> message;
  std::size_t index = 0;
  submit_sm body;
  steady_clock::time_point queued_at;
  std::optional<steady_clock::time_point> throttled_since;  // first ESME_RTHROTTLED/RMSGQFUL
  // The sequence_number the dispatcher recorded for this segment (every send of it in this
  // claim uses it); 0: none given, the client takes one of its own.
  std::uint32_t sequence = 0;
};

// A query_sm's caller: the response, or nullptr and why none came.
using query_handler = std::function<void(const pdu* response, const std::string& why)>;

// A request we sent and whose response we await.
struct outstanding_request {
  command_id command = command_id::submit_sm;
  std::optional<segment_job> job;  // submit_sm only
  steady_clock::time_point deadline;
  query_handler answer;  // query_sm only
};

struct connection {
  explicit connection(asio::io_context& io);
  transport link;                   // TCP, or TLS over it
  asio::steady_timer write_signal;  // cancelled to wake the writer
  std::deque<std::vector<std::uint8_t>> outbox;
  std::vector<std::uint8_t> inbox;
  std::unordered_map<std::uint32_t, outstanding_request> requests;
  steady_clock::time_point last_received;
  int submits_in_flight = 0;
  bool enquire_link_outstanding = false;
  bool bound = false;
  bool unbinding = false;  // we sent unbind
  bool closing = false;    // close once the outbox is flushed (the SMSC unbound us)
  bool closed = false;
  bool writing = false;      // the writer has a write in flight
  bool tls_goodbye = false;  // closed after unbind_resp: TLS close_notify before the socket
};

// Which bind an engine is, and what it shares with the connector's other binds. The engine's
// settings.name is the bind's label (what its log lines and stats say); reports carry `connector`.
struct bind_spec {
  bind_role role = bind_role::transceiver;
  std::string connector;                 // the connector's name
  std::shared_ptr<token_bucket> tokens;  // the connector's tps
  std::function<void()> stats_changed;   // after each change of this bind's stats, any thread
};

class client::engine {
 public:
  engine(client_settings settings, bind_spec bind);
  ~engine();

  void start();
  void stop();
  core::submit_outcome submit(const core::queued_message& message);
  void submit_async(const core::queued_message& message,
                    std::function<void(core::submit_outcome)> done);
  // Sends `body` on the bound connection; `answer` runs once on the I/O thread.
  void query_async(query_sm body, query_handler answer);
  bool available() const;
  const client_settings& settings() const { return settings_; }
  bool on_io_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  client_stats stats() const;
  bool wait_until(const std::function<bool(const client_stats&)>& ready,
                  std::chrono::milliseconds timeout) const;

 private:
  // Connection lifecycle (client_engine.cpp).
  asio::awaitable<void> run_sessions();
  asio::awaitable<bool> run_connection(std::shared_ptr<connection> c);
  asio::awaitable<bool> connect(std::shared_ptr<connection> c);
  asio::awaitable<bool> handshake(std::shared_ptr<connection> c);
  asio::awaitable<bool> bind(std::shared_ptr<connection> c);
  asio::awaitable<std::optional<pdu>> next_pdu(connection& c);
  asio::awaitable<void> writer(std::shared_ptr<connection> c);
  asio::awaitable<void> housekeeping();
  void check_connection(connection& c, steady_clock::time_point now);
  void handle(connection& c, const pdu& message);
  void handle_response(connection& c, const pdu& message);
  void handle_deliver_sm(connection& c, std::uint32_t sequence, const deliver_sm& body,
                         command_id response);
  client_settings::ack_fn ack_for(std::uint32_t sequence, command_id response);
  bool throttled(segment_job& job, std::uint32_t status_value);
  // `given`: the number to send it with (a segment's, not outstanding on `c`); 0: one of ours.
  std::uint32_t send_request(connection& c, command_id command, pdu_body body,
                             std::uint32_t given = 0);
  void send_response(connection& c, command_id command, std::uint32_t sequence,
                     std::uint32_t status, pdu_body body);
  void close(connection& c, const std::string& why);
  void begin_stop();
  std::chrono::milliseconds next_backoff(std::chrono::milliseconds& backoff);
  void note_problem(const std::string& what, bool bind_failure);

  // Segment queue (client_queue.cpp).
  void enqueue(const std::shared_ptr<pending_message>& message, std::vector<submit_sm> parts,
               std::uint32_t first_sequence);
  void pump();
  void complete(const segment_job& job, const segment_result& result);
  std::size_t remove_queued(const std::shared_ptr<pending_message>& message);
  void expire_queued(steady_clock::time_point now);
  void fail_queued(const std::string& reason);
  void arm_token_timer();

  void update_stats(const std::function<void(client_stats&)>& change);

  const client_settings settings_;
  const bind_spec bind_;
  const std::chrono::milliseconds tick_;
  const std::unique_ptr<asio::ssl::context> tls_;  // null: plain TCP
  asio::io_context io_;
  std::thread thread_;

  std::mutex stop_mutex_;  // serialises stop()
  mutable std::mutex life_mutex_;
  enum class life { idle, running, stopping, stopped } life_ = life::idle;

  mutable std::mutex stats_mutex_;
  mutable std::condition_variable stats_changed_;
  client_stats stats_;

  // io thread only
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer backoff_timer_;
  asio::steady_timer tick_timer_;
  asio::steady_timer token_timer_;
  bool token_timer_armed_ = false;
  steady_clock::time_point paused_until_;  // after ESME_RTHROTTLED / ESME_RMSGQFUL
  std::shared_ptr<connection> conn_;
  std::deque<segment_job> queue_;
  steady_clock::time_point unbound_since_;
  own_sequences own_sequences_;
  bool stopping_ = false;
  std::minstd_rand jitter_;
};

}  // namespace mail2sms::smpp
