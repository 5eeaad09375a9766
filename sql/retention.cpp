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
    // keeps its text whatever its age.
    counts.parts = tx.exec_params(
                         "UPDATE message_parts p SET payload = ''::bytea FROM messages m "
                         "WHERE m.id = p.message_id "
                         "AND m.created_at < now() - make_interval(days => $1) "
                         "AND m.status NOT IN ('queued', 'sending', 'unknown') "
                         "AND octet_length(p.payload) > 0",
                         days)
                       .affected_rows();
    counts.messages = tx.exec_params(
                            "UPDATE messages SET body = NULL "
                            "WHERE created_at < now() - make_interval(days => $1) "
                            "AND status NOT IN ('queued', 'sending', 'unknown') "
                            "AND body IS NOT NULL",
                            days)
                          .affected_rows();
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
    tx.commit();
    return counts;
  } catch (const std::exception& e) {
    return fail(classify(e));
  }
}

}  // namespace mail2sms::sql
