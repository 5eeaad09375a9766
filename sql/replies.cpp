// Replies (mobile-originated messages), whole or in parts (see core::report_store and migration
// 0009). A part is kept in inbound_parts until its reply is whole; the transaction that stores
// the last part also stores the reply and marks its parts done (kept, without their texts, for
// reply_parts_wait, so that a part sent again is a repeat and not the start of a new reply; then
// deleted with the incomplete ones' sweep). Two transactions adding parts of one
// reply at once (two binds, two processes) take the reply's advisory lock first, so the second
// sees the first's part: otherwise each could miss the other's uncommitted row and neither would
// find the reply whole.
#include <pqxx/pqxx>

#include <string>

#include "core/dispatch/reports.hpp"
#include "sql/array_literal.hpp"
#include "sql/pq_support.hpp"
#include "sql/store.hpp"

namespace mail2sms::sql {
namespace {

constexpr int reply_lock_class = 0x6d33;  // "m3": advisory lock class of concatenated replies

// The columns that name one reply among the kept parts, and the lock key made of them. Both
// statements below lock in the order of the key, so two of them never wait for each other.
constexpr const char* reply_key = "connector, source, destination, reference, total";
std::string key_of(const std::string& alias, const char* separator) {
  std::string out;
  for (const char* column : {"connector", "source", "destination", "reference", "total"}) {
    if (!out.empty()) out += separator;
    out += alias + "." + column;
  }
  return out;
}
std::string lock_key_of(const std::string& alias) {
  return "hashtext(" + key_of(alias, " || chr(31) || ") + ")";
}
// The condition that rows `a` and `b` belong to one reply.
std::string same_reply(const std::string& a, const std::string& b) {
  return "(" + key_of(a, ", ") + ") = (" + key_of(b, ", ") + ")";
}

// The reply's connector's default source, as a text[] element (NULL: it has none).
void add_default_source(array_literal& a, const core::inbound_message& m) {
  if (m.default_source.empty()) {
    a.add_null();
  } else {
    a.add(m.default_source);
  }
}

struct part_arrays {
  array_literal connectors, sources, destinations, references, totals, numbers, bodies, defaults;

  void add(const core::inbound_message& m) {
    connectors.add(m.connector);
    sources.add(m.source);
    destinations.add(m.destination);
    references.add(static_cast<int>(m.part->reference));
    totals.add(static_cast<int>(m.part->total));
    numbers.add(static_cast<int>(m.part->number));
    bodies.add(m.text);
    add_default_source(defaults, m);
  }
};

void record_parts(pqxx::work& tx, const part_arrays& a) {
  const auto unnested =
      "unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::text[], "
      "$8::text[]) AS u(connector, source, destination, reference, total, part_no, body, "
      "default_source)";
  tx.exec_params(std::string("SELECT pg_advisory_xact_lock($9, k) FROM (SELECT DISTINCT ") +
                     lock_key_of("u") + " AS k FROM " + unnested + " ORDER BY 1) x",
                 a.connectors.str(), a.sources.str(), a.destinations.str(), a.references.str(),
                 a.totals.str(), a.numbers.str(), a.bodies.str(), a.defaults.str(),
                 reply_lock_class);
  // A part kept already (the SMSC sent it again: its deliver_sm_resp was lost) changes nothing.
  tx.exec_params(std::string("INSERT INTO inbound_parts (") + reply_key +
                     ", part_no, body, default_source) SELECT * FROM " + unnested +
                     " ON CONFLICT DO NOTHING",
                 a.connectors.str(), a.sources.str(), a.destinations.str(), a.references.str(),
                 a.totals.str(), a.numbers.str(), a.bodies.str(), a.defaults.str());
  tx.exec_params(
      std::string("WITH touched AS (SELECT DISTINCT ") + reply_key + " FROM " + unnested +
          "), whole AS (SELECT t.* FROM touched t WHERE t.total = (SELECT count(*) FROM "
          "inbound_parts p WHERE " +
          same_reply("p", "t") +
          " AND NOT p.done)), "
          "taken AS (SELECT p.* FROM inbound_parts p JOIN whole w ON " +
          same_reply("p", "w") +
          "), marked AS (UPDATE inbound_parts p SET done = true, body = NULL FROM whole w WHERE " +
          same_reply("p", "w") +
          ") "
          "INSERT INTO inbound_messages (connector, source, destination, body, parts, "
          "default_source) "
          "SELECT connector, source, destination, string_agg(body, '' ORDER BY part_no), total, "
          "max(default_source) "
          "FROM taken GROUP BY " +
          reply_key,
      a.connectors.str(), a.sources.str(), a.destinations.str(), a.references.str(), a.totals.str(),
      a.numbers.str(), a.bodies.str(), a.defaults.str());
}

}  // namespace

result<ok_t, core::store_error> store::record_inbound(
    const std::vector<core::inbound_message>& messages) {
  if (messages.empty()) return ok;
  array_literal connectors, sources, destinations, bodies, defaults;
  part_arrays parts;
  std::size_t part_count = 0;
  for (const auto& m : messages) {
    if (m.part) {
      parts.add(m);
      ++part_count;
      continue;
    }
    connectors.add(m.connector);
    sources.add(m.source);
    destinations.add(m.destination);
    bodies.add(m.text);
    add_default_source(defaults, m);
  }
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    if (part_count > 0) record_parts(tx, parts);
    if (part_count == messages.size()) return ok;
    tx.exec_params(
        "INSERT INTO inbound_messages (connector, source, destination, body, default_source) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
        connectors.str(), sources.str(), destinations.str(), bodies.str(), defaults.str());
    return ok;
  });
}

