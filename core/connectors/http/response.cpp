// Classifying provider answers; see response.hpp.
#include "core/connectors/http/response.hpp"

#include <algorithm>

namespace mail2sms::http {

result<std::regex, std::string> compile_pattern(const std::string& pattern, bool needs_group) {
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    if (needs_group && re.mark_count() < 1)
      return fail(std::string("needs a capture group: the id is what (...) matches"));
    return re;
  } catch (const std::regex_error& e) {
    return fail("not a valid regular expression (ECMAScript): " + std::string(e.what()));
  }
}

classified_response classify(unsigned status, std::string_view status_text, std::string_view body,
                             const response_rules& rules) {
  using state = core::submit_outcome::status;
  classified_response r;
  r.reason = "HTTP " + std::to_string(status);
  if (!status_text.empty()) r.reason += " " + std::string(status_text);
  const bool success = rules.success_status.empty()
                           ? status >= 200 && status < 300
                           : std::find(rules.success_status.begin(), rules.success_status.end(),
                                       status) != rules.success_status.end();
  if (success) {
    if (rules.success_pattern &&
        !std::regex_search(body.begin(), body.end(), *rules.success_pattern)) {
      r.state = state::permanent_failure;
      r.reason += ", but the body does not match success_pattern";
      return r;
    }
    r.state = state::submitted;
    r.reason.clear();
    std::match_results<std::string_view::const_iterator> m;
    if (rules.message_id_pattern &&
        std::regex_search(body.begin(), body.end(), m, *rules.message_id_pattern) && m[1].matched)
      r.message_id = m[1].str();
    return r;
  }
  r.state = status == 408 || status == 429 || (status >= 500 && status < 600)
                ? state::transient_failure
                : state::permanent_failure;
  return r;
}

}  // namespace mail2sms::http
