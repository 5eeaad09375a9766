// The postmaster's mailbox (see postmaster.hpp).
#include "sql/postmaster.hpp"

#include <pqxx/pqxx>

#include "sql/array_literal.hpp"
#include "sql/pq_support.hpp"

namespace mail2sms::sql {

postmaster_box::postmaster_box(std::string connection_string, std::int64_t capacity,
                               std::string forward_to)
    : connection_string_(std::move(connection_string)),
      capacity_(capacity),
      forward_to_(std::move(forward_to)) {}

result<std::optional<std::int64_t>, core::store_error> postmaster_box::deliver(
    const core::postmaster_mail& mail) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) -> std::optional<std::int64_t> {
    // The mailbox's running total (0020) is taken, and the mail stored, in one statement: one
    // row lock that deliveries queue on for a moment, never longer than lock_timeout.
    tx.exec0("SET LOCAL lock_timeout = '5s'");
    // The account's key lock first, as the foreign key would take it after the mailbox's: an
    // account being deleted holds its row and then waits for the mailbox (its cascade gives the
    // room back), and the other order deadlocked with it.
    if (mail.account_id)
      tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE", *mail.account_id);
    const auto rows = tx.exec_params(
        "WITH room AS ("
        "  UPDATE postmaster_mailbox SET used = used + octet_length($7::bytea) + 1024 "
        "  WHERE used + octet_length($7::bytea) + 1024 <= $8 RETURNING used) "
        "INSERT INTO postmaster_mail "
        "  (client, helo, mail_from, recipient, account_id, tls, size, message, forward_to, "
        "   forward_next_at) "
        "SELECT $1, $2, $3, $4, NULLIF($5, 0), $6, octet_length($7::bytea), $7::bytea, "
        "       NULLIF($9, ''), CASE WHEN $9 <> '' THEN now() END "
        "FROM room "
        "RETURNING id",
        mail.client, mail.helo, mail.mail_from, mail.recipient, mail.account_id.value_or(0),
        mail.tls, pqxx::binarystring(mail.message), capacity_, forward_to_);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::int64_t>();
  });
}

result<std::vector<notify::postmaster_pending>, core::store_error> postmaster_box::claim_forwards(
    int limit, std::chrono::seconds lease) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    std::vector<notify::postmaster_pending> out;
    const auto rows = tx.exec_params(
        "WITH due AS (SELECT id FROM postmaster_mail "
        "  WHERE forward_next_at IS NOT NULL AND forward_next_at <= now() "
        "  ORDER BY forward_next_at, id LIMIT $1 FOR UPDATE SKIP LOCKED), "
        "claimed AS (UPDATE postmaster_mail p SET forward_attempts = p.forward_attempts + 1, "
        "  forward_next_at = now() + make_interval(secs => $2) FROM due WHERE p.id = due.id "
        "  RETURNING p.*) "
        "SELECT id, forward_attempts, extract(epoch FROM now() - received_at)::bigint AS age, "
        "  forward_to, client, helo, mail_from, recipient, "
        "  to_char(received_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS \"+0000\"') "
        "    AS received_at, message "
        "FROM claimed ORDER BY id",
        limit, static_cast<double>(lease.count()));
    for (const auto& r : rows) {
      out.push_back(notify::postmaster_pending{
          .id = r["id"].as<std::int64_t>(),
          .attempts = r["forward_attempts"].as<int>(),
          .age = std::chrono::seconds(r["age"].as<std::int64_t>()),
          .forward_to = r["forward_to"].as<std::string>(),
          .client = r["client"].as<std::string>(),
          .helo = r["helo"].as<std::string>(),
          .mail_from = r["mail_from"].as<std::string>(),
          .recipient = r["recipient"].as<std::string>(),
          .received_at = r["received_at"].as<std::string>(),
          .message = pqxx::binarystring(r["message"]).str(),
      });
    }
    return out;
  });
}

result<ok_t, core::store_error> postmaster_box::forwarded(std::int64_t id,
                                                          const std::string& detail) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params0(
        "UPDATE postmaster_mail SET forwarded_at = now(), forward_next_at = NULL, "
        "forward_detail = $2 WHERE id = $1",
        id, detail);
    return ok_t{};
  });
}

