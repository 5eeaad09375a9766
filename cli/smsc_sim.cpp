// mail2sms smsc-sim: an SMPP 3.4 SMSC simulator printing each message as a JSON line, with
// failure modes, implicit TLS, and replies injected by JSON lines on stdin ({"reply": {...}}).
#include <poll.h>
#include <unistd.h>

#include <boost/system/system_error.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <thread>

#include "cli/common.hpp"
#include "core/connectors/smpp/simulator.hpp"

namespace mail2sms::cli {
namespace {

// One control line: {"reply": {"from": "+27821234567", "to": "mail2sms", "text": "yes"}}.
void control(smpp::simulator& sim, const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("reply") || !j["reply"].is_object()) {
    std::cerr << "smsc-sim: control lines are {\"reply\": {\"from\": .., \"to\": .., \"text\": ..}}\n";
    return;
  }
  const auto& r = j["reply"];
  sim.inject_reply(r.value("from", ""), r.value("to", ""), r.value("text", ""));
}

// Reads control lines from stdin until it closes or stop is requested.
void read_control(smpp::simulator& sim, std::stop_token stop) {
  std::string pending;
  char buffer[4096];
  while (!stop.stop_requested()) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const auto n = read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) return;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (auto eol = pending.find('\n'); eol != std::string::npos; eol = pending.find('\n')) {
      control(sim, pending.substr(0, eol));
      pending.erase(0, eol + 1);
    }
  }
}

}  // namespace

void add_smsc_sim_command(CLI::App& app) {
  static std::string listen = "127.0.0.1:2775";
  static std::string system_id;
  static std::string password;
  static bool no_receipts = false;
  static bool control_stdin = false;
  static smpp::simulator_settings modes;
  static int receipt_delay_ms = 0;
  static int response_delay_ms = 0;
  auto* cmd = app.add_subcommand(
      "smsc-sim", "an SMPP 3.4 SMSC simulator: accepts binds, acks submits, sends receipts, "
                  "prints each message as JSON");
  cmd->add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:2775)");
  cmd->add_option("--system-id", system_id, "the system_id ESMEs must bind with")->required();
  cmd->add_option("--password", password, "the password ESMEs must bind with")->required();
  cmd->add_flag("--no-receipts", no_receipts,
                "never send delivery receipts (query_sm still answers with each message's state)");
  cmd->add_option("--receipt-delay", receipt_delay_ms, "ms between submit_sm_resp and receipt");
  cmd->add_option("--receipt-state", modes.receipt_state,
                  "the stat: receipts report (DELIVRD, UNDELIV, EXPIRED, REJECTD, ...)");
  cmd->add_option("--response-delay", response_delay_ms, "ms before each submit_sm_resp");
  cmd->add_option("--throttle-every", modes.throttle_every,
                  "answer every Nth submit_sm with ESME_RTHROTTLED");
  cmd->add_option("--queue-full-every", modes.queue_full_every,
                  "answer every Nth submit_sm with ESME_RMSGQFUL");
  cmd->add_option("--drop-after", modes.drop_after,
                  "close the connection at every Nth submit_sm, leaving it unanswered");
  cmd->add_flag("--never-respond", modes.never_respond, "accept submit_sm, never answer");
  cmd->add_option("--tls-cert", modes.tls_cert,
                  "PEM certificate (chain): listen with implicit TLS (needs --tls-key)");
  cmd->add_option("--tls-key", modes.tls_key, "PEM private key for --tls-cert");
  cmd->add_flag("--control-stdin", control_stdin,
                "read control lines on stdin: {\"reply\": {\"from\": .., \"to\": .., \"text\": ..}} "
                "sends a reply (deliver_sm) to every bound receiver");
  cmd->callback([] {
    auto settings = smpp::simulator_settings_from(listen, system_id, password);
    if (!settings) throw exit_error{exit_usage, "smsc-sim: " + settings.error()};
    if (receipt_delay_ms < 0 || response_delay_ms < 0)
      throw exit_error{exit_usage, "smsc-sim: delays are milliseconds, 0 or more"};
    settings->delivery_receipts = !no_receipts;
    settings->stop_on_signals = true;
    settings->receipt_delay = std::chrono::milliseconds(receipt_delay_ms);
    settings->response_delay = std::chrono::milliseconds(response_delay_ms);
    settings->receipt_state = modes.receipt_state;
    settings->throttle_every = modes.throttle_every;
    settings->queue_full_every = modes.queue_full_every;
    settings->drop_after = modes.drop_after;
    settings->never_respond = modes.never_respond;
    if (modes.tls_cert.empty() != modes.tls_key.empty())
      throw exit_error{exit_usage, "smsc-sim: --tls-cert and --tls-key go together"};
    settings->tls_cert = modes.tls_cert;
    settings->tls_key = modes.tls_key;
    std::optional<smpp::simulator> sim;
    try {
      sim.emplace(std::move(settings).value());
    } catch (const boost::system::system_error&) {
      throw;                                 // the listen address: reported as before
    } catch (const std::runtime_error& e) {  // the TLS files
      throw exit_error{exit_usage, std::string("smsc-sim: ") + e.what()};
    }
    std::jthread reader;
    if (control_stdin)
      reader = std::jthread([&sim](std::stop_token stop) { read_control(*sim, stop); });
    sim->run();
  });
}

}  // namespace mail2sms::cli
