// Erasing old message texts (see retention.hpp).
#include "sql/retention.hpp"

#include <pqxx/pqxx>

#include <algorithm>

#include "sql/pq_support.hpp"

namespace mail2sms::sql {

result<purge_counts, core::store_error> purge_bodies(const std::string& connection_string, int days,
                                                     int chunk) {
  try {
    // Its own connection: the caller's thread may be one whose thread_connection is busy, and an
    // hourly job has no use for keeping one open.
    pqxx::connection conn(connection_string);
    chunk = std::max(chunk, 1);
    purge_counts counts;
    // Every statement its own transaction (autocommitted): none holds rows of two tables, so
    // the purge is in no deadlock with an erasure, which takes them in another order.
    pqxx::nontransaction tx(conn);
    const auto cutoff =  // one for every table and chunk
        tx.exec_params1("SELECT (now() - make_interval(days => $1))::text", days)[0]
            .as<std::string>();
    {
      // The messages `chunk` at a time, in id order, each chunk a transaction of its own (an
      // autocommitted statement): a busy table's month of mail is not one transaction holding
      // every row it erases locked, with all its WAL, until the end. A message that may still be
      // sent (queued, sending, or unknown and about to be resent) keeps its text and its parts
      // whatever its age. A message another transaction holds locked (a receipt settling it, an
      // erasure) is skipped, not waited for: the purge never waits for a row lock, and that
      // message is erased by the next run. A receipt's key-share lock on a message does not
      // conflict with the purge's (no key changes). The rows are locked by the first step, so the
      // status they were chosen by holds for the update.
      for (std::int64_t after = 0;;) {
        const auto purged = tx.exec_params1(
            "WITH old AS ("
            "  SELECT id, body IS NOT NULL AS had_body, parts IS NOT NULL AS had_parts, segments"
            "  FROM messages WHERE id > $3 AND created_at < $1::timestamptz"
            "    AND status NOT IN ('queued', 'sending', 'unknown')"
            "    AND (body IS NOT NULL OR parts IS NOT NULL)"
            "  ORDER BY id LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED),"
            " erased AS ("
            "  UPDATE messages m SET body = NULL, parts = NULL FROM old WHERE m.id = old.id) "
            "SELECT count(*) FILTER (WHERE had_body),"
            "       COALESCE(sum(segments) FILTER (WHERE had_parts), 0), count(*), max(id) "
            "FROM old",
            cutoff, chunk, after);
        counts.messages += purged[0].as<std::int64_t>();
        counts.parts += purged[1].as<std::int64_t>();
        if (purged[2].as<std::int64_t>() < chunk) break;
        after = purged[3].as<std::int64_t>();
      }
    }
    counts.replies = tx.exec_params(
                           "UPDATE inbound_messages SET body = NULL "
                           "WHERE received_at < $1::timestamptz "
                           "AND body IS NOT NULL",
                           cutoff)
                         .affected_rows();
    // Parts of replies still waiting for the rest (serve stores them long before this, as
    // incomplete replies; this covers a database no serve has run on since).
    counts.replies += tx.exec_params(
                            "UPDATE inbound_parts SET body = NULL "
                            "WHERE received_at < $1::timestamptz "
                            "AND body IS NOT NULL",
                            cutoff)
                          .affected_rows();
    // They hold an address and point at a message; a pending one this old was never going to
    // be sent (give_up_after is days, not weeks).
    counts.notifications = tx.exec_params(
                                 "DELETE FROM notifications "
                                 "WHERE created_at < $1::timestamptz",
                                 cutoff)
                               .affected_rows();
    // Whole mails from anyone, kept for a person to read: no longer than the texts above.
    counts.postmaster = tx.exec_params(
                              "DELETE FROM postmaster_mail "
                              "WHERE received_at < $1::timestamptz",
                              cutoff)
                            .affected_rows();
    return counts;
  } catch (const std::exception& e) {
    return fail(classify(e));
  }
}

}  // namespace mail2sms::sql
