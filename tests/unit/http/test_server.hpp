// A small HTTP/1.1 server (Beast) on a loopback port for the http connector's tests: each
// request is answered by a script (status, body, delay, close), plain or over TLS.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mail2sms::http::testing {

struct served_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct scripted_response {
  unsigned status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  bool close_after = false;            // close the connection after answering, without saying so
};

class test_server {
 public:
  using handler = std::function<scripted_response(const served_request&)>;
  // tls: a server context (certificate loaded) for https, nullptr for http.
  explicit test_server(handler h, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::vector<served_request> requests() const;
  std::size_t connections() const;

  struct state;  // what the server's coroutines share with the test

 private:
  boost::asio::io_context io_;
  std::shared_ptr<state> state_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A private CA and a certificate it signed for IP 127.0.0.1, made with the openssl command in dir.
struct test_pki {
  std::filesystem::path ca_cert;
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
};
test_pki make_test_pki(const std::filesystem::path& dir);
std::shared_ptr<boost::asio::ssl::context> server_tls_context(const test_pki& pki);

}  // namespace mail2sms::http::testing
