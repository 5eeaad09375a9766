// sql::admin against a real PostgreSQL, part two: contacts imported all or nothing, groups,
// the export document, erasure that leaves nothing of the account, and the retention purge.
#include <nlohmann/json.hpp>

#include "admin_fixture.hpp"
#include "core/sms/sms.hpp"
#include "sql/retention.hpp"

namespace mail2sms::testing {
namespace {

using kind = sql::admin_error::kind;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- contacts --------------------------------------------------------------------------------

TEST_F(admin_test, contacts_import_normalises_numbers_and_creates_groups) {
  add_account("acme", "ZA");
  const std::string csv =
      "\xEF\xBB\xBFNumber,Name,Groups\r\n"
      "082 123 4567,\"Smith, Anna\",oncall;Managers\r\n"
      "+27821234568,Ben,oncall\r\n"
      "\r\n"
      "0821234569,\"Chloe \"\"CJ\"\" Jones\",\r\n";
  auto n = admin().import_contacts("acme", csv, "team.csv");
  ASSERT_OK(n);
  EXPECT_EQ(n->records, 3);
  EXPECT_EQ(n->created, 3);
  EXPECT_EQ(n->updated, 0);
  EXPECT_EQ(n->groups_created, 2);
  EXPECT_EQ(n->memberships_added, 3);
  auto contacts = admin().contacts("acme");
  ASSERT_OK(contacts);
  ASSERT_EQ(contacts->size(), 3u);
  EXPECT_EQ((*contacts)[0].number, "+27821234567");
  EXPECT_EQ((*contacts)[0].name, "Smith, Anna");
  EXPECT_EQ((*contacts)[0].groups, (std::vector<std::string>{"managers", "oncall"}));
  EXPECT_EQ((*contacts)[2].name, "Chloe \"CJ\" Jones");
  EXPECT_TRUE((*contacts)[2].groups.empty());
  // The audit trail counts; it does not list numbers.
  auto audit = query("SELECT detail FROM audit_log WHERE action = 'contacts.import'");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0][0].as<std::string>(),
            "team.csv: 3 rows, 3 new, 0 updated, 2 groups created, 3 memberships added");
}

TEST_F(admin_test, contacts_import_again_updates_names_and_adds_memberships) {
  add_account("acme", "ZA");
  ASSERT_OK(
      admin().import_contacts("acme", "number,name,groups\n0821234567,Anna,oncall\n", "a.csv"));
  auto n = admin().import_contacts(
      "acme", "number,name,groups\n+27821234567,Anna Smith,oncall;ops\n+27821234568,,ops\n",
      "b.csv");
  ASSERT_OK(n);
  EXPECT_EQ(n->created, 1);
  EXPECT_EQ(n->updated, 1);
  EXPECT_EQ(n->groups_created, 1);
  EXPECT_EQ(n->memberships_added, 2);  // Anna to ops, the new one to ops; Anna was in oncall
  // An empty name keeps the name a contact has.
  ASSERT_OK(admin().import_contacts("acme", "number,name\n0821234567,\n", "c.csv"));
  auto contacts = admin().contacts("acme");
  ASSERT_OK(contacts);
  EXPECT_EQ((*contacts)[0].name, "Anna Smith");
  EXPECT_EQ((*contacts)[0].groups, (std::vector<std::string>{"oncall", "ops"}));
}

TEST_F(admin_test, contacts_import_with_a_bad_row_imports_nothing_and_names_file_and_line) {
  add_account("acme", "ZA");
  const std::vector<std::pair<std::string, std::string>> bad{
      {"number,name\n0821234567,Anna\n12,Ben\n", "x.csv:3: '12' is too short"},
      {"number,name\n0821234567,Anna\n,Ben\n", "x.csv:3: the number is empty"},
      {"number,name\n0821234567,Anna\n0821234568\n", "x.csv:3: 1 fields where the header has 2"},
      {"number,groups\n0821234567,oncall;1team\n", "x.csv:2: '1team' is not a group name"},
      {"number,nmae\n0821234567,Anna\n", "x.csv:1: unknown column 'nmae'"},
      {"name\nAnna\n", "x.csv:1: there is no number column"},
      {"number,name\n0821234567,\"Anna\n0821234568,Ben\n", "x.csv:2: a quoted field is not closed"},
      {"number,name\n0821234567,An\"na\n", "x.csv:2: a quote inside an unquoted field"},
      {"number,name\n\"0821234567\"x,Anna\n", "x.csv:2: text after a closing quote"},
      {"", "x.csv: the file is empty"},
      {"number,name\n0821234567,\"two\nlines\"\n", "x.csv:2: the name has a line break"},
      {"number,name\n0821234567,x\n+999,y\n", "x.csv:3: '+999'"},
  };
  for (const auto& [csv, expected] : bad) {
    auto e = error_of(admin().import_contacts("acme", csv, "x.csv"), kind::bad_file);
    EXPECT_TRUE(e.message.rfind(expected, 0) == 0)
        << "got: " << e.message << "\nwant: " << expected;
  }
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM contact_groups"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'contacts.import'"), 0);
}

