// The SMTP server protocol (RFC 5321, 1870, 2920, 3207, 3463, 4954, 6152) as a pure state
// machine: bytes and events in, actions out. No sockets, no clock, no database; the session
// (session.hpp) performs the actions and reports their outcomes back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ports.hpp"
#include "core/result.hpp"
#include "smtpd/crlf_line_reader.hpp"

namespace mail2sms::smtpd {

// The longest response to a 334 taken, CRLF included (what Dovecot and Cyrus allow or more).
inline constexpr std::size_t max_auth_response_line = 12288;

struct protocol_settings {
  std::string hostname = "localhost";       // in the greeting and the EHLO reply
  std::vector<std::string> domains;         // the only domains RCPT accepts (case-insensitive)
  std::size_t max_message_size = 1048576;   // octets of DATA after unstuffing; SIZE advertises it
  std::size_t max_recipients = 100;         // per transaction; beyond: 452 4.5.3
  std::size_t max_command_line = 512;       // octets including CRLF (RFC 5321 4.5.3.1.4)
  std::size_t max_text_line = 1000;         // octets including CRLF in DATA (4.5.3.1.6)
  bool starttls_available = false;          // a certificate is configured (plain listener)
  bool tls_active = false;                  // implicit TLS listener: the session starts in TLS
  bool plaintext_auth = false;              // AUTH allowed without TLS (trusted listener only)
  unsigned max_errors = 10;                 // client mistakes before 421 4.7.0 and close
  // RCPT TO:<Postmaster> and postmaster@ one of the domains are accepted from any client, also
  // one without an account (RFC 5321 4.5.1), in a transaction of their own; the mail is stored
  // whole for the operator (store_message::to_postmaster). Off: 550 5.1.1 like any other name.
  bool postmaster = true;
  // The server's address this client reached ("192.0.2.1", "2001:db8::1"; empty when unknown):
  // postmaster@[192.0.2.1] is the postmaster's too (RFC 5321 4.1.3's address literal for this
  // host, as Postfix takes its own addresses for local). Only the postmaster: numbers are sent
  // to at the configured domains.
  std::string own_address;
};

struct authenticated_account {
  std::int64_t id = 0;
  std::string name;
  std::string country;  // default region for national numbers
  // The account's settings, groups and allowlists, as loaded when it was identified (shared by
  // the session and the resolver; absent in tests of the protocol alone).
  std::shared_ptr<const core::account> profile;
};

// Questions the protocol asks core synchronously (pure computation, no I/O).
class recipient_resolver {
 public:
  virtual ~recipient_resolver() = default;
  // The numbers (E.164) a recipient in one of our domains stands for: one number, or a contact
  // group's members; a group of more than `most` members is refused. On refusal, the whole reply
  // line, e.g. "550 5.1.1 ...".
  virtual result<std::vector<std::string>, std::string> resolve(
      std::string_view local_part, const authenticated_account& account,
      std::size_t most) const = 0;
  // Empty when the account may use this reverse-path in MAIL FROM, else the reply line.
  virtual std::string check_sender(std::string_view reverse_path,
                                   const authenticated_account& account) const = 0;
};

struct recipient {
  std::string address;  // as given in RCPT TO
  std::string e164;
};

struct envelope {
  std::string helo;
  std::string mail_from;                // reverse-path without brackets; empty for <>
  std::vector<recipient> recipients;    // in RCPT order, duplicates (same E.164) kept once
  authenticated_account account;
  bool tls = false;
};

// ---- actions: what the session must do, in order ----
struct send_reply {
  std::string text;  // one or more complete reply lines, each ending in CRLF
};
struct start_tls {};  // handshake now, then call on_tls_started() (or close on failure)
struct verify_credentials {
  std::string mechanism;  // "PLAIN" or "LOGIN"
  std::string username;
  std::string password;
};  // answer with on_auth_result()
struct store_message {
  envelope env;      // for the postmaster: env.account.id is 0 when the client has no account
  std::string data;  // the message as received, dot-unstuffed, CRLF line endings
  // The mail is for the postmaster (env.recipients holds that one address, e164 empty): stored
  // whole for the operator, never sent as an SMS.
  bool to_postmaster = false;
  // How mail to the postmaster came, for its Received field (RFC 3848): SMTP after HELO, else
  // ESMTP with S for TLS and A for AUTH. Empty for other mail.
  std::string received_with;
};  // answer with on_store_result()
struct close_connection {};

using action = std::variant<send_reply, start_tls, verify_credentials, store_message, close_connection>;
using actions = std::vector<action>;

struct auth_result {
  // blocked: this client or user name used its failure budget (421 4.7.0 and close).
  enum class status { ok, invalid, temporary_failure, blocked };
  status state = status::invalid;
  authenticated_account account;  // when ok
};

struct store_result {
  enum class status { accepted, rejected, deferred };
  status state = status::deferred;
  std::string queue_id;       // when accepted
  std::size_t duplicates = 0; // when accepted: recipients that already had this mail
  bool truncated = false;     // when accepted: cut to the account's max parts
  std::string enhanced_code;  // when rejected/deferred, e.g. "5.6.0" or "4.3.0"
  std::string text;           // when rejected/deferred: what was wrong and what to do
};

class protocol {
 public:
  protocol(protocol_settings settings, const recipient_resolver& resolver);

