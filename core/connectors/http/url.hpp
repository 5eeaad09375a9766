// The URL of an http connector: scheme, host and port are fixed; the path and query are a
// request template (placeholders allowed, percent-encoded). Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mail2sms::http {

struct url_parts {
  bool tls = false;               // https
  std::string host;               // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 0;         // 80 / 443 unless given
  std::string target;             // "/path?query" (the template text), "/" when empty
  std::string authority() const;  // "host:port", IPv6 in brackets: for logs and the Host header
};

// http://HOST[:PORT][/PATH][?QUERY] or https://...; no user info (put credentials in the query,
// a header or the body), no fragment, no placeholder before the path.
result<url_parts, std::string> parse_url(std::string_view url);

}  // namespace mail2sms::http
