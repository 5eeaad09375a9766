// MIME header parameters (Content-Type, Content-Disposition) as RFC 2045 and RFC 2231 write
// them: plain `name=value`, extended `name*=charset'lang'%XX`, and continuations `name*0=`,
// `name*1*=`.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mail2sms::mail {

// name (as written, e.g. "filename*1*") and value (quotes already removed), in header order.
using raw_params = std::vector<std::pair<std::string, std::string>>;

// The value of parameter `name` (case-insensitive) as UTF-8, with RFC 2231 continuations joined
// and percent-encoding decoded in the charset it names. Empty when absent.
std::string param_value(const raw_params& params, std::string_view name);

}  // namespace mail2sms::mail
