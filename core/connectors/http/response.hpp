// How an http connector reads a provider's answer: success by status and an optional pattern
// on the body, the provider's message id from a pattern's first capture group, and failures
// sorted into permanent and transient. Pure: no I/O.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports.hpp"
#include "core/result.hpp"

namespace mail2sms::http {

struct response_rules {
  std::vector<unsigned> success_status;          // empty: any 2xx
  std::optional<std::regex> success_pattern;     // searched in the body of a success status
  std::optional<std::regex> message_id_pattern;  // capture group 1 is the provider's id
};

// ECMAScript syntax; message_id patterns must have a capture group.
result<std::regex, std::string> compile_pattern(const std::string& pattern, bool needs_group);

struct classified_response {
  core::submit_outcome::status state = core::submit_outcome::status::transient_failure;
  std::string message_id;  // empty when no pattern or no match
  std::string reason;      // "HTTP 503 Service Unavailable", never the body
};

// A success status whose body matches success_pattern (when set) -> submitted. A success status
// whose body does not match -> permanent (the provider took the request and said no; resending
// could duplicate). 408, 429 and 5xx -> transient; any other status -> permanent.
classified_response classify(unsigned status, std::string_view status_text, std::string_view body,
                             const response_rules& rules);

}  // namespace mail2sms::http
