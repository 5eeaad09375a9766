// The SMTP server state machine: a command table (as in OpenSMTPD's smtp_session.c) over CRLF
// lines, the DATA reader, the AUTH exchange, and the batching of replies for PIPELINING.
#include "smtpd/protocol.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <string_view>
#include <unordered_set>

#include "smtpd/command_line.hpp"
#include "smtpd/reply.hpp"
#include "smtpd/sasl.hpp"

namespace mail2sms::smtpd {
namespace {

// What DATA reserves for the message before its first line (see cmd_data).
constexpr std::size_t initial_data_capacity = 4096;

// RFC 3463 5.1.3, Postfix's words.
constexpr std::string_view bad_recipient_syntax = "501 5.1.3 Bad recipient address syntax";

constexpr std::string_view postmaster_alone_reply =
    "452 4.5.3 Mail to the postmaster goes in a transaction of its own: send this recipient "
    "again in another one";

// Whether an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]", any IPv6 spelling of the same
// address) names `own` ("192.0.2.1", "2001:db8::1").
bool names_this_host(std::string_view domain, const std::string& own) {
  if (own.empty() || domain.size() < 3 || domain.front() != '[' || domain.back() != ']')
    return false;
  std::string_view literal = domain.substr(1, domain.size() - 2);
  const bool v6 = literal.size() > 5 && iequals(literal.substr(0, 5), "IPv6:");
  if (v6) literal.remove_prefix(5);
  const int family = v6 ? AF_INET6 : AF_INET;
  std::array<unsigned char, 16> a{}, b{};
  return inet_pton(family, std::string(literal).c_str(), a.data()) == 1 &&
         inet_pton(family, own.c_str(), b.data()) == 1 && a == b;
}

// While an outcome is awaited the client may pipeline at most one group of commands
// (RFC 2920 3.1): MAIL, every RCPT, DATA and a few more. Anything beyond is abuse. MAIL and RCPT
// lines fit in 512 octets (RFC 5321's paths are at most 256), whatever longer command lines
// max_command_line allows: a group is counted at that, plus one line of the longest, so that a
// larger limit does not let each waiting session hold megabytes.
std::size_t pipelined_input_limit(const protocol_settings& s) {
  return std::max<std::size_t>(64 * 1024, (s.max_recipients + 8) * 512 + s.max_command_line);
}

std::string size_limit_reply(std::size_t max) {
  return "552 5.3.4 Message size exceeds fixed limit of " + std::to_string(max) + " octets";
}

std::string_view sasl_error_reply(sasl::error e) {
  switch (e) {
    case sasl::error::bad_base64: return "501 5.5.2 Invalid base64 in authentication data";
    case sasl::error::malformed: return "501 5.5.2 Malformed authentication data";
    case sasl::error::authzid_mismatch: break;
  }
  return "535 5.7.8 Authorization identity must be empty or equal to the username";
}

bool is_printable_word(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > 32 && c < 127; });
}

}  // namespace

struct protocol::command_entry {
  std::string_view verb;
  void (protocol::*run)(std::string_view args);
};

const protocol::command_entry* protocol::find_command(std::string_view verb) {
  static constexpr std::array<command_entry, 15> table{{
      {"EHLO", &protocol::cmd_ehlo},
      {"HELO", &protocol::cmd_helo},
      {"MAIL", &protocol::cmd_mail},
      {"RCPT", &protocol::cmd_rcpt},
      {"DATA", &protocol::cmd_data},
      {"RSET", &protocol::cmd_rset},
      {"NOOP", &protocol::cmd_noop},
      {"QUIT", &protocol::cmd_quit},
      {"VRFY", &protocol::cmd_vrfy},
      {"HELP", &protocol::cmd_help},
      {"STARTTLS", &protocol::cmd_starttls},
      {"AUTH", &protocol::cmd_auth},
      // Cross-protocol requests (a browser or proxy pointed at us): hang up, as Postfix does.
      {"GET", &protocol::cmd_not_smtp},
      {"POST", &protocol::cmd_not_smtp},
      {"CONNECT", &protocol::cmd_not_smtp},
  }};
  const auto it = std::find_if(table.begin(), table.end(),
                               [verb](const command_entry& c) { return iequals(c.verb, verb); });
  return it == table.end() ? nullptr : &*it;
}

