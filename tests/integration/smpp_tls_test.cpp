// smpp::client against smpp::simulator over TLS on loopback (port 0, no database): a verified
// session with SNI and receipts, a clean close_notify after unbind, and certificates that must be
// refused (wrong CA, wrong name) without a bind and without failing what is queued for good.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/connectors/smpp/client.hpp"
#include "core/connectors/smpp/receipt.hpp"
#include "core/connectors/smpp/simulator.hpp"
#include "core/sms/sms.hpp"
#include "inbox.hpp"

namespace mail2sms::smpp {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using outcome_status = core::submit_outcome::status;

constexpr auto generous = 20s;  // an upper bound for things that take milliseconds

// The simulator's JSON lines, collected from its thread.
class event_log : public testing::inbox<json> {
 public:
  std::size_t count(const std::string& event) {
    return count_if([&](const json& line) { return line.at("event") == event; });
  }
};

std::function<bool(const json&)> event(const std::string& name) {
  return [name](const json& j) { return j.at("event") == name; };
}

// Two private CAs; the first signed a certificate for smsc.test and 127.0.0.1. Plus a
// self-signed certificate no CA vouches for. Made with the openssl command.
struct test_pki {
  std::filesystem::path dir;
  std::filesystem::path ca;        // signed server.crt
  std::filesystem::path other_ca;  // signed nothing here
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
  std::filesystem::path self_signed_cert;
  std::filesystem::path self_signed_key;

  test_pki() {
    char name[] = "/tmp/mail2sms-smpp-tls-XXXXXX";
    if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = name;
    ca = dir / "ca.crt";
    other_ca = dir / "other-ca.crt";
    server_cert = dir / "server.crt";
    server_key = dir / "server.key";
    self_signed_cert = dir / "self.crt";
    self_signed_key = dir / "self.key";
    std::ofstream(dir / "san.cnf") << "subjectAltName=DNS:smsc.test,IP:127.0.0.1\n";
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2";
    const std::string commands =
        "cd '" + dir.string() + "' && openssl req -x509" + key +
        " -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null && openssl req -x509" + key +
        " -subj /CN=other-ca -keyout other-ca.key -out other-ca.crt 2>/dev/null && openssl req" +
        key +
        " -subj /CN=smsc.test -keyout server.key -out server.csr 2>/dev/null && openssl x509 "
        "-req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.cnf "
        "-out server.crt 2>/dev/null && openssl req -x509" +
        key + " -subj /CN=self -keyout self.key -out self.crt 2>/dev/null";
    if (std::system(commands.c_str()) != 0) throw std::runtime_error("openssl failed");
  }
  ~test_pki() { std::filesystem::remove_all(dir); }
};

const test_pki& pki() {
  static const test_pki made;
  return made;
}

class tls_simulator {
 public:
  tls_simulator(const std::filesystem::path& cert, const std::filesystem::path& key) {
    simulator_settings s;
    s.host = "127.0.0.1";
    s.port = 0;
    s.system_id = "esme";
    s.password = "secret";
    s.tls_cert = cert.string();
    s.tls_key = key.string();
    s.output = [this](const std::string& line) { events.push(json::parse(line)); };
    sim_.emplace(std::move(s));
    thread_ = std::thread([this] { sim_->run(); });
  }
  tls_simulator() : tls_simulator(pki().server_cert, pki().server_key) {}
  ~tls_simulator() {
    sim_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return sim_->port(); }

  event_log events;

 private:
  std::optional<simulator> sim_;
  std::thread thread_;
};

client_settings tls_settings_for(std::uint16_t port) {
  client_settings s;
  s.name = "tls";
  s.host = "127.0.0.1";
  s.port = port;
  s.tls.enabled = true;
  s.tls.ca_file = pki().ca.string();
  s.system_id = "esme";
  s.password = "secret";
  s.response_timeout = 2s;
  s.reconnect_min = 20ms;
  s.reconnect_max = 200ms;
  s.default_source = "Alerts";
  return s;
}

core::queued_message message_for(const std::string& text, std::string recipient) {
  const auto encoded = sms::encode(text, {0x2A, false});
  core::queued_message m;
  m.id = 1;
  m.queue_id = "q-tls";
  m.recipient = std::move(recipient);
  m.sender_id = "ACME";
  m.coding = encoded.coding;
  m.segments = encoded.segments;
  return m;
}

TEST(SmppTls, VerifiedSessionSubmitsGetsReceiptsAndClosesWithCloseNotify) {
  tls_simulator smsc;
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::string> receipt_ids;
  auto s = tls_settings_for(smsc.port());
  s.on_deliver_sm = [&](const deliver_sm& d) {
    std::lock_guard lock(mutex);
    receipt_ids.push_back(receipted_message_id(d.tlvs).value_or(""));
    arrived.notify_all();
  };
  client esme(s);
  esme.start();
  const auto sent = esme.submit(message_for("over TLS", "+27821239001"));
  ASSERT_EQ(sent.state, outcome_status::submitted) << sent.reason;
  const auto id = sent.smsc_message_ids.at(0);
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(arrived.wait_for(lock, generous, [&] {
      return std::find(receipt_ids.begin(), receipt_ids.end(), id) != receipt_ids.end();
    }));
  }
  const auto tls = smsc.events.wait_for(event("tls"));
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->at("protocol") == "TLSv1.3" || tls->at("protocol") == "TLSv1.2") << *tls;
  EXPECT_EQ(tls->at("server_name"), "");  // host is an IP address: no SNI (RFC 6066)
  const auto message = smsc.events.wait_for(event("message"));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->at("text"), "over TLS");

  esme.stop();  // unbind, then close_notify both ways
  const auto closed = smsc.events.wait_for(event("tls_closed"));
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->at("close_notify"), true) << *closed;
}

