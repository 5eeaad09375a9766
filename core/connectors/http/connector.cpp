// The http connector's I/O: Beast over Asio coroutines, one io_context per connection, run on
// the thread that called submit(); tcp_stream's expiry bounds the whole exchange.
#include "core/connectors/http/connector.hpp"

#include "core/tls_context.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace mail2sms::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

constexpr std::uint64_t response_body_limit = 1 << 20;

struct connector::tls_state {
  asio::ssl::context context{asio::ssl::context::tls_client};
};

struct connector::connection {
  asio::io_context io;
  std::optional<beast::tcp_stream> tcp;                     // http://
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;  // https://
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
};

struct connector::exchange {
  bhttp::request<bhttp::string_body> request;
  error_code ec;
  std::string
      stage;  // where ec happened: "resolve", "connect", "TLS handshake", "send", "response"
  unsigned status = 0;
  std::string status_text;
  std::string body;
  bool keep_alive = false;
};

namespace {

template <class Stream>
asio::awaitable<void> write_and_read(Stream& stream, beast::flat_buffer& buffer,
                                     connector::exchange& x) {
  co_await bhttp::async_write(stream, x.request, redirect_error(use_awaitable, x.ec));
  if (x.ec) {
    x.stage = "send";
    co_return;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(response_body_limit);
  co_await bhttp::async_read(stream, buffer, parser, redirect_error(use_awaitable, x.ec));
  if (x.ec) {
    x.stage = "response";
    co_return;
  }
  auto& response = parser.get();
  x.status = response.result_int();
  x.status_text = std::string(response.reason());
  x.body = std::move(response.body());
  x.keep_alive = response.keep_alive();
}

asio::awaitable<void> connect(connector::connection& c, const url_parts& url,
                              connector::exchange& x) {
  asio::ip::tcp::resolver resolver(c.io);
  asio::steady_timer guard(c.io);  // tcp_stream's expiry does not cover name resolution
  guard.expires_after(std::chrono::seconds(30));
  guard.async_wait([&resolver](error_code ec) {
    if (!ec) resolver.cancel();
  });
  const std::string service = std::to_string(url.port);  // named: no temporaries in co_await
  const auto endpoints =
      co_await resolver.async_resolve(url.host, service, redirect_error(use_awaitable, x.ec));
  guard.cancel();
  if (x.ec) {
    x.stage = "resolve";
    co_return;
  }
  co_await c.lowest().async_connect(endpoints, redirect_error(use_awaitable, x.ec));
  if (x.ec) {
    x.stage = "connect";
    co_return;
  }
  c.lowest().socket().set_option(asio::ip::tcp::no_delay(true));
  if (c.tls) {
    co_await c.tls->async_handshake(asio::ssl::stream_base::client,
                                    redirect_error(use_awaitable, x.ec));
    if (x.ec) {
      x.stage = "TLS handshake";
      co_return;
    }
  }
  c.connected = true;
}

asio::awaitable<void> run_exchange(connector::connection& c, const compiled_settings& s,
                                   connector::exchange& x) {
  c.lowest().expires_after(s.timeout);
  if (!c.connected) {
    co_await connect(c, s.url, x);
    if (x.ec) co_return;
  }
  if (c.tls) {
    co_await write_and_read(*c.tls, c.buffer, x);
  } else {
    co_await write_and_read(*c.tcp, c.buffer, x);
  }
  c.lowest().expires_never();
}

// A pooled connection the server closed while idle fails before any response byte: the request
// was not taken, so it is sent again on a new connection.
bool closed_while_idle(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof;
}

std::string describe_error(const connector::exchange& x, const url_parts& url) {
  if (x.ec == beast::error::timeout) return x.stage + " to " + url.authority() + ": timed out";
  return x.stage + " to " + url.authority() + ": " + x.ec.message();
}

bhttp::request<bhttp::string_body> to_beast(const rendered_request& r, const url_parts& url) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(r.method), r.target, 11};
  const bool default_port = url.port == (url.tls ? 443 : 80);
  const bool v6 = url.host.find(':') != std::string::npos;
  req.set(bhttp::field::host,
          default_port ? (v6 ? "[" + url.host + "]" : url.host) : url.authority());
  req.set(bhttp::field::user_agent, "mail2sms");
  for (const auto& [name, value] : r.headers) req.set(name, value);
  req.body() = r.body;
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

}  // namespace