protocol::protocol(protocol_settings settings, const recipient_resolver& resolver)
    : settings_(std::move(settings)), resolver_(resolver), tls_(settings_.tls_active) {}

// ---- events ----

actions protocol::on_connect() {
  out_.clear();
  if (closed_) return {};
  reply("220 " + settings_.hostname + " ESMTP mail2sms");
  return finish();
}

actions protocol::on_input(std::string_view bytes) {
  out_.clear();
  if (closed_) return {};
  if (waiting_ == wait::tls) {
    // Plaintext that arrived after our 220: whatever it is, it must not reach the TLS session.
    if (!bytes.empty()) {
      closed_ = true;
      emit(close_connection{});
    }
    return finish();
  }
  if (waiting_ != wait::none) {
    buffer_while_waiting(bytes);
    return {};
  }
  input_.put(bytes);
  run_lines();
  return finish();
}

actions protocol::on_tls_started() {
  out_.clear();
  assert(waiting_ == wait::tls);
  if (closed_ || waiting_ != wait::tls) return {};
  // RFC 3207 4.2: forget everything learnt in plaintext.
  input_.clear();
  input_overflow_ = false;
  waiting_ = wait::none;
  phase_ = phase::command;
  tls_ = true;
  helo_seen_ = false;
  helo_.clear();
  account_ = network_account_;  // a property of the client's address, not learnt in plaintext
  authenticated_ = false;
  reset_transaction();
  return finish();
}

actions protocol::on_auth_result(const auth_result& r) {
  out_.clear();
  assert(waiting_ == wait::auth);
  if (closed_ || waiting_ != wait::auth) return {};
  waiting_ = wait::none;
  switch (r.state) {
    case auth_result::status::ok:
      account_ = r.account;
      authenticated_ = true;
      reply("235 2.7.0 Authentication successful");
      break;
    case auth_result::status::invalid:
      reject("535 5.7.8 Authentication credentials invalid");
      break;
    case auth_result::status::temporary_failure:
      reply("454 4.7.0 Temporary authentication failure");
      break;
    case auth_result::status::blocked:
      close_with("421 4.7.0 " + settings_.hostname +
                 " Too many failed authentications, try again later");
      return finish();
  }
  resume();
  return finish();
}

actions protocol::on_store_result(const store_result& r) {
  out_.clear();
  assert(waiting_ == wait::store);
  if (closed_ || waiting_ != wait::store) return {};
  waiting_ = wait::none;
  reply(store_result_reply(r));
  reset_transaction();
  resume();
  return finish();
}

actions protocol::on_timeout() {
  out_.clear();
  if (closed_) return {};
  close_with("421 4.4.2 " + settings_.hostname + " Error: timeout exceeded");
  return finish();
}

void protocol::trust_network(const authenticated_account& account) {
  network_account_ = account;
  if (!authenticated_) account_ = account;
}

actions protocol::on_cut() {
  out_.clear();
  if (closed_) return {};
  drop_data();
  close_with("421 4.3.2 " + settings_.hostname + " Service shutting down, try again later");
  return std::move(out_);
}

actions protocol::on_shutdown() {
  out_.clear();
  if (closed_) return {};
  shutting_down_ = true;
  return finish();
}

// ---- plumbing ----

void protocol::reply(std::string_view line) {
  pending_replies_.append(line);
  pending_replies_.append("\r\n");
}

void protocol::reject(std::string_view line) {
  reply(line);
  if (++errors_ >= settings_.max_errors)
    close_with("421 4.7.0 " + settings_.hostname + " Error: too many errors");
}

void protocol::emit(action a) {
  if (!pending_replies_.empty()) {
    out_.emplace_back(send_reply{std::move(pending_replies_)});
    pending_replies_.clear();
  }
  out_.push_back(std::move(a));
}