TEST_F(admin_test, contacts_remove_takes_the_number_in_any_form) {
  add_account("acme", "ZA");
  ASSERT_OK(admin().import_contacts("acme", "number,groups\n0821234567,oncall\n", "a.csv"));
  auto removed = admin().remove_contact("acme", "+27 82 123 4567");
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, "+27821234567");
  EXPECT_EQ(count("SELECT count(*) FROM group_members"), 0);
  error_of(admin().remove_contact("acme", "0821234567"), kind::not_found);
  error_of(admin().remove_contact("acme", "12"), kind::invalid);
  EXPECT_EQ(query("SELECT detail FROM audit_log WHERE action = 'contacts.remove'")[0][0]
                .as<std::string>(),
            "+2782*****67");
}

// --- groups ----------------------------------------------------------------------------------

TEST_F(admin_test, groups_take_numbers_and_contact_names) {
  add_account("acme", "ZA");
  ASSERT_OK(admin().import_contacts("acme", "number,name\n0821234567,Anna\n", "a.csv"));
  auto change = admin().add_to_group("acme", "OnCall", {"Anna", "0821234568"});
  ASSERT_OK(change);
  EXPECT_TRUE(change->group_created);
  EXPECT_EQ(change->members_changed, 2);
  EXPECT_EQ(change->contacts_created, 1);  // 0821234568 was no contact yet
  auto again = admin().add_to_group("acme", "oncall", {"+27821234567"});
  ASSERT_OK(again);
  EXPECT_FALSE(again->group_created);
  EXPECT_EQ(again->members_changed, 0);

  auto members = admin().group_members("acme", "oncall");
  ASSERT_OK(members);
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].number, "+27821234567");
  EXPECT_EQ((*members)[0].name, "Anna");
  auto groups = admin().groups("acme");
  ASSERT_OK(groups);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].name, "oncall");
  EXPECT_EQ((*groups)[0].members, 2);

  error_of(admin().add_to_group("acme", "oncall", {"Nobody"}), kind::not_found);
  error_of(admin().add_to_group("acme", "oncall", {"082"}), kind::invalid);
  for (const std::string& bad :
       std::vector<std::string>{"1oncall", "on call", "", "x@y", std::string(65, 'a')}) {
    SCOPED_TRACE(bad);
    error_of(admin().add_to_group("acme", bad, {}), kind::invalid);
  }
  // A failed add changes nothing, not even the members named before the bad one.
  error_of(admin().add_to_group("acme", "night", {"0821234569", "Nobody"}), kind::not_found);
  EXPECT_EQ(count("SELECT count(*) FROM contact_groups"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 2);
}

TEST_F(admin_test, a_name_two_contacts_share_is_refused) {
  add_account("acme", "ZA");
  ASSERT_OK(admin().import_contacts("acme", "number,name\n0821234567,Sam\n0821234568,Sam\n", "a"));
  auto e = error_of(admin().add_to_group("acme", "oncall", {"Sam"}), kind::conflict);
  EXPECT_TRUE(contains(e.message, "2 contacts of 'acme' are named 'Sam'")) << e.message;
}

