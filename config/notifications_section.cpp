// The [notifications] table: the relay that takes delivery-status mails, their From:, how the
// connection to it is protected (STARTTLS, AUTH PLAIN over TLS only) and the retry schedule.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "config/sections.hpp"

namespace mail2sms::config::detail {
namespace {

bool plain_address(const std::string& a) {
  const auto at = a.find('@');
  return at != std::string::npos && at > 0 && at + 1 < a.size() &&
         a.find('@', at + 1) == std::string::npos && a.size() <= 254 &&
         std::none_of(a.begin(), a.end(), [](unsigned char c) {
           return c <= 0x20 || c >= 0x7f || std::strchr("<>(),;:\"\\", c) != nullptr;
         });
}

bool host_name(const std::string& h) {
  return !h.empty() && h.size() <= 253 && std::all_of(h.begin(), h.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.';
  });
}

// The password file's first line (without its line break); a missing or empty file fails.
std::string read_password_file(const section& s, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    s.fail("auth_password_file", "cannot read " + path + ": it is a directory");
  std::ifstream file(path);
  if (!file) s.fail("auth_password_file", "cannot read " + path + ": " + std::strerror(errno));
  std::string password;
  std::getline(file, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty())
    s.fail("auth_password_file", path + " is empty (its first line is the password)");
  return password;
}

void read_tls(const section& s, notifications_config& c) {
  s.read("starttls", c.starttls);
  if (c.starttls != "off" && c.starttls != "opportunistic" && c.starttls != "required")
    s.fail("starttls",
           "unknown value '" + c.starttls + "': expected off, opportunistic or required");
  s.read("tls_verify", c.tls_verify);
  s.read_path("tls_ca_file", c.tls_ca_file);
  s.read("tls_server_name", c.tls_server_name);
  for (const std::string_view key : {"tls_ca_file", "tls_verify", "tls_server_name"}) {
    if (s.has(key) && c.starttls == "off")
      s.fail(key, "has no effect with starttls = \"off\" (the connection would be plain TCP)");
  }
  if (s.has("tls_server_name") && !host_name(c.tls_server_name))
    s.fail("tls_server_name", "expected a host name such as \"mail.example.net\"");
  if (!c.tls_ca_file.empty()) check_ca_file(s, c.tls_ca_file);
}

void read_auth(const section& s, notifications_config& c) {
  s.read("auth_user", c.auth_user);
  std::string password_file;
  s.read_path("auth_password_file", password_file);
  if (s.has("auth_user") != s.has("auth_password_file"))
    s.fail(s.has("auth_user") ? "auth_user" : "auth_password_file",
           "set both auth_user and auth_password_file, or neither");
  if (!s.has("auth_user")) return;
  if (c.auth_user.empty()) s.fail("auth_user", "must not be empty");
  if (c.starttls != "required")
    s.fail("auth_user", "AUTH PLAIN is sent over TLS only: set starttls = \"required\"");
  if (!c.tls_verify)
    s.fail("auth_user",
           "AUTH PLAIN needs the relay's certificate verified (tls_verify = true, with "
           "tls_ca_file for a private CA): unverified, the password goes to whoever answers");
  c.auth_password = read_password_file(s, password_file);
}

}  // namespace

notifications_config read_notifications(const section& s) {
  s.allow_only({"relay", "from", "hostname", "starttls", "tls_ca_file", "tls_verify",
                "tls_server_name", "auth_user", "auth_password_file", "timeout", "retry_base",
                "retry_max", "give_up_after", "postmaster_to"});
  notifications_config c;
  c.enabled = true;
  std::string relay;
  s.read("relay", relay);
  if (!s.has("relay"))
    s.fail("relay",
           "is missing: the smarthost (\"HOST:PORT\", e.g. \"127.0.0.1:25\") that takes "
           "the delivery-status mails");
  c.relay = parse_endpoint(s, s.key("relay"), s.line("relay"), relay);
  if (c.relay.port == 0) s.fail("relay", "the port must be from 1 to 65535");
  s.read("from", c.from);
  if (!s.has("from"))
    s.fail("from",
           "is missing: the From: address of delivery-status mails, e.g. "
           "\"mail2sms@example.com\"");
  if (!plain_address(c.from))
    s.fail("from",
           "'" + c.from + "' is not one plain email address (e.g. \"mail2sms@example.com\")");
  s.read("hostname", c.hostname);
  if (s.has("hostname") && !host_name(c.hostname))
    s.fail("hostname", "expected a host name such as \"sms.example.com\"");
  s.read("postmaster_to", c.postmaster_to);
  if (s.has("postmaster_to") && !plain_address(c.postmaster_to))
    s.fail("postmaster_to",
           "'" + c.postmaster_to + "' is not one plain email address (e.g. \"ops@example.com\")");
  read_tls(s, c);
  read_auth(s, c);
  s.read("timeout", c.timeout);
  s.read("retry_base", c.retry_base);
  s.read("retry_max", c.retry_max);
  s.read("give_up_after", c.give_up_after);
  if (c.retry_max < c.retry_base)
    s.fail(s.has("retry_max") ? "retry_max" : "retry_base",
           "retry_max (" + std::to_string(c.retry_max.count()) + ") must be at least retry_base (" +
               std::to_string(c.retry_base.count()) + ")");
  return c;
}

}  // namespace mail2sms::config::detail
