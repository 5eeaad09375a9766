// Builds each [[connector]] (smpp client or JSONL file) and resolves [[route]] names to them.
#include "cli/connectors.hpp"

#include "core/connectors/file/file_connector.hpp"
#include "core/connectors/smpp/client.hpp"

namespace mail2sms::cli {
namespace {

std::unique_ptr<core::sms_connector> make_connector(const config::connector_config& c) {
  if (c.type == "file") return std::make_unique<core::file_connector>(c.name, c.path);
  smpp::client_settings s;
  s.name = c.name;
  s.host = c.host;
  s.port = c.port;
  s.system_id = c.system_id;
  s.password = c.password;
  s.system_type = c.system_type;
  s.default_source = c.source;
  s.window = c.window;
  s.tps = c.tps;
  s.enquire_link_interval = c.enquire_link_interval;
  s.response_timeout = c.response_timeout;
  auto client = std::make_unique<smpp::client>(std::move(s));
  client->start();
  return client;
}

}  // namespace

connector_set::connector_set(const config::config& cfg) {
  for (const auto& c : cfg.connectors) connectors_.push_back(make_connector(c));
  for (const auto& r : cfg.routes) {
    for (const auto& c : connectors_) {
      // The configuration loader has checked that every route names a connector.
      if (c->name() == r.connector) routes_.push_back({r.prefix, c.get()});
    }
  }
}

// Each smpp::client unbinds and joins its thread in its own destructor.
connector_set::~connector_set() = default;

}  // namespace mail2sms::cli
