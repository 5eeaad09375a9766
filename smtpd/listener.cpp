// Accept loops, connection limits and the session registry.
#include "smtpd/listener.hpp"

#include "core/tls_context.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "core/phone/phone.hpp"
#include "core/policy/recipients.hpp"

namespace mail2sms::smtpd {

result<std::vector<std::string>, std::string> account_resolver::resolve(
    std::string_view local_part, const authenticated_account& account, std::size_t most) const {
  if (account.profile) return core::policy::resolve_recipient(local_part, *account.profile, most);
  // An account known only by name and country (never in a running server): numbers only.
  auto number = phone::to_e164(local_part, account.country);
  if (!number) return fail("550 5.1.1 " + number.error());
  return std::vector<std::string>{std::move(*number)};
}

std::string account_resolver::check_sender(std::string_view reverse_path,
                                           const authenticated_account& account) const {
  if (!account.profile || core::policy::sender_allowed(reverse_path, *account.profile)) return {};
  return "553 5.7.1 <" + std::string(reverse_path) +
         "> is not a sender address this account may use (see its allowed senders)";
}

namespace {

// Any certificate a client presents is taken: it is not trusted for its chain but looked up by
// its fingerprint (account_certificates), so self-signed appliance certificates work.
int accept_any_client_certificate(int, X509_STORE_CTX*) { return 1; }

// What ended a session's (or a refusal's) coroutine by an exception, in the log.
void log_exception(const session& s, std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("smtp {}: {} ended by an exception: {}", s.peer(), what, ex.what());
  } catch (...) {
    spdlog::error("smtp {}: {} ended by an exception", s.peer(), what);
  }
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                     const std::string& key_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  tls::require_tls_12(*ctx);
  ctx->set_options(asio::ssl::context::single_dh_use);
  // No renegotiation: a client that asks for a new handshake on an open connection gets a
  // no_renegotiation alert (each handshake costs the server a key exchange; asked again and
  // again on one connection it would cost CPU past every connection limit, CVE-2011-1473).
  // OpenSSL 3 refuses a client's renegotiation by default; this says so and refuses ours too.
  SSL_CTX_set_options(ctx->native_handle(),
                      SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  // Ask for a client certificate (an appliance may identify its account by one); clients
  // without one go on as before.
  SSL_CTX_set_verify(ctx->native_handle(), SSL_VERIFY_PEER, accept_any_client_certificate);
  static const unsigned char session_context[] = "mail2sms-smtpd";
  SSL_CTX_set_session_id_context(ctx->native_handle(), session_context, sizeof session_context - 1);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw std::runtime_error("cannot load TLS certificate " + cert_file + ": " + ec.message());
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load TLS key " + key_file + ": " + ec.message());
  // OpenSSL compares a key with the certificate only when both are of one type: an EC key with
  // an RSA certificate loads, and then every handshake fails.
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("the TLS key " + key_file + " does not belong to the certificate " +
                             cert_file);
  }
  return ctx;
}

server::server(asio::io_context& io, protocol_settings settings,
               std::shared_ptr<asio::ssl::context> tls, connection_limits limits,
               session_services& services)
    : io_(io),
      settings_(std::move(settings)),
      limits_(limits),
      services_(services),
      grace_timer_(io),
      tls_(std::move(tls)),
      no_tls_(std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server)) {}

std::uint16_t server::listen(const std::string& host, std::uint16_t port, bool implicit_tls,
                             bool plaintext_auth) {
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
  asio::co_spawn(io_, accept_loop(acceptor, implicit_tls, plaintext_auth), asio::detached);
  spdlog::info("smtp: listening on {}:{}{}", host, bound,
               implicit_tls     ? " (implicit TLS)"
               : plaintext_auth ? " (AUTH without TLS: trusted networks only)"
                                : "");
  return bound;
}

std::string server::admit(const std::shared_ptr<session>& s) {
  std::lock_guard lock(mutex_);
  if (stopping_)
    return "421 4.3.2 " + settings_.hostname + " Service shutting down, try again later";
  if (sessions_.size() >= limits_.total)
    return "421 4.7.0 " + settings_.hostname + " Too many connections, try again later";
  auto& from_ip = per_ip_[s->client_key()];  // an IPv6 client: its /64
  if (from_ip >= limits_.per_ip)
    return "421 4.7.0 " + settings_.hostname + " Too many connections from your address";
  ++from_ip;
  sessions_.insert(s);
  return {};
}

