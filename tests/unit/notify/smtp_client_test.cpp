// send_mail and serve's stop: a relay that accepts and then says nothing holds the conversation
// until the timeout; a stop request ends it at once, as "stopped", not as the relay's silence.
// The relay here is a loopback socket on port 0 that never answers.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <stop_token>
#include <thread>

#include "core/notify/smtp_client.hpp"

namespace mail2sms::notify {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Accepts one connection and holds it, silent, until the test ends.
class silent_relay {
 public:
  silent_relay() : acceptor_(io_, {asio::ip::address_v4::loopback(), 0}) {
    thread_ = std::jthread([this] {
      boost::system::error_code ec;
      acceptor_.accept(peer_, ec);
      accepted_ = !ec;
    });
  }
  ~silent_relay() {
    boost::system::error_code ignored;
    tcp::socket wake(io_);
    // A blocking accept is not woken by closing the acceptor: a connection ends it.
    if (!accepted_) wake.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
    peer_.close(ignored);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  bool accepted() const { return accepted_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket peer_{io_};
  std::atomic<bool> accepted_{false};
  std::jthread thread_;
};

relay_settings to(const silent_relay& relay) {
  relay_settings s;
  s.host = "127.0.0.1";
  s.port = relay.port();
  s.helo_name = "test.example";
  s.starttls = "off";
  s.timeout = 3600s;  // a stop that did not end the conversation shows as this test's timeout
  return s;
}

TEST(send_mail, a_stop_ends_the_conversation_with_a_silent_relay) {
  silent_relay relay;
  const auto settings = to(relay);
  std::stop_source stop;
  send_outcome outcome;
  std::jthread sender([&] {
    outcome = send_mail(settings, "ops@example.com", "Subject: x\r\n\r\nx\r\n", stop.get_token());
  });
  for (int i = 0; i < 500 && !relay.accepted(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(relay.accepted());  // connected; now waiting for a greeting that never comes
  stop.request_stop();
  sender.join();
  EXPECT_EQ(outcome.what, send_outcome::kind::transient);
  EXPECT_EQ(outcome.detail, "stopped: serve is shutting down");
}

TEST(send_mail, asked_to_stop_before_it_starts_it_sends_nothing) {
  silent_relay relay;
  std::stop_source stop;
  stop.request_stop();
  const auto outcome = send_mail(to(relay), "ops@example.com", "x\r\n", stop.get_token());
  EXPECT_EQ(outcome.what, send_outcome::kind::transient);
  EXPECT_EQ(outcome.detail, "stopped: serve is shutting down");
  EXPECT_FALSE(relay.accepted());
}

}  // namespace
}  // namespace mail2sms::notify
