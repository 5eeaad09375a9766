// An account's data handed over (export: one JSON document, built by PostgreSQL from one
// snapshot) and erased (delete: one transaction; what must stay for the books stays without
// the name, the numbers or the texts).
#include "sql/admin.hpp"
#include "sql/admin_support.hpp"

namespace mail2sms::sql {
namespace {

using detail::refuse;
using detail::run_admin;
using kind = admin_error::kind;

// json (not jsonb) keeps the keys in the order written here. Every list is sorted so that two
// exports of unchanged data are the same text.
constexpr const char* export_query = R"sql(
SELECT json_build_object(
  'format', 'mail2sms account export 1',
  'exported_at', now(),
  'account', (SELECT row_to_json(a) FROM accounts a WHERE a.id = $1),
  'passwords', COALESCE((SELECT json_agg(json_build_object(
      'label', label, 'created_at', created_at, 'revoked_at', revoked_at,
      'last_used_at', last_used_at) ORDER BY id)
    FROM credentials WHERE account_id = $1), '[]'),
  'senders', COALESCE((SELECT json_agg(json_build_object(
      'pattern', pattern, 'created_at', created_at) ORDER BY pattern)
    FROM account_senders WHERE account_id = $1), '[]'),
  'networks', COALESCE((SELECT json_agg(json_build_object(
      'network', network::text, 'created_at', created_at) ORDER BY network)
    FROM account_networks WHERE account_id = $1), '[]'),
  'certificates', COALESCE((SELECT json_agg(json_build_object(
      'fingerprint', fingerprint, 'subject', subject, 'created_at', created_at) ORDER BY id)
    FROM account_certificates WHERE account_id = $1), '[]'),
  'contacts', COALESCE((SELECT json_agg(json_build_object(
      'number', number, 'name', name, 'created_at', created_at) ORDER BY number)
    FROM contacts WHERE account_id = $1), '[]'),
  'groups', COALESCE((SELECT json_agg(json_build_object(
      'name', g.name, 'created_at', g.created_at,
      'members', COALESCE((SELECT json_agg(c.number ORDER BY c.number)
                           FROM group_members m JOIN contacts c ON c.id = m.contact_id
                           WHERE m.group_id = g.id), '[]')) ORDER BY g.name)
    FROM contact_groups g WHERE g.account_id = $1), '[]'),
  'messages', COALESCE((SELECT json_agg(json_build_object(
      'id', m.id, 'queue_id', m.queue_id, 'created_at', m.created_at,
      'updated_at', m.updated_at, 'mail_from', m.mail_from,
      'mail_message_id', m.mail_message_id, 'recipient', m.recipient,
      'sender_id', m.sender_id, 'body', m.body, 'encoding', m.encoding,
      'parts', m.segments,
      'part_rows', COALESCE((SELECT json_agg(json_build_object(
          'part', p.part_no, 'smsc_message_id', p.smsc_message_id, 'state', p.state,
          'error_code', p.error_code, 'queries', p.queries, 'query_at', p.query_at)
          ORDER BY p.part_no)
        FROM message_parts p WHERE p.message_id = m.id), '[]'),
      'status', m.status, 'attempts', m.attempts, 'connector', m.connector,
      'last_error', m.last_error, 'cost', m.cost,
      'events', (SELECT json_agg(x.event ORDER BY x.n) FROM (
          SELECT 0::bigint AS n, json_build_object(
            'status', 'queued', 'detail', '', 'at', m.created_at) AS event
          UNION ALL
          SELECT e.id, json_build_object('status', e.status, 'detail', e.detail, 'at', e.at)
          FROM message_events e WHERE e.message_id = m.id) x),
      'delivery_reports', COALESCE((SELECT json_agg(json_build_object(
          'part', r.part_no, 'state', r.state, 'error_code', r.error_code,
          'received_at', r.received_at) ORDER BY r.id)
        FROM delivery_reports r WHERE r.message_id = m.id), '[]'),
      'notifications', COALESCE((SELECT json_agg(json_build_object(
          'status', n.status, 'to', n.rcpt_to, 'state', n.state, 'attempts', n.attempts,
          'last_error', n.last_error, 'created_at', n.created_at, 'sent_at', n.sent_at)
          ORDER BY n.id)
        FROM notifications n WHERE n.message_id = m.id), '[]')) ORDER BY m.id)
    FROM messages m WHERE m.account_id = $1), '[]'),
  'replies', COALESCE((SELECT json_agg(json_build_object(
      'from', i.source, 'to', i.destination, 'body', i.body, 'parts', i.parts,
      'parts_missing', i.parts_missing, 'connector', i.connector, 'received_at', i.received_at)
      ORDER BY i.id)
    FROM inbound_messages i WHERE i.account_id = $1), '[]'),
  'usage_counters', COALESCE((SELECT json_agg(json_build_object(
      'kind', kind, 'window_start', window_start, 'used', used)
      ORDER BY kind, window_start)
    FROM usage_counters WHERE account_id = $1), '[]'),
  'postmaster_mail', COALESCE((SELECT json_agg(json_build_object(
      'received_at', received_at, 'client', client, 'helo', helo, 'mail_from', mail_from,
      'recipient', recipient, 'tls', tls, 'size', size,
      'message_base64', translate(encode(message, 'base64'), E'\n', ''))
      ORDER BY id)
    FROM postmaster_mail WHERE account_id = $1), '[]'),
  'credit_ledger', COALESCE((SELECT json_agg(json_build_object(
      'at', at, 'delta', delta, 'balance', balance, 'reason', reason,
      'queue_id', queue_id) ORDER BY id)
    FROM credit_ledger WHERE account_id = $1), '[]'),
  'audit_log', COALESCE((SELECT json_agg(json_build_object(
      'at', at, 'actor', actor, 'action', action, 'subject', subject, 'detail', detail,
      'client', client) ORDER BY id)
    FROM audit_log WHERE account_id = $1), '[]')
)::text
)sql";

}  // namespace