TEST_F(admin_test, group_remove_takes_members_or_the_whole_group) {
  add_account("acme", "ZA");
  ASSERT_OK(admin().add_to_group("acme", "oncall", {"0821234567", "0821234568", "0821234569"}));
  auto removed = admin().remove_from_group("acme", "oncall", {"0821234567"});
  ASSERT_OK(removed);
  EXPECT_EQ(removed->members_changed, 1);
  auto e = error_of(admin().remove_from_group("acme", "oncall", {"0821234567"}), kind::not_found);
  EXPECT_TRUE(contains(e.message, "+2782*****67 is not in group 'oncall'")) << e.message;
  auto gone = admin().remove_from_group("acme", "oncall", {});
  ASSERT_OK(gone);
  EXPECT_EQ(gone->members_changed, 2);
  EXPECT_EQ(count("SELECT count(*) FROM contact_groups"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 3);  // contacts outlive their groups
  error_of(admin().remove_from_group("acme", "oncall", {}), kind::not_found);
  // The audit trail has the group and counts, no numbers.
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail ~ '[0-9]{6}'"), 0);
}

// --- messages for export, delete and purge ----------------------------------------------------

class admin_messages_test : public admin_test {
 protected:
  // A mail to each number (each a message row with its parts), as serve would store it.
  std::string enqueue(const core::account& a, std::vector<std::string> numbers,
                      const std::string& text) {
    core::submission s;
    s.account_id = a.id;
    s.mail_from = "nagios@example.com";
    static int mails = 0;  // each a different mail: the dedup window must not merge them
    s.message_id = "<alert-" + std::to_string(++mails) + "@example.com>";
    s.recipients = std::move(numbers);
    s.sender_id = "ALERTS";
    s.text = text;
    s.sms = sms::encode(text);
    auto queued = store_->enqueue(s);
    EXPECT_TRUE(queued.has_value()) << queued.error().message;
    if (!queued.has_value()) return {};
    EXPECT_FALSE(queued->refused) << queued->refused->text;
    return queued->queue_id;
  }

  // Everything the database holds, every row of every table as text.
  std::string every_row() {
    std::string all;
    for (const auto& t : query("SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")) {
      const auto table = t[0].as<std::string>();
      pqxx::read_transaction tx(*inspect_);
      for (const auto& r : tx.exec("SELECT t::text FROM " + tx.quote_name(table) + " t"))
        all += table + ": " + r[0].as<std::string>() + "\n";
    }
    return all;
  }
};

TEST_F(admin_messages_test, export_holds_the_account_s_data_and_no_password_hash) {
  const auto acme = add_account("acme", "ZA", 10);
  add_account("other");
  ASSERT_OK(admin().add_sender("acme", "ops@example.com"));
  ASSERT_OK(store_->add_network("acme", "192.0.2.0/24"));
  ASSERT_OK(admin().add_certificate("acme", std::string(64, 'a'), "CN=pbx"));
  ASSERT_OK(admin().add_to_group("acme", "oncall", {"0821234567"}));
  ASSERT_OK(admin().change_credit("acme", 5, "top-up"));
  const auto queue_id = enqueue(acme, {"+27821234567"}, "Disk full on db1");
  execute(
      "INSERT INTO delivery_reports (smsc_message_id, connector, state, message_id, part_no) "
      "SELECT 'abc', 'sim', 'DELIVRD', id, 1 FROM messages");
  ASSERT_OK(admin().set("other", "max-parts", "3"));
  // What it holds besides its messages: a part row as an outcome writes it, a reply from the
  // number it wrote to (its by 0019's attribution), a rate-limit counter, mail it wrote to the
  // postmaster. And a reply from a number nobody wrote to: nobody's.
  execute(
      "INSERT INTO message_parts (message_id, part_no, smsc_message_id, state) "
      "SELECT id, 1, 'abc', 'DELIVRD' FROM messages");
  execute(
      "INSERT INTO inbound_messages (connector, source, destination, body) VALUES "
      "('sim', '27821234567', 'ALERTS', 'on my way'), ('sim', '27820000000', 'ALERTS', 'who?')");
  execute("INSERT INTO usage_counters (account_id, kind, window_start, used) VALUES (" +
          std::to_string(acme.id) + ", 'day', '2026-11-30', 3)");
  execute(
      "INSERT INTO postmaster_mail (client, helo, mail_from, recipient, account_id, tls, size, "
      "message) VALUES ('192.0.2.7', 'pbx', 'ops@example.com', 'Postmaster', " +
      std::to_string(acme.id) + ", true, 4, 'hi\r\n')");

  auto exported = admin().export_account("acme");
  ASSERT_OK(exported);
  EXPECT_FALSE(contains(*exported, "$argon2")) << "a password hash in the export";
  const auto doc = nlohmann::json::parse(*exported);
  EXPECT_EQ(doc["account"]["name"], "acme");
  EXPECT_EQ(doc["account"]["credit"], 14);  // 10 + 5, less the message's one segment
  EXPECT_EQ(doc["account"]["max_parts"], 10);
  ASSERT_EQ(doc["passwords"].size(), 1u);
  EXPECT_EQ(doc["passwords"][0]["label"], "default");
  EXPECT_FALSE(doc["passwords"][0].contains("hash"));
  EXPECT_EQ(doc["senders"][0]["pattern"], "ops@example.com");
  EXPECT_EQ(doc["networks"][0]["network"], "192.0.2.0/24");
  EXPECT_EQ(doc["certificates"][0]["subject"], "CN=pbx");
  EXPECT_EQ(doc["contacts"][0]["number"], "+27821234567");
  EXPECT_EQ(doc["groups"][0]["name"], "oncall");
  EXPECT_EQ(doc["groups"][0]["members"], nlohmann::json::array({"+27821234567"}));
  ASSERT_EQ(doc["messages"].size(), 1u);
  const auto& m = doc["messages"][0];
  EXPECT_EQ(m["queue_id"], queue_id);
  EXPECT_EQ(m["recipient"], "+27821234567");
  EXPECT_EQ(m["body"], "Disk full on db1");
  EXPECT_EQ(m["status"], "queued");
  EXPECT_EQ(m["parts"], 1);
  // The history begins with the mail's queueing, read from created_at (0021).
  EXPECT_EQ(m["events"][0]["status"], "queued");
  EXPECT_EQ(m["events"][0]["at"], m["created_at"]);
  EXPECT_EQ(m["delivery_reports"][0]["state"], "DELIVRD");
  ASSERT_EQ(m["part_rows"].size(), 1u);
  EXPECT_EQ(m["part_rows"][0]["smsc_message_id"], "abc");
  EXPECT_EQ(m["part_rows"][0]["state"], "DELIVRD");
  ASSERT_EQ(doc["replies"].size(), 1u);
  EXPECT_EQ(doc["replies"][0]["from"], "27821234567");
  EXPECT_EQ(doc["replies"][0]["body"], "on my way");
  ASSERT_EQ(doc["usage_counters"].size(), 1u);
  EXPECT_EQ(doc["usage_counters"][0]["used"], 3);
  ASSERT_EQ(doc["postmaster_mail"].size(), 1u);
  EXPECT_EQ(doc["postmaster_mail"][0]["message_base64"], "aGkNCg==");
  EXPECT_EQ(count("SELECT count(*) FROM inbound_messages WHERE account_id IS NULL"), 1);
  ASSERT_EQ(doc["credit_ledger"].size(), 3u);
  EXPECT_EQ(doc["credit_ledger"][1]["balance"], 15);
  EXPECT_EQ(doc["credit_ledger"][2]["balance"], 14);
  // Its own audit rows only: account.add, sender, network, cert, group, credit.
  for (const auto& row : doc["audit_log"]) EXPECT_EQ(row["subject"], "acme") << row.dump();
  EXPECT_GE(doc["audit_log"].size(), 6u);
  EXPECT_TRUE(contains(doc["exported_at"].get<std::string>(), "+00:00"));
  // The export itself is on record (after the document was read).
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'account.export' AND subject = "
                  "'acme' AND account_id = " +
                  std::to_string(acme.id)),
            1);
  for (const auto& row : doc["audit_log"]) EXPECT_NE(row["action"], "account.export");
  error_of(admin().export_account("nobody"), kind::not_found);
}

