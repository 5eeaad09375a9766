// Loads and validates the TOML configuration (toml++): parse, check every table, and turn the
// first problem into a config_error naming the file, the line and the key.
#include "config/config.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/sections.hpp"

namespace mail2sms::config {

std::string config_error::to_string() const {
  std::string text = file;
  if (line > 0) text += ":" + std::to_string(line);
  text += ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

namespace detail {

namespace {

// Why libpq cannot parse a connection string, without the parts of it libpq's message quotes
// (they can be the password: 'invalid percent-encoded token: "Sup3r%zz..."'); nullopt when it can.
std::optional<std::string> conninfo_problem(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string message = error != nullptr ? error : "out of memory";
  PQfreemem(error);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string shown;
  bool quoted = false;
  for (char ch : message) {
    if (ch == '"') {
      if (!quoted) shown += "\"...\"";
      quoted = !quoted;
    } else if (!quoted) {
      shown += ch;
    }
  }
  return "libpq cannot read it: " + shown + " (the setting is not shown: it may hold a password)";
}

}  // namespace

database_config read_database(const section& database) {
  database.allow_only({"url", "embedded", "pool_size", "group_commit", "commit_writers",
                       "lock_timeout", "answer_timeout", "wal_reserve_mb"});
  database_config c;
  database.read("url", c.url);
  if (database.has("url") && !c.url.empty()) {
    if (auto problem = conninfo_problem(c.url)) database.fail("url", *problem);
  }
  database.read_path("embedded", c.embedded);
  if (database.has("url") && database.has("embedded"))
    database.fail("embedded", "set either url or embedded, not both");
  if (c.url.empty() && c.embedded.empty()) {
    database.doc().fail(database.line("url"), database.has("url") ? "database.url" : "database",
                        "set url (an external PostgreSQL) or embedded (a directory where "
                        "mail2sms runs its own cluster)");
  }
  database.read("pool_size", c.pool_size, 1, 1024);
  database.read("group_commit", c.group_commit, 1, 10000);
  database.read("commit_writers", c.commit_writers, 1, 64);
  database.read("lock_timeout", c.lock_timeout, 1, 3600);
  c.answer_timeout = std::max(c.answer_timeout, c.lock_timeout + 30);
  database.read("answer_timeout", c.answer_timeout, 2, 7200);
  if (database.has("answer_timeout") && c.answer_timeout <= c.lock_timeout)
    database.fail("answer_timeout", "must be more than lock_timeout (" +
                                        std::to_string(c.lock_timeout) +
                                        "): a statement may wait that long for a row lock");
  database.read("wal_reserve_mb", c.wal_reserve_mb, 0, 65536);
  if (database.has("wal_reserve_mb") && c.embedded.empty())
    database.fail("wal_reserve_mb",
                  "applies to the embedded cluster only: set min_wal_size on the server at url");
  return c;
}

dispatch_config read_dispatch(const section& dispatch) {
  dispatch.allow_only({"enabled", "batch_size", "max_attempts", "retry_base", "retry_max",
                       "validity", "max_in_flight", "reply_parts_wait", "claim_interval_ms"});
  dispatch_config c;
  dispatch.read("enabled", c.enabled);
  dispatch.read("batch_size", c.batch_size, 1, 100000);
  dispatch.read("max_attempts", c.max_attempts, 1, 1000000);
  dispatch.read("retry_base", c.retry_base);
  dispatch.read("retry_max", c.retry_max);
  dispatch.read("validity", c.validity);
  dispatch.read("max_in_flight", c.max_in_flight, 1, 1000000);
  dispatch.read("reply_parts_wait", c.reply_parts_wait);
  dispatch.read("claim_interval_ms", c.claim_interval_ms, 0, 1000);
  if (c.retry_max < c.retry_base) {
    dispatch.fail(dispatch.has("retry_max") ? "retry_max" : "retry_base",
                  "retry_max (" + std::to_string(c.retry_max.count()) +
                      ") must be at least retry_base (" + std::to_string(c.retry_base.count()) +
                      ")");
  }
  return c;
}

retention_config read_retention(const section& retention) {
  retention.allow_only({"body_days"});
  retention_config c;
  retention.read("body_days", c.body_days, 1, 36500);
  return c;
}

pricing_config read_pricing(const section& pricing) {
  pricing_config c;
  constexpr std::int64_t max_price = 1000000;
  for (const auto& key : pricing.keys()) {
    if (key == "default") {
      pricing.read("default", c.default_price, 0, max_price);
      continue;
    }
    const bool country = key.size() == 2 && std::isupper(static_cast<unsigned char>(key[0])) &&
                         std::isupper(static_cast<unsigned char>(key[1]));
    if (!country) {
      pricing.fail(key, "unknown key '" + key +
                            "' in [pricing]: write default = N or a country code in capitals, "
                            "e.g. GB = 2 (credits per SMS segment)");
    }
    std::int64_t price = 1;
    pricing.read(key, price, 0, max_price);
    c.by_country.emplace(key, price);
  }
  return c;
}

log_config read_log(const section& log) {
  log.allow_only({"level"});
  log_config c;
  log.read("level", c.level);
  static const std::vector<std::string> levels{"trace", "debug", "info", "warn", "error"};
  if (std::find(levels.begin(), levels.end(), c.level) == levels.end()) {
    std::string message =
        "unknown level '" + c.level + "': expected trace, debug, info, warn or error";
    const std::string suggestion = closest(c.level, levels);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
    log.fail("level", std::move(message));
  }
  return c;
}

namespace {

// A [name] table of the document, read as empty when absent.
section table(const document& doc, const section& root, std::string_view name) {
  const auto* node = root.find(name);
  if (node != nullptr && !node->is_table())
    root.fail(name, "expected a table ([" + std::string(name) + "]), got " + type_name(*node));
  return section(doc, node != nullptr ? node->as_table() : nullptr, std::string(name),
                 "[" + std::string(name) + "]");
}

config read_document(const document& doc, const toml::table& root_table) {
  const section root(doc, &root_table, "", "the top level");
  root.allow_only({"smtp", "database", "connector", "route", "dispatch", "retention", "pricing",
                   "notifications", "log"});
  config c;
  c.source = doc.file;
  c.smtp = read_smtp(table(doc, root, "smtp"));
  c.database = read_database(table(doc, root, "database"));
  c.connectors = read_connectors(doc, root_table);
  c.routes = read_routes(doc, root_table, c.connectors);
  c.dispatch = read_dispatch(table(doc, root, "dispatch"));
  c.retention = read_retention(table(doc, root, "retention"));
  c.pricing = read_pricing(table(doc, root, "pricing"));
  if (root.has("notifications")) {
    const section notifications = table(doc, root, "notifications");
    c.notifications = read_notifications(notifications);
    // Forwarded to one of our own domains, a mail to the postmaster would come back to us and be
    // forwarded again, for ever (or become an SMS).
    const auto& to = c.notifications.postmaster_to;
    const auto at = to.rfind('@');
    for (const auto& domain : c.smtp.domains) {
      if (at != std::string::npos && to.size() - at - 1 == domain.size() &&
          std::equal(domain.begin(), domain.end(), to.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        notifications.fail("postmaster_to", "'" + to + "' is in " + domain +
                                                ", one of [smtp] domains: mail forwarded there "
                                                "would come back here; give a mailbox elsewhere");
    }
  }
  c.log = read_log(table(doc, root, "log"));
  return c;
}

}  // namespace
}  // namespace detail

result<config, config_error> load_string(std::string_view toml, const std::string& source_name,
                                         const std::string& base_dir) {
  const detail::document doc{source_name, base_dir};
  try {
    const toml::table root = toml::parse(toml, source_name);
    return detail::read_document(doc, root);
  } catch (const toml::parse_error& e) {
    return fail(config_error{source_name, static_cast<int>(e.source().begin.line), "",
                             std::string(e.description())});
  } catch (detail::load_failure& f) {
    return fail(std::move(f.error));
  }
}

result<config, config_error> load_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::error_code ec;
  if (!file || std::filesystem::is_directory(path, ec)) {
    const std::string reason = file ? "it is a directory" : std::strerror(errno);
    return fail(config_error{path, 0, "", "cannot read: " + reason});
  }
  std::ostringstream text;
  text << file.rdbuf();
  const auto base_dir = std::filesystem::absolute(path).parent_path().string();
  return load_string(text.str(), path, base_dir);
}

}  // namespace mail2sms::config
