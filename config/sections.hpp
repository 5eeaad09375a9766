// Readers for each part of the configuration file; each reads, checks and fills its struct,
// failing (load_failure) on the first wrong key, type or value.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "config/toml_reader.hpp"

namespace mail2sms::config::detail {

smtp_config read_smtp(const section& smtp);
database_config read_database(const section& database);
dispatch_config read_dispatch(const section& dispatch);
retention_config read_retention(const section& retention);
pricing_config read_pricing(const section& pricing);
log_config read_log(const section& log);
notifications_config read_notifications(const section& notifications);

// "HOST:PORT" ("[IPV6]:PORT") at `key` on `line`, or a failure saying what shape is expected.
endpoint parse_endpoint(const section& s, const std::string& key, int line,
                        const std::string& text);
// A CA file (the key tls_ca_file of s) must be a readable file with a PEM certificate.
void check_ca_file(const section& s, const std::string& path);

// [[connector]] and [[route]]: at least one of each, routes only to defined connectors.
std::vector<connector_config> read_connectors(const document& doc, const toml::table& root);
std::vector<route_config> read_routes(const document& doc, const toml::table& root,
                                      const std::vector<connector_config>& connectors);

}  // namespace mail2sms::config::detail
