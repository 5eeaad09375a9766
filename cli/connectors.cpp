// Builds each [[connector]] (smpp client, http, or JSONL file) and resolves [[route]] names to
// them.
#include "cli/connectors.hpp"

#include <stdexcept>

#include "cli/common.hpp"
#include "core/connectors/file/file_connector.hpp"
#include "core/connectors/http/connector.hpp"
#include "core/connectors/smpp/client.hpp"

namespace mail2sms::cli {
namespace {

smpp::client_settings smpp_settings_of(const config::connector_config& c,
                                       core::receipt_recorder* receipts) {
  smpp::client_settings s;
  s.name = c.name;
  s.host = c.host;
  s.port = c.port;
  s.tls = {c.tls, c.tls_ca_file, c.tls_verify, c.tls_server_name};
  s.system_id = c.system_id;
  s.password = c.password;
  s.system_type = c.system_type;
  s.topology = c.bind == "pair" ? smpp::bind_topology::pair : smpp::bind_topology::transceiver;
  s.binds = c.binds;
  s.receiver_binds = c.receiver_binds;
  s.receiver_host = c.receiver_host;
  s.receiver_port = c.receiver_port;
  s.default_source = c.source;
  s.window = c.window;
  s.tps = c.tps;
  s.enquire_link_interval = c.enquire_link_interval;
  s.response_timeout = c.response_timeout;
  s.registered_delivery = c.receipts ? 1 : 0;
  s.sar = c.concatenation == "sar";
  // The configuration loader accepted only the names id_format_from knows.
  s.submit_id_format = smpp::id_format_from(c.submit_id_format).value_or(smpp::id_format::as_is);
  s.receipt_id_format = smpp::id_format_from(c.receipt_id_format).value_or(smpp::id_format::as_is);
  if (receipts != nullptr) {
    s.on_receipt = [receipts](core::delivery_report r, smpp::client_settings::ack_fn ack) {
      receipts->add(std::move(r), std::move(ack));
    };
    s.on_reply = [receipts](core::inbound_message m, smpp::client_settings::ack_fn ack) {
      receipts->add(std::move(m), std::move(ack));
    };
  }
  return s;
}

std::unique_ptr<core::sms_connector> make_connector(const config::config& cfg,
                                                    const config::connector_config& c,
                                                    core::receipt_recorder* receipts) {
  if (c.type == "file") return std::make_unique<core::file_connector>(c.name, c.path);
  if (c.type == "http") {
    // The configuration loader compiled these settings once already: this cannot fail.
    auto compiled = http::compile(c.http);
    if (!compiled)
      throw std::logic_error("http connector " + c.name + ": " + compiled.error().message);
    return std::make_unique<http::connector>(std::move(*compiled));
  }
  std::unique_ptr<smpp::client> client;
  try {
    client = std::make_unique<smpp::client>(smpp_settings_of(c, receipts));
  } catch (const std::runtime_error& e) {
    // The loader found PEM text in tls_ca_file; OpenSSL could not use it.
    throw exit_error{exit_usage,
                     cfg.source + ": connector '" + c.name + "': tls_ca_file: " + e.what()};
  }
  client->start();
  return client;
}

}  // namespace

connector_set::connector_set(const config::config& cfg, core::receipt_recorder* receipts) {
  for (const auto& c : cfg.connectors) {
    connectors_.push_back(make_connector(cfg, c, receipts));
    if (c.unknown_policy == "hold") hold_unknown_.insert(c.name);
    if (c.query_after.count() > 0)
      query_targets_.push_back({connectors_.back().get(), c.query_after, c.window});
  }
  auto find = [&](const std::string& name) -> core::sms_connector* {
    for (const auto& c : connectors_) {
      if (c->name() == name) return c.get();
    }
    return nullptr;  // the configuration loader has checked that every name is defined
  };
  for (const auto& r : cfg.routes) {
    routes_.push_back({r.prefix, find(r.connector)});
    for (const auto& name : r.fallback) routes_.push_back({r.prefix, find(name)});
  }
}

void connector_set::stop() {
  for (auto& c : connectors_) {
    if (auto* client = dynamic_cast<smpp::client*>(c.get())) client->stop();
  }
}

// Each smpp::client unbinds and joins its thread in its own destructor.
connector_set::~connector_set() { stop(); }

}  // namespace mail2sms::cli