  actions on_connect();                         // the 220 greeting
  actions on_input(std::string_view bytes);     // bytes from the client, in any chunking
  actions on_tls_started();                     // handshake done: state reset, EHLO expected
  actions on_auth_result(const auth_result& r);
  actions on_store_result(const store_result& r);
  actions on_timeout();                         // a read timed out: 421 4.4.2 and close
  // The server is stopping: an idle session gets 421 4.3.2 and is closed now; one inside a
  // transaction (or awaiting an outcome) finishes it first and is closed after its reply.
  actions on_shutdown();
  // The stopping server's grace period ended with this session open: 421 4.3.2 and close,
  // whatever it was doing (an unfinished transaction is dropped).
  actions on_cut();
  // The client's address is one of this account's networks: it may send as the account without
  // AUTH (the path for legacy systems). AUTH, where offered, may still name another account.
  void trust_network(const authenticated_account& account);
  // The account store could not say whether the client's address (or certificate) belongs to
  // an account: unless AUTH names one, MAIL ends the session with 421 4.3.0 (the client comes
  // back later, and is looked up again), not refused as if the address had no account (530
  // 5.7.0: a legacy system's mail would bounce).
  void identity_unavailable() { identity_unavailable_ = true; }

  bool closed() const { return closed_; }
  // True between the 354 and the final dot: the session may use a longer read timeout.
  bool in_data() const { return phase_ == phase::data; }
  // True while an action's outcome is awaited; on_input only buffers meanwhile.
  bool waiting() const { return waiting_ != wait::none; }

 private:
  enum class wait { none, tls, auth, store };
  enum class phase { command, data, auth_plain, auth_login_user, auth_login_pass };
  struct command_entry;  // the command table, in protocol.cpp
  static const command_entry* find_command(std::string_view verb);

  // Plumbing: batch replies (RFC 2920), flush them before any other action.
  void reply(std::string_view line);   // one reply line, CRLF added
  void reject(std::string_view line);  // a reply to a client mistake; counts towards the limit
  void emit(action a);
  void close_with(std::string_view line);
  actions finish();
  bool idle() const { return waiting_ == wait::none && !in_mail_ && phase_ == phase::command; }
  void run_lines();  // handle complete buffered lines until we must wait or close
  void resume();     // after an awaited outcome
  void buffer_while_waiting(std::string_view bytes);
  std::size_t line_limit() const;

  void handle_line(const crlf_line& line);
  void handle_command(const crlf_line& line);
  void handle_data_line(const crlf_line& line);
  void handle_auth_line(const crlf_line& line);
  void end_of_data();
  void drop_data();
  void reset_transaction();

  void cmd_ehlo(std::string_view args);
  void cmd_helo(std::string_view args);
  void cmd_mail(std::string_view args);
  void cmd_rcpt(std::string_view args);
  void cmd_data(std::string_view args);
  void cmd_rset(std::string_view args);
  void cmd_noop(std::string_view args);
  void cmd_quit(std::string_view args);
  void cmd_vrfy(std::string_view args);
  void cmd_help(std::string_view args);
  void cmd_starttls(std::string_view args);
  void cmd_auth(std::string_view args);
  void cmd_not_smtp(std::string_view args);

  bool auth_offered() const { return tls_ || settings_.plaintext_auth; }
  // Why AUTH cannot be given now, as its reply; empty when it can.
  std::string_view auth_not_now() const;
  bool accept_helo(std::string_view args);
  void add_recipient(std::string address, std::string_view local_part);
  void add_postmaster(std::string address);
  std::string authentication_required_reply() const;
  void auth_plain(std::string_view response);
  void auth_login_user(std::string_view response);
  void auth_login_pass(std::string_view response);
  void verify(std::string mechanism, std::string username, std::string password);

  protocol_settings settings_;
  const recipient_resolver& resolver_;
  crlf_line_reader input_;         // received bytes not yet handled
  actions out_;                    // what the current event produces
  std::string pending_replies_;    // replies batched until we wait for input (RFC 2920)
  phase phase_ = phase::command;
  wait waiting_ = wait::none;
  bool closed_ = false;
  bool input_overflow_ = false;    // too much pipelined while waiting
  bool shutting_down_ = false;
  unsigned errors_ = 0;
  bool helo_seen_ = false;
  bool tls_ = false;
  std::optional<authenticated_account> account_;          // who MAIL sends as
  std::optional<authenticated_account> network_account_;  // trusted by client address
  bool identity_unavailable_ = false;                     // the look-up of the above failed
  bool authenticated_ = false;                            // by AUTH in this TLS state
  std::string helo_;
  bool ehlo_ = false;           // the client greeted with EHLO (not HELO)
  bool to_postmaster_ = false;  // this transaction's recipient is the postmaster
  // The mail transaction.
  bool in_mail_ = false;
  bool rcpt_attempted_ = false;
  std::string mail_from_;
  std::vector<recipient> recipients_;
  std::string data_;
  std::size_t data_size_ = 0;      // octets after unstuffing, stored or not
  bool data_too_big_ = false;
  bool data_long_line_ = false;
  bool data_bare_cr_lf_ = false;
  std::string auth_login_user_;
};

}  // namespace mail2sms::smtpd
