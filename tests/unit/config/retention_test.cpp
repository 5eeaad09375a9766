// The [retention] section: its default, its range, and errors that name the file, line and key.
#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

TEST_F(config_test, retention_defaults_to_thirty_days) {
  auto loaded = load(minimal_toml);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->retention.body_days, 30);
}

TEST_F(config_test, retention_body_days_is_read) {
  auto loaded = load(minimal_toml + "\n[retention]\nbody_days = 7\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->retention.body_days, 7);
}

TEST_F(config_test, retention_errors_name_line_and_key) {
  auto e = error_of(minimal_toml + "\n[retention]\nbody_days = 0\n");
  EXPECT_EQ(e.to_string(), "test.toml:18: retention.body_days: must be between 1 and 36500, got 0");
  e = error_of(minimal_toml + "\n[retention]\nbody_days = \"30\"\n");
  EXPECT_EQ(e.to_string(), "test.toml:18: retention.body_days: expected an integer, got a string");
  e = error_of(minimal_toml + "\n[retention]\nbodydays = 30\n");
  EXPECT_EQ(e.to_string(),
            "test.toml:18: retention.bodydays: unknown key 'bodydays' in [retention]; did you mean "
            "'body_days'?");
  e = error_of("retention = 30\n" + minimal_toml);
  EXPECT_EQ(e.to_string(),
            "test.toml:1: retention: expected a table ([retention]), got an integer");
}

TEST(example_config, documents_retention) {
  auto loaded = load_file(MAIL2SMS_EXAMPLE_CONFIG);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->retention.body_days, 30);
}

}  // namespace
}  // namespace mail2sms::config::testing
