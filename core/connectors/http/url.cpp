// Splitting an http connector's URL into where to connect and what to request.
#include "core/connectors/http/url.hpp"

#include <algorithm>
#include <cctype>

namespace mail2sms::http {

std::string url_parts::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

result<url_parts, std::string> parse_url(std::string_view url) {
  url_parts u;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    u.port = 80;
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    u.tls = true;
    u.port = 443;
  } else {
    return fail(std::string("must start with http:// or https://"));
  }
  const auto path_at = std::min(rest.find('/'), rest.find('?'));
  std::string_view authority = rest.substr(0, path_at);
  u.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (u.target.front() == '?') u.target.insert(0, "/");
  if (u.target.find('#') != std::string::npos)
    return fail(std::string("a URL fragment (#...) is not sent: remove it"));
  if (authority.find('@') != std::string_view::npos)
    return fail(std::string(
        "no user:password@ in the URL: put credentials in the query, a header or the body"));
  if (authority.find('{') != std::string_view::npos)
    return fail(
        std::string("placeholders are allowed in the path and query, not in the host or port"));
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(std::string("unclosed '[' in the host"));
    u.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return fail(std::string("expected ':PORT' after ']'"));
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return fail(std::string("no host"));
  if (authority.find(':') != std::string_view::npos && !authority.starts_with("[") &&
      port_text.empty())
    return fail(std::string("empty port after ':'"));
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(),
                                             [](unsigned char c) { return std::isdigit(c); }))
      return fail("bad port '" + std::string(port_text) + "'");
    const int port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535)
      return fail("port " + std::string(port_text) + " is not in 1..65535");
    u.port = static_cast<std::uint16_t>(port);
  }
  return u;
}

}  // namespace mail2sms::http
