// Shared plumbing of the administration subcommands (see admin_support.hpp).
#include "cli/admin_support.hpp"

#include <iostream>

namespace mail2sms::cli {

admin_session::admin_session(const std::string& config_path)
    : config_(load_config(config_path)), db_(config_.database), admin_(db_.connection_string()) {}

void print_json(const nlohmann::json& value) { std::cout << value.dump() << '\n'; }

std::string read_password() {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.size() < 8)
    throw exit_error{exit_usage, "the password must have at least 8 characters"};
  return password;
}

}  // namespace mail2sms::cli