TEST_F(admin_messages_test, delete_leaves_no_name_number_or_text_of_the_account_anywhere) {
  const auto acme = add_account("acme", "ZA", 10);
  const auto other = add_account("other", "ZA", 10);
  ASSERT_OK(admin().add_password("acme", "laptop", known_hash()));
  ASSERT_OK(admin().add_sender("acme", "pager@acme.example"));
  ASSERT_OK(store_->add_network("acme", "192.0.2.0/24"));
  ASSERT_OK(admin().add_certificate("acme", std::string(64, 'b'), "CN=acme-pbx"));
  ASSERT_OK(admin().import_contacts("acme", "number,name,groups\n0821234567,Anna Zed,oncall\n",
                                    "acme-team.csv"));
  ASSERT_OK(admin().set("acme", "sender-id", "AcmeAlerts"));
  ASSERT_OK(admin().change_credit("acme", 5, "acme invoice"));
  // An operator's note about the holder, and a group named by them: free text, no name in it.
  ASSERT_OK(admin().change_credit("acme", 1, "paid by Jane Doe"));
  ASSERT_OK(admin().add_to_group("acme", "nightshift", {"0821234567"}));
  enqueue(acme, {"+27829876543"}, "Secret reactor temperature");
  execute("UPDATE messages SET cost = 1");
  execute(
      "INSERT INTO credit_ledger (account_id, delta, reason, balance, queue_id) "
      "SELECT account_id, -1, 'reservation', 14, queue_id FROM messages");
  execute(
      "INSERT INTO delivery_reports (smsc_message_id, connector, state, message_id, part_no) "
      "SELECT 'xyz', 'sim', 'DELIVRD', id, 1 FROM messages");
  // What another account has must survive.
  enqueue(other, {"+27825550000"}, "Other text");
  ASSERT_OK(admin().add_to_group("other", "oncall", {"0825550000"}));
  // Every message sent: a part row and a `sending` event each, as a claim and a submission's
  // outcome write them.
  execute(
      "INSERT INTO message_parts (message_id, part_no, smsc_message_id) "
      "SELECT id, 1, 'smsc-' || id FROM messages");
  execute("INSERT INTO message_events (message_id, status) SELECT id, 'sending' FROM messages");
  // A reply to its message (its, by 0019's attribution), and what it wrote to the postmaster.
  // Before 0019 the reply stayed, with its number and text, until the retention purge.
  // It came in two parts: they stay, done and without their texts, for reply_parts_wait, so
  // that a part sent again is known; they still name the number and the time.
  execute(
      "INSERT INTO inbound_parts (connector, source, destination, reference, total, part_no, "
      "  body, received_at, done) "
      "SELECT 'sim', '27829876543', 'ALERTS', 9, 2, n, NULL, now() - interval '1 minute', true "
      "FROM generate_series(1, 2) n");
  execute(
      "INSERT INTO inbound_messages (connector, source, destination, body, parts) "
      "VALUES ('sim', '27829876543', 'ALERTS', 'Reactor cooled down', 2)");
  // Another account's reply in parts from another number stays whole.
  execute(
      "INSERT INTO inbound_parts (connector, source, destination, reference, total, part_no, "
      "  body, received_at, done) "
      "SELECT 'sim', '27825550000', 'ALERTS', 9, 2, n, NULL, now() - interval '1 minute', true "
      "FROM generate_series(1, 2) n");
  execute(
      "INSERT INTO postmaster_mail (client, helo, mail_from, recipient, account_id, tls, size, "
      "message) VALUES ('192.0.2.7', 'pbx', 'pager@acme.example', 'Postmaster', " +
      std::to_string(acme.id) + ", true, 15, 'Acme postmaster')");
  // A failed login to the account: the address of the holder's device (or of whoever tried).
  store_->record_auth_failure("198.51.100.23", "acme", "PLAIN");

  // The search below finds what is there: before the delete, all of it is.
  const char* const erased[] = {"acme",        "Acme",           "27821234567",    "821234567",
                                "27829876543", "Secret reactor", "Anna Zed",       "pager@",
                                "Jane Doe",    "nightshift",     "Reactor cooled", "198.51.100.23"};
  const std::string before = every_row();
  for (const char* present : erased) ASSERT_TRUE(contains(before, present)) << present;

  auto deleted = admin().delete_account("acme");
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, acme.id);

  const std::string rows = every_row();
  for (const char* gone : erased)
    EXPECT_FALSE(contains(rows, gone)) << "'" << gone << "' is still stored:\n" << rows;
  const std::string id = std::to_string(acme.id);
  for (const char* table :
       {"credentials", "account_senders", "account_networks", "account_certificates", "contacts",
        "contact_groups", "messages", "usage_counters"})
    EXPECT_EQ(count(std::string("SELECT count(*) FROM ") + table + " WHERE account_id = " + id), 0)
        << table;
  // Only the other account's message is left, with its part, event (and no receipt).
  EXPECT_EQ(count("SELECT count(*) FROM message_parts"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM message_events"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM delivery_reports"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM inbound_parts WHERE source = '27825550000'"), 2);
  // The ledger stays for the books, without the account or its mails (the initial credit, the
  // changes, and the mail's reservation).
  EXPECT_EQ(count("SELECT count(*) FROM credit_ledger WHERE account_id IS NULL"), 5);
  EXPECT_EQ(count("SELECT count(*) FROM credit_ledger WHERE account_id IS NULL "
                  "AND queue_id IS NOT NULL"),
            0);
  EXPECT_EQ(count("SELECT sum(delta) FROM credit_ledger WHERE account_id IS NULL"), 14);
  // What mail2sms wrote itself stays; the notes become a placeholder.
  EXPECT_EQ(count("SELECT count(*) FROM credit_ledger WHERE account_id IS NULL "
                  "AND reason = 'initial credit'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM credit_ledger WHERE reason = 'note removed with account #" +
                  std::to_string(acme.id) + "'"),
            3);  // "acme invoice", "paid by Jane Doe", the test's 'reservation'
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE account_id IS NULL AND detail <> ''"), 0);
  // The audit trail keeps the events, under the account's number.
  const std::string label = "deleted account #" + std::to_string(acme.id);
  EXPECT_GE(count("SELECT count(*) FROM audit_log WHERE subject = '" + label + "'"), 7);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'account.delete' AND subject = "
                  "'account #" +
                  std::to_string(acme.id) + "' AND account_id IS NULL"),
            1);
  // The other account is whole.
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE account_id = " + std::to_string(other.id)),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM contact_groups"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM contacts"), 1);
  EXPECT_TRUE(contains(rows, "Other text"));
  error_of(admin().delete_account("acme"), kind::not_found);
}