result<std::size_t, core::store_error> store::store_incomplete_replies(std::chrono::seconds wait) {
  const auto stale = std::string("SELECT ") + reply_key +
                     " FROM inbound_parts WHERE NOT done GROUP BY " + reply_key +
                     " HAVING min(received_at) < now() - make_interval(secs => $1)";
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    // Whole replies' parts, kept to recognise repeats, go once the last of them is that old.
    tx.exec_params(std::string("DELETE FROM inbound_parts p USING (SELECT ") + reply_key +
                       " FROM inbound_parts WHERE done GROUP BY " + reply_key +
                       " HAVING max(received_at) < now() - make_interval(secs => $1)) d WHERE " +
                       same_reply("p", "d"),
                   static_cast<double>(wait.count()));
    tx.exec_params("SELECT pg_advisory_xact_lock($2, k) FROM (SELECT DISTINCT " +
                       lock_key_of("s") + " AS k FROM (" + stale + ") s ORDER BY 1) x",
                   static_cast<double>(wait.count()), reply_lock_class);
    // Each missing part's place in the text says so; parts_missing lists their numbers.
    const auto stored = tx.exec_params(
        "WITH stale AS (" + stale +
            "), taken AS (DELETE FROM inbound_parts p USING stale s WHERE " + same_reply("p", "s") +
            " RETURNING p.*), "
            "slots AS (SELECT s.*, g AS part_no FROM stale s, generate_series(1, s.total) g "
            "WHERE EXISTS (SELECT 1 FROM taken t WHERE " +
            same_reply("t", "s") +
            ")) "
            "INSERT INTO inbound_messages (connector, source, destination, body, parts, "
            "parts_missing, default_source) "
            "SELECT sl.connector, sl.source, sl.destination, "
            "string_agg(CASE WHEN t.part_no IS NULL THEN '[part ' || sl.part_no || ' of ' || "
            "sl.total || ' missing]' ELSE coalesce(t.body, '') END, '' ORDER BY sl.part_no), "
            "sl.total, coalesce(array_agg(sl.part_no ORDER BY sl.part_no) FILTER (WHERE "
            "t.part_no IS NULL), '{}'), max(t.default_source) "
            "FROM slots sl LEFT JOIN taken t USING (connector, source, destination, reference, "
            "total, part_no) "
            "GROUP BY sl.connector, sl.source, sl.destination, sl.reference, sl.total "
            "RETURNING 1",
        static_cast<double>(wait.count()));
    return static_cast<std::size_t>(stored.size());
  });
}

}  // namespace mail2sms::sql
