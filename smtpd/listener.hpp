// The SMTP server: listeners (plain with STARTTLS, implicit TLS) that accept connections and
// start one session coroutine each, connection limits, and a registry of live sessions so that
// shutdown can tell them and, after a grace period, close them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "smtpd/session.hpp"

namespace mail2sms::smtpd {

// Recipients and senders checked against the account's settings (core::policy): numbers read in
// its default country, contact groups, destination countries and number types, allowed senders.
class account_resolver final : public recipient_resolver {
 public:
  result<std::vector<std::string>, std::string> resolve(std::string_view local_part,
                                                        const authenticated_account& account,
                                                        std::size_t most) const override;
  std::string check_sender(std::string_view reverse_path,
                           const authenticated_account& account) const override;
};

// TLS 1.2+ with the server's cipher preference, from PEM files. Throws std::runtime_error
// naming the file when a certificate or key cannot be loaded.
std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                     const std::string& key_file);

struct connection_limits {
  std::size_t total = 1000;
  std::size_t per_ip = 20;
};

class server {
 public:
  // tls may be null: then no STARTTLS and no implicit-TLS listeners.
  server(asio::io_context& io, protocol_settings settings, std::shared_ptr<asio::ssl::context> tls,
         connection_limits limits, session_services& services);

  // Binds now (throws boost::system::system_error naming the address when it cannot) and
  // accepts until stop(). Returns the bound port (useful with port 0). plaintext_auth: a plain
  // listener that offers AUTH before TLS (a port only a trusted network reaches).
  std::uint16_t listen(const std::string& host, std::uint16_t port, bool implicit_tls,
                       bool plaintext_auth = false);
  // Stop accepting; idle sessions are told 421 and closed, transactions in flight may finish
  // within `grace`; whatever is left then is closed.
  void shutdown(std::chrono::seconds grace);
  // New sessions use this certificate; sessions already open keep theirs.
  void replace_tls(std::shared_ptr<asio::ssl::context> tls);
  std::size_t session_count() const;

  // Connections over the limits of an implicit-TLS listener that may wait on their handshakes
  // at once, to be told 421 inside TLS; each holds a descriptor meanwhile.
  static constexpr std::size_t max_tls_refusals = 64;

 private:
  asio::awaitable<void> accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor,
                                    bool implicit_tls, bool plaintext_auth);
  // Registers a session unless a limit is reached; returns the refusal text otherwise.
  std::string admit(const std::shared_ptr<session>& s);
  void release(const std::shared_ptr<session>& s);
  // An implicit-TLS connection over a limit, told so after a handshake: registered unless
  // max_tls_refusals are already waiting on theirs, or max_tls_refusals_per_ip of its client's
  // (or the server is stopping).
  bool admit_refusal(const std::shared_ptr<session>& s);
  void release_refusal(const std::shared_ptr<session>& s);

  static constexpr std::size_t max_tls_refusals_per_ip = 4;
  static constexpr std::chrono::seconds tls_refusal_timeout{10};

  asio::io_context& io_;
  protocol_settings settings_;
  connection_limits limits_;
  session_services& services_;
  asio::steady_timer grace_timer_;
  mutable std::mutex mutex_;
  std::shared_ptr<asio::ssl::context> tls_;      // guarded by mutex_
  std::shared_ptr<asio::ssl::context> no_tls_;   // a stream needs a context even without TLS
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::set<std::shared_ptr<session>> sessions_;
  std::set<std::shared_ptr<session>> refusing_;  // implicit-TLS refusals in their handshake
  std::map<std::string, std::size_t> refusing_per_ip_;
  std::map<std::string, std::size_t> per_ip_;
  bool stopping_ = false;
};

}  // namespace mail2sms::smtpd