TEST(SmppTls, ServerNameIsSentAsSniAndMatchedAgainstTheCertificate) {
  tls_simulator smsc;
  auto s = tls_settings_for(smsc.port());
  s.tls.server_name = "smsc.test";
  client esme(s);
  esme.start();
  ASSERT_TRUE(esme.wait_until([](const client_stats& st) { return st.bound; }, generous))
      << esme.stats().last_error;
  const auto tls = smsc.events.wait_for(event("tls"));
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->at("server_name"), "smsc.test");
}

// A certificate that must be refused: no bind, the reason in last_error, and a submit meanwhile
// is a transient failure (retried later), never a permanent one.
void expect_refused(client_settings s, const std::string& reason) {
  s.response_timeout = 500ms;
  client esme(s);
  esme.start();
  ASSERT_TRUE(
      esme.wait_until([](const client_stats& st) { return st.connect_failures >= 2; }, generous));
  const auto stats = esme.stats();
  EXPECT_FALSE(stats.bound);
  EXPECT_EQ(stats.binds, 0U);
  EXPECT_NE(stats.last_error.find("TLS handshake with 127.0.0.1:"), std::string::npos)
      << stats.last_error;
  EXPECT_NE(stats.last_error.find(reason), std::string::npos) << stats.last_error;
  const auto outcome = esme.submit(message_for("must wait", "+27821239002"));
  EXPECT_EQ(outcome.state, outcome_status::transient_failure);
  EXPECT_NE(outcome.reason.find(reason), std::string::npos) << outcome.reason;
  esme.stop();
}

TEST(SmppTls, CertificateFromAnotherCaIsRefusedWithoutABind) {
  tls_simulator smsc;
  auto s = tls_settings_for(smsc.port());
  s.tls.ca_file = pki().other_ca.string();
  expect_refused(s, "certificate verify failed: unable to get local issuer certificate");
  EXPECT_EQ(smsc.events.count("bind"), 0U);
  EXPECT_TRUE(smsc.events.wait_for(event("tls_failed")));
}

TEST(SmppTls, NameMismatchIsRefusedWithoutABind) {
  tls_simulator smsc;
  auto s = tls_settings_for(smsc.port());
  s.tls.server_name = "smsc.example.net";
  expect_refused(s, "certificate verify failed: hostname mismatch");
  EXPECT_EQ(smsc.events.count("bind"), 0U);
}

TEST(SmppTls, SelfSignedCertificateIsRefusedUnlessVerificationIsOff) {
  tls_simulator smsc(pki().self_signed_cert, pki().self_signed_key);
  auto s = tls_settings_for(smsc.port());
  s.tls.ca_file.clear();  // the system's trust store does not know it either
  expect_refused(s, "certificate verify failed: self-signed certificate");

  s.tls.verify = false;
  client esme(s);
  esme.start();
  const auto sent = esme.submit(message_for("unverified", "+27821239003"));
  EXPECT_EQ(sent.state, outcome_status::submitted) << sent.reason;
}

TEST(SmppTls, UnreadableCaFileIsAStartUpError) {
  auto s = tls_settings_for(1);
  s.tls.ca_file = (pki().dir / "missing.pem").string();
  EXPECT_THROW(client{s}, std::runtime_error);
  s.tls.verify = false;  // then no CA file is read
  EXPECT_NO_THROW(client{s});
}

TEST(SmppTls, PlainClientGetsNoBindFromATlsSimulator) {
  tls_simulator smsc;
  auto s = tls_settings_for(smsc.port());
  s.tls.enabled = false;
  s.response_timeout = 500ms;
  client esme(s);
  esme.start();
  ASSERT_TRUE(
      esme.wait_until([](const client_stats& st) { return st.bind_failures >= 1; }, generous));
  EXPECT_EQ(esme.stats().binds, 0U);
  EXPECT_EQ(smsc.events.count("bind"), 0U);
}

}  // namespace
}  // namespace mail2sms::smpp
