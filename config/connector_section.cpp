// The [[connector]] and [[route]] tables: each connector complete for its type, names unique,
// every route prefix an E.164 prefix that names a defined connector.
#include <algorithm>
#include <cctype>

#include "config/sections.hpp"

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

void read_smpp(const section& s, connector_config& c) {
  s.read("host", c.host);
  if (c.host.empty()) s.fail("host", "must not be empty");
  s.read("port", c.port, 1, 65535);
  s.read("system_id", c.system_id);
  if (c.system_id.empty())
    s.fail("system_id", "an smpp connector needs system_id (its SMPP login)");
  s.read("password", c.password);
  s.read("system_type", c.system_type);
  s.read("source", c.source);
  const bool numeric = !c.source.empty() &&
                       std::all_of(c.source.begin() + (c.source.front() == '+' ? 1 : 0),
                                   c.source.end(), [](unsigned char ch) { return std::isdigit(ch); });
  if (c.source.size() > (numeric ? 21u : 11u))
    s.fail("source", numeric ? "a numeric source address has at most 20 digits"
                             : "an alphanumeric source address has at most 11 characters");
  s.read("window", c.window, 1, 65535);
  s.read("tps", c.tps, 1, 1000000);
  s.read("enquire_link_interval", c.enquire_link_interval);
  s.read("response_timeout", c.response_timeout);
  s.read("receipts", c.receipts);
  one_of(s, "concatenation", c.concatenation, {"udh", "sar"});
  one_of(s, "submit_id_format", c.submit_id_format, {"as-is", "decimal", "hex"});
  one_of(s, "receipt_id_format", c.receipt_id_format, {"as-is", "decimal", "hex"});
  one_of(s, "unknown_policy", c.unknown_policy, {"resend", "hold"});
}

connector_config read_connector(const section& s) {
  s.allow_only({"name", "type", "host", "port", "system_id", "password", "system_type", "window",
                "tps", "enquire_link_interval", "response_timeout", "path", "source", "receipts",
                "concatenation", "submit_id_format", "receipt_id_format", "unknown_policy"});
  connector_config c;
  s.read("name", c.name);
  if (c.name.empty()) s.fail("name", "every connector needs a name (routes refer to it)");
  s.read("type", c.type);
  if (c.type == "smpp") {
    read_smpp(s, c);
  } else if (c.type == "file") {
    s.read_path("path", c.path);
    if (c.path.empty()) s.fail("path", "a file connector needs path (its JSONL output file)");
  } else {
    s.fail("type", c.type.empty()
                       ? "every connector needs a type: \"smpp\" or \"file\""
                       : "unknown connector type '" + c.type + "': expected \"smpp\" or \"file\"");
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
