// The http connector against a real HTTP server on loopback: requests as the provider sees
// them, keep-alive reuse, statuses and timeouts as outcomes, and HTTPS with a private CA.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/ip/tcp.hpp>

#include <atomic>

#include "core/connectors/http/connector.hpp"
#include "core/sms/sms.hpp"
#include "test_server.hpp"

namespace mail2sms::http::testing {
namespace {

using state = core::submit_outcome::status;
using namespace std::chrono_literals;

core::queued_message message_of(const std::string& text, const std::string& queue_id = "Q1") {
  core::queued_message m;
  m.id = 1;
  m.queue_id = queue_id;
  m.recipient = "+27821234567";
  const auto encoded = sms::encode(text, {.reference = 0x42});
  m.coding = encoded.coding;
  m.segments = encoded.segments;
  return m;
}

settings form_post(std::uint16_t port, const std::string& scheme = "http",
                   const std::string& host = "127.0.0.1") {
  settings s;
  s.name = "provider";
  s.url = scheme + "://" + host + ":" + std::to_string(port) + "/v1/sms?key=s3cret-key";
  s.headers = {"Authorization: Bearer s3cret-token"};
  s.body = "to={to}&from={from}&text={text}&ref={message_id}";
  s.message_id_pattern = "id=(\\w+)";
  s.default_source = "Alerts";
  s.timeout = 2s;
  return s;
}

connector make(const settings& s) {
  auto compiled = compile(s);
  if (!compiled) throw std::runtime_error(compiled.error().key + ": " + compiled.error().message);
  return connector(std::move(*compiled));
}

TEST(http_connector, posts_the_rendered_request_and_keeps_the_provider_id) {
  test_server server([](const served_request&) { return scripted_response{202, "ok id=abc123"}; });
  auto c = make(form_post(server.port()));
  const auto outcome = c.submit(message_of("Disk 95% full & rising"));
  ASSERT_EQ(outcome.state, state::submitted) << outcome.reason;
  EXPECT_EQ(outcome.smsc_message_ids, std::vector<std::string>{"abc123"});
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/sms?key=s3cret-key");
  EXPECT_EQ(seen[0].headers.at("authorization"), "Bearer s3cret-token");
  EXPECT_EQ(seen[0].headers.at("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].body,
            "to=%2B27821234567&from=Alerts&text=Disk%2095%25%20full%20%26%20rising&ref=Q1");
}

TEST(http_connector, reuses_one_connection_for_many_messages) {
  test_server server([](const served_request&) { return scripted_response{200, "id=x"}; });
  auto c = make(form_post(server.port()));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.submit(message_of("hello")).state, state::submitted);
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(c.stats().connections_opened, 1u);
}

TEST(http_connector, a_connection_closed_while_idle_is_replaced_without_losing_the_message) {
  test_server server([](const served_request&) {
    scripted_response r{200, "id=x"};
    r.close_after = true;  // says keep-alive, then closes: the next request meets a dead socket
    return r;
  });
  auto c = make(form_post(server.port()));
  for (int i = 0; i < 3; ++i) {
    const auto outcome = c.submit(message_of("hello"));
    ASSERT_EQ(outcome.state, state::submitted) << i << ": " << outcome.reason;
  }
  EXPECT_EQ(server.requests().size(), 3u) << "each message sent exactly once";
  EXPECT_EQ(server.connections(), 3u);
}

TEST(http_connector, statuses_become_permanent_or_transient_failures) {
  std::atomic<unsigned> status{400};
  test_server server([&](const served_request&) {
    return scripted_response{status.load(), "Authorization failed: key s3cret-key"};
  });
  auto c = make(form_post(server.port()));
  for (const auto& [code, expected] :
       std::vector<std::pair<unsigned, state>>{{400, state::permanent_failure},
                                               {403, state::permanent_failure},
                                               {429, state::transient_failure},
                                               {503, state::transient_failure}}) {
    status = code;
    const auto outcome = c.submit(message_of("hello"));
    EXPECT_EQ(outcome.state, expected) << code;
    EXPECT_EQ(outcome.reason.find("s3cret"), std::string::npos) << outcome.reason;
    EXPECT_NE(outcome.reason.find("HTTP " + std::to_string(code)), std::string::npos)
        << outcome.reason;
  }
}

TEST(http_connector, success_pattern_not_matched_is_a_refusal) {
  test_server server([](const served_request&) {
    return scripted_response{200, "ERR 12 no credit"};
  });
  auto s = form_post(server.port());
  s.success_pattern = "^OK";
  auto c = make(s);
  const auto outcome = c.submit(message_of("hello"));
  EXPECT_EQ(outcome.state, state::permanent_failure);
  EXPECT_NE(outcome.reason.find("does not match success_pattern"), std::string::npos);
}

TEST(http_connector, a_slow_provider_times_out_as_transient) {
  test_server server([](const served_request&) {
    scripted_response r{200, "id=late"};
    r.delay = 3s;
    return r;
  });
  auto s = form_post(server.port());
  s.timeout = 300ms;
  auto c = make(s);
  const auto outcome = c.submit(message_of("hello"));
  EXPECT_EQ(outcome.state, state::transient_failure);
  EXPECT_NE(outcome.reason.find("timed out"), std::string::npos) << outcome.reason;
}

TEST(http_connector, nobody_listening_is_transient) {
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }  // closed: connecting is refused
  auto c = make(form_post(port));
  const auto outcome = c.submit(message_of("hello"));
  EXPECT_EQ(outcome.state, state::transient_failure);
  EXPECT_NE(outcome.reason.find("connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << outcome.reason;
  EXPECT_EQ(outcome.reason.find("s3cret"), std::string::npos) << outcome.reason;
}

TEST(http_connector, segments_mode_sends_one_request_per_part_with_its_udh) {
  std::atomic<int> n{0};
  test_server server([&](const served_request&) {
    return scripted_response{200, "id=p" + std::to_string(++n)};
  });
  auto s = form_post(server.port());
  s.multipart = "segments";
  s.body = "udh={udh_hex}&part={part}/{parts}&text={text}";
  auto c = make(s);
  const auto outcome = c.submit(message_of(std::string(200, 'z')));
  ASSERT_EQ(outcome.state, state::submitted) << outcome.reason;
  EXPECT_EQ(outcome.smsc_message_ids, (std::vector<std::string>{"p1", "p2"}));
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].body, "udh=050003420201&part=1/2&text=" + std::string(153, 'z'));
  EXPECT_EQ(seen[1].body, "udh=050003420202&part=2/2&text=" + std::string(47, 'z'));
}

TEST(http_connector, whole_mode_gives_the_one_id_to_every_part) {
  test_server server([](const served_request&) { return scripted_response{200, "id=all"}; });
  auto c = make(form_post(server.port()));
  const auto outcome = c.submit(message_of(std::string(200, 'z')));
  ASSERT_EQ(outcome.state, state::submitted) << outcome.reason;
  EXPECT_EQ(outcome.smsc_message_ids, (std::vector<std::string>{"all", "all"}));
  EXPECT_EQ(server.requests().size(), 1u);
}

class http_tls_test : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/mail2sms-http-tls-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
    pki_ = make_test_pki(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  test_pki pki_;
};

TEST_F(http_tls_test, https_with_the_private_ca_is_trusted) {
  test_server server(
      [](const served_request&) {
        return scripted_response{200, "id=tls1"};
      },
      server_tls_context(pki_));
  auto s = form_post(server.port(), "https");
  s.ca_file = pki_.ca_cert.string();
  auto c = make(s);
  for (int i = 0; i < 2; ++i) {
    const auto outcome = c.submit(message_of("over TLS"));
    ASSERT_EQ(outcome.state, state::submitted) << outcome.reason;
    EXPECT_EQ(outcome.smsc_message_ids, std::vector<std::string>{"tls1"});
  }
  EXPECT_EQ(server.connections(), 1u) << "the TLS connection is kept alive";
  EXPECT_NE(server.requests().at(0).body.find("&text=over%20TLS&"), std::string::npos);
}

TEST_F(http_tls_test, an_unknown_ca_is_refused_by_default) {
  test_server server(
      [](const served_request&) {
        return scripted_response{200, "id=no"};
      },
      server_tls_context(pki_));
  auto c = make(form_post(server.port(), "https"));  // the system's CAs only
  const auto outcome = c.submit(message_of("over TLS"));
  EXPECT_EQ(outcome.state, state::transient_failure);
  EXPECT_NE(outcome.reason.find("TLS handshake"), std::string::npos) << outcome.reason;
  EXPECT_TRUE(server.requests().empty()) << "nothing is sent to an unverified server";
}

TEST_F(http_tls_test, a_certificate_for_another_name_is_refused) {
  test_server server(
      [](const served_request&) {
        return scripted_response{200, "id=no"};
      },
      server_tls_context(pki_));
  auto s = form_post(server.port(), "https", "localhost");  // the certificate names 127.0.0.1
  s.ca_file = pki_.ca_cert.string();
  auto c = make(s);
  const auto outcome = c.submit(message_of("over TLS"));
  EXPECT_EQ(outcome.state, state::transient_failure);
  EXPECT_NE(outcome.reason.find("TLS handshake"), std::string::npos) << outcome.reason;
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace mail2sms::http::testing