connector::connector(compiled_settings settings)
    : settings_(std::move(settings)), tls_(std::make_unique<tls_state>()) {
  auto& ctx = tls_->context;
  tls::require_tls_12(ctx);
  const auto ec = tls::verify_peer_against(ctx, settings_.ca_file);
  if (ec)
    throw std::runtime_error("http connector " + settings_.name + ": cannot load CA certificates" +
                             (settings_.ca_file.empty() ? "" : " from " + settings_.ca_file) +
                             ": " + ec.message());
}

connector::~connector() = default;

connector_stats connector::stats() const { return {connections_opened_.load(), requests_.load()}; }

std::unique_ptr<connector::connection> connector::idle_connection() {
  std::lock_guard lock(mutex_);
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

std::unique_ptr<connector::connection> connector::new_connection() {
  auto c = std::make_unique<connection>();
  if (settings_.url.tls) {
    c->tls.emplace(c->io, tls_->context);
    // SNI and RFC 6125 name checking (an IP address is matched against the certificate's IPs).
    SSL_set_tlsext_host_name(c->tls->native_handle(), settings_.url.host.c_str());
    c->tls->set_verify_callback(asio::ssl::host_name_verification(settings_.url.host));
  } else {
    c->tcp.emplace(c->io);
  }
  return c;
}

void connector::keep_connection(std::unique_ptr<connection> c) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < settings_.max_idle_connections) idle_.push_back(std::move(c));
}

void connector::perform(connection& c, exchange& x) {
  const bool fresh = !c.connected;
  c.io.restart();
  asio::co_spawn(c.io, run_exchange(c, settings_, x), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  try {
    c.io.run();
  } catch (const std::exception& e) {  // e.g. a socket option on a socket the peer just reset
    x.ec = asio::error::fault;
    x.stage = std::string("exchange (") + e.what() + ")";
    c.connected = false;
    return;
  }
  if (fresh && c.connected) ++connections_opened_;
  if (!x.ec) ++requests_;
}

core::submit_outcome connector::submit(const core::queued_message& message) {
  using state = core::submit_outcome::status;
  core::submit_outcome outcome;
  auto requests = render(settings_, message);
  if (!requests) {
    outcome.state = state::permanent_failure;
    outcome.reason = requests.error();
    return outcome;
  }
  std::vector<std::string> ids;
  for (const auto& r : *requests) {
    exchange x;
    x.request = to_beast(r, settings_.url);
    auto c = idle_connection();
    const bool reused = c != nullptr;
    if (!reused) c = new_connection();
    perform(*c, x);
    if (x.ec && reused && closed_while_idle(x.ec)) {
      x.ec.clear();
      c = new_connection();
      perform(*c, x);
    }
    if (x.ec) {
      outcome.state = state::transient_failure;
      outcome.reason = describe_error(x, settings_.url);
      spdlog::warn("http connector {}: message {}: {}", settings_.name, message.queue_id,
                   outcome.reason);
      return outcome;
    }
    if (x.keep_alive) keep_connection(std::move(c));
    const auto answer = classify(x.status, x.status_text, x.body, settings_.rules);
    if (answer.state != state::submitted) {
      outcome.state = answer.state;
      outcome.reason = answer.reason;
      return outcome;
    }
    ids.push_back(answer.message_id);
  }
  outcome.state = state::submitted;
  const bool all_ids =
      std::none_of(ids.begin(), ids.end(), [](const auto& id) { return id.empty(); });
  if (all_ids) {
    // Whole mode: the provider's one id stands for every part.
    if (!settings_.per_segment) ids.assign(message.segments.size(), ids.front());
    outcome.smsc_message_ids = std::move(ids);
  }
  return outcome;
}

}  // namespace mail2sms::http