// Since 0023 no foreign key deletes an erased account's notifications by account_id: they go
// with its messages (message_id cascades), and the erasure deletes any left by account_id.
TEST_F(admin_messages_test, an_erased_account_leaves_no_notification) {
  const auto acme = add_account("acme", "ZA", 10);
  const auto other = add_account("other", "ZA", 10);
  execute("UPDATE accounts SET notify = 'all'");
  enqueue(acme, {"+27821234567"}, "to be erased");
  enqueue(other, {"+27821234567"}, "kept");
  execute("UPDATE messages SET status = 'delivered'");
  EXPECT_EQ(count("SELECT count(*) FROM notifications"), 2);
  execute("ALTER TABLE notifications DISABLE TRIGGER ALL");  // a row whose message is another's
  execute(
      "INSERT INTO notifications (message_id, account_id, status, rcpt_to) "
      "SELECT id, " +
      std::to_string(acme.id) +
      ", 'delivered', 'x@example.com' "
      "FROM messages WHERE account_id = " +
      std::to_string(other.id));
  execute("ALTER TABLE notifications ENABLE TRIGGER ALL");
  ASSERT_TRUE(admin().delete_account("acme").has_value());
  EXPECT_EQ(
      count("SELECT count(*) FROM notifications WHERE account_id = " + std::to_string(acme.id)), 0);
  EXPECT_EQ(
      count("SELECT count(*) FROM notifications WHERE account_id = " + std::to_string(other.id)),
      1);
}

