// The postmaster's mailbox (see postmaster.hpp).
#include "sql/postmaster.hpp"

#include <pqxx/pqxx>

#include "sql/pq_support.hpp"

namespace mail2sms::sql {

postmaster_box::postmaster_box(std::string connection_string)
    : connection_string_(std::move(connection_string)) {}

result<std::optional<std::int64_t>, core::store_error> postmaster_box::deliver(
    const core::postmaster_mail& mail, std::int64_t capacity) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) -> std::optional<std::int64_t> {
    // Concurrent deliveries would each see room for their own mail; this lock lets one at a time
    // add up the mailbox (reads, and the retention purge's deletes, are not held up by it).
    tx.exec0("LOCK TABLE postmaster_mail IN SHARE ROW EXCLUSIVE MODE");
    const auto rows = tx.exec_params(
        "INSERT INTO postmaster_mail "
        "  (client, helo, mail_from, recipient, account_id, tls, size, message) "
        "SELECT $1, $2, $3, $4, NULLIF($5, 0), $6, octet_length($7::bytea), $7::bytea "
        "WHERE (SELECT coalesce(sum(size), 0) FROM postmaster_mail) + octet_length($7::bytea) "
        "      <= $8 "
        "RETURNING id",
        mail.client, mail.helo, mail.mail_from, mail.recipient, mail.account_id.value_or(0),
        mail.tls, pqxx::binarystring(mail.message), capacity);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::int64_t>();
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
