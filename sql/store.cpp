// libpqxx implementation of core's ports. Every public call runs in its own transaction on the
// calling thread's connection; pqxx exceptions become core::store_error here and go no further.
#include "sql/store.hpp"

#include <arpa/inet.h>
#include <sodium.h>

#include <pqxx/pqxx>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>

#include "core/phone/phone.hpp"
#include "core/policy/password.hpp"
#include "sql/array_literal.hpp"
#include "sql/pq_support.hpp"
#include "sql/submissions.hpp"

namespace mail2sms::sql {
namespace {

core::account account_from(const pqxx::row& r) {
  core::account a;
  a.id = r["id"].as<std::int64_t>();
  a.name = r["name"].as<std::string>();
  a.country = r["country"].as<std::string>();
  a.sender_id = r["sender_id"].as<std::string>();
  a.max_parts = r["max_parts"].as<int>();
  return a;
}

std::vector<std::string> json_strings(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  for (const auto& item : nlohmann::json::parse(f.c_str())) out.push_back(item.get<std::string>());
  return out;
}

// The account a session sends as, with its settings, allowed senders and contact groups: one
// row (`where` picks it, $1 its parameter), its senders, its groups' members.
std::optional<core::account> load_account(pqxx::work& tx, const std::string& where,
                                          std::int64_t id) {
  auto rows = tx.exec_params(
      "SELECT a.id, a.name, a.country, a.sender_id, a.max_parts, a.too_long, a.timezone, "
      "a.subject, a.clean_text, a.end_marker, array_to_json(a.disclaimers) AS disclaimers, "
      "a.smart_gsm, a.transliterate, a.national_language, a.concatenation_reference, "
      "array_to_json(a.countries) AS countries, "
      "array_to_json(a.number_types) AS number_types, "
      "(SELECT json_agg(pattern) FROM account_senders WHERE account_id = a.id) AS senders "
      "FROM accounts a WHERE " +
          where,
      id);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  core::account a = account_from(r);
  a.truncate = r["too_long"].as<std::string>() == "truncate";
  a.timezone = r["timezone"].as<std::string>();
  mail::parse_subject_policy(r["subject"].as<std::string>(), a.text.subject);
  a.text.clean = r["clean_text"].as<bool>();
  a.text.end_marker = r["end_marker"].as<std::string>();
  a.text.disclaimer_patterns = json_strings(r["disclaimers"]);
  a.smart_gsm = r["smart_gsm"].as<bool>();
  a.transliterate = r["transliterate"].as<bool>();
  // The column's CHECK allows only the names parse_national_language knows.
  sms::parse_national_language(r["national_language"].as<std::string>(), a.national);
  a.reference_16bit = r["concatenation_reference"].as<int>() == 16;
  a.countries = json_strings(r["countries"]);
  a.number_types = json_strings(r["number_types"]);
  a.senders = json_strings(r["senders"]);
  auto members = tx.exec_params(
      "SELECT g.name, c.number FROM contact_groups g "
      "LEFT JOIN group_members m ON m.group_id = g.id LEFT JOIN contacts c ON c.id = m.contact_id "
      "WHERE g.account_id = $1 ORDER BY g.name, c.number",
      a.id);
  for (const auto& m : members) {
    auto& group = a.groups[m[0].as<std::string>()];
    if (!m[1].is_null()) group.push_back(m[1].as<std::string>());
  }
  return a;
}

// The account whose id `find` (one parameter) answers first, read on a connection that may be
// opened again once (in_read_transaction); none when it answers no row.
result<std::optional<core::account>, core::store_error> account_found_by(
    const std::string& conninfo, const char* find, const std::string& key) {
  return in_read_transaction(conninfo, [&](pqxx::work& tx) -> std::optional<core::account> {
    auto rows = tx.exec_params(find, key);
    if (rows.empty()) return std::nullopt;
    return load_account(tx, "a.id = $1", rows[0][0].as<std::int64_t>());
  });
}

}  // namespace

// The dispatcher's LISTEN connection.
struct store::listener : channel_listener {
  explicit listener(const std::string& conninfo)
      : channel_listener(conninfo, queue_channel, "queue listener") {}
};

store::store(std::string connection_string) : connection_string_(std::move(connection_string)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

store::~store() = default;

result<std::optional<core::account>, core::store_error> store::authenticate(
    const std::string& name, const std::string& password) {
  // A name no account can have (too long, or not ASCII: PostgreSQL refuses text that is not
  // UTF-8, which the caller would take for an outage) is not looked up. The decoy, as for a
  // name that is not there.
  if (!policy::is_account_name(name)) {
    policy::verify_password(policy::decoy_hash(), password);
    return std::optional<core::account>{};
  }
  auto rows = in_read_transaction(connection_string_, [&](pqxx::work& tx) {
    return tx.exec_params(
        "SELECT a.id, c.id AS credential, c.hash "
        "FROM accounts a JOIN credentials c ON c.account_id = a.id "
        "WHERE a.name = $1 AND a.status = 'active' AND c.revoked_at IS NULL",
        name);
  });
  if (!rows) return fail(rows.error());
  // Verify outside the transaction: argon2id takes ~100 ms and must not hold a snapshot open.
  if (rows->empty()) {
    policy::verify_password(policy::decoy_hash(), password);
    return std::optional<core::account>{};
  }
  for (const auto& row : *rows) {
    if (!policy::verify_password(row["hash"].as<std::string>(), password)) continue;
    const auto id = row["id"].as<std::int64_t>();
    const auto credential = row["credential"].as<std::int64_t>();
    return in_transaction(connection_string_, [&](pqxx::work& tx) {
      tx.exec_params("UPDATE credentials SET last_used_at = now() WHERE id = $1", credential);
      return load_account(tx, "a.id = $1 AND a.status = 'active'", id);
    });
  }
  return std::optional<core::account>{};
}

result<std::optional<core::account>, core::store_error> store::by_network(
    const std::string& client_address) {
  // An IPv6 link-local client comes with its zone ("fe80::1%eth0"), which inet refuses and no
  // network names: the address alone is looked up.
  return account_found_by(connection_string_,
                          "SELECT a.id FROM account_networks n JOIN accounts a ON a.id = "
                          "n.account_id WHERE n.network >>= $1::inet AND a.status = 'active' "
                          "ORDER BY masklen(n.network) DESC, a.id LIMIT 1",
                          client_address.substr(0, client_address.find('%')));
}

result<std::optional<core::account>, core::store_error> store::by_certificate(
    const std::string& fingerprint) {
  return account_found_by(connection_string_,
                          "SELECT a.id FROM account_certificates c JOIN accounts a ON a.id = "
                          "c.account_id WHERE c.fingerprint = $1 AND a.status = 'active'",
                          fingerprint);
}

result<std::optional<core::account>, core::store_error> store::account_profile(
    const std::string& name) {
  return account_found_by(connection_string_, "SELECT id FROM accounts WHERE name = $1", name);
}

result<std::int64_t, core::store_error> store::expire_usage_counters() {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    // A day window starts at most 14 hours before UTC's; two days back is past every one.
    return static_cast<std::int64_t>(
        tx.exec0("DELETE FROM usage_counters WHERE window_start < now() AT TIME ZONE 'UTC' - "
                 "interval '2 days'")
            .affected_rows());
  });
}

