// The smpp connector's bind keys (bind, binds, receiver_*): defaults, values, and each mistake
// named by file, line and key.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

TEST_F(config_test, smpp_binds_default_to_one_transceiver) {
  auto loaded = load(smpp_with(""));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const auto& c = loaded->connectors[0];
  EXPECT_EQ(c.bind, "transceiver");
  EXPECT_EQ(c.binds, 1);
  EXPECT_EQ(c.receiver_binds, 1);
  EXPECT_EQ(c.receiver_host, "");
  EXPECT_EQ(c.receiver_port, 0);
}

TEST_F(config_test, smpp_pair_with_its_receiver_elsewhere) {
  auto loaded = load(smpp_with(
      "bind = \"pair\"\nbinds = 3\nreceiver_binds = 2\nreceiver_host = \"rx.example.net\"\n"
      "receiver_port = 2776"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const auto& c = loaded->connectors[0];
  EXPECT_EQ(c.bind, "pair");
  EXPECT_EQ(c.binds, 3);
  EXPECT_EQ(c.receiver_binds, 2);
  EXPECT_EQ(c.receiver_host, "rx.example.net");
  EXPECT_EQ(c.receiver_port, 2776);

  auto transceivers = load(smpp_with("bind = \"transceiver\"\nbinds = 32"));
  ASSERT_TRUE(transceivers.has_value()) << transceivers.error().to_string();
  EXPECT_EQ(transceivers->connectors[0].binds, 32);
}

TEST_F(config_test, smpp_bind_mode_must_be_known) {
  EXPECT_ERROR(error_of(smpp_with("bind = \"receiver\"")), 12, "connector[0].bind",
               "unknown value 'receiver': expected one of \"transceiver\", \"pair\"");
  EXPECT_ERROR(error_of(smpp_with("bind = 2")), 12, "connector[0].bind",
               "expected a string, got an integer");
}

TEST_F(config_test, smpp_bind_counts_are_bounded) {
  EXPECT_ERROR(error_of(smpp_with("binds = 0")), 12, "connector[0].binds",
               "must be between 1 and 32, got 0");
  EXPECT_ERROR(error_of(smpp_with("binds = 33")), 12, "connector[0].binds",
               "must be between 1 and 32, got 33");
  EXPECT_ERROR(error_of(smpp_with("binds = \"2\"")), 12, "connector[0].binds",
               "expected an integer, got a string");
  EXPECT_ERROR(error_of(smpp_with("bind = \"pair\"\nreceiver_binds = 40")), 13,
               "connector[0].receiver_binds", "must be between 1 and 32, got 40");
  EXPECT_ERROR(error_of(smpp_with("bind = \"pair\"\nreceiver_port = 70000")), 13,
               "connector[0].receiver_port", "must be between 1 and 65535");
  EXPECT_ERROR(error_of(smpp_with("bind = \"pair\"\nreceiver_host = \"\"")), 13,
               "connector[0].receiver_host", "must not be empty");
}

TEST_F(config_test, smpp_receiver_keys_need_pair_mode) {
  EXPECT_ERROR(error_of(smpp_with("receiver_host = \"rx.example.net\"")), 12,
               "connector[0].receiver_host", "applies only with bind = \"pair\"");
  EXPECT_ERROR(error_of(smpp_with("bind = \"transceiver\"\nreceiver_port = 2776")), 13,
               "connector[0].receiver_port", "applies only with bind = \"pair\"");
  EXPECT_ERROR(error_of(smpp_with("binds = 2\nreceiver_binds = 1")), 13,
               "connector[0].receiver_binds", "applies only with bind = \"pair\"");
}

TEST_F(config_test, bind_keys_on_other_connector_types_are_refused) {
  EXPECT_ERROR(error_of(edited("path = \"out.jsonl\"", "path = \"out.jsonl\"\nbinds = 2")), 12,
               "connector[0].binds", "applies to smpp connectors only");
  const auto http = edited("type = \"file\"\npath = \"out.jsonl\"",
                           "type = \"http\"\nurl = \"https://api.example.com/send\"\n"
                           "bind = \"pair\"");
  EXPECT_ERROR(error_of(http), 12, "connector[0].bind", "applies to smpp connectors only");
}

}  // namespace
}  // namespace mail2sms::config::testing