admin_result<std::string> admin::export_account(const std::string& name) {
  // One snapshot for the whole document; the audit row that records the export is written in
  // the same transaction, after the snapshot was taken (so it is not in the document).
  using snapshot = pqxx::transaction<pqxx::repeatable_read>;
  return run_admin<snapshot>(connection_string_, [&](snapshot& tx) {
    tx.exec0("SET LOCAL TIME ZONE 'UTC'");
    const auto id = detail::find_account(tx, name).id;
    auto document = tx.exec_params1(export_query, id)[0].as<std::string>();
    detail::audit_in(tx, id, "account.export", name, "");
    return document;
  });
}

admin_result<std::int64_t> admin::delete_account(const std::string& name) {
  return run_admin(connection_string_, [&](pqxx::work& tx) {
    auto rows = tx.exec_params("SELECT id FROM accounts WHERE name = $1 FOR UPDATE", name);
    if (rows.empty()) refuse(kind::not_found, "no account named '" + name + "'");
    const auto id = rows[0][0].as<std::int64_t>();
    const std::string id_text = std::to_string(id);
    // The ledger stays for the books: its account_id goes NULL (no foreign key does it since
    // 0013), the mails it points at go, and so does every reason mail2sms did not write itself:
    // an operator's note ("paid by Jane Doe, jane@example.org") is free text about the holder.
    tx.exec_params(
        "UPDATE credit_ledger SET account_id = NULL, queue_id = NULL, "
        "reason = CASE WHEN reason ~ '^(initial credit|top-up|adjustment"
        "|reserved: [0-9]+ segments? to [0-9]+ recipients?"
        "|refund: message [0-9]+ [a-z]+)$' THEN reason "
        "              ELSE 'note removed with account #' || $1::bigint END "
        "WHERE account_id = $1::bigint",
        id);
    // The audit trail keeps what happened and when, not to whom or about what: rows about the
    // account (also those written before audit_log had account_id, found by the name) lose the
    // name, their details (group names, masked numbers, file paths, notes) and the client address
    // (a failed login's: the holder's device, or whoever tried).
    tx.exec_params(
        "UPDATE audit_log SET account_id = NULL, subject = 'deleted account #' || $1::bigint, "
        "detail = '', client = '' "
        "WHERE account_id = $1::bigint OR subject = $2",
        id, name);
    // The dispatch queue's rows have no foreign key (0010: one index to write per row), so
    // they go first, by hand: a queued message's rows would otherwise stay for the claim to
    // find without a message, and a `sending` one's for mark_interrupted. A claim holding one
    // of them locked is waited for; one after this transaction finds nothing of the account.
    tx.exec_params(
        "DELETE FROM dispatch_queue q USING messages m "
        "WHERE m.id = q.message_id AND m.account_id = $1",
        id);
    tx.exec_params(
        "DELETE FROM dispatch_inflight i USING messages m "
        "WHERE m.id = i.message_id AND m.account_id = $1",
        id);
    // Then the messages (no foreign key to the account since 0013: the account's row lock,
    // taken above, keeps the group commit from writing new ones meanwhile), with what cascades
    // from them (receipts, notifications), their ids kept for the parts and events, which have
    // no foreign key either (0012: no check per row on the intake's hot path). Those are
    // deleted in statements of their own, after this one: a transaction that added an event to
    // one of these messages holds the message's row locked (a claim, an outcome, a receipt's
    // verdict) or its notification's (which cascades), so this delete waited for it and its
    // event is seen by the next statement; one after it finds no message to write for.
    tx.exec0("CREATE TEMPORARY TABLE erased_messages (id bigint PRIMARY KEY) ON COMMIT DROP");
    tx.exec_params(
        "WITH gone AS (DELETE FROM messages WHERE account_id = $1 RETURNING id) "
        "INSERT INTO erased_messages SELECT id FROM gone",
        id);
    tx.exec0("ANALYZE erased_messages");
    // Their notifications went with them (message_id cascades); none is left by account_id
    // (its foreign key went in 0023), but a row must not outlive the account it names.
    tx.exec_params("DELETE FROM notifications WHERE account_id = $1", id);
    tx.exec0("DELETE FROM message_parts WHERE message_id IN (SELECT id FROM erased_messages)");
    tx.exec0("DELETE FROM message_events WHERE message_id IN (SELECT id FROM erased_messages)");
    // A reply that came in parts left them, done and without their texts, for reply_parts_wait
    // (a part the SMSC sends again is known by them): they name the number that wrote and when.
    // They have no account: they are the ones of the account's replies by connector, numbers
    // and part count, received before the reply was stored.
    tx.exec_params(
        "DELETE FROM inbound_parts p USING inbound_messages i "
        "WHERE i.account_id = $1 AND i.parts > 1 AND p.done AND p.connector = i.connector "
        "  AND p.source = i.source AND p.destination = i.destination AND p.total = i.parts "
        "  AND p.received_at <= i.received_at",
        id);
    // Everything else hangs off the account with ON DELETE CASCADE: credentials, senders,
    // networks, certificates, contacts, groups, usage counters, replies.
    tx.exec_params("DELETE FROM accounts WHERE id = $1", id);
    tx.exec_params(
        "INSERT INTO audit_log (actor, action, subject) VALUES ('cli', 'account.delete', $1)",
        "account #" + id_text);
    return id;
  });
}

}  // namespace mail2sms::sql