TEST_F(admin_messages_test, purge_clears_old_final_texts_only) {
  const auto acme = add_account("acme", "ZA", 10);
  for (const char* status : {"delivered", "failed", "submitted", "queued", "sending", "unknown"})
    enqueue(acme, {"+27821234567"}, std::string("old ") + status);
  enqueue(acme, {"+27821234567"}, "recent delivered");
  execute(
      "UPDATE messages SET status = substr(body, 5), created_at = now() - interval '31 days' "
      "WHERE body LIKE 'old %'");
  execute("UPDATE messages SET status = 'delivered' WHERE body = 'recent delivered'");
  execute(
      "INSERT INTO inbound_messages (connector, source, destination, body, received_at) "
      "VALUES ('sim', '+27821234567', 'ALERTS', 'old reply', now() - interval '31 days'), "
      "       ('sim', '+27821234567', 'ALERTS', 'new reply', now())");

  const auto ledger_rows = count("SELECT count(*) FROM credit_ledger");
  auto purged = sql::purge_bodies(db_, 30);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->messages, 3);  // delivered, failed, submitted
  EXPECT_EQ(purged->parts, 3);
  EXPECT_EQ(purged->replies, 1);
  auto kept = query("SELECT body FROM messages WHERE body IS NOT NULL ORDER BY id");
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[0][0].as<std::string>(), "old queued");
  EXPECT_EQ(kept[1][0].as<std::string>(), "old sending");
  EXPECT_EQ(kept[2][0].as<std::string>(), "old unknown");
  EXPECT_EQ(kept[3][0].as<std::string>(), "recent delivered");
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE parts IS NULL"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE body IS NULL AND parts IS NOT NULL"), 0);
  EXPECT_EQ(
      query("SELECT body FROM inbound_messages WHERE body IS NOT NULL")[0][0].as<std::string>(),
      "new reply");
  // Purging again finds nothing more; a purge must not refund or change a status.
  auto again = sql::purge_bodies(db_, 30);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages + again->parts + again->replies, 0);
  EXPECT_EQ(count("SELECT count(*) FROM credit_ledger"), ledger_rows);
}

