// What core needs from the outside world, declared by core: sql implements the stores,
// core/connectors implement sms_connector, cli wires them together. All calls are blocking and
// must be thread-safe; callers run them off the I/O threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/mail/mail_text.hpp"
#include "core/result.hpp"
#include "core/sms/sms.hpp"

namespace mail2sms::core {

// An account as a session sees it: loaded when the sender is identified (AUTH, client network,
// client certificate) and used for that session's checks. Credit, rate limits and the dedup
// window are not here: they are checked in the database when the mail is committed, where many
// sessions and processes see the same numbers.
struct account {
  std::int64_t id = 0;
  std::string name;
  std::string country;    // default region for national numbers, ISO 3166 alpha-2
  std::string sender_id;  // source address on the SMS; empty means the connector's default
  int max_parts = 10;     // a mail needing more segments is refused (or truncated, see below)
  bool truncate = false;  // too long: cut to max_parts with a marker instead of refusing
  std::string timezone = "UTC";  // where the account's days (segments per day) begin
  mail::text_options text;       // subject policy, cleaning, disclaimers, end marker
  bool smart_gsm = true;         // typographic characters to their GSM look-alikes
  bool transliterate = false;    // everything else to Latin/ASCII where it can
  // National language shift tables the encoder may use, and a 16-bit concatenation reference
  // (IEI 0x08) instead of 8-bit. Per account, not per connector: a mail is encoded at acceptance
  // and its parts are stored before any connector is chosen (failover may move it to another).
  sms::national_language national = sms::national_language::none;
  bool reference_16bit = false;
  // Destination countries (ISO 3166 alpha-2) the account may send to; empty means its own
  // country only; "*" means any.
  std::vector<std::string> countries;
  // Number types (phone::number_type names) it may send to.
  std::vector<std::string> number_types{"mobile", "fixed-line-or-mobile"};
  // MAIL FROM / From: addresses it may use ("ops@example.com", "*@example.com"); empty: any.
  std::vector<std::string> senders;
  // Contact groups: lower-case name -> members (E.164), for GROUP@DOMAIN.
  std::map<std::string, std::vector<std::string>, std::less<>> groups;
};

// transient: may work later (451 4.3.0); permanent: never will; in_doubt: a commit whose
// outcome is unknown (treated as transient by SMTP: the client retries, dedup is the store's job).
enum class failure_kind { transient, permanent, in_doubt };

struct store_error {
  failure_kind kind = failure_kind::transient;
  std::string message;  // for the operator's log; never contains bodies, passwords or numbers
};

class account_directory {
 public:
  virtual ~account_directory() = default;
  // The active account whose name and password match; nullopt when they do not.
  virtual result<std::optional<account>, store_error> authenticate(const std::string& name,
                                                                   const std::string& password) = 0;
  // The active account that allows this client address (IPv4 or IPv6 text) to send without
  // AUTH, the most specific network first; nullopt when none does.
  virtual result<std::optional<account>, store_error> by_network(const std::string& address) = 0;
  // The active account that registered this TLS client certificate (SHA-256 fingerprint,
  // lower-case hex); nullopt when none did.
  virtual result<std::optional<account>, store_error> by_certificate(
      const std::string& fingerprint) = 0;
  // An authentication failure, for the audit log: the client's address, the user name it gave
  // (never the password) and how it tried.
  virtual void record_auth_failure(const std::string& client, const std::string& username,
                                   const std::string& mechanism) = 0;
};

// A mail to the postmaster (RFC 5321 4.5.1), kept whole for the operator to read
// (`mail2sms postmaster`), never converted or sent.
struct postmaster_mail {
  std::string client;  // the client's address
  std::string helo;
  std::string mail_from;                   // empty for <>
  std::string recipient;                   // as given in RCPT TO
  std::optional<std::int64_t> account_id;  // the sending account, when the client had one
  bool tls = false;
  std::string message;  // as received, CRLF line endings
};

class postmaster_mailbox {
 public:
  virtual ~postmaster_mailbox() = default;
  // Commits the mail and returns its number; nullopt, storing nothing, when the mailbox is full
  // (its capacity is the implementation's: [smtp] postmaster_mailbox_size in serve).
  virtual result<std::optional<std::int64_t>, store_error> deliver(const postmaster_mail& mail) = 0;
};

// One accepted mail: a message row per recipient, its parts with it, all committed together.
struct submission {
  std::int64_t account_id = 0;
  std::string mail_from;
  std::string message_id;               // the mail's Message-ID header
  std::vector<std::string> recipients;  // E.164, deduplicated
  // Credit each recipient's message costs (segments x its country's price), beside recipients;
  // empty means one credit per segment.
  std::vector<std::int64_t> costs;
  std::string sender_id;
  std::string text;                     // what the SMS says (purged after retention)
  sms::encoded_message sms;
};

// The account's limits said no when the mail was to be committed: nothing was stored.
struct refusal {
  bool permanent = false;     // 5xx (never will work) rather than 4xx (try later)
  std::string enhanced_code;  // RFC 3463, e.g. "4.7.1"
  std::string text;           // for the sender: what limit, and what to do
};

struct enqueued {
  std::string queue_id;          // when stored (also when every recipient was a duplicate)
  std::optional<refusal> refused;  // set: nothing was stored, queue_id is empty
  std::size_t duplicates = 0;      // not sent again: the same Message-ID and text within the window
  std::int64_t cost = 0;         // credit reserved
};

class message_store {
 public:
  // Commits the submission, reserving its credit, if the account's credit and limits allow it.
  using enqueue_result = result<enqueued, store_error>;
  using enqueue_done = std::function<void(enqueue_result)>;

