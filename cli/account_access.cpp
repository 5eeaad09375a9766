// mail2sms account password|sender|cert: who may send as an account. App passwords (named,
// revocable), the From addresses it may use, and the TLS client certificates that identify it.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/admin_support.hpp"
#include "core/policy/password.hpp"

namespace mail2sms::cli {
namespace {

struct access_options {
  std::string config_path;
  std::string name;
  std::string value;  // label, pattern, file or fingerprint
  std::string fingerprint;
  bool password_stdin = false;
  bool json = false;
};

access_options o;

void add_password() {
  if (!o.password_stdin)
    throw exit_error{exit_usage,
                     "give the password on standard input with --password-stdin, e.g.\n"
                     "  printf '%s\\n' \"$PASSWORD\" | mail2sms account password add " +
                         o.name + " " + o.value + " --password-stdin"};
  const auto hash = policy::hash_password(read_password());
  admin_session session(o.config_path);
  checked(session.admin().add_password(o.name, o.value, hash));
  std::cout << "password '" << o.value << "' added to '" << o.name
            << "': use it for SMTP AUTH with the user name " << o.name << '\n';
}

void revoke_password() {
  admin_session session(o.config_path);
  checked(session.admin().revoke_password(o.name, o.value));
  std::cout << "password '" << o.value << "' of '" << o.name << "' revoked\n";
}

void list_passwords() {
  admin_session session(o.config_path);
  const auto rows = checked(session.admin().passwords(o.name));
  const auto or_null = [](const std::optional<std::string>& s) {
    return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
  };
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& r : rows)
      out.push_back({{"label", r.label},
                     {"created_at", r.created_at},
                     {"revoked_at", or_null(r.revoked_at)},
                     {"last_used_at", or_null(r.last_used_at)}});
    return print_json(out);
  }
  std::cout << std::left << std::setw(20) << "LABEL" << std::setw(22) << "CREATED" << std::setw(22)
            << "REVOKED"
            << "LAST USED\n";
  for (const auto& r : rows) {
    std::cout << std::setw(20) << r.label << std::setw(22) << r.created_at << std::setw(22)
              << r.revoked_at.value_or("-") << r.last_used_at.value_or("never") << '\n';
  }
}

void change_sender(bool adding) {
  admin_session session(o.config_path);
  if (adding) {
    const auto [pattern, added] = checked(session.admin().add_sender(o.name, o.value));
    std::cout << (added ? "added " : "already there: ") << pattern << " for '" << o.name
              << "': its mails must come from "
              << (pattern.front() == '*' ? "an address at " + pattern.substr(2) : pattern)
              << " or another allowed sender\n";
  } else {
    const auto pattern = checked(session.admin().remove_sender(o.name, o.value));
    std::cout << "removed " << pattern << " from '" << o.name << "'\n";
  }
}

void list_senders() {
  admin_session session(o.config_path);
  const auto patterns = checked(session.admin().senders(o.name));
  if (o.json) return print_json(patterns);
  for (const auto& p : patterns) std::cout << p << '\n';
}

struct pem_certificate {
  std::string fingerprint;  // SHA-256 of the DER, lower-case hex
  std::string subject;      // RFC 2253
};

// The first certificate in a PEM file, or exit 2 saying why not.
pem_certificate read_certificate(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw exit_error{exit_usage, "cannot read " + path + ": " + std::strerror(errno)};
  std::ostringstream text;
  text << file.rdbuf();
  const std::string pem = text.str();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert)
    throw exit_error{exit_usage, path +
                                     " holds no PEM certificate (-----BEGIN CERTIFICATE-----): "
                                     "give the client's certificate, not its key, or use "
                                     "--fingerprint HEX"};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &length) != 1)
    throw exit_error{exit_failure, "cannot compute the fingerprint of " + path};
  pem_certificate out;
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    out.fingerprint += hex[digest[i] >> 4];
    out.fingerprint += hex[digest[i] & 0x0f];
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> name(BIO_new(BIO_s_mem()), &BIO_free);
  X509_NAME_print_ex(name.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(name.get(), &data);
  if (size > 0) out.subject.assign(data, static_cast<std::size_t>(size));
  return out;
}

