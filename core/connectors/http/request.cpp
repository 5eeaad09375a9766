// Compiling an http connector's settings and rendering a message into requests.
#include "core/connectors/http/request.hpp"

#include <algorithm>
#include <cctype>

#include "core/sms/sms.hpp"

namespace mail2sms::http {
namespace {

bool is_token(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

result<ok_t, settings_error> compile_headers(const settings& s, compiled_settings& c) {
  for (std::size_t i = 0; i < s.headers.size(); ++i) {
    const auto& line = s.headers[i];
    const auto colon = line.find(':');
    const std::string name = line.substr(0, colon);
    // Not quoted: a header line without its colon ("Authorization Bearer ...") is mostly secret.
    if (colon == std::string::npos || !is_token(name))
      return fail(settings_error{
          "headers", "header " + std::to_string(i + 1) + " of " + std::to_string(s.headers.size()) +
                         ": expected \"Name: value\", a name (letters, digits, -) and a colon "
                         "(the line is not shown: it may hold a secret)"});
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (value.find_first_of("\r\n") != std::string::npos)
      return fail(settings_error{"headers", "header " + name + " contains a line break"});
    auto t = request_template::parse(value, escaping::none);
    if (!t) return fail(settings_error{"headers", "header " + name + ": " + t.error()});
    if (iequals(name, "Content-Type")) c.content_type.clear();
    if (iequals(name, "Host") || iequals(name, "Content-Length") || iequals(name, "Connection"))
      return fail(settings_error{"headers", name + " is set by the connector"});
    c.headers.push_back({name, std::move(*t)});
  }
  return ok;
}

result<ok_t, settings_error> compile_rules(const settings& s, compiled_settings& c) {
  for (const unsigned status : s.success_status) {
    if (status < 100 || status > 599)
      return fail(
          settings_error{"success_status", "not an HTTP status: " + std::to_string(status)});
  }
  c.rules.success_status = s.success_status;
  if (!s.success_pattern.empty()) {
    auto re = compile_pattern(s.success_pattern, false);
    if (!re) return fail(settings_error{"success_pattern", re.error()});
    c.rules.success_pattern = std::move(*re);
  }
  if (!s.message_id_pattern.empty()) {
    auto re = compile_pattern(s.message_id_pattern, true);
    if (!re) return fail(settings_error{"message_id_pattern", re.error()});
    c.rules.message_id_pattern = std::move(*re);
  }
  return ok;
}

}  // namespace

result<compiled_settings, settings_error> compile(const settings& s) {
  compiled_settings c;
  c.name = s.name;
  static const std::vector<std::string> methods = {"GET", "POST", "PUT", "PATCH"};
  if (std::find(methods.begin(), methods.end(), s.method) == methods.end())
    return fail(settings_error{"method", "expected \"GET\", \"POST\", \"PUT\" or \"PATCH\""});
  c.method = s.method;
  auto url = parse_url(s.url);
  if (!url) return fail(settings_error{"url", url.error()});
  c.url = std::move(*url);
  auto target = request_template::parse(c.url.target, escaping::url);
  if (!target) return fail(settings_error{"url", target.error()});
  c.target = std::move(*target);

  escaping body_escaping = escaping::url;
  if (s.body_format == "form") {
    c.content_type = "application/x-www-form-urlencoded";
  } else if (s.body_format == "json") {
    body_escaping = escaping::json;
    c.content_type = "application/json";
  } else if (s.body_format == "text") {
    body_escaping = escaping::none;
    c.content_type = "text/plain; charset=utf-8";
  } else {
    return fail(settings_error{"body_format", "expected \"form\", \"json\" or \"text\""});
  }
  auto body = request_template::parse(s.body, body_escaping);
  if (!body) return fail(settings_error{"body", body.error()});
  c.body = std::move(*body);
  if (c.body.empty()) c.content_type.clear();
  if (!c.body.empty() && c.method == "GET")
    return fail(settings_error{"body", "a GET request has no body: use POST, or the URL's query"});

  if (auto h = compile_headers(s, c); !h) return fail(h.error());
  if (auto r = compile_rules(s, c); !r) return fail(r.error());
  if (s.multipart != "whole" && s.multipart != "segments")
    return fail(settings_error{"multipart",
                               "expected \"whole\" (one request per message) or "
                               "\"segments\" (one request per part, with its UDH)"});
  c.per_segment = s.multipart == "segments";
  c.coding_values = s.coding_values;
  c.default_source = s.default_source;
  c.timeout = s.timeout;
  c.ca_file = s.ca_file;
  c.max_idle_connections = s.max_idle_connections;
  return c;
}

namespace {

std::string as_string(const std::vector<std::uint8_t>& octets) {
  return {octets.begin(), octets.end()};
}

result<rendered_request, std::string> render_one(const compiled_settings& s,
                                                 const message_fields& values) {
  rendered_request r;
  r.method = s.method;
  r.target = s.target.render(values);
  for (const auto& h : s.headers) {
    std::string value = h.value.render(values);
    if (value.find_first_of("\r\n") != std::string::npos)
      return fail("header " + h.name + " would carry a line break (from the message's fields)");
    r.headers.emplace_back(h.name, std::move(value));
  }
  if (!s.content_type.empty()) r.headers.emplace_back("Content-Type", s.content_type);
  r.body = s.body.render(values);
  return r;
}

}  // namespace

result<std::vector<rendered_request>, std::string> render(const compiled_settings& s,
                                                          const core::queued_message& message) {
  message_fields base;
  base.to = message.recipient;
  base.from = message.sender_id.empty() ? s.default_source : message.sender_id;
  base.coding = s.coding_values[message.coding == sms::encoding::ucs2 ? 1 : 0];
  base.message_id = message.queue_id;
  std::vector<rendered_request> out;
  if (!s.per_segment) {
    message_fields v = base;
    for (const auto& segment : message.segments) {
      v.text += sms::decode(message.coding, segment.udh, segment.payload);
      v.payload_hex += sms::to_hex(segment.payload);
    }
    auto r = render_one(s, v);
    if (!r) return fail(r.error());
    out.push_back(std::move(*r));
    return out;
  }
  const int parts = static_cast<int>(message.segments.size());
  for (int i = 0; i < parts; ++i) {
    const auto& segment = message.segments[static_cast<std::size_t>(i)];
    message_fields v = base;
    v.text = sms::decode(message.coding, segment.udh, segment.payload);
    v.udh = as_string(segment.udh);
    v.payload_hex = sms::to_hex(segment.payload);
    v.part = i + 1;
    v.parts = parts;
    auto r = render_one(s, v);
    if (!r) return fail(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace mail2sms::http