result<ok_t, core::store_error> postmaster_box::forward_later(std::int64_t id,
                                                              std::chrono::seconds after,
                                                              const std::string& detail) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params0(
        "UPDATE postmaster_mail SET forward_next_at = now() + make_interval(secs => $2), "
        "forward_detail = $3 WHERE id = $1",
        id, static_cast<double>(after.count()), detail);
    return ok_t{};
  });
}

result<ok_t, core::store_error> postmaster_box::forward_given_up(std::int64_t id,
                                                                 const std::string& detail) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params0(
        "UPDATE postmaster_mail SET forward_next_at = NULL, forward_detail = 'given up: ' || $2 "
        "WHERE id = $1",
        id, detail);
    return ok_t{};
  });
}

result<ok_t, core::store_error> postmaster_box::release_forwards(
    const std::vector<std::int64_t>& ids) {
  array_literal list;
  for (const auto id : ids) list.add(id);
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params(
        "UPDATE postmaster_mail SET forward_next_at = now(), "
        "forward_attempts = greatest(forward_attempts - 1, 0) "
        "WHERE id = ANY($1::bigint[]) AND forward_next_at IS NOT NULL",
        list.str());
    return ok_t{};
  });
}

result<std::vector<postmaster_entry>, core::store_error> list_postmaster_mail(
    const std::string& connection_string, int limit) {
  return in_read_transaction(connection_string, [&](pqxx::work& tx) {
    std::vector<postmaster_entry> out;
    // The header section is what precedes the first empty line (the whole mail if none).
    const auto rows = tx.exec_params(
        "SELECT p.id, to_char(p.received_at AT TIME ZONE 'UTC', "
        "         'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS received_at, "
        "       p.client, p.helo, p.mail_from, p.recipient, a.name AS account, p.tls, p.size, "
        "       coalesce(p.forward_to, '') AS forward_to, p.forward_attempts, "
        "       coalesce(to_char(p.forwarded_at AT TIME ZONE 'UTC', "
        "         'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') AS forwarded_at, "
        "       p.forward_detail, p.forward_next_at IS NOT NULL AS forward_pending, "
        "       substring(p.message FROM 1 FOR coalesce(nullif(position('\\x0d0a0d0a'::bytea "
        "         IN substring(p.message FROM 1 FOR 65536)), 0) - 1, 65536)) AS headers "
        "FROM postmaster_mail p LEFT JOIN accounts a ON a.id = p.account_id "
        "ORDER BY p.id DESC LIMIT $1",
        limit);
    for (const auto& r : rows) {
      postmaster_entry e;
      e.id = r["id"].as<std::int64_t>();
      e.received_at = r["received_at"].as<std::string>();
      e.client = r["client"].as<std::string>();
      e.helo = r["helo"].as<std::string>();
      e.mail_from = r["mail_from"].as<std::string>();
      e.recipient = r["recipient"].as<std::string>();
      if (!r["account"].is_null()) e.account = r["account"].as<std::string>();
      e.tls = r["tls"].as<bool>();
      e.size = r["size"].as<std::int64_t>();
      e.headers = pqxx::binarystring(r["headers"]).str();
      e.forward_to = r["forward_to"].as<std::string>();
      e.forward_attempts = r["forward_attempts"].as<int>();
      e.forwarded_at = r["forwarded_at"].as<std::string>();
      e.forward_detail = r["forward_detail"].as<std::string>();
      e.forward_pending = r["forward_pending"].as<bool>();
      out.push_back(std::move(e));
    }
    return out;
  });
}

result<std::optional<std::string>, core::store_error> postmaster_message(
    const std::string& connection_string, std::int64_t id) {
  return in_read_transaction(connection_string, [&](pqxx::work& tx) -> std::optional<std::string> {
    const auto rows = tx.exec_params("SELECT message FROM postmaster_mail WHERE id = $1", id);
    if (rows.empty()) return std::nullopt;
    return pqxx::binarystring(rows[0][0]).str();
  });
}

result<bool, core::store_error> delete_postmaster_mail(const std::string& connection_string,
                                                       std::int64_t id) {
  return in_transaction(connection_string, [&](pqxx::work& tx) {
    return tx.exec_params("DELETE FROM postmaster_mail WHERE id = $1", id).affected_rows() > 0;
  });
}

}  // namespace mail2sms::sql