void store::record_auth_failure(const std::string& client, const std::string& username,
                                const std::string& mechanism) {
  // The user name tried only when it is an account's (its digit runs masked, as everywhere in
  // the log), linked to that account so that the holder sees the attempts on theirs in the
  // export; looked up by the name as given (an account's name may hold a run of digits). Any
  // other name is not kept: it may be a password typed in the wrong field, or a phone number,
  // and no erasure would ever find it. A name no account can have is not even sent: it may not
  // be UTF-8, which PostgreSQL refuses, and the attempt would go unrecorded.
  const std::string name = policy::is_account_name(username) ? username : std::string();
  auto written = in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO audit_log (actor, action, subject, detail, client, account_id) "
        "SELECT 'smtp', 'auth.failure', CASE WHEN a.id IS NULL THEN '(not an account name)' "
        "       ELSE $1 END, $2, $3, a.id "
        "FROM (SELECT 1) one LEFT JOIN accounts a ON a.name = $4",
        phone::redact_numbers(name), "AUTH " + mechanism, client, name);
    return true;
  });
  if (!written) spdlog::warn("audit log unavailable: {}", written.error().message);
}

result<core::enqueued, core::store_error> store::enqueue(const core::submission& s) {
  const submission_ref one{&s, new_queue_id()};
  try {
    return admit_and_insert(thread_pipeline(connection_string_),
                            std::span<const submission_ref>(&one, 1))
        .front();
  } catch (const std::exception& e) {
    return fail(classify(e));
  }
}

