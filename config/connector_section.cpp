// The [[connector]] and [[route]] tables: each connector complete for its type, names unique,
// every route prefix an E.164 prefix that names a defined connector.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/sections.hpp"
#include "core/connectors/http/request.hpp"

namespace mail2sms::config::detail {
namespace {

void one_of(const section& s, std::string_view key, std::string& out,
            const std::vector<std::string>& allowed) {
  s.read(key, out);
  if (std::find(allowed.begin(), allowed.end(), out) != allowed.end()) return;
  std::string expected;
  for (const auto& a : allowed) expected += (expected.empty() ? "\"" : ", \"") + a + "\"";
  s.fail(std::string(key), "unknown value '" + out + "': expected one of " + expected);
}

void read_source(const section& s, connector_config& c) {
  s.read("source", c.source);
  const bool numeric = !c.source.empty() &&
                       std::all_of(c.source.begin() + (c.source.front() == '+' ? 1 : 0),
                                   c.source.end(), [](unsigned char ch) { return std::isdigit(ch); });
  if (c.source.size() > (numeric ? 21u : 11u))
    s.fail("source", numeric ? "a numeric source address has at most 20 digits"
                             : "an alphanumeric source address has at most 11 characters");
}

}  // namespace

// A CA file must be a readable file holding at least one PEM certificate; OpenSSL parses it when
// the connector starts.
void check_ca_file(const section& s, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    s.fail("tls_ca_file", "cannot read " + path + ": it is a directory (name a PEM file)");
  std::ifstream file(path);
  if (!file) s.fail("tls_ca_file", "cannot read " + path + ": " + std::strerror(errno));
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    s.fail("tls_ca_file", path + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
}

namespace {

void read_tls(const section& s, connector_config& c) {
  s.read("tls", c.tls);
  s.read("tls_verify", c.tls_verify);
  s.read_path("tls_ca_file", c.tls_ca_file);
  s.read("tls_server_name", c.tls_server_name);
  for (const std::string_view key : {"tls_ca_file", "tls_server_name"}) {
    if (s.has(key) && !c.tls)
      s.fail(key, "has no effect without tls = true (the connection would be plain TCP)");
  }
  if (s.has("tls_server_name") &&
      (c.tls_server_name.empty() ||
       std::any_of(c.tls_server_name.begin(), c.tls_server_name.end(),
                   [](unsigned char ch) { return std::isspace(ch) || ch == '/'; })))
    s.fail("tls_server_name",
           "expected a host name such as \"smsc.example.net\" (or an IP address)");
  if (!c.tls_ca_file.empty()) check_ca_file(s, c.tls_ca_file);
}

// TLS to an SMSC and the binds are smpp settings; elsewhere they would be silently ignored.
void reject_smpp_keys(const section& s, const std::string& tls_instead) {
  for (const std::string_view key : {"tls", "tls_ca_file", "tls_verify", "tls_server_name"}) {
    if (s.has(key)) s.fail(key, "applies to smpp connectors only" + tls_instead);
  }
  for (const std::string_view key :
       {"bind", "binds", "receiver_binds", "receiver_host", "receiver_port"}) {
    if (s.has(key)) s.fail(key, "applies to smpp connectors only");
  }
  if (s.has("query_after"))
    s.fail("query_after", "applies to smpp connectors only (query_sm asks an SMSC)");
}

// How many connections, of which kind: transceivers, or transmitters and receivers (pair).
void read_binds(const section& s, connector_config& c) {
  one_of(s, "bind", c.bind, {"transceiver", "pair"});
  s.read("binds", c.binds, 1, 32);
  const bool pair = c.bind == "pair";
  for (const std::string_view key : {"receiver_binds", "receiver_host", "receiver_port"}) {
    if (s.has(key) && !pair)
      s.fail(key, "applies only with bind = \"pair\" (a transceiver receives on its own bind)");
  }
  s.read("receiver_binds", c.receiver_binds, 1, 32);
  s.read("receiver_host", c.receiver_host);
  if (s.has("receiver_host") && c.receiver_host.empty())
    s.fail("receiver_host", "must not be empty (leave it out to use host)");
  s.read("receiver_port", c.receiver_port, 1, 65535);
}

// query_sm is SMPP's: an http or file connector has nothing to ask.
void read_smpp(const section& s, connector_config& c) {
  s.read("host", c.host);
  if (c.host.empty()) s.fail("host", "must not be empty");
  s.read("port", c.port, 1, 65535);
  read_tls(s, c);
  s.read("system_id", c.system_id);
  if (c.system_id.empty())
    s.fail("system_id", "an smpp connector needs system_id (its SMPP login)");
  s.read("password", c.password);
  s.read("system_type", c.system_type);
  read_source(s, c);
  read_binds(s, c);
  s.read("window", c.window, 1, 65535);
  s.read("tps", c.tps, 1, 1000000);
  s.read("enquire_link_interval", c.enquire_link_interval);
  s.read("response_timeout", c.response_timeout);
  s.read("receipts", c.receipts);
  one_of(s, "concatenation", c.concatenation, {"udh", "sar"});
  one_of(s, "submit_id_format", c.submit_id_format, {"as-is", "decimal", "hex"});
  one_of(s, "receipt_id_format", c.receipt_id_format, {"as-is", "decimal", "hex"});
  one_of(s, "unknown_policy", c.unknown_policy, {"resend", "hold"});
  s.read("query_after", c.query_after, 0);
}

std::vector<unsigned> read_statuses(const section& s, std::string_view name) {
  std::vector<unsigned> statuses;
  const auto* node = s.find(name);
  if (node == nullptr) return statuses;
  const auto* array = node->as_array();
  if (array == nullptr) s.fail(name, "expected an array of HTTP statuses, got " + type_name(*node));
  for (const auto& element : *array) {
    const auto* value = element.as_integer();
    if (value == nullptr || value->get() < 100 || value->get() > 599)
      s.doc().fail(line_of(element), s.key(name), "expected HTTP statuses (100..599), e.g. [200, 202]");
    statuses.push_back(static_cast<unsigned>(value->get()));
  }
  return statuses;
}

void read_http(const section& s, connector_config& c) {
  http::settings& h = c.http;
  h.name = c.name;
  s.read("url", h.url);
  if (h.url.empty()) s.fail("url", "an http connector needs url (the provider's API endpoint)");
  s.read("method", h.method);
  s.read("headers", h.headers);
  s.read("body", h.body);
  s.read("body_format", h.body_format);
  h.success_status = read_statuses(s, "success_status");
  s.read("success_pattern", h.success_pattern);
  s.read("message_id_pattern", h.message_id_pattern);
  s.read("multipart", h.multipart);
  std::vector<std::string> coding{h.coding_values.begin(), h.coding_values.end()};
  s.read("coding_values", coding);
  if (coding.size() != 2)
    s.fail("coding_values", "expected two values: {coding} for GSM 03.38, then for UCS-2");
  h.coding_values = {coding[0], coding[1]};
  h.default_source = c.source;
  std::chrono::seconds timeout{10};
  s.read("timeout", timeout);
  h.timeout = timeout;
  s.read_path("ca_file", h.ca_file);
  if (!h.ca_file.empty() && !std::filesystem::is_regular_file(h.ca_file))
    s.fail("ca_file", "no such file: " + h.ca_file);
  s.read("max_idle_connections", h.max_idle_connections, 0, 1024);
  if (auto compiled = http::compile(h); !compiled)
    s.fail(compiled.error().key, compiled.error().message);
}

connector_config read_connector(const section& s) {
  s.allow_only({"name",
                "type",
                "host",
                "port",
                "system_id",
                "password",
                "system_type",
                "window",
                "tps",
                "enquire_link_interval",
                "response_timeout",
                "path",
                "source",
                "receipts",
                "concatenation",
                "submit_id_format",
                "receipt_id_format",
                "unknown_policy",
                "query_after",
                "url",
                "method",
                "headers",
                "body",
                "body_format",
                "success_status",
                "success_pattern",
                "message_id_pattern",
                "multipart",
                "coding_values",
                "timeout",
                "ca_file",
                "max_idle_connections",
                "tls",
                "tls_ca_file",
                "tls_verify",
                "tls_server_name",
                "bind",
                "binds",
                "receiver_binds",
                "receiver_host",
                "receiver_port"});
  connector_config c;
  s.read("name", c.name);
  if (c.name.empty()) s.fail("name", "every connector needs a name (routes refer to it)");
  s.read("type", c.type);
  if (c.type == "smpp") {
    read_smpp(s, c);
  } else if (c.type == "http") {
    reject_smpp_keys(s, " (http: an https:// url, and ca_file)");
    read_source(s, c);
    read_http(s, c);
  } else if (c.type == "file") {
    reject_smpp_keys(s, "");
    s.read_path("path", c.path);
    if (c.path.empty()) s.fail("path", "a file connector needs path (its JSONL output file)");
  } else {
    s.fail("type", c.type.empty()
                       ? "every connector needs a type: \"smpp\", \"http\" or \"file\""
                       : "unknown connector type '" + c.type +
                             "': expected \"smpp\", \"http\" or \"file\"");
  }
  return c;
}

bool is_prefix(const std::string& prefix) {
  return !prefix.empty() && prefix.front() == '+' &&
         std::all_of(prefix.begin() + 1, prefix.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::vector<connector_config> read_connectors(const document& doc, const toml::table& root) {
  std::vector<connector_config> connectors;
  std::vector<int> lines;
  for (const auto& s : table_array(doc, root, "connector")) {
    connector_config c = read_connector(s);
    for (std::size_t i = 0; i < connectors.size(); ++i) {
      if (connectors[i].name == c.name)
        s.fail("name", "duplicate connector name '" + c.name + "' (first defined at line " +
                           std::to_string(lines[i]) + ")");
    }
    lines.push_back(s.line("name"));
    connectors.push_back(std::move(c));
  }
  if (connectors.empty())
    doc.fail(0, "connector", "no connectors: add at least one [[connector]] table");
  return connectors;
}

std::vector<route_config> read_routes(const document& doc, const toml::table& root,
                                      const std::vector<connector_config>& connectors) {
  std::vector<std::string> names;
  for (const auto& c : connectors) names.push_back(c.name);
  std::vector<route_config> routes;
  for (const auto& s : table_array(doc, root, "route")) {
    s.allow_only({"prefix", "connector", "fallback"});
    route_config r;
    s.read("prefix", r.prefix);
    if (!is_prefix(r.prefix))
      s.fail("prefix", "expected '+' and country/number digits, e.g. \"+\" (all) or \"+27\"");
    for (const auto& earlier : routes) {
      if (earlier.prefix == r.prefix) s.fail("prefix", "duplicate route prefix '" + r.prefix + "'");
    }
    s.read("connector", r.connector);
    if (std::find(names.begin(), names.end(), r.connector) == names.end()) {
      std::string message = r.connector.empty() ? "every route needs a connector"
                                                : "unknown connector '" + r.connector + "'";
      const std::string suggestion = closest(r.connector, names);
      if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
      s.fail("connector", std::move(message));
    }
    s.read("fallback", r.fallback);
    for (const auto& name : r.fallback) {
      if (std::find(names.begin(), names.end(), name) == names.end() || name == r.connector)
        s.fail("fallback", name == r.connector ? "the route's own connector cannot be its fallback"
                                               : "unknown connector '" + name + "'");
    }
    routes.push_back(std::move(r));
  }
  if (routes.empty()) doc.fail(0, "route", "no routes: add at least one [[route]] table");
  return routes;
}

}  // namespace mail2sms::config::detail
