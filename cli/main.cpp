// mail2sms: one binary, one subcommand per job (see DESIGN.md's command-line contract).
#include <CLI/CLI.hpp>

#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "cli/common.hpp"

int main(int argc, char** argv) {
  using namespace mail2sms::cli;
  // A closed stdout/stderr pipe (`mail2sms serve | tee log` and Ctrl-C) must not kill the
  // server before it stops cleanly; sockets report EPIPE as an error code anyway.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"mail2sms: an email-to-SMS bridge"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mail2sms 0.1.0");
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  add_serve_command(app);
  add_migrate_command(app);
  add_account_command(app);
  add_contacts_command(app);
  add_group_command(app);
  add_purge_command(app);
  add_audit_command(app);
  add_sms_command(app);
  add_mail_command(app);
  add_messages_command(app);
  add_postmaster_command(app);
  add_smsc_sim_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  } catch (const exit_error& e) {
    std::cerr << "mail2sms: " << e.message << '\n';
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "mail2sms: " << e.what() << '\n';
    return exit_failure;
  }
  return exit_status();
}
