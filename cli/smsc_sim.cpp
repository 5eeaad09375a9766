// mail2sms smsc-sim: an SMPP 3.4 SMSC simulator printing each message as a JSON line.
#include "cli/common.hpp"
#include "core/connectors/smpp/simulator.hpp"

namespace mail2sms::cli {

void add_smsc_sim_command(CLI::App& app) {
  static std::string listen = "127.0.0.1:2775";
  static std::string system_id;
  static std::string password;
  static bool no_receipts = false;
  auto* cmd = app.add_subcommand(
      "smsc-sim", "an SMPP 3.4 SMSC simulator: accepts binds, acks submits, sends receipts, "
                  "prints each message as JSON");
  cmd->add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:2775)");
  cmd->add_option("--system-id", system_id, "the system_id ESMEs must bind with")->required();
  cmd->add_option("--password", password, "the password ESMEs must bind with")->required();
  cmd->add_flag("--no-receipts", no_receipts, "never send delivery receipts");
  cmd->callback([] {
    auto settings = smpp::simulator_settings_from(listen, system_id, password);
    if (!settings) throw exit_error{exit_usage, "smsc-sim: " + settings.error()};
    settings->delivery_receipts = !no_receipts;
    settings->stop_on_signals = true;
    smpp::simulator sim(std::move(settings).value());
    sim.run();
  });
}

}  // namespace mail2sms::cli
