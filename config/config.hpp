// Typed configuration, loaded from TOML (toml++) and validated before anything listens.
// A wrong key, type or value is a config_error naming the file, the line and the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "core/connectors/http/settings.hpp"
#include "core/result.hpp"

namespace mail2sms::config {

struct endpoint {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  std::uint16_t port = 0;
};

struct smtp_config {
  std::vector<endpoint> listen;      // plain; STARTTLS offered when a certificate is set
  std::vector<endpoint> listen_tls;  // implicit TLS (RFC 8314); requires tls_cert/tls_key
  // Plain listeners that offer AUTH before TLS too (STARTTLS still offered): ports only a trusted
  // network reaches, for legacy systems that cannot do TLS. The others never do, unless
  // plaintext_auth, which applies to every listener in `listen`.
  std::vector<endpoint> listen_plaintext_auth;
  std::string hostname;              // greeting name; default: the machine's host name
  std::vector<std::string> domains;  // the only domains accepted in RCPT; at least one
  std::string tls_cert;              // PEM paths, resolved relative to the config file's directory
  std::string tls_key;
  bool plaintext_auth = false;  // AUTH without TLS on every `listen` listener: trusted only
  std::size_t max_message_size = 1048576;
  std::size_t max_recipients = 100;
  // Longest command line and DATA text line, in octets with the CRLF; RFC 5321 4.5.3.1.4 and
  // 4.5.3.1.6 set these as the least a server must take. Longer: 500 5.5.2 (a command), or
  // 554 5.6.0 at the end of the data (a text line: the rest is read and the mail refused).
  std::size_t max_command_line = 512;
  std::size_t max_text_line = 1000;
  std::chrono::seconds command_timeout{300};  // RFC 5321 4.5.3.2
  std::chrono::seconds data_timeout{180};
  std::chrono::seconds session_timeout{3600};  // a whole connection, however busy
  std::chrono::seconds shutdown_grace{30};     // SIGTERM: transactions in flight may finish
  std::size_t max_connections = 1000;          // in total; beyond: 421 4.7.0
  std::size_t max_connections_per_ip = 20;
  std::size_t max_errors = 10;                 // client mistakes before 421 4.7.0
  std::size_t auth_failures_per_ip = 10;       // within auth_failure_window, then 421 4.7.0
  std::size_t auth_failures_per_user = 10;
  std::chrono::seconds auth_failure_window{900};
  // How long the account a client network or certificate identified is remembered (0: looked
  // up for every connection); SIGHUP forgets them all.
  std::chrono::seconds account_cache{5};
  // Mail to the postmaster (RFC 5321 4.5.1) is accepted from any client and kept in the database
  // for `mail2sms postmaster`; beyond postmaster_mailbox_size octets held, 451 4.2.2. Off: RCPT
  // TO:<Postmaster> is refused like any name that is not a number.
  bool postmaster = true;
  std::size_t postmaster_mailbox_size = 64 * 1024 * 1024;  // each mail: its size + 1 KiB
  std::size_t postmaster_per_client = 10;  // mails to it per client address and hour
};

struct database_config {
  std::string url;       // external PostgreSQL (libpq connection string or URI)
  std::string embedded;  // or: a directory where mail2sms runs its own cluster (resolved path)
  int pool_size = 4;     // database threads, one connection each
  int group_commit = 128;  // accepted mails committed in one transaction at most (1: no batching)
  int commit_writers = 2;  // transactions committing accepted mail at once, one connection each
  // Seconds the intake waits for an account's row another transaction holds (an erasure, an
  // operator's psql session) before the batch's mails get 451 4.3.0, nothing of them stored.
  int lock_timeout = 30;
  // Seconds serve waits with nothing from PostgreSQL while an answer is due (a server that hangs)
  // before it gives up: the intake's mails get 451 4.3.0, and at a stop the threads still
  // waiting on the database are not waited for longer. More than lock_timeout; by default
  // 60, or lock_timeout + 30 where that is more.
  int answer_timeout = 60;
  // MiB of WAL segments the embedded cluster writes ahead once and keeps to recycle (0: none;
  // sql::embedded_cluster says why). Not for url: that server's min_wal_size is its own.
  int wal_reserve_mb = 1024;
};

struct connector_config {
  std::string name;
  std::string type;  // "smpp" | "http" | "file"
  // smpp
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  bool tls = false;             // implicit TLS: handshake after connect, before bind
  std::string tls_ca_file;      // PEM CAs (resolved path); empty: the system's trust store
  bool tls_verify = true;       // check the certificate chain and the server's name
  std::string tls_server_name;  // SNI and the name checked; empty: host
  std::string system_id;
  std::string password;
  std::string system_type;
  std::string source;  // source address when the account has no sender ID (alphanumeric <= 11)
  std::string bind = "transceiver";  // "transceiver" | "pair" (bind_transmitter + bind_receiver)
  int binds = 1;                     // transceivers, or in pair mode transmitters (1..32)
  int receiver_binds = 1;            // pair mode: receivers (1..32)
  std::string receiver_host;         // pair mode: empty: host
  std::uint16_t receiver_port = 0;   // pair mode: 0: port
  int window = 32;                   // outstanding submit_sm, per bind
  int tps = 100;                     // segments per second, per connector (all its binds)
  std::chrono::seconds enquire_link_interval{30};
  std::chrono::seconds response_timeout{10};
  bool receipts = true;                   // ask for delivery receipts (registered_delivery 1)
  std::string concatenation = "udh";      // "udh" (esm_class UDHI) or "sar" (SAR TLVs)
  std::string submit_id_format = "as-is";   // submit_sm_resp ids: "as-is" | "decimal" | "hex"
  std::string receipt_id_format = "as-is";  // the receipt text's id: field, the same choices
  std::string unknown_policy = "resend";  // after a crash mid-submit: "resend" or "hold"
  // query_sm a submitted part this long after its submit_sm_resp when no final receipt came;
  // 0: never (docs/OPERATIONS.md, "Delivery guarantees")
  std::chrono::seconds query_after{0};
  // file
  std::string path;  // JSONL output, resolved relative to the config file's directory
  // http: checked with http::compile() (request.hpp) at load time (templates, patterns); its default_source
  // is `source`, its ca_file resolved relative to the config file's directory
  http::settings http;
};

struct route_config {
  std::string prefix;  // longest prefix of the E.164 number wins; "+" matches all
  std::string connector;
  std::vector<std::string> fallback;  // tried in order while `connector` is down
};

struct dispatch_config {
  bool enabled = true;  // false: this process only accepts mail; another one sends it
  int batch_size = 200;  // messages claimed at once (see docs/PERFORMANCE.md, issue #6)
  int max_attempts = 10;
  std::chrono::seconds retry_base{30};  // backoff: base * 2^attempts, capped at retry_max
  std::chrono::seconds retry_max{3600};
  std::chrono::seconds validity{48 * 3600};  // after acceptance; then `expired`
  int max_in_flight = 1000;                  // messages handed to connectors at once
  // How long the parts of a concatenated reply wait for the rest; then it is stored as it is.
  std::chrono::seconds reply_parts_wait{1800};
  // The shortest time between two claims that are not full batches: a little latency for fewer,
  // larger claims when mail comes a few at a time (see docs/PERFORMANCE.md, issue #6).
  int claim_interval_ms = 15;
};

// How long message texts are kept: `mail2sms purge` (and serve, hourly) clears the bodies of
// messages in a final state, and of replies, older than body_days.
struct retention_config {
  int body_days = 30;
};

// What one SMS segment costs in credit, by destination country; `default` for the rest. A mail
// costs segments x recipients x their countries' prices.
struct pricing_config {
  std::int64_t default_price = 1;
  std::map<std::string, std::int64_t, std::less<>> by_country;  // ISO 3166 alpha-2
};

// [notifications]: delivery-status mails (RFC 3464) through a relay; absent: none are sent.
struct notifications_config {
  bool enabled = false;  // the section is there
  endpoint relay;        // the smarthost that takes them, e.g. the local MTA
  std::string from;      // the From: address; the envelope sender is always <>
  std::string hostname;  // EHLO name and Reporting-MTA; default: the machine's host name
  std::string starttls = "opportunistic";  // off | opportunistic | required
  std::string tls_ca_file;  // PEM CAs (resolved path); empty: the system's trust store
  bool tls_verify = true;   // check the relay's chain and name (required; opportunistic: see docs)
  std::string tls_server_name;  // name checked and sent as SNI; empty: the relay's host
  std::string auth_user;        // AUTH PLAIN, only over TLS; empty: no AUTH
  std::string auth_password;    // read from auth_password_file at load time
  std::chrono::seconds timeout{60};           // one whole SMTP conversation
  std::chrono::seconds retry_base{60};        // after 4xx/connection errors: base * 2^n ...
  std::chrono::seconds retry_max{3600};       // ... capped here
  std::chrono::seconds give_up_after{5 * 86400};  // a notification this old is given up
  // Where mail to the postmaster ([smtp] postmaster) is forwarded through the relay; empty: it
  // is only kept for `mail2sms postmaster`.
  std::string postmaster_to;
};

struct log_config {
  std::string level = "info";  // trace|debug|info|warn|error
};

struct config {
  std::string source;  // the file it came from
  smtp_config smtp;
  database_config database;
  std::vector<connector_config> connectors;
  std::vector<route_config> routes;
  dispatch_config dispatch;
  retention_config retention;
  pricing_config pricing;
  notifications_config notifications;
  log_config log;
};

struct config_error {
  std::string file;
  int line = 0;        // 0 when the error is about the whole file
  std::string key;     // dotted path, e.g. "smtp.listen[1]" or "connector[0].port"
  std::string message;
  std::string to_string() const;  // "FILE:LINE: KEY: MESSAGE"
};

result<config, config_error> load_file(const std::string& path);
result<config, config_error> load_string(std::string_view toml, const std::string& source_name,
                                         const std::string& base_dir);

}  // namespace mail2sms::config
