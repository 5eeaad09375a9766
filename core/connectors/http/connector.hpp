// The http connector: each message becomes one request (or one per segment) to a provider's
// HTTP API, built from the connector's templates, over keep-alive connections (HTTPS with
// OpenSSL, certificates verified). submit() blocks the calling thread; it is thread-safe, each
// concurrent call using its own connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/connectors/http/request.hpp"
#include "core/ports.hpp"

namespace mail2sms::http {

struct connector_stats {
  std::uint64_t connections_opened = 0;  // TCP (and TLS) connections made
  std::uint64_t requests = 0;            // requests that got a response
};

class connector final : public core::sms_connector {
 public:
  // Throws std::runtime_error when ca_file cannot be loaded (a start-up error).
  explicit connector(compiled_settings settings);
  ~connector() override;
  connector(const connector&) = delete;
  connector& operator=(const connector&) = delete;

  const std::string& name() const override { return settings_.name; }

  // 2xx (and success_pattern) -> submitted with the ids message_id_pattern found; a refusal
  // (4xx but 408/429, a body not matching success_pattern, a header the message would break) ->
  // permanent; 408, 429, 5xx, timeouts, connection and TLS errors -> transient. In segments mode
  // the parts after a failed one are not sent. `reason` never holds the URL, headers or bodies.
  core::submit_outcome submit(const core::queued_message& message) override;

  connector_stats stats() const;

  struct connection;  // one keep-alive connection and the io_context that drives it
  struct exchange;    // one request and what came back

 private:
  std::unique_ptr<connection> idle_connection();  // nullptr when none is idle
  std::unique_ptr<connection> new_connection();
  void keep_connection(std::unique_ptr<connection> c);
  void perform(connection& c, exchange& x);

  compiled_settings settings_;
  struct tls_state;
  std::unique_ptr<tls_state> tls_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> requests_{0};
};

}  // namespace mail2sms::http
