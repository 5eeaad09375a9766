// The smpp connector's query_after: off by default, seconds when set, and each mistake named by
// file, line and key.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

// minimal_toml with an smpp connector whose lines from 12 on are `lines`.
std::string smpp_with(const std::string& lines) {
  return edited("type = \"file\"\npath = \"out.jsonl\"",
                "type = \"smpp\"\nsystem_id = \"id\"\n" + lines);
}

TEST_F(config_test, query_after_is_off_by_default_and_read_in_seconds) {
  auto plain = load(smpp_with(""));
  ASSERT_TRUE(plain.has_value()) << plain.error().to_string();
  EXPECT_EQ(plain->connectors[0].query_after.count(), 0);

  auto set = load(smpp_with("query_after = 3600"));
  ASSERT_TRUE(set.has_value()) << set.error().to_string();
  EXPECT_EQ(set->connectors[0].query_after.count(), 3600);

  auto off = load(smpp_with("query_after = 0"));
  ASSERT_TRUE(off.has_value()) << off.error().to_string();
  EXPECT_EQ(off->connectors[0].query_after.count(), 0);
}

TEST_F(config_test, query_after_mistakes) {
  EXPECT_ERROR(error_of(smpp_with("query_after = -1")), 12, "connector[0].query_after",
               "must be between 0 and");
  EXPECT_ERROR(error_of(smpp_with("query_after = \"1h\"")), 12, "connector[0].query_after",
               "expected an integer, got a string");
  EXPECT_ERROR(error_of(edited("path = \"out.jsonl\"", "path = \"out.jsonl\"\nquery_after = 60")),
               12, "connector[0].query_after", "applies to smpp connectors only");
  EXPECT_ERROR(error_of(edited("type = \"file\"\npath = \"out.jsonl\"",
                               "type = \"http\"\nurl = \"http://127.0.0.1:9/send?to={to}\"\n"
                               "query_after = 60")),
               12, "connector[0].query_after", "applies to smpp connectors only");
}

}  // namespace
}  // namespace mail2sms::config::testing