void protocol::close_with(std::string_view line) {
  reply(line);
  closed_ = true;
  emit(close_connection{});
}

actions protocol::finish() {
  // A stopping server lets a transaction in flight end with its reply, then says goodbye.
  if (shutting_down_ && !closed_ && idle())
    close_with("421 4.3.2 " + settings_.hostname + " Service shutting down, try again later");
  if (!pending_replies_.empty()) {
    out_.emplace_back(send_reply{std::move(pending_replies_)});
    pending_replies_.clear();
  }
  return std::move(out_);
}

void protocol::run_lines() {
  while (!closed_ && waiting_ == wait::none) {
    const auto line = input_.next(line_limit());
    if (!line) return;
    handle_line(*line);
  }
}

void protocol::resume() {
  if (closed_) return;
  if (input_overflow_) {
    close_with("421 4.7.0 " + settings_.hostname + " Error: too much pipelined input");
    return;
  }
  run_lines();
}

void protocol::buffer_while_waiting(std::string_view bytes) {
  if (input_overflow_ || input_.buffered() + bytes.size() > pipelined_input_limit(settings_)) {
    input_overflow_ = true;  // dropped: the session ends once the outcome is known
    return;
  }
  input_.put(bytes);
}

// A text line may carry one more octet than the limit: the dot the client stuffed in front.
std::size_t protocol::line_limit() const {
  switch (phase_) {
    case phase::data:
      return settings_.max_text_line + 1;
    case phase::command:
      return settings_.max_command_line;
    case phase::auth_plain:
    case phase::auth_login_user:
    case phase::auth_login_pass:
      break;
  }
  // A response to a 334 is not a command line: RFC 4616 lets PLAIN carry 255-octet identities
  // and password (1,024 base64 characters), more than SMTP's 512. The AUTH command itself keeps
  // the command limit (RFC 4954 4: a client whose initial response would not fit sends it after
  // the 334 instead).
  return std::max(settings_.max_command_line, max_auth_response_line);
}

void protocol::handle_line(const crlf_line& line) {
  switch (phase_) {
    case phase::command: return handle_command(line);
    case phase::data: return handle_data_line(line);
    case phase::auth_plain:
    case phase::auth_login_user:
    case phase::auth_login_pass: return handle_auth_line(line);
  }
}

void protocol::handle_command(const crlf_line& line) {
  if (line.too_long) {
    // An AUTH command whose initial response does not fit a command line is an authentication
    // exchange line too long (RFC 4954 6: 500 5.5.6); the client can send the response after
    // the 334 instead, where it may be longer. Where AUTH could not be given anyway, that
    // advice would be wrong: the line is only too long.
    if (iequals(split_command(line.head).verb, "AUTH") && auth_not_now().empty())
      return reject("500 5.5.6 Authentication exchange line is too long");
    return reject("500 5.5.2 Line too long");
  }
  if (line.bare_cr_or_lf) return reject("500 5.5.2 Bare LF/CR not allowed");
  const auto [verb, args] = split_command(line.text);
  const command_entry* command = find_command(verb);
  if (command == nullptr) return reject("500 5.5.2 Command not recognized");
  (this->*command->run)(args);
}

void protocol::reset_transaction() {
  in_mail_ = false;
  rcpt_attempted_ = false;
  to_postmaster_ = false;
  mail_from_.clear();
  recipients_.clear();
  drop_data();
  data_size_ = 0;
  data_too_big_ = false;
  data_long_line_ = false;
  data_bare_cr_lf_ = false;
}

// ---- DATA ----

