// The connector tests' HTTP server: one coroutine per connection, keep-alive, scripted answers.
#include "test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace mail2sms::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

struct test_server::state {
  handler respond;
  std::shared_ptr<asio::ssl::context> tls;
  mutable std::mutex mutex;
  std::vector<served_request> requests;
  std::size_t connections = 0;
};

namespace {

served_request copy_of(const bhttp::request<bhttp::string_body>& req) {
  served_request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.body = req.body();
  for (const auto& f : req) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    r.headers[name] = std::string(f.value());
  }
  return r;
}

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, std::shared_ptr<test_server::state> st) {
  beast::flat_buffer buffer;
  error_code ec;
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    co_await bhttp::async_read(stream, buffer, req, redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const served_request seen = copy_of(req);
    {
      std::lock_guard lock(st->mutex);
      st->requests.push_back(seen);
    }
    const scripted_response answer = st->respond(seen);
    if (answer.delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(answer.delay);
      co_await timer.async_wait(redirect_error(use_awaitable, ec));
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(answer.status), 11};
    res.body() = answer.body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, redirect_error(use_awaitable, ec));
    if (ec || !req.keep_alive() || answer.close_after) co_return;
  }
}

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket,
                                       std::shared_ptr<test_server::state> st) {
  if (!st->tls) {
    co_await serve_requests(socket, st);
    co_return;
  }
  beast::ssl_stream<asio::ip::tcp::socket> stream(std::move(socket), *st->tls);
  error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  redirect_error(use_awaitable, ec));
  if (!ec) co_await serve_requests(stream, st);
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor,
                                  std::shared_ptr<test_server::state> st) {
  for (;;) {
    error_code ec;
    auto socket = co_await acceptor.async_accept(redirect_error(use_awaitable, ec));
    if (ec) co_return;
    {
      std::lock_guard lock(st->mutex);
      ++st->connections;
    }
    asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), st),
                   asio::detached);
  }
}

}  // namespace

test_server::test_server(handler h, std::shared_ptr<asio::ssl::context> tls)
    : state_(std::make_shared<state>()) {
  state_->respond = std::move(h);
  state_->tls = std::move(tls);
  auto acceptor = std::make_shared<asio::ip::tcp::acceptor>(
      io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  port_ = acceptor->local_endpoint().port();
  asio::co_spawn(
      io_,
      [acceptor, st = state_]() -> asio::awaitable<void> { co_await accept_loop(*acceptor, st); },
      asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

test_server::~test_server() {
  io_.stop();
  thread_.join();
}

std::vector<served_request> test_server::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::size_t test_server::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}

test_pki make_test_pki(const std::filesystem::path& dir) {
  test_pki pki{dir / "ca.crt", dir / "server.crt", dir / "server.key"};
  const auto d = dir.string();
  std::ofstream(dir / "san.cnf") << "subjectAltName=IP:127.0.0.1\n";
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string commands =
      "cd '" + d + "' && openssl req -x509" + key + " -days 2 -subj /CN=mail2sms-test-ca" +
      " -keyout ca.key -out ca.crt 2>/dev/null && openssl req" + key +
      " -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null && openssl x509 -req"
      " -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.cnf"
      " -out server.crt 2>/dev/null";
  if (std::system(commands.c_str()) != 0) throw std::runtime_error("openssl failed in " + d);
  return pki;
}

std::shared_ptr<asio::ssl::context> server_tls_context(const test_pki& pki) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->use_certificate_chain_file(pki.server_cert.string());
  ctx->use_private_key_file(pki.server_key.string(), asio::ssl::context::pem);
  return ctx;
}

}  // namespace mail2sms::http::testing
