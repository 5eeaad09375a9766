// TLS for SMPP sessions: contexts for the ESME (client) and the simulator (server), the server
// name a client expects, a bounded close_notify exchange, and readable handshake failures.
#include "core/connectors/smpp/transport.hpp"

#include "core/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

namespace mail2sms::smpp {

using boost::system::error_code;

void transport::close() {
  error_code ignored;
  if (!socket_.is_open()) return;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<bool> transport::close_gracefully(std::shared_ptr<void> owner,
                                                  std::chrono::milliseconds limit) {
  bool answered = true;
  if (tls_ && socket_.is_open()) {
    asio::steady_timer guard(socket_.get_executor());
    guard.expires_after(limit);
    guard.async_wait([this, owner](error_code e) {
      if (!e) socket_.close(e);  // the peer is silent: async_shutdown ends with an error
    });
    error_code ec;
    co_await tls_->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    guard.cancel();
    answered = !ec;
  }
  close();
  co_return answered;
}

std::unique_ptr<asio::ssl::context> client_tls_context(const std::string& ca_file, bool verify) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls::require_tls_12(*context);
  if (!verify) {
    context->set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  const auto ec = tls::verify_peer_against(*context, ca_file);
  if (ec) {
    throw std::runtime_error(
        "cannot load CA certificates" +
        (ca_file.empty() ? std::string(" (system trust store)") : " from " + ca_file) + ": " +
        ec.message());
  }
  return context;
}

std::unique_ptr<asio::ssl::context> server_tls_context(const std::string& cert_file,
                                                       const std::string& key_file) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls::require_tls_12(*context);
  error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw std::runtime_error("cannot load the certificate " + cert_file + ": " + ec.message());
  context->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load the key " + key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(context->native_handle()) != 1)
    throw std::runtime_error("the key " + key_file + " does not match " + cert_file);
  return context;
}

void expect_server(transport::tls_stream& stream, const std::string& server_name, bool verify) {
  SSL* ssl = stream.native_handle();
  error_code not_an_address;
  asio::ip::make_address(server_name, not_an_address);
  // RFC 6066: SNI carries host names only.
  if (not_an_address) SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (!verify) return;
  // OpenSSL checks the name during the chain's verification, so a mismatch fails the handshake
  // with X509_V_ERR_HOSTNAME_MISMATCH (or IP_ADDRESS_MISMATCH), which describe_tls_failure names.
  if (not_an_address) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, server_name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str());
  }
}

std::string describe_tls_failure(const error_code& ec, transport::tls_stream& stream) {
  std::string reason = ec.message();
  const bool verify_failed =
      ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  const long verified = SSL_get_verify_result(stream.native_handle());
  if (verify_failed && verified != X509_V_OK)
    reason += std::string(": ") + X509_verify_cert_error_string(verified);
  return reason;
}

}  // namespace mail2sms::smpp
