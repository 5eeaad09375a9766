// The PostgreSQL implementation of core's ports (accounts, the message store, the dispatch
// queue) and the account administration the CLI needs. One connection per calling thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/dispatch/reports.hpp"
#include "core/ports.hpp"

namespace mail2sms::sql {

struct message_row {
  std::int64_t id = 0;
  std::string queue_id;
  std::string account;
  std::string recipient;  // E.164 (callers mask it where it is logged)
  std::string status;
  std::string encoding;
  int segments = 0;
  int attempts = 0;
  std::string connector;
  std::string last_error;
  std::string created_at;  // ISO 8601
};

// One part as `messages show` lists it.
struct part_detail {
  int part_no = 0;
  std::string smsc_message_id;  // empty until submit_sm_resp was recorded
  std::string state;            // the last final receipt state, empty while none
  std::string error_code;
  int queries = 0;              // query_sm asked so far
  std::string query_at;         // the next query_sm (ISO 8601), empty when none
};

// A message with its parts and what its last claim recorded.
struct message_detail {
  message_row message;
  std::optional<std::int64_t> dispatch_session;  // the claiming process (sending, unknown)
  std::optional<std::int64_t> smpp_sequence;     // part n was sent as smpp_sequence + n - 1
  std::vector<part_detail> parts;
};

struct account_row {
  core::account account;
  std::string status;
  std::int64_t credit = 0;
  std::string created_at;
};

class store final : public core::account_directory,
                    public core::message_store,
                    public core::dispatch_queue,
                    public core::report_store,
                    public core::query_store {
 public:
  explicit store(std::string connection_string);
  ~store() override;

  // core::account_directory
  result<std::optional<core::account>, core::store_error> authenticate(
      const std::string& name, const std::string& password) override;
  result<std::optional<core::account>, core::store_error> by_network(
      const std::string& address) override;
  result<std::optional<core::account>, core::store_error> by_certificate(
      const std::string& fingerprint) override;
  void record_auth_failure(const std::string& client, const std::string& username,
                           const std::string& mechanism) override;

  // core::message_store
  result<core::enqueued, core::store_error> enqueue(const core::submission& s) override;

  // core::dispatch_queue
  result<std::vector<core::queued_message>, core::store_error> claim(int limit) override;
  result<ok_t, core::store_error> record(
      std::int64_t message_id, const std::string& connector, const core::submit_outcome& outcome,
      std::optional<std::chrono::system_clock::time_point> retry_at) override;
  result<ok_t, core::store_error> record_batch(
      const std::vector<core::recorded_outcome>& outcomes) override;
  bool wait_for_work(std::chrono::milliseconds timeout) override;
  result<std::vector<core::interrupted_message>, core::store_error> mark_interrupted() override;
  result<ok_t, core::store_error> requeue_unknown(const std::vector<std::int64_t>& ids) override;

  // core::report_store
  result<ok_t, core::store_error> record_reports(
      const std::vector<core::delivery_report>& reports) override;
  result<ok_t, core::store_error> record_inbound(
      const std::vector<core::inbound_message>& messages) override;
  result<std::size_t, core::store_error> store_incomplete_replies(
      std::chrono::seconds wait) override;
  result<std::size_t, core::store_error> match_stored_reports(std::chrono::seconds window) override;

  // core::query_store
  result<std::vector<core::part_query>, core::store_error> claim_queries(
      const std::string& connector, int limit, std::chrono::seconds query_after,
      std::chrono::seconds validity) override;
  // The connectors whose submitted parts get a first query_sm this long after their SMSC id is
  // recorded. Set before dispatching starts; not changed while it runs.
  void set_query_after(std::map<std::string, std::chrono::seconds, std::less<>> by_connector);

  // Rate-limit windows long past (usage_counters rows no limit reads any more); how many went.
  result<std::int64_t, core::store_error> expire_usage_counters();

  // The account as a session would load it (settings, senders, groups), active or not.
  result<std::optional<core::account>, core::store_error> account_profile(const std::string& name);

  // Administration (CLI). password_hash is an argon2id PHC string.
  result<core::account, core::store_error> add_account(const std::string& name,
                                                       const std::string& country,
                                                       const std::string& password_hash,
                                                       std::int64_t credit = 0);
  result<std::optional<account_row>, core::store_error> find_account(const std::string& name);
  // Client networks (CIDR text, e.g. "192.0.2.0/24" or "2001:db8::/32"). add: false when the
  // account already had it; remove: false when it did not. A malformed CIDR is permanent.
  result<bool, core::store_error> add_network(const std::string& account, const std::string& cidr);
  result<bool, core::store_error> remove_network(const std::string& account,
                                                 const std::string& cidr);
  result<std::vector<std::string>, core::store_error> networks(const std::string& account);
  result<ok_t, core::store_error> audit(const std::string& actor, const std::string& action,
                                        const std::string& subject, const std::string& detail);
  result<std::vector<message_row>, core::store_error> list_messages(
      const std::optional<std::string>& account, const std::optional<std::string>& status,
      int limit);
  // The messages with this queue id (one per recipient of the mail) or row id, with their parts.
  result<std::vector<message_detail>, core::store_error> show_message(
      const std::string& queue_id_or_id);

 private:
  struct listener;
  struct session;
  // This process's dispatcher session id (see mark_interrupted), started on first use.
  result<std::int64_t, core::store_error> dispatch_session();

  std::string connection_string_;
  std::map<std::string, std::chrono::seconds, std::less<>> query_after_;  // see set_query_after
  std::unique_ptr<listener> listener_;  // the LISTEN connection, used by the dispatcher thread only
  std::mutex session_mutex_;
  std::unique_ptr<session> session_;    // holds the session's advisory lock
};

}  // namespace mail2sms::sql
