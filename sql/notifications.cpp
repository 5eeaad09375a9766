// The notification outbox (see notifications.hpp). Claims lease rows (next_attempt_at moved
// past the lease) in the statement that locks them with FOR UPDATE SKIP LOCKED, so two serve
// processes never hold one row at once and a process that dies leaves it due again later.
#include "sql/notifications.hpp"

#include <pqxx/pqxx>

#include "sql/array_literal.hpp"
#include "sql/pq_support.hpp"

namespace mail2sms::sql {
namespace {

constexpr const char* rfc5322 = "'Dy, DD Mon YYYY HH24:MI:SS \"+0000\"'";

std::string claim_sql() {
  return std::string(
             "WITH due AS (SELECT id FROM notifications "
             "  WHERE state = 'pending' AND next_attempt_at <= now() "
             "  ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED), "
             "claimed AS (UPDATE notifications n SET attempts = n.attempts + 1, "
             "  next_attempt_at = now() + make_interval(secs => $2) "
             "  FROM due WHERE n.id = due.id "
             "  RETURNING n.id, n.attempts, n.message_id, n.kind, n.inbound_id, n.status, "
             "n.rcpt_to, "
             "    n.created_at) "
             "SELECT c.id, c.attempts, extract(epoch FROM now() - c.created_at)::bigint AS age, "
             "  c.rcpt_to, m.queue_id, m.recipient, c.status, "
             "  COALESCE(NULLIF(m.last_error, ''), (SELECT e.detail FROM message_events e "
             "    WHERE e.message_id = m.id AND e.status <> 'notification' "
             "    ORDER BY e.id DESC LIMIT 1), '') AS reason, "
             "  m.mail_message_id, c.kind = 'reply' AS reply, i.body AS reply_text, "
             "  to_char(m.created_at AT TIME ZONE 'UTC', ") +
         rfc5322 + ") AS accepted_at, to_char(c.created_at AT TIME ZONE 'UTC', " + rfc5322 +
         ") AS changed_at "
         "FROM claimed c JOIN messages m ON m.id = c.message_id "
         "LEFT JOIN inbound_messages i ON i.id = c.inbound_id ORDER BY c.id";
}

}  // namespace

struct notification_store::listener : channel_listener {
  explicit listener(const std::string& conninfo)
      : channel_listener(conninfo, notifications_channel, "notification listener") {}
};

notification_store::notification_store(std::string connection_string)
    : connection_string_(std::move(connection_string)) {}

notification_store::~notification_store() = default;

result<std::vector<notify::pending_notification>, core::store_error> notification_store::claim(
    int limit, std::chrono::seconds lease) {
  static const std::string sql = claim_sql();
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    std::vector<notify::pending_notification> out;
    for (const auto& r : tx.exec_params(sql, limit, static_cast<double>(lease.count()))) {
      out.push_back(notify::pending_notification{
          .id = r["id"].as<std::int64_t>(),
          .attempts = r["attempts"].as<int>(),
          .age = std::chrono::seconds(r["age"].as<std::int64_t>()),
          .rcpt_to = r["rcpt_to"].as<std::string>(),
          .queue_id = r["queue_id"].as<std::string>(),
          .recipient = r["recipient"].as<std::string>(),
          .status = r["status"].as<std::string>(),
          .reason = r["reason"].as<std::string>(),
          .mail_message_id = r["mail_message_id"].as<std::string>(),
          .accepted_at = r["accepted_at"].as<std::string>(),
          .changed_at = r["changed_at"].as<std::string>(),
          .reply = r["reply"].as<bool>(),
          .reply_text = r["reply_text"].is_null()
                            ? std::nullopt
                            : std::optional<std::string>(r["reply_text"].as<std::string>()),
      });
    }
    return out;
  });
}

result<ok_t, core::store_error> notification_store::sent(std::int64_t id,
                                                         const std::string& detail) {
  return finish(id, "sent", detail);
}

result<ok_t, core::store_error> notification_store::retry(std::int64_t id,
                                                          std::chrono::seconds after,
                                                          const std::string& detail) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params(
        "UPDATE notifications SET next_attempt_at = now() + make_interval(secs => $2), "
        "last_error = $3 WHERE id = $1",
        id, static_cast<double>(after.count()), detail);
    return ok;
  });
}

result<ok_t, core::store_error> notification_store::release(const std::vector<std::int64_t>& ids) {
  array_literal list;
  for (const auto id : ids) list.add(id);
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params(
        "UPDATE notifications SET next_attempt_at = now(), attempts = greatest(attempts - 1, 0) "
        "WHERE id = ANY($1::bigint[]) AND state = 'pending'",
        list.str());
    return ok;
  });
}

result<ok_t, core::store_error> notification_store::give_up(std::int64_t id,
                                                            const std::string& detail) {
  return finish(id, "given-up", detail);
}

// The row's final state, and an event on its message saying what became of it.
result<ok_t, core::store_error> notification_store::finish(std::int64_t id,
                                                           const std::string& state,
                                                           const std::string& detail) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params(
        "WITH done AS (UPDATE notifications SET state = $2, "
        "  sent_at = CASE WHEN $2 = 'sent' THEN now() END, "
        "  last_error = CASE WHEN $2 = 'sent' THEN NULL ELSE $3 END "
        "  WHERE id = $1 RETURNING message_id, kind, status) "
        "INSERT INTO message_events (message_id, status, detail) "
        "SELECT message_id, 'notification', "
        "  CASE WHEN kind = 'reply' THEN 'reply mail' "
        "       ELSE 'delivery-status mail (' || status || ')' END || "
        "  CASE WHEN $2 = 'sent' THEN ' sent: ' ELSE ' given up: ' END || $3 "
        "FROM done",
        id, state, detail);
    return ok;
  });
}

bool notification_store::wait_for_notifications(std::chrono::milliseconds timeout) {
  if (!listener_) listener_ = std::make_unique<listener>(connection_string_);
  return listener_->wait(timeout);
}

result<std::vector<std::string>, core::store_error>
notification_store::accounts_wanting_notifications() {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    std::vector<std::string> names;
    for (const auto& r : tx.exec("SELECT name FROM accounts WHERE notify <> 'off' ORDER BY name"))
      names.push_back(r[0].as<std::string>());
    return names;
  });
}

}  // namespace mail2sms::sql
