// mail2sms account export|delete: an account's data handed over as one JSON document, and
// erased.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/admin_support.hpp"

namespace mail2sms::cli {
namespace {

struct data_options {
  std::string config_path;
  std::string name;
  std::string output;
  bool yes = false;
};

data_options o;

void write_all(int fd, const std::string& text, const std::string& path) {
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw exit_error{exit_failure, "cannot write " + path + ": " + std::strerror(errno)};
    written += static_cast<std::size_t>(n);
  }
}

// The export holds numbers and texts: readable by its owner only. It is written to a new file
// beside `path` (created 0600, exclusively) and renamed over it, so whatever was at `path` before
// (an earlier export made 0644, a file another user created there, a symlink) neither lends the
// document its mode or owner nor is written through. A pipe or a device there (`--output
// >(gpg -e ...)`, /dev/stdout) is written to as it is.
void write_private_file(const std::string& path, const std::string& text) {
  struct stat target {};
  if (::stat(path.c_str(), &target) == 0 && !S_ISREG(target.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      throw exit_error{exit_failure, "cannot write " + path + ": " + std::strerror(errno)};
    try {
      write_all(fd, text, path);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
    return;
  }
  const auto slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "."
                             : slash == 0               ? "/"
                                                        : path.substr(0, slash);
  std::string temp = path + ".XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0)
    throw exit_error{exit_failure, "cannot create a file in " + folder + " for " + path + ": " +
                                       std::strerror(errno)};
  try {
    write_all(fd, text, path);
    if (::fsync(fd) != 0)
      throw exit_error{exit_failure, "cannot write " + path + ": " + std::strerror(errno)};
  } catch (const exit_error&) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  if (::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    throw exit_error{exit_failure, "cannot write " + path + ": " + why};
  }
}

void export_account() {
  admin_session session(o.config_path);
  // ordered_json: the keys stay in the order the export writes them.
  const auto document =
      nlohmann::ordered_json::parse(checked(session.admin().export_account(o.name)));
  const std::string text = document.dump(2) + "\n";
  if (o.output.empty()) {
    std::cout << text;
    return;
  }
  write_private_file(o.output, text);
  std::cout << "exported '" << o.name << "' to " << o.output << ": " << document["messages"].size()
            << " messages, " << document["contacts"].size() << " contacts, "
            << document["credit_ledger"].size() << " ledger rows\n";
}

void delete_account() {
  if (!o.yes)
    throw exit_error{exit_usage, "deleting '" + o.name +
                                     "' erases it with its messages, contacts and passwords and "
                                     "cannot be undone: add --yes to do it (export it first: "
                                     "mail2sms account export " +
                                     o.name + " --output FILE)"};
  admin_session session(o.config_path);
  const auto id = checked(session.admin().delete_account(o.name));
  std::cout << "account '" << o.name << "' deleted; the ledger and the audit log keep it as "
            << "account #" << id << ", without its name\n";
}

}  // namespace

void add_account_data_commands(CLI::App& account) {
  auto* export_cmd = account.add_subcommand(
      "export", "everything stored about the account, as one JSON document (README: Accounts)");
  add_config_option(*export_cmd, o.config_path);
  export_cmd->add_option("name", o.name, "account name")->required();
  export_cmd->add_option("--output,-o", o.output, "write it to this file (mode 600), not stdout");
  export_cmd->callback(export_account);

  auto* delete_cmd = account.add_subcommand(
      "delete", "erase the account and everything it has (the ledger stays, anonymised)");
  add_config_option(*delete_cmd, o.config_path);
  delete_cmd->add_option("name", o.name, "account name")->required();
  delete_cmd->add_flag("--yes", o.yes, "yes, erase it");
  delete_cmd->callback(delete_account);
}

}  // namespace mail2sms::cli
