// channel_listener through an outage: a database that cannot be reached is logged once and tried
// less and less often (not ten times a second by each of serve's three listeners); a lost
// connection is tried again at once, and the connection made again is logged.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "pg_fixture.hpp"
#include "sql/pq_support.hpp"
#include "tests/captured_log.hpp"

namespace mail2sms::testing {
namespace {

using namespace std::chrono_literals;

// A loopback port that accepts each connection and closes it at once: a "database" every
// attempt fails against immediately, counting the attempts.
class closing_server {
 public:
  closing_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
      return;
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0 || stopping_) break;
        ++accepted_;
        ::close(client);
      }
    });
  }
  ~closing_server() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

TEST(channel_listener, an_unreachable_database_is_logged_once_and_tried_less_and_less_often) {
  closing_server server;
  ASSERT_NE(server.port(), 0);
  // One TCP connection an attempt: no TLS or GSS request to fall back from.
  sql::channel_listener listener("host=127.0.0.1 port=" + std::to_string(server.port()) +
                                     " dbname=none user=none sslmode=disable gssencmode=disable",
                                 "anything", "test listener");
  captured_log log;
  const auto start = std::chrono::steady_clock::now();
  int waits = 0;
  while (std::chrono::steady_clock::now() - start < 3s) {
    EXPECT_FALSE(listener.wait(100ms));
    ++waits;
  }
  EXPECT_GE(waits, 10);  // the wait is still waited out (a loaded machine may oversleep)...
  EXPECT_LE(waits, 31);  // ...and the caller does not spin
  // 0, 0.1, 0.2, 0.4, 0.8 and 1.6 s into the outage: six attempts in three seconds (a slow slice
  // may shift one), where one a wait would be about thirty.
  EXPECT_GE(server.accepted(), 4);
  EXPECT_LE(server.accepted(), 8);
  EXPECT_EQ(log.count("test listener"), 1) << log.text();
  EXPECT_EQ(log.count("cannot connect"), 1) << log.text();
  EXPECT_EQ(listener.connections(), 0u);
}

class channel_listener_db : public pg_test {};

TEST_F(channel_listener_db, a_lost_connection_is_made_again_at_once_and_the_return_logged) {
  const std::string db = fresh_database();
  sql::channel_listener listener(db, "channel_listener_test", "test listener");
  EXPECT_FALSE(listener.wait(0ms));
  ASSERT_EQ(listener.connections(), 1u);
  pqxx::connection other(db);
  captured_log log;
  {
    pqxx::work tx(other);
    const auto cut = tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE query LIKE 'LISTEN%channel_listener_test%' AND pid <> pg_backend_pid()");
    tx.commit();
    ASSERT_EQ(cut.size(), 1u);
  }
  // The break is seen in one wait, the connection made in the next.
  for (int i = 0; i < 20 && listener.connections() < 2; ++i) listener.wait(100ms);
  EXPECT_EQ(listener.connections(), 2u);
  EXPECT_EQ(log.count("test listener: connection lost"), 1) << log.text();
  EXPECT_EQ(log.count("test listener: connected again after"), 1) << log.text();
  EXPECT_NE(log.text().find("(1 failure(s))"), std::string::npos) << log.text();
  // And it hears notifications again.
  {
    pqxx::work tx(other);
    tx.exec0("NOTIFY channel_listener_test");
    tx.commit();
  }
  EXPECT_TRUE(listener.wait(2000ms));
}

}  // namespace
}  // namespace mail2sms::testing