// Reads on to the final dot whatever is wrong (RFC 5321 4.2.5: one reply per message), but
// keeps nothing once the message is known to fail.
void protocol::handle_data_line(const crlf_line& line) {
  if (line.too_long) {
    data_long_line_ = true;
    return drop_data();
  }
  if (line.text == ".") return end_of_data();
  if (line.bare_cr_or_lf) {
    data_bare_cr_lf_ = true;
    return drop_data();
  }
  auto text = line.text;
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);  // RFC 5321 4.5.2
  if (text.size() + 2 > settings_.max_text_line) {
    data_long_line_ = true;
    return drop_data();
  }
  data_size_ += text.size() + 2;
  if (data_size_ > settings_.max_message_size) data_too_big_ = true;
  if (data_too_big_ || data_long_line_ || data_bare_cr_lf_) return drop_data();
  data_.append(text);
  data_.append("\r\n");
}

void protocol::drop_data() {
  data_.clear();
  data_.shrink_to_fit();
}

// One problem is reported per message; the order keeps the reply independent of chunking.
void protocol::end_of_data() {
  phase_ = phase::command;
  if (data_bare_cr_lf_ || data_long_line_ || data_too_big_) {
    if (data_bare_cr_lf_) {
      reply("554 5.6.0 Message contains bare CR or LF");
    } else if (data_long_line_) {
      reply("554 5.6.0 Message contains a line longer than " +
            std::to_string(settings_.max_text_line - 2) +
            " characters; encode it (quoted-printable or base64)");
    } else {
      reply(size_limit_reply(settings_.max_message_size));
    }
    return reset_transaction();
  }
  assert(account_ || to_postmaster_);
  envelope env{helo_, mail_from_, std::move(recipients_),
               account_ ? *account_ : authenticated_account{}, tls_};
  recipients_.clear();
  // Only mail delivered here carries a Received field (smtpd/trace.hpp).
  std::string with;
  if (to_postmaster_) {
    with = ehlo_ ? "ESMTP" : "SMTP";
    if (ehlo_ && tls_) with += 'S';
    if (ehlo_ && authenticated_) with += 'A';
  }
  emit(store_message{std::move(env), std::move(data_), to_postmaster_, std::move(with)});
  data_.clear();
  waiting_ = wait::store;
}

// ---- commands ----

bool protocol::accept_helo(std::string_view args) {
  const auto name = args.substr(0, args.find(' '));
  // A domain name has at most 255 octets (RFC 1035); longer would also push the EHLO reply line
  // that echoes it past 512 octets (RFC 5321 4.5.3.1.5).
  if (name.size() > 255 || !is_printable_word(name)) return false;
  helo_ = std::string(name);
  helo_seen_ = true;
  reset_transaction();
  return true;
}

void protocol::cmd_ehlo(std::string_view args) {
  if (!accept_helo(args)) return reject("501 5.5.4 Syntax: EHLO hostname");
  ehlo_ = true;
  pending_replies_ += ehlo_reply({settings_.hostname, helo_, settings_.max_message_size,
                                  settings_.starttls_available && !tls_, auth_offered()});
}

void protocol::cmd_helo(std::string_view args) {
  if (!accept_helo(args)) return reject("501 5.5.4 Syntax: HELO hostname");
  ehlo_ = false;
  reply("250 " + settings_.hostname);
}