namespace {

constexpr int dispatch_lock_class = 0x6d32;  // "m2": advisory lock class of dispatcher sessions

}  // namespace

// This process's dispatcher session: an id from dispatch_sessions whose advisory lock a
// connection of its own holds for as long as the process lives.
struct store::session {
  explicit session(const std::string& conninfo) : conn(conninfo) {
    pqxx::nontransaction tx(conn);
    id = tx.exec1("SELECT nextval('dispatch_sessions')")[0].as<std::int64_t>();
    tx.exec_params("SELECT pg_advisory_lock($1, $2::int)", dispatch_lock_class, id);
  }
  // A clean stop hands the session back at once: the lock would also go with the connection,
  // but only once the server has noticed the disconnect, and until then another process would
  // still take this session's `sending` rows for alive.
  ~session() {
    try {
      if (conn.is_open()) {
        pqxx::nontransaction tx(conn);
        tx.exec_params("SELECT pg_advisory_unlock($1, $2::int)", dispatch_lock_class, id);
      }
    } catch (const std::exception&) {
      // The connection is going anyway; the server releases the lock when it notices.
    }
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  pqxx::connection conn;
  std::int64_t id = 0;
};

result<std::int64_t, core::store_error> store::dispatch_session() {
  std::lock_guard lock(session_mutex_);
  try {
    if (session_ && !session_->conn.is_open()) {
      spdlog::warn("dispatcher session {}: its connection was lost; starting another",
                   session_->id);
      session_.reset();
    }
    if (!session_) session_ = std::make_unique<session>(connection_string_);
    return session_->id;
  } catch (const std::exception& e) {
    session_.reset();
    return fail(classify(e));
  }
}

result<std::vector<core::interrupted_message>, core::store_error> store::mark_interrupted() {
  const auto mine = dispatch_session();
  if (!mine) return fail(mine.error());
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    // A session whose lock can be taken has no process behind it any more; session 0 (rows
    // 0010 found `sending` without one) never had one. Its dispatch_inflight rows go, and those
    // of its messages still `sending` under it become `unknown`: a message recorded or claimed
    // again since (a row left behind by a session that reconnected) is not touched.
    auto rows = tx.exec_params(
        "WITH dead AS ("
        "  SELECT s FROM (SELECT DISTINCT session AS s FROM dispatch_inflight"
        "                 WHERE session <> $1) x"
        "  WHERE s = 0 OR pg_try_advisory_xact_lock($2, s::int)),"
        " landed AS ("
        "  DELETE FROM dispatch_inflight i USING dead WHERE i.session = dead.s"
        "  RETURNING i.session, i.message_id),"
        " marked AS ("
        "  UPDATE messages m SET status = 'unknown', updated_at = now()"
        "  WHERE m.id = ANY(ARRAY(SELECT message_id FROM landed)) AND m.status = 'sending'"
        "    AND EXISTS (SELECT 1 FROM landed l WHERE l.message_id = m.id"
        "                AND l.session = COALESCE(m.dispatch_session, 0))"
        "  RETURNING m.id, m.recipient),"
        " events AS ("
        "  INSERT INTO message_events (message_id, status, detail)"
        "  SELECT id, 'unknown',"
        "         'the dispatcher sending it stopped before the outcome was recorded'"
        "  FROM marked) "
        "SELECT id, recipient FROM marked",
        *mine, dispatch_lock_class);
    std::vector<core::interrupted_message> out;
    out.reserve(rows.size());
    for (const auto& r : rows)
      out.push_back({r["id"].as<std::int64_t>(), r["recipient"].as<std::string>()});
    return out;
  });
}

result<ok_t, core::store_error> store::requeue_unknown(const std::vector<std::int64_t>& ids) {
  array_literal array;
  for (const auto id : ids) array.add(id);
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params(
        "WITH requeued AS (UPDATE messages SET status = 'queued', next_attempt_at = now(), "
        "updated_at = now() WHERE id = ANY($1::bigint[]) AND status = 'unknown' "
        "RETURNING id, next_attempt_at), "
        "queue AS (INSERT INTO dispatch_queue (message_id, due_at) "
        "SELECT id, next_attempt_at FROM requeued) "
        "INSERT INTO message_events (message_id, status, detail) "
        "SELECT id, 'queued', 'sent again: its earlier attempt may have reached the SMSC' "
        "FROM requeued",
        array.str());
    tx.exec0(std::string("NOTIFY ") + queue_channel);
    return ok;
  });
}

