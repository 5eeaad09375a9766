// An http connector's settings, checked and compiled once (templates parsed, patterns compiled),
// and the requests one queued message becomes. Pure: no I/O.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/connectors/http/request_template.hpp"
#include "core/connectors/http/response.hpp"
#include "core/connectors/http/settings.hpp"
#include "core/connectors/http/url.hpp"
#include "core/ports.hpp"

namespace mail2sms::http {

struct settings_error {
  std::string key;  // "url", "headers", "body", "success_pattern", ...
  std::string message;
};

// One header of the request: its name, and its value as a template (escaping none).
struct header_template {
  std::string name;
  request_template value;
};

struct compiled_settings {
  std::string name;
  std::string method;
  url_parts url;            // url.target is the template's text
  request_template target;  // escaping url
  std::vector<header_template> headers;
  request_template body;
  std::string content_type;  // from body_format, unless a header sets Content-Type
  response_rules rules;
  bool per_segment = false;
  std::array<std::string, 2> coding_values;
  std::string default_source;
  std::chrono::milliseconds timeout{10'000};
  std::string ca_file;
  std::size_t max_idle_connections = 8;
};

result<compiled_settings, settings_error> compile(const settings& s);

struct rendered_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The requests one message becomes: one (whole mode) or one per segment. A header value that
// would carry CR or LF is an error (a permanent failure of the message), never sent.
result<std::vector<rendered_request>, std::string> render(const compiled_settings& s,
                                                          const core::queued_message& message);

}  // namespace mail2sms::http