  virtual ~message_store() = default;
  // Returns only after COMMIT succeeded (or nothing was stored).
  virtual enqueue_result enqueue(const submission& s) = 0;
  // The same without waiting: done is called exactly once, after the COMMIT (or the failure),
  // from a store thread. This default blocks the caller on enqueue(); a store that I/O threads
  // use (the group committer) overrides it.
  virtual void enqueue_async(submission s, enqueue_done done) { done(enqueue(s)); }
};

// A message claimed for sending: its row says `sending` until the outcome is recorded.
struct queued_message {
  std::int64_t id = 0;
  std::string queue_id;
  std::string recipient;  // E.164
  std::string sender_id;
  int attempts = 0;       // before this one
  std::chrono::system_clock::time_point accepted_at;  // when the mail was accepted (validity)
  sms::encoding coding = sms::encoding::gsm7;
  std::vector<sms::segment> segments;
  // The SMPP sequence_number of the first segment, recorded with the claim (segment i uses
  // smpp_sequence + i; they stay below 0x40000000); 0: none given, an SMPP connector numbers
  // them itself. Other connectors ignore it.
  std::uint32_t smpp_sequence = 0;
};

struct submit_outcome {
  // expired: not sent (or not sent again) because its validity period ended.
  enum class status { submitted, transient_failure, permanent_failure, expired };
  status state = status::transient_failure;
  std::vector<std::string> smsc_message_ids;  // one per segment, when submitted
  std::string reason;                         // the SMSC's or the connector's words on failure
};

// A submitted part with no final receipt, to ask its SMSC about (SMPP query_sm).
struct part_query {
  std::int64_t message_id = 0;
  int part_no = 0;
  std::string queue_id;
  std::string connector;
  std::string smsc_message_id;  // as recorded (normalised by the connector)
  std::string sender_id;        // the message's: the connector derives the source as it did
  std::string recipient;        // E.164 (masked where logged)
  int queries = 0;              // including this one
};

// What the SMSC said about a part.
struct query_result {
  // state: the SMSC knows the message (`state` as a receipt would say it); not_found: it does
  // not (ESME_RQUERYFAIL, ESME_RINVMSGID); failed: no answer, or an error status.
  enum class kind { state, not_found, failed };
  kind what = kind::failed;
  std::string state;       // DELIVRD EXPIRED DELETED UNDELIV ACCEPTD UNKNOWN REJECTD ENROUTE
  std::string error_code;  // the SMSC's error_code, empty when 0
  std::string reason;      // not_found, failed: the SMSC's status or what went wrong
};

class sms_connector {
 public:
  virtual ~sms_connector() = default;
  virtual const std::string& name() const = 0;
  // Sends every segment of one message; blocks until the SMSC answered each or gave up.
  virtual submit_outcome submit(const queued_message& message) = 0;
  // Starts sending and returns; `done` gets the outcome exactly once, possibly on another thread
  // (keep it short). Connectors with a window override it to have many messages in flight.
  virtual void submit_async(const queued_message& message,
                            std::function<void(submit_outcome)> done) {
    done(submit(message));
  }
  // False when the connector knows it cannot send now (not bound): routing tries the next one.
  virtual bool available() const { return true; }
  // Asks the SMSC what became of a part this connector submitted; `done` gets the answer
  // exactly once, possibly on another thread. Connectors that cannot ask answer `failed`.
  virtual void query_async(const part_query& part, std::function<void(query_result)> done) {
    (void)part;
    query_result out;
    out.reason = "this connector cannot ask about a message";
    done(std::move(out));
  }
};

// One message's outcome for dispatch_queue::record_batch.
struct recorded_outcome {
  std::int64_t message_id = 0;
  std::string connector;
  submit_outcome outcome;
  std::optional<std::chrono::system_clock::time_point> retry_at;
};

// A message a crashed dispatcher left in `sending`, now `unknown`.
struct interrupted_message {
  std::int64_t id = 0;
  std::string recipient;  // E.164, to find the connector its route names
};

class dispatch_queue {
 public:
  virtual ~dispatch_queue() = default;
  // Claims up to `limit` due messages (FOR UPDATE SKIP LOCKED), marking them `sending`.
  virtual result<std::vector<queued_message>, store_error> claim(int limit) = 0;
  // Records what happened to a claimed message through `connector`: submitted, failed, or (a
  // transient failure with retry_at) queued again for then.
  virtual result<ok_t, store_error> record(
      std::int64_t message_id, const std::string& connector, const submit_outcome& outcome,
      std::optional<std::chrono::system_clock::time_point> retry_at) = 0;
  // Several outcomes in one transaction (each as record() would write it).
  virtual result<ok_t, store_error> record_batch(const std::vector<recorded_outcome>& outcomes) = 0;
  // Blocks until new work may be due (a NOTIFY) or `timeout` passed; true after a NOTIFY.
  // A zero timeout only looks for one that arrived.
  virtual bool wait_for_work(std::chrono::milliseconds timeout) = 0;
  // Rows left in `sending` by a dispatcher that is gone (its process died) become `unknown`;
  // returns them. Rows of dispatchers still running (in this or another process) are left alone.
  virtual result<std::vector<interrupted_message>, store_error> mark_interrupted() = 0;
  // `unknown` rows to be sent again (connector policy "resend"): back to `queued`, due now.
  virtual result<ok_t, store_error> requeue_unknown(const std::vector<std::int64_t>& ids) = 0;
};

}  // namespace mail2sms::core