void protocol::cmd_mail(std::string_view args) {
  // No new transaction once the server is stopping (a pipelined MAIL after the final dot).
  if (shutting_down_)
    return close_with("421 4.3.2 " + settings_.hostname + " Service shutting down, try again later");
  if (!helo_seen_) return reject("503 5.5.1 Send EHLO first");
  if (in_mail_) return reject("503 5.5.1 Nested MAIL command");
  if (!account_ && identity_unavailable_) {
    // The server's failure, not the client's. The session ends: the client's next one (it
    // queues the mail and comes back) looks the address up again.
    return close_with("421 4.3.0 " + settings_.hostname +
                      " Temporary lookup failure: the account store did not answer whether this "
                      "client may send; try again later");
  }
  // A client without an account may still write to the postmaster: its MAIL is taken, and
  // RCPT says what it needs for anything else.
  if (!account_ && !settings_.postmaster) return reject(authentication_required_reply());
  auto path = parse_path_argument(args, "FROM:", true);
  if (!path) {
    if (path.error() == path_error::non_ascii) {
      return reject("553 5.6.7 Non-ASCII addresses are not supported (no SMTPUTF8)");
    }
    if (path.error() == path_error::address) return reject("501 5.1.7 Bad sender address syntax");
    return reject("501 5.5.4 Syntax: MAIL FROM:<address>");
  }
  // An unqualified sender ("root" from a host's cron) gets the server's name, as Postfix gives
  // it $myorigin: delivery-status mails need a domain to go to.
  if (path->domain.empty() && !path->address.empty()) path->address += "@" + settings_.hostname;
  const auto params = parse_mail_parameters(path->parameters, auth_offered());
  if (!params) {
    const auto& problem = params.error();
    switch (problem.kind) {
      case mail_parameter_error::syntax:
        return reject("501 5.5.4 Syntax: MAIL FROM:<address>");
      case mail_parameter_error::bad_size:
        return reject("501 5.5.4 Syntax: SIZE=<octets>");
      case mail_parameter_error::bad_body:
        return reject("501 5.5.4 Unsupported BODY type: BODY=7BIT or BODY=8BITMIME");
      case mail_parameter_error::repeated_auth:
        return reject("503 5.5.4 Multiple AUTH= parameters");
      case mail_parameter_error::unsupported:
        break;
    }
    return reject("555 5.5.4 Unsupported parameter: " + reply_safe_text(problem.parameter, "?"));
  }
  if (params->size && *params->size > settings_.max_message_size) {
    return reply(size_limit_reply(settings_.max_message_size));
  }
  if (account_) {
    if (auto refused = resolver_.check_sender(path->address, *account_); !refused.empty())
      return reply(reply_safe_text(refused, "553 5.7.1 Sender address not allowed"));
  }
  in_mail_ = true;
  mail_from_ = std::move(path->address);
  reply("250 2.1.0 Ok");
}

void protocol::cmd_rcpt(std::string_view args) {
  if (!in_mail_) return reject("503 5.5.1 Need MAIL before RCPT");
  // Any RCPT counts: a DATA after refused ones hears that no recipient was valid, not that it
  // needs RCPT.
  rcpt_attempted_ = true;
  auto path = parse_path_argument(args, "TO:", false);
  if (!path) {
    if (path.error() == path_error::non_ascii) {
      return reject("553 5.6.7 Non-ASCII addresses are not supported (no SMTPUTF8)");
    }
    if (path.error() == path_error::address) return reject(bad_recipient_syntax);
    return reject("501 5.5.4 Syntax: RCPT TO:<address>");
  }
  const auto params = split_parameters(path->parameters);
  if (!params) return reject("501 5.5.4 Syntax: RCPT TO:<address>");
  if (!params->empty()) {  // no DSN: RCPT takes no parameters
    return reject("555 5.5.4 Unsupported parameter: " +
                  reply_safe_text(params->front().text, "?"));
  }
  // Ours: a configured domain, or this host's address literal for the postmaster.
  const bool ours = (settings_.postmaster && iequals(path->local_part, "postmaster") &&
                     names_this_host(path->domain, settings_.own_address)) ||
                    std::any_of(settings_.domains.begin(), settings_.domains.end(),
                                [&](const std::string& d) { return iequals(d, path->domain); });
  // Refused recipients count as the client's errors, as Postfix counts them: a session probing
  // for relaying or for numbers and group names ends at max_errors like any other.
  if (!path->domain.empty() && !ours) return reject(relay_denied_reply(settings_.domains));
  if (settings_.postmaster && iequals(path->local_part, "postmaster")) {
    return add_postmaster(std::move(path->address));
  }
  if (path->domain.empty()) return reject(bad_recipient_syntax);
  if (!account_) return reject(authentication_required_reply());
  if (to_postmaster_) return reply(postmaster_alone_reply);
  add_recipient(std::move(path->address), path->local_part);
}

