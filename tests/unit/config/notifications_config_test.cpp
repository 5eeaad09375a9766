// [notifications]: absent means off; its keys' defaults and values; each mistake named by file,
// line and key.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

// minimal_toml with a [notifications] table from line 17 on (line 16 is its heading).
std::string with_notifications(const std::string& lines) {
  return minimal_toml + "[notifications]\n" + lines;
}

const std::string relay_and_from = "relay = \"127.0.0.1:25\"\nfrom = \"sms@example.com\"\n";

TEST_F(config_test, notifications_are_off_without_the_section) {
  auto c = load(minimal_toml);
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_FALSE(c->notifications.enabled);
}

TEST_F(config_test, notifications_defaults_and_values) {
  auto c = load(with_notifications(relay_and_from));
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  const auto& n = c->notifications;
  EXPECT_TRUE(n.enabled);
  EXPECT_EQ(n.relay.host, "127.0.0.1");
  EXPECT_EQ(n.relay.port, 25);
  EXPECT_EQ(n.from, "sms@example.com");
  EXPECT_EQ(n.starttls, "opportunistic");
  EXPECT_TRUE(n.tls_verify);
  EXPECT_EQ(n.auth_user, "");
  EXPECT_EQ(n.give_up_after, std::chrono::seconds(5 * 86400));
  EXPECT_EQ(n.postmaster_to, "");

  write("relay-password", "s3cret\nignored second line\n");
  write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  auto full = load(with_notifications(
      "relay = \"[::1]:587\"\nfrom = \"sms@example.com\"\nhostname = \"gw.example.com\"\n"
      "starttls = \"required\"\ntls_ca_file = \"ca.pem\"\ntls_server_name = \"mx.example.com\"\n"
      "auth_user = \"gw\"\nauth_password_file = \"relay-password\"\ntimeout = 30\n"
      "retry_base = 5\nretry_max = 600\ngive_up_after = 86400\npostmaster_to = "
      "\"ops@example.com\"\n"));
  ASSERT_TRUE(full.has_value()) << full.error().to_string();
  const auto& f = full->notifications;
  EXPECT_EQ(f.relay.host, "::1");
  EXPECT_EQ(f.relay.port, 587);
  EXPECT_EQ(f.hostname, "gw.example.com");
  EXPECT_EQ(f.tls_ca_file, (dir_ / "ca.pem").string());
  EXPECT_EQ(f.auth_password, "s3cret");
  EXPECT_EQ(f.timeout, std::chrono::seconds(30));
  EXPECT_EQ(f.retry_base, std::chrono::seconds(5));
  EXPECT_EQ(f.retry_max, std::chrono::seconds(600));
  EXPECT_EQ(f.postmaster_to, "ops@example.com");
}

TEST_F(config_test, notifications_need_relay_and_from) {
  EXPECT_ERROR(error_of(with_notifications("from = \"sms@example.com\"\n")), 16,
               "notifications.relay", "is missing");
  EXPECT_ERROR(error_of(with_notifications("relay = \"127.0.0.1:25\"\n")), 16, "notifications.from",
               "is missing");
  EXPECT_ERROR(error_of(with_notifications("relay = \"mail.example.com\"\nfrom = \"a@b\"\n")), 17,
               "notifications.relay", "expected \"HOST:PORT\"");
  EXPECT_ERROR(error_of(with_notifications("relay = \"127.0.0.1:0\"\nfrom = \"a@b\"\n")), 17,
               "notifications.relay", "from 1 to 65535");
  EXPECT_ERROR(error_of(with_notifications("relay = \"127.0.0.1:25\"\nfrom = \"SMS <a@b>\"\n")), 18,
               "notifications.from", "not one plain email address");
}

TEST_F(config_test, notifications_unknown_keys_and_values) {
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "startls = \"off\"\n")), 19,
               "notifications.startls", "starttls");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "starttls = \"yes\"\n")), 19,
               "notifications.starttls", "expected off, opportunistic or required");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "hostname = \"a b\"\n")), 19,
               "notifications.hostname", "expected a host name");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "retry_base = 600\nretry_max = 60\n")),
               20, "notifications.retry_max", "must be at least retry_base");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "timeout = 0\n")), 19,
               "notifications.timeout", "");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "postmaster_to = \"Ops <o@x>\"\n")), 19,
               "notifications.postmaster_to", "not one plain email address");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from +
                                           "postmaster_to = \"postmaster@SMS.example.com\"\n")),
               19, "notifications.postmaster_to", "one of [smtp] domains");
}

TEST_F(config_test, notifications_tls_and_auth_mistakes) {
  EXPECT_ERROR(
      error_of(with_notifications(relay_and_from + "starttls = \"off\"\ntls_verify = false\n")), 20,
      "notifications.tls_verify", "has no effect with starttls = \"off\"");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "tls_ca_file = \"none.pem\"\n")), 19,
               "notifications.tls_ca_file", "cannot read");
  write("pw", "secret\n");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from + "auth_user = \"gw\"\n")), 19,
               "notifications.auth_user", "set both auth_user and auth_password_file");
  EXPECT_ERROR(error_of(with_notifications(relay_and_from +
                                           "auth_user = \"gw\"\nauth_password_file = \"pw\"\n")),
               19, "notifications.auth_user", "AUTH PLAIN is sent over TLS only");
  write("empty", "");
  EXPECT_ERROR(
      error_of(with_notifications(relay_and_from + "starttls = \"required\"\nauth_user = \"gw\"\n"
                                                   "auth_password_file = \"empty\"\n")),
      21, "notifications.auth_password_file", "is empty");
  EXPECT_ERROR(
      error_of(with_notifications(relay_and_from + "starttls = \"required\"\nauth_user = \"gw\"\n"
                                                   "auth_password_file = \"missing\"\n")),
      21, "notifications.auth_password_file", "cannot read");
  EXPECT_ERROR(
      error_of(with_notifications(relay_and_from + "starttls = \"required\"\ntls_verify = false\n"
                                                   "auth_user = \"gw\"\nauth_password_file = \"pw\"\n")),
      21, "notifications.auth_user", "needs the relay's certificate verified");
}

TEST_F(config_test, notifications_must_be_a_table) {
  EXPECT_ERROR(error_of("notifications = 1\n" + minimal_toml), 1, "notifications",
               "expected a table");
}

}  // namespace
}  // namespace mail2sms::config::testing
