// The [pricing] section: credits per SMS segment by destination country.
#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

TEST_F(config_test, pricing_defaults_to_one_credit_a_segment_everywhere) {
  auto loaded = load(minimal_toml);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->pricing.default_price, 1);
  EXPECT_TRUE(loaded->pricing.by_country.empty());
}

TEST_F(config_test, pricing_reads_the_default_and_countries) {
  auto loaded = load(minimal_toml + "\n[pricing]\ndefault = 2\nGB = 3\nDE = 0\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->pricing.default_price, 2);
  EXPECT_EQ(loaded->pricing.by_country.at("GB"), 3);
  EXPECT_EQ(loaded->pricing.by_country.at("DE"), 0);
}

TEST_F(config_test, pricing_errors_name_line_and_key) {
  auto e = error_of(minimal_toml + "\n[pricing]\ngb = 3\n");
  EXPECT_EQ(e.to_string(),
            "test.toml:18: pricing.gb: unknown key 'gb' in [pricing]: write default = N or a "
            "country code in capitals, e.g. GB = 2 (credits per SMS segment)");
  e = error_of(minimal_toml + "\n[pricing]\nGB = -1\n");
  EXPECT_EQ(e.to_string(), "test.toml:18: pricing.GB: must be between 0 and 1000000, got -1");
  e = error_of(minimal_toml + "\n[pricing]\ndefault = \"1\"\n");
  EXPECT_EQ(e.to_string(), "test.toml:18: pricing.default: expected an integer, got a string");
}

TEST(example_config, documents_pricing) {
  auto loaded = load_file(MAIL2SMS_EXAMPLE_CONFIG);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->pricing.default_price, 1);
}

}  // namespace
}  // namespace mail2sms::config::testing