// RFC 5321 4.5.1. A transaction to the postmaster has no other recipient: its mail is kept for
// a person, not converted, charged or sent. 452 asks the client to send the other recipients in
// a transaction of their own (RFC 5321 3.3: it tries them again later).
void protocol::add_postmaster(std::string address) {
  if (to_postmaster_) return reply("250 2.1.5 Ok");  // named twice: kept once
  if (!recipients_.empty()) return reply(postmaster_alone_reply);
  to_postmaster_ = true;
  recipients_.push_back({std::move(address), std::string()});
  reply("250 2.1.5 Ok");
}

std::string protocol::authentication_required_reply() const {
  return auth_offered()
             ? "530 5.7.0 Authentication required: AUTH, a registered client certificate or an "
               "allowed client network identifies the sending account"
         : settings_.starttls_available
             ? "530 5.7.0 Authentication required: use STARTTLS, then AUTH (or a registered client "
               "certificate); this client's network is not allowed to send without it"
             : "530 5.7.0 Authentication required: this client's network is not allowed to send "
               "without AUTH, and AUTH needs TLS: use the implicit TLS port";
}

void protocol::add_recipient(std::string address, std::string_view local_part) {
  assert(account_);
  // A refusal, a group too large for any mail (550 5.5.3) included, counts as an error.
  auto numbers = resolver_.resolve(local_part, *account_, settings_.max_recipients);
  if (!numbers) return reject(reply_safe_text(numbers.error(), "550 5.1.1 Not a phone number"));
  std::vector<std::string> fresh;
  {
    std::unordered_set<std::string_view> seen;  // the transaction's numbers, and these so far
    seen.reserve(recipients_.size() + numbers->size());
    for (const auto& r : recipients_) seen.insert(r.e164);
    for (auto& n : *numbers) {
      if (seen.insert(n).second) fresh.push_back(n);
    }
  }
  if (recipients_.size() + fresh.size() > settings_.max_recipients) {
    if (fresh.size() > settings_.max_recipients) {  // never fits (the resolver refuses it first)
      return reject("550 5.5.3 Too many recipients: this group has " +
                    std::to_string(fresh.size()) + " members, the most is " +
                    std::to_string(settings_.max_recipients) + " per mail");
    }
    if (numbers->size() > 1) {
      return reply("452 4.5.3 Too many recipients: this group would make " +
                   std::to_string(recipients_.size() + fresh.size()) + ", the most is " +
                   std::to_string(settings_.max_recipients) + " per mail");
    }
    return reply("452 4.5.3 Too many recipients");
  }
  for (auto& n : fresh) recipients_.push_back({address, std::move(n)});
  reply("250 2.1.5 Ok");
}

void protocol::cmd_data(std::string_view args) {
  if (!args.empty()) return reject("501 5.5.4 Syntax: DATA");
  if (!in_mail_) return reject("503 5.5.1 Need MAIL command");
  if (recipients_.empty()) {
    if (rcpt_attempted_) return reject("554 5.5.1 No valid recipients");
    return reject("503 5.5.1 Need RCPT command");
  }
  phase_ = phase::data;
  // Room for a typical mail at once, instead of growing by doubling from a few octets (eight
  // allocations and copies for 1 KiB). Held only during DATA.
  data_.reserve(std::min<std::size_t>(settings_.max_message_size, initial_data_capacity));
  reply("354 End data with <CR><LF>.<CR><LF>");
}

void protocol::cmd_rset(std::string_view args) {
  if (!args.empty()) return reject("501 5.5.4 Syntax: RSET");
  reset_transaction();
  reply("250 2.0.0 Ok");
}

void protocol::cmd_noop(std::string_view) { reply("250 2.0.0 Ok"); }

void protocol::cmd_quit(std::string_view) { close_with("221 2.0.0 Bye"); }