void add_certificate() {
  if (o.value.empty() == o.fingerprint.empty())
    throw exit_error{exit_usage,
                     "give the client's certificate (mail2sms account cert add NAME FILE.pem) or "
                     "its SHA-256 fingerprint (--fingerprint HEX), one of the two"};
  pem_certificate cert{o.fingerprint, ""};
  if (!o.value.empty()) cert = read_certificate(o.value);
  admin_session session(o.config_path);
  const auto [fingerprint, added] =
      checked(session.admin().add_certificate(o.name, cert.fingerprint, cert.subject));
  std::cout << (added ? "added " : "already there: ") << fingerprint
            << (cert.subject.empty() ? "" : " (" + cert.subject + ")") << " for '" << o.name
            << "': a client presenting it sends as the account\n";
}

void remove_certificate() {
  admin_session session(o.config_path);
  const auto fingerprint = checked(session.admin().remove_certificate(o.name, o.value));
  std::cout << "removed certificate " << fingerprint << " from '" << o.name << "'\n";
}

void list_certificates() {
  admin_session session(o.config_path);
  const auto rows = checked(session.admin().certificates(o.name));
  if (o.json) {
    auto out = nlohmann::json::array();
    for (const auto& r : rows)
      out.push_back(
          {{"fingerprint", r.fingerprint}, {"subject", r.subject}, {"created_at", r.created_at}});
    return print_json(out);
  }
  for (const auto& r : rows)
    std::cout << r.fingerprint << "  " << r.created_at << "  " << r.subject << '\n';
}

// A subcommand taking NAME and --config, and --json when it lists.
CLI::App* command(CLI::App& parent, const char* name, const char* help, bool json,
                  std::function<void()> fn) {
  auto* cmd = parent.add_subcommand(name, help);
  add_config_option(*cmd, o.config_path);
  cmd->add_option("name", o.name, "account name")->required();
  if (json) cmd->add_flag("--json", o.json, "print the result as JSON");
  cmd->callback(std::move(fn));
  return cmd;
}

}  // namespace

void add_account_access_commands(CLI::App& account) {
  auto* password = account.add_subcommand(
      "password", "app passwords: several per account, each with a label, each revocable");
  password->require_subcommand(1);
  auto* add =
      command(*password, "add", "add a password (read from standard input)", false, add_password);
  add->add_option("label", o.value, "what it is for, e.g. laptop or nagios")->required();
  add->add_flag("--password-stdin", o.password_stdin, "read the password from standard input");
  command(*password, "revoke", "revoke a password (its label may then be used again)", false,
          revoke_password)
      ->add_option("label", o.value, "the password's label")
      ->required();
  command(*password, "list", "list the passwords (labels and dates; never the passwords)", true,
          list_passwords);

  auto* sender = account.add_subcommand(
      "sender", "allowed sender addresses (MAIL FROM and From:): user@domain or *@domain");
  sender->require_subcommand(1);
  for (const bool adding : {true, false}) {
    command(*sender, adding ? "add" : "remove",
            adding ? "allow a sender pattern" : "remove a sender pattern", false,
            [adding] { change_sender(adding); })
        ->add_option("pattern", o.value, "user@domain, or *@domain for any address there")
        ->required();
  }
  command(*sender, "list", "list the sender patterns", true, list_senders);

  auto* cert = account.add_subcommand(
      "cert", "TLS client certificates that identify the account (appliances without AUTH)");
  cert->require_subcommand(1);
  auto* cert_add = command(*cert, "add", "register a client certificate", false, add_certificate);
  cert_add->add_option("file", o.value, "the certificate, PEM");
  cert_add->add_option("--fingerprint", o.fingerprint,
                       "its SHA-256 fingerprint instead (hex; colons and spaces allowed)");
  command(*cert, "remove", "remove a client certificate", false, remove_certificate)
      ->add_option("fingerprint", o.value, "its SHA-256 fingerprint")
      ->required();
  command(*cert, "list", "list the client certificates", true, list_certificates);
}

}  // namespace mail2sms::cli
