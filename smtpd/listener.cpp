// Accept loops and the session registry.
#include "smtpd/listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "core/phone/phone.hpp"

namespace mail2sms::smtpd {

result<std::string, std::string> phone_number_resolver::to_e164(
    std::string_view local_part, const authenticated_account& account) const {
  return phone::to_e164(local_part, account.country);
}

std::unique_ptr<asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                     const std::string& key_file) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) throw std::runtime_error("cannot load TLS certificate " + cert_file + ": " + ec.message());
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load TLS key " + key_file + ": " + ec.message());
  return ctx;
}

server::server(asio::io_context& io, protocol_settings settings, asio::ssl::context* tls,
               session_services& services)
    : io_(io),
      settings_(std::move(settings)),
      tls_(tls),
      no_tls_(asio::ssl::context::tls_server),
      services_(services) {}

std::uint16_t server::listen(const std::string& host, std::uint16_t port, bool implicit_tls) {
  if (implicit_tls && tls_ == nullptr)
    throw std::runtime_error("an implicit-TLS listener needs a certificate");
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), port);
  auto acceptor = std::make_shared<asio::ip::tcp::acceptor>(io_);
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  const auto bound = acceptor->local_endpoint().port();
  {
    std::lock_guard lock(mutex_);
    acceptors_.push_back(acceptor);
  }
  asio::co_spawn(io_, accept_loop(acceptor, implicit_tls), asio::detached);
  spdlog::info("smtp: listening on {}:{}{}", host, bound, implicit_tls ? " (implicit TLS)" : "");
  return bound;
}

asio::awaitable<void> server::accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor,
                                          bool implicit_tls) {
  protocol_settings settings = settings_;
  settings.tls_active = implicit_tls;
  settings.starttls_available = tls_ != nullptr && !implicit_tls;
  asio::ssl::context* ctx = tls_ != nullptr ? tls_ : &no_tls_;
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor->async_accept(asio::make_strand(io_),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: say so and keep accepting.
      spdlog::warn("smtp: accept failed: {}", ec.message());
      continue;
    }
    auto s = std::make_shared<session>(std::move(socket), ctx, settings, services_);
    {
      std::lock_guard lock(mutex_);
      if (stopped_) co_return;
      sessions_.insert(s);
    }
    auto executor = s->executor();
    asio::co_spawn(executor, s->run(), [this, s](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("smtp: session ended by an exception: {}", ex.what());
        }
      }
      std::lock_guard lock(mutex_);
      sessions_.erase(s);
    });
  }
}

void server::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& a : acceptors_) {
    asio::post(io_, [a] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  for (auto& s : sessions_) s->close();
}

std::size_t server::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace mail2sms::smtpd