bool store::wait_for_work(std::chrono::milliseconds timeout) {
  // The dispatcher polls on its own timeout anyway; a broken LISTEN connection is reopened.
  if (!listener_) listener_ = std::make_unique<listener>(connection_string_);
  return listener_->wait(timeout);
}

result<core::account, core::store_error> store::add_account(const std::string& name,
                                                            const std::string& country,
                                                            const std::string& password_hash,
                                                            std::int64_t credit) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto row = tx.exec_params1(
        "INSERT INTO accounts (name, country, credit) VALUES ($1, $2, $3) "
        "RETURNING id, name, country, sender_id, max_parts",
        name, country, credit);
    auto account = account_from(row);
    tx.exec_params("INSERT INTO credentials (account_id, hash) VALUES ($1, $2)", account.id,
                   password_hash);
    if (credit > 0) {
      tx.exec_params(
          "INSERT INTO credit_ledger (account_id, delta, reason, balance) "
          "VALUES ($1, $2, 'initial credit', $2)",
          account.id, credit);
    }
    tx.exec_params(
        "INSERT INTO audit_log (actor, action, subject, account_id) "
        "VALUES ('cli', 'account.add', $1, $2)",
        name, account.id);
    return account;
  });
}

result<std::optional<account_row>, core::store_error> store::find_account(const std::string& name) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) -> std::optional<account_row> {
    auto rows = tx.exec_params(
        "SELECT id, name, country, sender_id, max_parts, status, credit, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at "
        "FROM accounts WHERE name = $1",
        name);
    if (rows.empty()) return std::nullopt;
    account_row a;
    a.account = account_from(rows[0]);
    a.status = rows[0]["status"].as<std::string>();
    a.credit = rows[0]["credit"].as<std::int64_t>();
    a.created_at = rows[0]["created_at"].as<std::string>();
    return a;
  });
}

namespace {

// Whether `cidr` is an address or a network as PostgreSQL's cidr type takes it, written in full
// ("192.0.2.10", "192.0.2.0/24", "2001:db8::/32"; no host bits right of the mask). Checked here
// so that whatever else an operator typed (a name, a number) is refused without reaching the
// database, whose log would quote it in its syntax error.
bool is_network(const std::string& cidr) {
  const auto slash = cidr.find('/');
  const std::string address = cidr.substr(0, slash);
  std::array<unsigned char, 16> bytes{};
  int bits = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
    bits = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
    bits = 128;
  } else {
    return false;
  }
  int length = bits;
  if (slash != std::string::npos) {
    const std::string text = cidr.substr(slash + 1);
    if (text.empty() || text.size() > 3 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    length = std::stoi(text);
    if (length > bits) return false;
  }
  for (int bit = length; bit < bits; ++bit)
    if (bytes[static_cast<std::size_t>(bit / 8)] & (0x80 >> (bit % 8))) return false;
  return true;
}

core::store_error not_a_network() {
  return {core::failure_kind::permanent, "not an address or network in CIDR form"};
}

}  // namespace

result<bool, core::store_error> store::add_network(const std::string& account,
                                                   const std::string& cidr) {
  if (!is_network(cidr)) return fail(not_a_network());
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "INSERT INTO account_networks (account_id, network) "
        "SELECT id, $2::cidr FROM accounts WHERE name = $1 "
        "ON CONFLICT (account_id, network) DO NOTHING RETURNING network",
        account, cidr);
    if (!rows.empty())
      tx.exec_params(
          "INSERT INTO audit_log (actor, action, subject, detail, account_id) "
          "SELECT 'cli', 'account.network.add', $1, $2, id FROM accounts WHERE name = $1",
          account, cidr);
    return !rows.empty();
  });
}

result<bool, core::store_error> store::remove_network(const std::string& account,
                                                      const std::string& cidr) {
  if (!is_network(cidr)) return fail(not_a_network());
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "DELETE FROM account_networks n USING accounts a "
        "WHERE a.id = n.account_id AND a.name = $1 AND n.network = $2::cidr RETURNING n.id",
        account, cidr);
    if (!rows.empty())
      tx.exec_params(
          "INSERT INTO audit_log (actor, action, subject, detail, account_id) "
          "SELECT 'cli', 'account.network.remove', $1, $2, id FROM accounts "
          "WHERE name = $1",
          account, cidr);
    return !rows.empty();
  });
}

