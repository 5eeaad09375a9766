// libpqxx implementation of core's ports. Every public call runs in its own transaction on the
// calling thread's connection; pqxx exceptions become core::store_error here and go no further.
#include "sql/store.hpp"

#include <sodium.h>

#include <pqxx/pqxx>

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <unordered_map>
#include <thread>

#include "core/policy/password.hpp"
#include "sql/pq_support.hpp"
#include "sql/submissions.hpp"

namespace mail2sms::sql {
namespace {

// Runs fn(transaction) and commits; any failure becomes a store_error.
template <class F>
auto in_transaction(const std::string& conninfo, F&& fn)
    -> result<decltype(fn(std::declval<pqxx::work&>())), core::store_error> {
  try {
    pqxx::work tx(thread_connection(conninfo));
    auto value = fn(tx);
    tx.commit();
    return value;
  } catch (const std::exception& e) {
    return fail(classify(e));
  }
}

std::vector<std::uint8_t> bytes_of(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return {b.data(), b.data() + b.size()};
}

core::account account_from(const pqxx::row& r) {
  core::account a;
  a.id = r["id"].as<std::int64_t>();
  a.name = r["name"].as<std::string>();
  a.country = r["country"].as<std::string>();
  a.sender_id = r["sender_id"].as<std::string>();
  a.max_parts = r["max_parts"].as<int>();
  return a;
}

// Microseconds since the epoch, PostgreSQL's resolution: whole seconds would make a retry due
// up to a second before the time the dispatcher chose.
std::string timestamp_of(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  return std::to_string(us);
}

}  // namespace

// The dispatcher's LISTEN connection and what it heard.
struct store::listener {
  struct receiver : pqxx::notification_receiver {
    explicit receiver(pqxx::connection& c) : pqxx::notification_receiver(c, queue_channel) {}
    void operator()(const std::string&, int) override {}
  };
  explicit listener(const std::string& conninfo) : conn(conninfo), recv(conn) {}
  pqxx::connection conn;
  receiver recv;
};

store::store(std::string connection_string) : connection_string_(std::move(connection_string)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

store::~store() = default;

result<std::optional<core::account>, core::store_error> store::authenticate(
    const std::string& name, const std::string& password) {
  auto rows = in_transaction(connection_string_, [&](pqxx::work& tx) {
    return tx.exec_params(
        "SELECT a.id, a.name, a.country, a.sender_id, a.max_parts, c.hash "
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
    if (policy::verify_password(row["hash"].as<std::string>(), password))
      return std::optional<core::account>{account_from(row)};
  }
  return std::optional<core::account>{};
}

result<std::optional<core::account>, core::store_error> store::by_network(
    const std::string& address) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) -> std::optional<core::account> {
    auto rows = tx.exec_params(
        "SELECT a.id, a.name, a.country, a.sender_id, a.max_parts "
        "FROM account_networks n JOIN accounts a ON a.id = n.account_id "
        "WHERE n.network >>= $1::inet AND a.status = 'active' "
        "ORDER BY masklen(n.network) DESC, a.id LIMIT 1",
        address);
    if (rows.empty()) return std::nullopt;
    return account_from(rows[0]);
  });
}

result<std::string, core::store_error> store::enqueue(const core::submission& s) {
  const submission_ref one{&s, new_queue_id()};
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    insert_submissions(tx, std::span<const submission_ref>(&one, 1));
    return one.queue_id;
  });
}

result<std::vector<core::queued_message>, core::store_error> store::claim(int limit) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "UPDATE messages SET status = 'sending', updated_at = now() "
        "WHERE id IN (SELECT id FROM messages WHERE status = 'queued' AND next_attempt_at <= now() "
        "             ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, queue_id, recipient, sender_id, encoding, attempts",
        limit);
    std::vector<core::queued_message> claimed;
    std::string ids = "{";
    for (const auto& r : rows) {
      core::queued_message m;
      m.id = r["id"].as<std::int64_t>();
      m.queue_id = r["queue_id"].as<std::string>();
      m.recipient = r["recipient"].as<std::string>();
      m.sender_id = r["sender_id"].as<std::string>();
      m.attempts = r["attempts"].as<int>();
      m.coding = r["encoding"].as<std::string>() == "ucs2" ? sms::encoding::ucs2 : sms::encoding::gsm7;
      if (ids.size() > 1) ids += ',';
      ids += std::to_string(m.id);
      claimed.push_back(std::move(m));
    }
    ids += '}';
    if (claimed.empty()) return claimed;
    auto parts = tx.exec_params(
        "SELECT message_id, udh, payload FROM message_parts WHERE message_id = ANY($1::bigint[]) "
        "ORDER BY message_id, part_no",
        ids);
    std::unordered_map<std::int64_t, core::queued_message*> by_id;
    for (auto& m : claimed) by_id[m.id] = &m;
    for (const auto& p : parts) {
      by_id.at(p["message_id"].as<std::int64_t>())
          ->segments.push_back({bytes_of(p["udh"]), bytes_of(p["payload"])});
    }
    for (const auto& m : claimed) {
      tx.exec_params("INSERT INTO message_events (message_id, status) VALUES ($1, 'sending')", m.id);
    }
    return claimed;
  });
}

