// Erasing old message texts (see retention.hpp).
#include "sql/retention.hpp"

#include <pqxx/pqxx>

#include "sql/pq_support.hpp"

namespace mail2sms::sql {

result<purge_counts, core::store_error> purge_bodies(const std::string& connection_string,
                                                     int days) {
  try {
    // Its own connection: the caller's thread may be one whose thread_connection is busy, and an
    // hourly job has no use for keeping one open.
    pqxx::connection conn(connection_string);
    pqxx::work tx(conn);
    purge_counts counts;
    // A message that may still be sent (queued, sending, or unknown and about to be resent)
    // keeps its text and its parts whatever its age. The rows are locked by the first step, so
    // the status they were chosen by holds for the update.
    const auto purged = tx.exec_params1(
        "WITH old AS ("
        "  SELECT id, body IS NOT NULL AS had_body, parts IS NOT NULL AS had_parts, segments"
        "  FROM messages WHERE created_at < now() - make_interval(days => $1)"
        "    AND status NOT IN ('queued', 'sending', 'unknown')"
        "    AND (body IS NOT NULL OR parts IS NOT NULL) FOR UPDATE),"
        " erased AS ("
        "  UPDATE messages m SET body = NULL, parts = NULL FROM old WHERE m.id = old.id) "
        "SELECT count(*) FILTER (WHERE had_body),"
        "       COALESCE(sum(segments) FILTER (WHERE had_parts), 0) "
        "FROM old",
        days);
    counts.messages = purged[0].as<std::int64_t>();
    counts.parts = purged[1].as<std::int64_t>();
    counts.replies = tx.exec_params(
                           "UPDATE inbound_messages SET body = NULL "
                           "WHERE received_at < now() - make_interval(days => $1) "
                           "AND body IS NOT NULL",
                           days)
                         .affected_rows();
    // Parts of replies still waiting for the rest (serve stores them long before this, as
    // incomplete replies; this covers a database no serve has run on since).
    counts.replies += tx.exec_params(
                            "UPDATE inbound_parts SET body = NULL "
                            "WHERE received_at < now() - make_interval(days => $1) "
                            "AND body IS NOT NULL",
                            days)
                          .affected_rows();
    // They hold an address and point at a message; a pending one this old was never going to
    // be sent (give_up_after is days, not weeks).
    counts.notifications = tx.exec_params(
                                 "DELETE FROM notifications "
                                 "WHERE created_at < now() - make_interval(days => $1)",
                                 days)
                               .affected_rows();
    // Whole mails from anyone, kept for a person to read: no longer than the texts above.
    counts.postmaster = tx.exec_params(
                              "DELETE FROM postmaster_mail "
                              "WHERE received_at < now() - make_interval(days => $1)",
                              days)
                            .affected_rows();
    tx.commit();
    return counts;
  } catch (const std::exception& e) {
    return fail(classify(e));
  }
}

}  // namespace mail2sms::sql