result<std::vector<std::string>, core::store_error> store::networks(const std::string& account) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "SELECT n.network::text FROM account_networks n JOIN accounts a ON a.id = n.account_id "
        "WHERE a.name = $1 ORDER BY n.network",
        account);
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r[0].as<std::string>());
    return out;
  });
}

result<ok_t, core::store_error> store::audit(const std::string& actor, const std::string& action,
                                             const std::string& subject,
                                             const std::string& detail) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)",
                   actor, action, subject, detail);
    return ok;
  });
}

namespace {

// The columns message_row_of reads (messages m joined with accounts a).
constexpr const char* message_columns =
    "m.id, m.queue_id, a.name, m.recipient, m.status, m.encoding, m.segments, m.attempts,"
    " COALESCE(m.connector, '') AS connector, COALESCE(m.last_error, '') AS last_error,"
    " to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at";

message_row message_row_of(const pqxx::row& r) {
  message_row m;
  m.id = r["id"].as<std::int64_t>();
  m.queue_id = r["queue_id"].as<std::string>();
  m.account = r["name"].as<std::string>();
  m.recipient = r["recipient"].as<std::string>();
  m.status = r["status"].as<std::string>();
  m.encoding = r["encoding"].as<std::string>();
  m.segments = r["segments"].as<int>();
  m.attempts = r["attempts"].as<int>();
  m.connector = r["connector"].as<std::string>();
  m.last_error = r["last_error"].as<std::string>();
  m.created_at = r["created_at"].as<std::string>();
  return m;
}

// A row id when `text` is one (digits), else -1, which no row has.
std::int64_t row_id_of(const std::string& text) {
  if (text.empty() || text.size() > 18) return -1;
  for (const char c : text) {
    if (c < '0' || c > '9') return -1;
  }
  return std::stoll(text);
}

}  // namespace

result<std::vector<message_row>, core::store_error> store::list_messages(
    const std::optional<std::string>& account, const std::optional<std::string>& status,
    int limit) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(std::string("SELECT ") + message_columns +
                                   " FROM messages m JOIN accounts a ON a.id = m.account_id "
                                   "WHERE ($1 = '' OR a.name = $1) AND ($2 = '' OR m.status = $2) "
                                   "ORDER BY m.id DESC LIMIT $3",
                               account.value_or(""), status.value_or(""), limit);
    std::vector<message_row> out;
    for (const auto& r : rows) out.push_back(message_row_of(r));
    return out;
  });
}

result<std::vector<message_detail>, core::store_error> store::show_message(
    const std::string& queue_id_or_id) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        std::string("SELECT ") + message_columns +
            ",  m.dispatch_session, m.smpp_sequence, g.part_no, COALESCE(p.smsc_message_id, '') AS "
            "smsc,"
            "  COALESCE(p.state, '') AS state, COALESCE(p.error_code, '') AS error_code,"
            "  COALESCE(p.queries, 0) AS queries,"
            "  COALESCE(to_char(p.query_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
            "'')"
            "    AS query_at "
            // Every part, sent or not: a part has a row only once a submission of it has an
            // outcome (0014).
            "FROM messages m JOIN accounts a ON a.id = m.account_id"
            " CROSS JOIN LATERAL generate_series(1, m.segments) AS g(part_no)"
            " LEFT JOIN message_parts p ON p.message_id = m.id AND p.part_no = g.part_no "
            "WHERE m.queue_id = $1 OR m.id = $2 "
            "ORDER BY m.id, g.part_no",
        queue_id_or_id, row_id_of(queue_id_or_id));
    std::vector<message_detail> out;
    for (const auto& r : rows) {
      const auto id = r["id"].as<std::int64_t>();
      if (out.empty() || out.back().message.id != id) {
        message_detail d;
        d.message = message_row_of(r);
        if (!r["dispatch_session"].is_null())
          d.dispatch_session = r["dispatch_session"].as<std::int64_t>();
        if (!r["smpp_sequence"].is_null()) d.smpp_sequence = r["smpp_sequence"].as<std::int64_t>();
        out.push_back(std::move(d));
      }
      part_detail p;
      p.part_no = r["part_no"].as<int>();
      p.smsc_message_id = r["smsc"].as<std::string>();
      p.state = r["state"].as<std::string>();
      p.error_code = r["error_code"].as<std::string>();
      p.queries = r["queries"].as<int>();
      p.query_at = r["query_at"].as<std::string>();
      out.back().parts.push_back(std::move(p));
    }
    return out;
  });
}

}  // namespace mail2sms::sql