// A chunk at a time (here two), each its own transaction, to the end of the table.
TEST_F(admin_messages_test, purge_erases_in_chunks_to_the_end) {
  const auto acme = add_account("acme", "ZA", 10);
  for (int i = 0; i < 7; ++i) enqueue(acme, {"+27821234567"}, "old " + std::to_string(i));
  enqueue(acme, {"+27821234567"}, "recent");
  execute(
      "UPDATE messages SET status = 'delivered', created_at = now() - interval '31 days' "
      "WHERE body LIKE 'old %'");
  auto purged = sql::purge_bodies(db_, 30, 2);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->messages, 7);
  EXPECT_EQ(purged->parts, 7);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE body IS NOT NULL"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE body = 'recent'"), 1);
}

// A message another transaction holds locked (a receipt settling it, an erasure) is left for the
// next run: the purge does not wait for it (lock_timeout makes a wait an error here), and so is
// in no deadlock with it.
TEST_F(admin_messages_test, purge_skips_a_message_held_locked_and_erases_it_next_time) {
  const auto acme = add_account("acme", "ZA", 10);
  for (int i = 0; i < 3; ++i) enqueue(acme, {"+27821234567"}, "old " + std::to_string(i));
  execute("UPDATE messages SET status = 'delivered', created_at = now() - interval '31 days'");
  execute("ALTER DATABASE " + query("SELECT current_database()")[0][0].as<std::string>() +
          " SET lock_timeout = '5s'");
  pqxx::connection holder(db_);
  pqxx::work held(holder);
  const auto locked =
      held.exec1("SELECT id FROM messages WHERE body = 'old 1' FOR UPDATE")[0].as<std::int64_t>();
  auto purged = sql::purge_bodies(db_, 30);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->messages, 2);
  held.commit();
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE body IS NOT NULL AND id = " +
                  std::to_string(locked)),
            1);
  purged = sql::purge_bodies(db_, 30);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->messages, 1);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE body IS NOT NULL"), 0);
}

// A receipt's part lookup holds its message FOR KEY SHARE until it commits. The purge changes no
// key, so it does not conflict with that lock: the message is erased in the same run, not skipped.
TEST_F(admin_messages_test, purge_erases_a_message_a_receipt_holds_key_shared) {
  const auto acme = add_account("acme", "ZA", 10);
  for (int i = 0; i < 2; ++i) enqueue(acme, {"+27821234567"}, "old " + std::to_string(i));
  execute("UPDATE messages SET status = 'delivered', created_at = now() - interval '31 days'");
  pqxx::connection holder(db_);
  pqxx::work held(holder);
  held.exec("SELECT id FROM messages WHERE body = 'old 1' FOR KEY SHARE");
  auto purged = sql::purge_bodies(db_, 30);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->messages, 2);
  held.commit();
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE body IS NOT NULL"), 0);
}

TEST_F(admin_messages_test, purge_of_an_unreachable_database_is_an_error_value) {
  auto purged = sql::purge_bodies("host=/nonexistent dbname=none connect_timeout=1", 30);
  ASSERT_FALSE(purged.has_value());
  EXPECT_EQ(purged.error().kind, core::failure_kind::transient);
}

}  // namespace
}  // namespace mail2sms::testing
