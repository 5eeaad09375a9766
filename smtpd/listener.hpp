// The SMTP server: listeners (plain with STARTTLS, implicit TLS) that accept connections and
// start one session coroutine each, and a registry of live sessions so stop() can close them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "smtpd/session.hpp"

namespace mail2sms::smtpd {

// The account's default country reads national numbers; the rest is libphonenumber's.
class phone_number_resolver final : public recipient_resolver {
 public:
  result<std::string, std::string> to_e164(std::string_view local_part,
                                           const authenticated_account& account) const override;
};

// TLS 1.2+ with the server's cipher preference, from PEM files. Throws std::runtime_error
// naming the file when a certificate or key cannot be loaded.
std::unique_ptr<asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                     const std::string& key_file);

class server {
 public:
  // tls may be null: then no STARTTLS and no implicit-TLS listeners.
  server(asio::io_context& io, protocol_settings settings, asio::ssl::context* tls,
         session_services& services);

  // Binds now (throws boost::system::system_error naming the address when it cannot) and
  // accepts until stop(). Returns the bound port (useful with port 0).
  std::uint16_t listen(const std::string& host, std::uint16_t port, bool implicit_tls);
  void stop();  // close the listeners and every session
  std::size_t session_count() const;

 private:
  asio::awaitable<void> accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor,
                                    bool implicit_tls);

  asio::io_context& io_;
  protocol_settings settings_;
  asio::ssl::context* tls_;
  asio::ssl::context no_tls_;  // a stream needs a context even when it never handshakes
  session_services& services_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::set<std::shared_ptr<session>> sessions_;
  bool stopped_ = false;
};

}  // namespace mail2sms::smtpd