result<ok_t, core::store_error> store::record(
    std::int64_t message_id, const std::string& connector, const core::submit_outcome& outcome,
    std::optional<std::chrono::system_clock::time_point> retry_at) {
  using status = core::submit_outcome::status;
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    std::string new_status;
    if (outcome.state == status::submitted) {
      new_status = "submitted";
      int part_no = 1;
      for (const auto& smsc_id : outcome.smsc_message_ids) {
        tx.exec_params(
            "UPDATE message_parts SET smsc_message_id = $3 WHERE message_id = $1 AND part_no = $2",
            message_id, part_no++, smsc_id);
      }
    } else if (outcome.state == status::transient_failure && retry_at) {
      new_status = "queued";
    } else {
      new_status = "failed";
    }
    tx.exec_params(
        "UPDATE messages SET status = $2, connector = $3, attempts = attempts + 1, "
        "last_error = NULLIF($4, ''), updated_at = now(), "
        "next_attempt_at = CASE WHEN $5 = '' THEN next_attempt_at "
        "ELSE 'epoch'::timestamptz + $5::bigint * interval '1 microsecond' END "
        "WHERE id = $1",
        message_id, new_status, connector, outcome.reason,
        retry_at ? timestamp_of(*retry_at) : std::string());
    tx.exec_params("INSERT INTO message_events (message_id, status, detail) VALUES ($1, $2, $3)",
                   message_id, new_status, outcome.reason);
    return ok;
  });
}

void store::wait_for_work(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    if (!listener_) listener_ = std::make_unique<listener>(connection_string_);
    const auto ms = timeout.count();
    listener_->conn.await_notification(ms / 1000, (ms % 1000) * 1000);
  } catch (const std::exception& e) {
    // The dispatcher polls on its own timeout anyway; a broken LISTEN connection is reopened.
    spdlog::warn("queue listener: {}", e.what());
    listener_.reset();
    // Still wait out the timeout: returning at once would have the dispatcher retry a database
    // that is down in a tight loop.
    std::this_thread::sleep_until(deadline);
  }
}

result<core::account, core::store_error> store::add_account(const std::string& name,
                                                            const std::string& country,
                                                            const std::string& password_hash) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto row = tx.exec_params1(
        "INSERT INTO accounts (name, country) VALUES ($1, $2) "
        "RETURNING id, name, country, sender_id, max_parts",
        name, country);
    auto account = account_from(row);
    tx.exec_params("INSERT INTO credentials (account_id, hash) VALUES ($1, $2)", account.id,
                   password_hash);
    tx.exec_params("INSERT INTO audit_log (actor, action, subject) VALUES ('cli', 'account.add', $1)",
                   name);
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

result<bool, core::store_error> store::add_network(const std::string& account,
                                                   const std::string& cidr) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "INSERT INTO account_networks (account_id, network) "
        "SELECT id, $2::cidr FROM accounts WHERE name = $1 "
        "ON CONFLICT (account_id, network) DO NOTHING RETURNING network",
        account, cidr);
    if (!rows.empty())
      tx.exec_params("INSERT INTO audit_log (actor, action, subject, detail) "
                     "VALUES ('cli', 'account.network.add', $1, $2)", account, cidr);
    return !rows.empty();
  });
}

result<bool, core::store_error> store::remove_network(const std::string& account,
                                                      const std::string& cidr) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "DELETE FROM account_networks n USING accounts a "
        "WHERE a.id = n.account_id AND a.name = $1 AND n.network = $2::cidr RETURNING n.id",
        account, cidr);
    if (!rows.empty())
      tx.exec_params("INSERT INTO audit_log (actor, action, subject, detail) "
                     "VALUES ('cli', 'account.network.remove', $1, $2)", account, cidr);
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

result<std::vector<message_row>, core::store_error> store::list_messages(
    const std::optional<std::string>& account, const std::optional<std::string>& status,
    int limit) {
  return in_transaction(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "SELECT m.id, m.queue_id, a.name, m.recipient, m.status, m.encoding, m.segments, "
        "m.attempts, COALESCE(m.connector, '') AS connector, COALESCE(m.last_error, '') AS last_error, "
        "to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at "
        "FROM messages m JOIN accounts a ON a.id = m.account_id "
        "WHERE ($1 = '' OR a.name = $1) AND ($2 = '' OR m.status = $2) "
        "ORDER BY m.id DESC LIMIT $3",
        account.value_or(""), status.value_or(""), limit);
    std::vector<message_row> out;
    for (const auto& r : rows) {
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
      out.push_back(std::move(m));
    }
    return out;
  });
}

}  // namespace mail2sms::sql
