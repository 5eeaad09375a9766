// The [smtp] table: listeners ("HOST:PORT", IPv6 in brackets), domains, TLS files, limits.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "config/sections.hpp"

namespace mail2sms::config::detail {
namespace {

// "127.0.0.1:2525", "[::1]:2525", "localhost:25" -> host and port; "" when it is not that shape.
std::string split_endpoint(const std::string& text, std::string& host, std::string& port) {
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return "expected \"[IPV6]:PORT\", e.g. \"[::1]:2525\"";
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return "expected \"HOST:PORT\", e.g. \"127.0.0.1:2525\"";
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      return "write an IPv6 address in brackets, e.g. \"[::1]:2525\"";
  }
  if (host.empty()) return "the host is missing (use \"0.0.0.0\" or \"[::]\" for every address)";
  if (std::any_of(host.begin(), host.end(), [](unsigned char c) { return std::isspace(c); }))
    return "the host must not contain spaces";
  return {};
}

}  // namespace

endpoint parse_endpoint(const section& smtp, const std::string& key, int line,
                        const std::string& text) {
  std::string host;
  std::string port;
  std::string problem = split_endpoint(text, host, port);
  const bool digits =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
  if (problem.empty() && (!digits || std::stol(port) > 65535))
    problem = "the port must be a number from 0 to 65535";
  if (!problem.empty()) smtp.doc().fail(line, key, "'" + text + "': " + problem);
  return endpoint{host, static_cast<std::uint16_t>(std::stol(port))};
}

namespace {

std::vector<endpoint> read_endpoints(const section& smtp, std::string_view name) {
  std::vector<endpoint> endpoints;
  const auto items = smtp.string_items(name);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string key = smtp.key(name) + "[" + std::to_string(i) + "]";
    endpoints.push_back(parse_endpoint(smtp, key, items[i].line, items[i].value));
  }
  return endpoints;
}

// Two listeners on one fixed address would fail only at bind time; say so now.
void check_distinct(const section& smtp, const smtp_config& c) {
  struct listed {
    const char* name;
    std::size_t index;
    const endpoint* at;
  };
  std::vector<listed> all;
  for (const auto& [name, list] :
       {std::pair{"listen", &c.listen}, std::pair{"listen_tls", &c.listen_tls},
        std::pair{"listen_plaintext_auth", &c.listen_plaintext_auth}}) {
    for (std::size_t i = 0; i < list->size(); ++i) all.push_back({name, i, &(*list)[i]});
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto &a = *all[i].at, &b = *all[j].at;
      if (a.port == 0 || a.port != b.port || a.host != b.host) continue;
      const auto items = smtp.string_items(all[i].name);
      smtp.doc().fail(items[all[i].index].line,
                      smtp.key(all[i].name) + "[" + std::to_string(all[i].index) + "]",
                      "'" + items[all[i].index].value + "' is listed twice");
    }
  }
}

std::vector<std::string> read_domains(const section& smtp) {
  std::vector<std::string> domains;
  const auto items = smtp.string_items("domains");
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string domain = items[i].value;
    std::transform(domain.begin(), domain.end(), domain.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool bad = domain.empty() || domain.find('@') != std::string::npos ||
                     std::any_of(domain.begin(), domain.end(),
                                 [](unsigned char c) { return std::isspace(c) || c == ':'; });
    if (bad) {
      smtp.doc().fail(
          items[i].line, smtp.key("domains") + "[" + std::to_string(i) + "]",
          "'" + items[i].value + "' is not a domain name (write e.g. \"sms.example.com\")");
    }
    domains.push_back(std::move(domain));
  }
  if (domains.empty())
    smtp.fail("domains", "at least one domain is required (e.g. domains = [\"sms.example.com\"])");
  return domains;
}

std::string machine_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name) != 0) return "localhost";
  return name;
}

void check_readable(const section& smtp, std::string_view name, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    smtp.fail(name, "cannot read " + path + ": it is a directory");
  std::ifstream file(path);
  if (!file) smtp.fail(name, "cannot read " + path + ": " + std::strerror(errno));
}

void check_tls(const section& smtp, const smtp_config& c) {
  if (!c.tls_cert.empty() && c.tls_key.empty())
    smtp.fail("tls_cert", "tls_cert is set but tls_key is not: set both (PEM files)");
  if (c.tls_cert.empty() && !c.tls_key.empty())
    smtp.fail("tls_key", "tls_key is set but tls_cert is not: set both (PEM files)");
  if (!c.listen_tls.empty() && c.tls_cert.empty())
    smtp.fail("listen_tls", "implicit TLS listeners need tls_cert and tls_key");
  if (c.tls_cert.empty()) return;
  check_readable(smtp, "tls_cert", c.tls_cert);
  check_readable(smtp, "tls_key", c.tls_key);
}

}  // namespace

smtp_config read_smtp(const section& smtp) {
  smtp.allow_only({"listen",
                   "listen_tls",
                   "listen_plaintext_auth",
                   "hostname",
                   "domains",
                   "tls_cert",
                   "tls_key",
                   "plaintext_auth",
                   "max_message_size",
                   "max_recipients",
                   "max_command_line",
                   "max_text_line",
                   "command_timeout",
                   "data_timeout",
                   "session_timeout",
                   "shutdown_grace",
                   "max_connections",
                   "max_connections_per_ip",
                   "max_errors",
                   "auth_failures_per_ip",
                   "auth_failures_per_user",
                   "auth_failure_window",
                   "account_cache",
                   "postmaster",
                   "postmaster_mailbox_size",
                   "postmaster_per_client"});
  smtp_config c;
  c.listen = read_endpoints(smtp, "listen");
  c.listen_tls = read_endpoints(smtp, "listen_tls");
  c.listen_plaintext_auth = read_endpoints(smtp, "listen_plaintext_auth");
  check_distinct(smtp, c);
  c.hostname = machine_hostname();
  smtp.read("hostname", c.hostname);
  if (c.hostname.empty()) smtp.fail("hostname", "must not be empty");
  c.domains = read_domains(smtp);
  smtp.read_path("tls_cert", c.tls_cert);
  smtp.read_path("tls_key", c.tls_key);
  smtp.read("plaintext_auth", c.plaintext_auth);
  smtp.read("max_message_size", c.max_message_size, 1024);
  smtp.read("max_recipients", c.max_recipients, 1);
  smtp.read("max_command_line", c.max_command_line, 512, 65536);
  smtp.read("max_text_line", c.max_text_line, 1000, 65536);
  smtp.read("command_timeout", c.command_timeout);
  smtp.read("data_timeout", c.data_timeout);
  smtp.read("session_timeout", c.session_timeout);
  smtp.read("shutdown_grace", c.shutdown_grace);
  smtp.read("max_connections", c.max_connections, 1);
  smtp.read("max_connections_per_ip", c.max_connections_per_ip, 1);
  smtp.read("max_errors", c.max_errors, 1);
  smtp.read("auth_failures_per_ip", c.auth_failures_per_ip, 1);
  smtp.read("auth_failures_per_user", c.auth_failures_per_user, 1);
  smtp.read("auth_failure_window", c.auth_failure_window);
  smtp.read("account_cache", c.account_cache, 0);
  smtp.read("postmaster", c.postmaster);
  smtp.read("postmaster_mailbox_size", c.postmaster_mailbox_size, 1);
  smtp.read("postmaster_per_client", c.postmaster_per_client, 1);
  check_tls(smtp, c);
  return c;
}

}  // namespace mail2sms::config::detail