void protocol::cmd_vrfy(std::string_view args) {
  if (args.empty()) return reject("501 5.5.4 Syntax: VRFY address");
  reply("252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
}

void protocol::cmd_help(std::string_view) {
  reply("214 2.0.0 Commands: HELO EHLO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT");
}

void protocol::cmd_not_smtp(std::string_view) {
  close_with("421 4.7.0 " + settings_.hostname + " Error: this is an SMTP server");
}

// ---- STARTTLS (RFC 3207) ----

void protocol::cmd_starttls(std::string_view args) {
  if (tls_) return reject("503 5.5.1 Already using TLS");
  if (!settings_.starttls_available) return reject("502 5.5.1 STARTTLS not available");
  if (!args.empty()) return reject("501 5.5.4 Syntax: STARTTLS");
  if (in_mail_) return reject("503 5.5.1 STARTTLS not allowed during a mail transaction");
  if (input_.buffered() > 0) {
    // Bytes after STARTTLS were sent in plaintext but would be read as if they came over TLS
    // (CVE-2011-0411): a client that does this is broken or an attacker is in the path.
    return close_with("421 4.7.0 " + settings_.hostname +
                      " Error: commands pipelined after STARTTLS, closing connection");
  }
  reply("220 2.0.0 Ready to start TLS");
  emit(start_tls{});
  waiting_ = wait::tls;
}

// ---- AUTH (RFC 4954) ----

std::string_view protocol::auth_not_now() const {
  if (!helo_seen_) return "503 5.5.1 Send EHLO first";
  if (!auth_offered())
    return "538 5.7.11 Encryption required for requested authentication mechanism";
  if (authenticated_) return "503 5.5.1 Already authenticated";
  if (in_mail_) return "503 5.5.1 AUTH not allowed during a mail transaction";
  return {};
}

void protocol::cmd_auth(std::string_view args) {
  if (const auto refusal = auth_not_now(); !refusal.empty()) return reject(refusal);
  const auto [mechanism, initial] = split_command(args);
  if (mechanism.empty() || initial.find(' ') != std::string_view::npos) {
    return reject("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  }
  const auto response = initial == "=" ? std::string_view{} : initial;  // "=": empty response
  if (iequals(mechanism, "PLAIN")) {
    if (!initial.empty()) return auth_plain(response);
    phase_ = phase::auth_plain;
    return reply("334 ");
  }
  if (iequals(mechanism, "LOGIN")) {
    if (!initial.empty()) return auth_login_user(response);
    phase_ = phase::auth_login_user;
    return reply("334 VXNlcm5hbWU6");  // "Username:"
  }
  reject("504 5.5.4 Unrecognized authentication mechanism");
}

// Continuation lines are answers, never commands; each ends the exchange or moves it on.
void protocol::handle_auth_line(const crlf_line& line) {
  const phase step = phase_;
  phase_ = phase::command;
  if (line.too_long) return reject("500 5.5.6 Authentication exchange line is too long");
  if (line.bare_cr_or_lf) return reject("500 5.5.2 Bare LF/CR not allowed");
  if (line.text == "*") return reject("501 5.0.0 Authentication cancelled");
  if (step == phase::auth_plain) return auth_plain(line.text);
  if (step == phase::auth_login_user) return auth_login_user(line.text);
  auth_login_pass(line.text);
}

void protocol::auth_plain(std::string_view response) {
  auto credentials = sasl::decode_plain(response);
  if (!credentials) return reject(sasl_error_reply(credentials.error()));
  verify("PLAIN", std::move(credentials->username), std::move(credentials->password));
}

void protocol::auth_login_user(std::string_view response) {
  auto user = sasl::decode_login_field(response);
  if (!user) return reject(sasl_error_reply(user.error()));
  auth_login_user_ = std::move(*user);
  phase_ = phase::auth_login_pass;
  reply("334 UGFzc3dvcmQ6");  // "Password:"
}

void protocol::auth_login_pass(std::string_view response) {
  auto password = sasl::decode_login_field(response);
  std::string user = std::move(auth_login_user_);
  auth_login_user_.clear();
  if (!password) return reject(sasl_error_reply(password.error()));
  verify("LOGIN", std::move(user), std::move(*password));
}

void protocol::verify(std::string mechanism, std::string username, std::string password) {
  emit(verify_credentials{std::move(mechanism), std::move(username), std::move(password)});
  waiting_ = wait::auth;
}

}  // namespace mail2sms::smtpd
