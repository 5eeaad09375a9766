// The SMTP server protocol (RFC 5321, 1870, 2920, 3207, 3463, 4954, 6152) as a pure state
// machine: bytes and events in, actions out. No sockets, no clock, no database; the session
// (session.hpp) performs the actions and reports their outcomes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::smtpd {

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
};

struct authenticated_account {
  std::int64_t id = 0;
  std::string name;
  std::string country;  // default region for national numbers
};

// Questions the protocol asks core synchronously (pure computation, no I/O).
class recipient_resolver {
 public:
  virtual ~recipient_resolver() = default;
  // The local part of a recipient in one of our domains to E.164, or a reason it is not a number.
  virtual result<std::string, std::string> to_e164(std::string_view local_part,
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
  envelope env;
  std::string data;  // the message as received, dot-unstuffed, CRLF line endings
};  // answer with on_store_result()
struct close_connection {};

using action = std::variant<send_reply, start_tls, verify_credentials, store_message, close_connection>;
using actions = std::vector<action>;

struct auth_result {
  enum class status { ok, invalid, temporary_failure };
  status state = status::invalid;
  authenticated_account account;  // when ok
};

struct store_result {
  enum class status { accepted, rejected, deferred };
  status state = status::deferred;
  std::string queue_id;       // when accepted
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

  bool closed() const { return closed_; }
  // True while an action's outcome is awaited; on_input only buffers meanwhile.
  bool waiting() const { return waiting_ != wait::none; }

 private:
  enum class wait { none, tls, auth, store };
  enum class phase { greeting, ready, mail, rcpt, data, auth_login_user, auth_login_pass, auth_plain };

  actions process();                            // handle buffered complete lines until we must wait
  void handle_line(std::string_view line, actions& out);
  void handle_command(std::string_view line, actions& out);
  void handle_data_line(std::string_view line, actions& out);
  void handle_auth_continuation(std::string_view line, actions& out);
  void reset_transaction();

  void cmd_helo(std::string_view args, bool extended, actions& out);
  void cmd_mail(std::string_view args, actions& out);
  void cmd_rcpt(std::string_view args, actions& out);
  void cmd_data(std::string_view args, actions& out);
  void cmd_auth(std::string_view args, actions& out);
  void cmd_starttls(std::string_view args, actions& out);

  void reply(actions& out, std::string_view code_and_text);
  void finish_auth(std::string_view user, std::string_view pass, std::string_view mech, actions& out);

  protocol_settings settings_;
  const recipient_resolver& resolver_;
  std::string input_;              // received bytes not yet consumed
  std::string pending_replies_;    // replies batched until we wait for input (RFC 2920)
  phase phase_ = phase::greeting;
  wait waiting_ = wait::none;
  bool closed_ = false;
  bool helo_seen_ = false;
  bool tls_ = false;
  std::optional<authenticated_account> account_;
  std::string helo_;
  std::string mail_from_;
  std::vector<recipient> recipients_;
  std::string data_;
  bool data_too_big_ = false;
  bool data_bad_line_ = false;
  std::string auth_login_user_;
  std::string auth_mechanism_;
};

}  // namespace mail2sms::smtpd
