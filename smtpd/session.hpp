// One SMTP connection: moves bytes between the socket (plain or TLS) and the pure protocol,
// performs its actions, and runs the blocking questions (AUTH, storing) on the worker pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "core/acceptance.hpp"
#include "core/ports.hpp"
#include "smtpd/account_cache.hpp"
#include "smtpd/auth_limiter.hpp"
#include "smtpd/postmaster_budget.hpp"
#include "smtpd/protocol.hpp"

namespace mail2sms::smtpd {

namespace asio = boost::asio;

// What every session of a server shares: read-only settings and thread-safe services.
struct session_services {
  core::account_directory& accounts;
  account_cache& known_accounts;  // what accounts' networks and certificates answered lately
  core::acceptance& acceptance;
  const recipient_resolver& resolver;
  asio::thread_pool& blocking;  // database lookups: client networks
  asio::thread_pool& hashing;   // argon2id verification, so a login storm cannot delay stores
  asio::thread_pool& converting;  // large mails to SMS text (small ones: on the I/O thread)
  auth_limiter& auth_failures;
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{180};
  std::chrono::seconds session_timeout{3600};
  // The longest a session waits for the database (through a pool): an AUTH, a mail for the
  // postmaster; then a temporary failure. Account look-ups at connect wait at most 10 s of it.
  std::chrono::seconds database_timeout{60};
  // Where mail to the postmaster is kept (see protocol_settings::postmaster; the database is
  // reached on `blocking`).
  core::postmaster_mailbox* postmaster = nullptr;
  postmaster_budget* postmaster_limit = nullptr;  // per client address and hour; null: none
};

class session : public std::enable_shared_from_this<session> {
 public:
  // tls is kept alive by the session: a certificate reload only affects later sessions.
  session(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
          protocol_settings settings, session_services& services);

  asio::awaitable<void> run();
  // From any thread: the server's grace period is over. The session ends at its next suspension
  // point (a commit in flight is waited for and answered first), telling the client 421 4.3.2
  // where it can still be told without waiting on it.
  void cut();
  void shutdown();  // from any thread: the server is stopping (see protocol::on_shutdown)
  // Instead of run(): a connection over a limit gets `reply` and is closed. On an implicit-TLS
  // listener it is closed at once (a client there cannot read plaintext); refuse_over_tls
  // completes the handshake first (within `timeout`) and sends the reply inside TLS, as
  // Postfix's smtpd in wrapper mode does, so the client can say why it was turned away.
  void refuse(const std::string& reply);
  asio::awaitable<void> refuse_over_tls(std::string reply, std::chrono::seconds timeout);
  const std::string& peer() const { return peer_; }
  // What the per-client connection limit counts it by (smtpd/client_key.hpp), made once.
  const std::string& client_key() const { return client_key_; }
  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  asio::awaitable<void> converse();  // run()'s part: the client's network, TLS, the commands
  // The end of run() and refuse_over_tls(), however they end: the deadline and the watchdog
  // hold the session (and would keep its socket open, uncounted by any limit), so both are
  // cancelled, and the socket closed.
  void let_go();
  asio::awaitable<void> perform(actions todo);
  actions stopping_news();
  asio::awaitable<bool> write(const std::string& text);
  // The next input, or an empty view at EOF, error, timeout or a wake-up. The view is valid
  // until the session next suspends: use it before any co_await.
  asio::awaitable<std::string_view> read_input();
  // The timeout of one wait for the client (a read, a handshake), kept lazily: start_wait notes
  // when the wait must end, end_wait that it did; one watchdog timer wakes when the pending
  // wait's limit may have passed and sleeps again if it has not. A busy session touches the
  // timer about once per timeout, not twice per command.
  void start_wait(std::chrono::seconds timeout);
  void end_wait() { waiting_ = false; }
  void watch();
  asio::awaitable<bool> handshake();  // tls_handshake, then the client certificate's account
  asio::awaitable<bool> tls_handshake(std::chrono::seconds timeout);
  asio::awaitable<void> pause(std::chrono::milliseconds delay);
  asio::awaitable<void> trust_client_network();
  asio::awaitable<void> trust_client_certificate();
  authenticated_account identity() const;  // account_, for the protocol
  // How long the account look-ups made at connect (client network, certificate) wait: 10 s, or
  // less where database_timeout is. The greeting waits for them.
  std::chrono::steady_clock::duration lookup_limit() const {
    return std::min<std::chrono::steady_clock::duration>(services_.database_timeout,
                                                         std::chrono::seconds(10));
  }
  asio::awaitable<auth_result> verify(const verify_credentials& request);
  asio::awaitable<store_result> store(const store_message& request);
  asio::awaitable<store_result> store_for_postmaster(const store_message& request);
  asio::awaitable<core::acceptance_verdict> accept(const core::acceptance_request& req);

  std::shared_ptr<asio::ssl::context> tls_context_;  // before tls_, which refers to it
  asio::ip::tcp::socket socket_;
  // Made at the TLS handshake, not before: an SSL stream holds ~70 KiB of buffers, and most
  // connections of an idle or plaintext-trusted listener never need one.
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::vector<char> tls_input_;
  asio::steady_timer timer_;     // the watchdog of the wait for the client
  asio::steady_timer deadline_;  // the whole session
  asio::steady_timer delay_;     // answering failed AUTH slowly
  session_services& services_;
  protocol protocol_;
  std::chrono::steady_clock::time_point wait_until_{};  // when the pending wait times out
  std::uint64_t watch_generation_ = 0;  // only the newest watchdog handler acts
  bool waiting_ = false;                // a wait for the client is pending
  bool watching_ = false;               // the watchdog is armed
  bool timed_out_ = false;
  bool deadline_passed_ = false;
  bool shutdown_requested_ = false;
  bool shutdown_told_ = false;
  bool cut_ = false;
  bool implicit_tls_ = false;
  std::string hostname_;                          // [smtp] hostname: the "by" of a Received field
  std::shared_ptr<const core::account> account_;  // who the session sends as, once known
  std::string peer_;
  std::string client_key_;
};

}  // namespace mail2sms::smtpd
