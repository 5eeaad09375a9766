// How the http connector reads a provider's answer: status classes, the success pattern, and the
// provider's id from the id pattern's capture group.
#include <gtest/gtest.h>

#include "core/connectors/http/response.hpp"

namespace mail2sms::http {
namespace {

using state = core::submit_outcome::status;

TEST(http_response, status_classes) {
  const response_rules rules;
  struct row {
    unsigned status;
    state expected;
  };
  for (const auto& [status, expected] : std::vector<row>{{200, state::submitted},
                                                         {202, state::submitted},
                                                         {204, state::submitted},
                                                         {301, state::permanent_failure},
                                                         {400, state::permanent_failure},
                                                         {401, state::permanent_failure},
                                                         {403, state::permanent_failure},
                                                         {404, state::permanent_failure},
                                                         {408, state::transient_failure},
                                                         {429, state::transient_failure},
                                                         {500, state::transient_failure},
                                                         {502, state::transient_failure},
                                                         {503, state::transient_failure}}) {
    EXPECT_EQ(classify(status, "", "", rules).state, expected) << status;
  }
  const auto refused = classify(403, "Forbidden", "Authorization failed for sendsms", rules);
  EXPECT_EQ(refused.reason, "HTTP 403 Forbidden") << "the body is never in the reason";
}

TEST(http_response, explicit_success_statuses_replace_2xx) {
  response_rules rules;
  rules.success_status = {202};
  EXPECT_EQ(classify(202, "Accepted", "", rules).state, state::submitted);
  EXPECT_EQ(classify(200, "OK", "", rules).state, state::permanent_failure);
}

TEST(http_response, success_pattern_must_match_the_body) {
  response_rules rules;
  rules.success_pattern = *compile_pattern("^0: Accepted", false);
  EXPECT_EQ(classify(202, "Accepted", "0: Accepted for delivery", rules).state, state::submitted);
  const auto no = classify(200, "OK", "ERR: no credit", rules);
  EXPECT_EQ(no.state, state::permanent_failure);
  EXPECT_EQ(no.reason, "HTTP 200 OK, but the body does not match success_pattern");
  EXPECT_EQ(classify(503, "", "0: Accepted", rules).state, state::transient_failure)
      << "the pattern does not turn a failure status into success";
}

TEST(http_response, id_from_the_first_capture_group) {
  response_rules rules;
  rules.message_id_pattern = *compile_pattern("\"id\"\\s*:\\s*\"([^\"]+)\"", true);
  const auto r = classify(200, "OK", "{\"status\":\"ok\",\"id\": \"SM-123abc\"}", rules);
  EXPECT_EQ(r.state, state::submitted);
  EXPECT_EQ(r.message_id, "SM-123abc");
  EXPECT_TRUE(r.reason.empty());
  EXPECT_EQ(classify(200, "OK", "{}", rules).message_id, "") << "no match: no id, still submitted";
  EXPECT_EQ(classify(200, "OK", "{}", rules).state, state::submitted);
}

TEST(http_response, patterns_are_checked) {
  EXPECT_FALSE(compile_pattern("(", false).has_value());
  const auto no_group = compile_pattern("id: \\w+", true);
  ASSERT_FALSE(no_group.has_value());
  EXPECT_NE(no_group.error().find("capture group"), std::string::npos);
  EXPECT_TRUE(compile_pattern("id: (\\w+)", true).has_value());
}

}  // namespace
}  // namespace mail2sms::http
