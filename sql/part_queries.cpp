// query_sm's side of the store: which submitted parts are due to be asked about, claimed so that
// several `serve` processes never ask about one part at once (see core/dispatch/part_queries.hpp).
#include <pqxx/pqxx>

#include <string>

#include "sql/pq_support.hpp"
#include "sql/store.hpp"

namespace mail2sms::sql {
namespace {

// The wait before a part's next query: query_after ($3) * 2^(queries before this one), at least
// 60 s (longer than any answer takes, so a part is never asked twice at once) and at most an
// hour. In an UPDATE's SET, `p.queries` is the value before it.
constexpr const char* next_wait =
    "(greatest(60, least(3600, $3::float8 * power(2, least(p.queries, 20))))"
    " * interval '1 second')";

// A part still worth asking about: its message is submitted, it has an SMSC id and no final
// state.
constexpr const char* still_open =
    "(m.status = 'submitted' AND p.state IS NULL AND p.smsc_message_id IS NOT NULL)";

}  // namespace

void store::set_query_after(std::map<std::string, std::chrono::seconds, std::less<>> by_connector) {
  query_after_ = std::move(by_connector);
}

result<std::vector<core::part_query>, core::store_error> store::claim_queries(
    const std::string& connector, int limit, std::chrono::seconds query_after,
    std::chrono::seconds validity) {
  const std::string sql =
      std::string(
          "WITH due AS ("
          "  SELECT p.message_id, p.part_no FROM message_parts p"
          "  JOIN messages m ON m.id = p.message_id"
          "  WHERE p.query_at <= now() AND m.connector = $1"
          "  ORDER BY p.query_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED),"
          " asked AS ("
          "  UPDATE message_parts p SET queries = p.queries + 1,"
          "    query_at = CASE WHEN NOT ") +
      still_open + " THEN NULL WHEN now() + " + next_wait +
      " > m.created_at + $4 * interval '1 second' THEN NULL ELSE now() + " + next_wait +
      " END"
      "  FROM due, messages m"
      "  WHERE p.message_id = due.message_id AND p.part_no = due.part_no AND m.id = p.message_id"
      "  RETURNING p.message_id, p.part_no, p.queries, p.smsc_message_id, m.queue_id,"
      "            m.sender_id, m.recipient, " +
      still_open +
      " AS open) "
      "SELECT message_id, part_no, queries, smsc_message_id, queue_id, sender_id, recipient "
      "FROM asked WHERE open ORDER BY message_id, part_no";
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    const auto rows =
        tx.exec_params(sql, connector, limit, static_cast<std::int64_t>(query_after.count()),
                       static_cast<std::int64_t>(validity.count()));
    std::vector<core::part_query> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      core::part_query q;
      q.message_id = r["message_id"].as<std::int64_t>();
      q.part_no = r["part_no"].as<int>();
      q.queries = r["queries"].as<int>();
      q.smsc_message_id = r["smsc_message_id"].as<std::string>();
      q.queue_id = r["queue_id"].as<std::string>();
      q.sender_id = r["sender_id"].as<std::string>();
      q.recipient = r["recipient"].as<std::string>();
      q.connector = connector;
      out.push_back(std::move(q));
    }
    return out;
  });
}

}  // namespace mail2sms::sql