bool server::admit_refusal(const std::shared_ptr<session>& s) {
  std::lock_guard lock(mutex_);
  if (stopping_ || refusing_.size() >= max_tls_refusals) return false;
  auto& from_client = refusing_per_ip_[s->client_key()];
  if (from_client >= max_tls_refusals_per_ip) return false;
  ++from_client;
  refusing_.insert(s);
  return true;
}

void server::release_refusal(const std::shared_ptr<session>& s) {
  std::lock_guard lock(mutex_);
  if (refusing_.erase(s) == 0) return;
  auto it = refusing_per_ip_.find(s->client_key());
  if (it != refusing_per_ip_.end() && --it->second == 0) refusing_per_ip_.erase(it);
}

void server::release(const std::shared_ptr<session>& s) {
  std::lock_guard lock(mutex_);
  if (sessions_.erase(s) == 0) return;
  auto it = per_ip_.find(s->client_key());
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  // The last session of a stopping server: nothing left to wait for.
  if (stopping_ && sessions_.empty()) grace_timer_.cancel();
}

asio::awaitable<void> server::accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor,
                                          bool implicit_tls, bool plaintext_auth) {
  protocol_settings settings = settings_;
  settings.tls_active = implicit_tls;
  settings.plaintext_auth = settings.plaintext_auth || plaintext_auth;
  int failures = 0;  // accepts failed in a row
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor->async_accept(io_.get_executor(),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // Out of descriptors (or memory): the connection stays in the backlog, so accepting again
      // at once fails again at once, a busy loop on the I/O thread that also wrote a log line
      // each time. Pause instead, from 10 ms doubling to 640 ms, and say so once per run of
      // failures; the sessions already open go on meanwhile.
      if (++failures == 1)
        spdlog::warn("smtp: accept failed: {}; pausing new connections until it works again",
                     ec.message());
      asio::steady_timer pause(io_);
      pause.expires_after(std::chrono::milliseconds(10 << std::min(failures - 1, 6)));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (failures > 0) {
      spdlog::info("smtp: accepting again after {} failed attempt(s)", failures);
      failures = 0;
    }
    std::shared_ptr<asio::ssl::context> ctx;
    {
      std::lock_guard lock(mutex_);
      ctx = tls_ != nullptr ? tls_ : no_tls_;
    }
    settings.starttls_available = ctx != no_tls_ && !implicit_tls;
    auto s = std::make_shared<session>(std::move(socket), ctx, settings, services_);
    if (auto refusal = admit(s); !refusal.empty()) {
      spdlog::warn("smtp {}: refused: {}", s->peer(), refusal.substr(10));
      if (implicit_tls && admit_refusal(s)) {
        // The 421 inside TLS, after a handshake of a few seconds at most. How many refusals
        // wait on their handshakes at once is bounded, in all and per client (admit_refusal):
        // beyond that a connection over the limit is closed without one.
        asio::co_spawn(s->executor(),
                       s->refuse_over_tls(refusal + "\r\n",
                                          std::min(services_.command_timeout, tls_refusal_timeout)),
                       [this, s](std::exception_ptr e) {
                         log_exception(*s, "refusal", e);
                         release_refusal(s);
                       });
      } else {
        // A fresh socket's send buffer is empty: this short write does not block.
        s->refuse(refusal + "\r\n");
      }
      continue;
    }
    asio::co_spawn(s->executor(), s->run(), [this, s](std::exception_ptr e) {
      log_exception(*s, "session", e);
      release(s);
    });
  }
}

void server::shutdown(std::chrono::seconds grace) {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& a : acceptors_) {
    asio::post(io_, [a] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  for (auto& s : sessions_) s->shutdown();
  for (auto& s : refusing_) s->cut();  // a handshake still pending ends now
  if (sessions_.empty()) return;
  spdlog::info("smtp: {} session(s) open; waiting up to {} s for transactions in flight",
               sessions_.size(), grace.count());
  grace_timer_.expires_after(grace);
  grace_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    std::lock_guard lock(mutex_);
    if (!sessions_.empty())
      spdlog::warn("smtp: closing {} session(s) still open", sessions_.size());
    for (auto& s : sessions_) s->cut();
  });
}

void server::replace_tls(std::shared_ptr<asio::ssl::context> tls) {
  std::lock_guard lock(mutex_);
  tls_ = std::move(tls);
}

std::size_t server::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace mail2sms::smtpd
