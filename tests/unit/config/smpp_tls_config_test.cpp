// The smpp connector's TLS keys: defaults, values, and each mistake named by file, line and key.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

TEST_F(config_test, smpp_tls_is_off_by_default_and_verifies_when_on) {
  auto plain = load(smpp_with(""));
  ASSERT_TRUE(plain.has_value()) << plain.error().to_string();
  EXPECT_FALSE(plain->connectors[0].tls);
  EXPECT_TRUE(plain->connectors[0].tls_verify);
  EXPECT_EQ(plain->connectors[0].tls_ca_file, "");

  write("tls/ca.pem", pem);
  auto tls = load(smpp_with(
      "tls = true\ntls_ca_file = \"tls/ca.pem\"\ntls_server_name = \"smsc.example.net\""));
  ASSERT_TRUE(tls.has_value()) << tls.error().to_string();
  const auto& c = tls->connectors[0];
  EXPECT_TRUE(c.tls);
  EXPECT_TRUE(c.tls_verify);
  EXPECT_EQ(c.tls_ca_file, (dir_ / "tls/ca.pem").string());  // resolved against the file's dir
  EXPECT_EQ(c.tls_server_name, "smsc.example.net");

  auto unverified = load(smpp_with("tls = true\ntls_verify = false"));
  ASSERT_TRUE(unverified.has_value()) << unverified.error().to_string();
  EXPECT_FALSE(unverified->connectors[0].tls_verify);
  // Without tls it says nothing about the (plain) connection, and is accepted.
  EXPECT_TRUE(load(smpp_with("tls_verify = false")).has_value());
}

TEST_F(config_test, smpp_tls_wrong_types) {
  EXPECT_ERROR(error_of(smpp_with("tls = \"yes\"")), 12, "connector[0].tls",
               "expected a boolean (true or false), got a string");
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_verify = 0")), 13, "connector[0].tls_verify",
               "expected a boolean");
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_ca_file = 1")), 13, "connector[0].tls_ca_file",
               "expected a string, got an integer");
}

TEST_F(config_test, smpp_tls_ca_file_must_be_a_readable_pem_file) {
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_ca_file = \"missing.pem\"")), 13,
               "connector[0].tls_ca_file", "cannot read " + (dir_ / "missing.pem").string());
  write("certs/x", "");
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_ca_file = \"certs\"")), 13,
               "connector[0].tls_ca_file", "it is a directory");
  write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_ca_file = \"key.pem\"")), 13,
               "connector[0].tls_ca_file", "holds no PEM certificate");
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_ca_file = \"\"")), 13,
               "connector[0].tls_ca_file", "must not be empty");
}

TEST_F(config_test, smpp_tls_settings_without_tls_are_refused) {
  write("ca.pem", pem);
  EXPECT_ERROR(error_of(smpp_with("tls_ca_file = \"ca.pem\"")), 12, "connector[0].tls_ca_file",
               "has no effect without tls = true");
  EXPECT_ERROR(error_of(smpp_with("tls = false\ntls_server_name = \"smsc.example.net\"")), 13,
               "connector[0].tls_server_name", "has no effect without tls = true");
}

TEST_F(config_test, smpp_tls_server_name_is_a_host_name) {
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_server_name = \"\"")), 13,
               "connector[0].tls_server_name", "expected a host name");
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_server_name = \"smsc example\"")), 13,
               "connector[0].tls_server_name", "expected a host name");
  EXPECT_TRUE(load(smpp_with("tls = true\ntls_server_name = \"::1\"")).has_value());
}

TEST_F(config_test, tls_keys_on_other_connector_types_are_refused) {
  EXPECT_ERROR(error_of(edited("path = \"out.jsonl\"", "path = \"out.jsonl\"\ntls = true")), 12,
               "connector[0].tls", "applies to smpp connectors only");
  const auto http = edited("type = \"file\"\npath = \"out.jsonl\"",
                           "type = \"http\"\nurl = \"https://api.example.com/send\"\n"
                           "tls_verify = false");
  EXPECT_ERROR(error_of(http), 12, "connector[0].tls_verify", "an https:// url, and ca_file");
}

TEST_F(config_test, smpp_tls_key_typo_is_suggested) {
  EXPECT_ERROR(error_of(smpp_with("tls = true\ntls_ca_flie = \"ca.pem\"")), 13,
               "connector[0].tls_ca_flie", "did you mean 'tls_ca_file'?");
}

}  // namespace
}  // namespace mail2sms::config::testing
