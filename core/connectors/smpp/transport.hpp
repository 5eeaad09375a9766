// The byte stream under an SMPP session, either side: a TCP socket, or TLS over it. Plain reads
// and writes go straight to the socket (a branch, no extra layer or copy); TLS ones through an
// asio::ssl::stream that borrows the socket.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace mail2sms::smpp {

namespace asio = boost::asio;

class transport {
 public:
  using tls_stream = asio::ssl::stream<asio::ip::tcp::socket&>;

  // A socket to connect, or one accepted.
  explicit transport(asio::io_context& io) : socket_(io) {}
  explicit transport(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  asio::ip::tcp::socket& socket() { return socket_; }
  // From here on, reads and writes are TLS (handshake first, through tls()).
  void use_tls(asio::ssl::context& context) { tls_.emplace(socket_, context); }
  tls_stream* tls() { return tls_ ? &*tls_ : nullptr; }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Token>(token));
    return socket_.async_read_some(buffers, std::forward<Token>(token));
  }

  template <class Buffers, class Token>
  auto async_write(const Buffers& buffers, Token&& token) {
    if (tls_) return asio::async_write(*tls_, buffers, std::forward<Token>(token));
    return asio::async_write(socket_, buffers, std::forward<Token>(token));
  }

  // Ends the TCP connection at once (no TLS close_notify); errors are ignored. Idempotent.
  void close();

  // TLS: sends close_notify and waits at most `limit` for the peer's, then closes; returns
  // whether the peer answered with its own close_notify. Plain TCP: closes, returns true.
  // `owner` keeps this transport alive until the guard timer's handler has run.
  asio::awaitable<bool> close_gracefully(std::shared_ptr<void> owner,
                                         std::chrono::milliseconds limit);

 private:
  asio::ip::tcp::socket socket_;
  std::optional<tls_stream> tls_;  // after socket_: destroyed first
};

// TLS 1.2 or later. verify: the server's chain is checked against ca_file (PEM; empty: the
// system's trust store). Throws std::runtime_error when ca_file cannot be loaded.
std::unique_ptr<asio::ssl::context> client_tls_context(const std::string& ca_file, bool verify);
// TLS 1.2 or later, with this PEM certificate chain and key. Throws std::runtime_error when they
// cannot be loaded or do not match.
std::unique_ptr<asio::ssl::context> server_tls_context(const std::string& cert_file,
                                                       const std::string& key_file);

// Before the client handshake: SNI (for a DNS name; an IP address is not sent) and, when
// verify, the name (or IP address) the certificate must carry.
void expect_server(transport::tls_stream& stream, const std::string& server_name, bool verify);

// Why a handshake failed, with OpenSSL's verification result when that was the cause:
// "certificate verify failed: hostname mismatch".
std::string describe_tls_failure(const boost::system::error_code& ec,
                                 transport::tls_stream& stream);

}  // namespace mail2sms::smpp
