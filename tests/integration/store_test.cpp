// sql::store against a real PostgreSQL: what the SMTP side, the dispatcher and the CLI rely on —
// a mail's rows commit together, claims never hand one message to two senders, outcomes stick,
// AUTH only admits active accounts, NOTIFY wakes the dispatcher, a down database is a value.
#include "sql/store.hpp"

#include <algorithm>
#include <chrono>
#include <latch>
#include <regex>
#include <set>
#include <thread>

#include "core/policy/password.hpp"
#include "migrated_fixture.hpp"
#include "sql/migrate.hpp"
#include "sql/pipeline.hpp"
#include "sql/pq_support.hpp"
#include "sql/stored_parts.hpp"

namespace mail2sms::testing {
namespace {

using namespace std::chrono_literals;
using status = core::submit_outcome::status;
using bytes = std::vector<std::uint8_t>;

// ~100 ms per argon2id hash: one for the whole process.
const std::string& known_hash() {
  static const std::string hash = policy::hash_password("correct horse");
  return hash;
}

// Long enough for three GSM parts, with '@' (GSM 0x00) so NUL octets must survive the bytea trip.
std::string three_part_text() {
  std::string text;
  while (text.size() < 400) text += "Disk @ 97% on db1.example.com; ";
  return text.substr(0, 400);
}

class store_test : public migrated_test {
 protected:
  void SetUp() override {
    migrated_test::SetUp();
    if (HasFatalFailure()) return;
  }

  // An account whose password is "correct horse".
  core::account add_account(const std::string& name, const std::string& country = "ZA") {
    auto added = store_->add_account(name, country, known_hash(), 1000000);
    EXPECT_TRUE(added.has_value()) << added.error().message;
    return added.has_value() ? *added : core::account{};
  }

  static core::submission submission_for(const core::account& a,
                                         std::vector<std::string> recipients,
                                         const std::string& text, std::uint16_t reference = 0x42) {
    core::submission s;
    s.account_id = a.id;
    s.mail_from = "nagios@example.com";
    static int mails = 0;  // each a different mail: the dedup window must not merge them
    s.message_id = "<alert-" + std::to_string(++mails) + "@example.com>";
    s.recipients = std::move(recipients);
    s.sender_id = "ALERTS";
    s.text = text;
    s.sms = sms::encode(text, {.reference = reference});
    return s;
  }

  std::string enqueue(const core::submission& s) {
    auto queued = store_->enqueue(s);
    EXPECT_TRUE(queued.has_value()) << queued.error().message;
    if (!queued.has_value()) return {};
    EXPECT_FALSE(queued->refused) << queued->refused->text;
    return queued->queue_id;
  }

  std::vector<core::queued_message> claim(int limit) {
    auto claimed = store_->claim(limit);
    EXPECT_TRUE(claimed.has_value()) << claimed.error().message;
    return claimed.has_value() ? *claimed : std::vector<core::queued_message>{};
  }

  void record(std::int64_t id, const std::string& connector, const core::submit_outcome& outcome,
              std::optional<std::chrono::system_clock::time_point> retry_at = std::nullopt) {
    auto recorded = store_->record(id, connector, outcome, retry_at);
    EXPECT_TRUE(recorded.has_value()) << recorded.error().message;
  }

  // Reads the database on a connection of the test's own, so it sees only committed rows.
  template <class... Args>
  pqxx::result query(const std::string& sql, Args&&... args) {
    pqxx::read_transaction tx(*inspect_);
    return tx.exec_params(sql, std::forward<Args>(args)...);
  }

  void execute(const std::string& sql) {
    pqxx::work tx(*inspect_);
    tx.exec0(sql);
    tx.commit();
  }

  std::string message_status(std::int64_t id) {
    return query("SELECT status FROM messages WHERE id = $1", id)[0][0].as<std::string>();
  }

  std::vector<std::string> events_of(std::int64_t id) {
    std::vector<std::string> events;
    for (const auto& r :
         query("SELECT status FROM message_events WHERE message_id = $1 ORDER BY id", id))
      events.push_back(r[0].as<std::string>());
    return events;
  }
};

bytes bytes_of(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return {b.data(), b.data() + b.size()};
}

// An account that exists only in the caller's hands (not in the database).
core::account unstored_account(std::int64_t id) {
  core::account a;
  a.id = id;
  return a;
}

std::int64_t epoch_micros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// --- enqueue ---------------------------------------------------------------------------------

TEST_F(store_test, enqueue_commits_a_row_per_recipient_with_every_part_byte_for_byte) {
  const auto account = add_account("ops");
  const auto s = submission_for(account, {"+27821234567", "+27821234568"}, three_part_text());
  ASSERT_EQ(s.sms.segments.size(), 3u);

  const std::string queue_id = enqueue(s);
  EXPECT_TRUE(std::regex_match(queue_id, std::regex("[0-9A-HJKMNP-TV-Z]{16}"))) << queue_id;

  const auto rows = query(
      "SELECT id, queue_id, account_id, recipient, status, encoding, segments, sender_id, "
      "mail_from, mail_message_id FROM messages ORDER BY recipient");
  ASSERT_EQ(rows.size(), 2u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const auto id = row["id"].as<std::int64_t>();
    EXPECT_EQ(row["queue_id"].as<std::string>(), queue_id);
    EXPECT_EQ(row["account_id"].as<std::int64_t>(), account.id);
    EXPECT_EQ(row["recipient"].as<std::string>(), s.recipients[i]);
    EXPECT_EQ(row["status"].as<std::string>(), "queued");
    EXPECT_EQ(row["encoding"].as<std::string>(), "gsm7");
    EXPECT_EQ(row["segments"].as<int>(), 3);
    EXPECT_EQ(row["sender_id"].as<std::string>(), "ALERTS");
    EXPECT_EQ(row["mail_from"].as<std::string>(), s.mail_from);
    EXPECT_EQ(row["mail_message_id"].as<std::string>(), s.message_id);

    // The parts in the message's row (0014), in order; a part's own row comes with its outcome.
    const auto packed = bytes_of(query("SELECT parts FROM messages WHERE id = $1", id)[0][0]);
    ASSERT_FALSE(packed.empty());
    EXPECT_EQ(packed[0], 0xFF) << "not the by-text form";
    const auto parts = sql::unpack_parts(packed, s.text, s.sms.coding);
    ASSERT_TRUE(parts.has_value());
    ASSERT_EQ(parts->size(), 3u);
    for (std::size_t p = 0; p < parts->size(); ++p) {
      EXPECT_EQ((*parts)[p].udh, s.sms.segments[p].udh) << "part " << p + 1;
      EXPECT_EQ((*parts)[p].payload, s.sms.segments[p].payload) << "part " << p + 1;
    }
    EXPECT_EQ(query("SELECT count(*) FROM message_parts WHERE message_id = $1", id)[0][0].as<int>(),
              0);
    EXPECT_TRUE(events_of(id).empty());  // created_at says when it was queued (0021)
  }
}

// The intake encodes without payloads (the store keeps the text and each part's piece of it):
// the parts claimed carry the payloads a full encode makes, UCS-2 and GSM with escapes alike. A
// message without payloads that could only be stored whole is refused, not stored empty.
TEST_F(store_test, a_message_encoded_without_payloads_is_sent_with_them) {
  const auto account = add_account("lean");
  for (const std::string& text : {three_part_text(), std::string(200, '[') + " euro \xE2\x82\xAC",
                                  "Gr\xC3\xBC\xC3\x9F" + std::string(100, 'x') + "\xD0\x96"}) {
    auto s = submission_for(account, {"+27821234567"}, text);
    const auto full = s.sms;
    s.sms = sms::encode(text, {.reference = 0x42, .payloads = false});
    ASSERT_FALSE(s.sms.has_payloads);
    ASSERT_FALSE(enqueue(s).empty());
    const auto claimed = claim(10);
    ASSERT_EQ(claimed.size(), 1u);
    ASSERT_EQ(claimed[0].segments.size(), full.segments.size());
    for (std::size_t p = 0; p < full.segments.size(); ++p) {
      EXPECT_EQ(claimed[0].segments[p].udh, full.segments[p].udh) << "part " << p + 1;
      EXPECT_EQ(claimed[0].segments[p].payload, full.segments[p].payload) << "part " << p + 1;
    }
  }
  auto odd = submission_for(account, {"+27821234567"}, "what the parts say");
  odd.sms = sms::encode("something else", {.payloads = false});
  const auto refused = store_->enqueue(odd);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, core::failure_kind::permanent);  // this mail alone, for good
  EXPECT_EQ(
      query("SELECT count(*) FROM messages WHERE body = 'what the parts say'")[0][0].as<int>(), 0);
}

// The intake's statements are planned once per connection and never again: planning the
// account lock for every transaction (PostgreSQL's custom plans for a one-element array) cost
// about 60 us a transaction, a few percent of PostgreSQL's CPU per mail when a connection per
// mail keeps batches small.
TEST_F(store_test, the_intakes_statements_keep_one_plan_per_connection) {
  const auto account = add_account("planned");
  for (int i = 0; i < 8; ++i)  // past the five custom plans PostgreSQL would otherwise try
    ASSERT_FALSE(enqueue(submission_for(account, {"+27821234567"}, "disk full")).empty());
  // store::enqueue runs on this thread's pipelined connection: ask that connection.
  auto& c = sql::thread_pipeline(db_);
  c.send("BEGIN");
  c.send(nullptr,
         "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
         "WHERE name LIKE 'm2s_%' ORDER BY name",
         {});
  c.commit();
  c.take();
  const auto plans = c.take();
  c.finish_commit();
  std::set<std::string> seen;
  for (int i = 0; i < plans.size(); ++i) {
    const std::string name(plans.text(i, 0));
    seen.insert(name);
    EXPECT_EQ(plans.integer(i, 2), 0) << name << " was planned for its parameters";
    EXPECT_GE(plans.integer(i, 1), 1) << name;
  }
  EXPECT_TRUE(seen.contains("m2s_lock_accounts"));
  EXPECT_TRUE(seen.contains("m2s_history"));
  EXPECT_TRUE(seen.contains("m2s_write_batch"));
}

TEST_F(store_test, enqueue_gives_each_mail_its_own_queue_id) {
  const auto account = add_account("ops");
  const auto first = enqueue(submission_for(account, {"+27821234567"}, "one"));
  const auto second = enqueue(submission_for(account, {"+27821234567"}, "two"));
  EXPECT_NE(first, second);
  EXPECT_EQ(query("SELECT count(DISTINCT queue_id) FROM messages")[0][0].as<int>(), 2);
}

TEST_F(store_test, enqueue_that_fails_commits_nothing_not_even_the_credit) {
  const auto account = add_account("ops");
  auto s = submission_for(account, {"+27821234567", "+27821234568"}, "x");
  s.sms.segments.clear();  // a message of no segments: the CHECK on messages.segments refuses it
  s.costs = {1, 1};
  auto queued = store_->enqueue(s);
  ASSERT_FALSE(queued.has_value());
  EXPECT_EQ(queued.error().kind, core::failure_kind::permanent);
  EXPECT_EQ(query("SELECT count(*) FROM messages")[0][0].as<int>(), 0);
  EXPECT_EQ(query("SELECT count(*) FROM message_parts")[0][0].as<int>(), 0);
  EXPECT_EQ(query("SELECT credit FROM accounts")[0][0].as<int>(), 1000000);
  EXPECT_EQ(query("SELECT count(*) FROM credit_ledger WHERE delta < 0")[0][0].as<int>(), 0);
}

TEST_F(store_test, enqueue_for_no_active_account_is_refused_for_good) {
  auto s = submission_for(unstored_account(999999), {"+27821234567"}, "x");
  auto queued = store_->enqueue(s);
  ASSERT_TRUE(queued.has_value()) << queued.error().message;
  ASSERT_TRUE(queued->refused);
  EXPECT_TRUE(queued->refused->permanent);
  EXPECT_EQ(queued->refused->enhanced_code, "5.7.1");
  EXPECT_EQ(query("SELECT count(*) FROM messages")[0][0].as<int>(), 0);
}

// --- claim -----------------------------------------------------------------------------------

TEST_F(store_test, claim_returns_due_messages_with_parts_in_order_and_marks_them_sending) {
  const auto account = add_account("ops");
  const auto gsm = submission_for(account, {"+27821234567"}, three_part_text());
  const std::string greek = "Καλημέρα — ο δίσκος στο db1 είναι 97% γεμάτος, παρακαλώ δείτε το. ";
  const auto ucs2 = submission_for(account, {"+4915112345678"}, greek + greek, 0x1234);
  ASSERT_EQ(ucs2.sms.coding, sms::encoding::ucs2);
  ASSERT_EQ(ucs2.sms.segments.size(), 2u);
  const auto gsm_queue_id = enqueue(gsm);
  const auto ucs2_queue_id = enqueue(ucs2);

  const auto claimed = claim(10);
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& m : claimed) {
    const bool is_gsm = m.recipient == "+27821234567";
    const auto& expected = is_gsm ? gsm : ucs2;
    EXPECT_EQ(m.queue_id, is_gsm ? gsm_queue_id : ucs2_queue_id);
    EXPECT_EQ(m.sender_id, "ALERTS");
    EXPECT_EQ(m.attempts, 0);
    EXPECT_EQ(m.coding, expected.sms.coding);
    ASSERT_EQ(m.segments.size(), expected.sms.segments.size()) << m.recipient;
    for (std::size_t p = 0; p < m.segments.size(); ++p) {
      EXPECT_EQ(m.segments[p].udh, expected.sms.segments[p].udh)
          << m.recipient << " part " << p + 1;
      EXPECT_EQ(m.segments[p].payload, expected.sms.segments[p].payload)
          << m.recipient << " part " << p + 1;
    }
    EXPECT_EQ(message_status(m.id), "sending");
    EXPECT_EQ(events_of(m.id), (std::vector<std::string>{"sending"}));
  }
  EXPECT_TRUE(claim(10).empty()) << "a claimed message was handed out twice";
}

// The by-text form counts its pieces in UTF-8 octets of the text: the claim reads the text as
// such whatever the client encoding (PGCLIENTENCODING here; LATIN1 has no euro sign and no
// Greek, and gives é as one octet).
TEST_F(store_test, claim_makes_the_parts_again_from_the_text_in_any_client_encoding) {
  const auto account = add_account("latin");
  std::string gsm_text =
      "caf\xC3\xA9 \xE2\x82\xAC"
      "5 ";
  while (gsm_text.size() < 300) gsm_text += "Disk @ 97% on db1; ";
  const auto gsm = submission_for(account, {"+27821234567"}, gsm_text);
  const std::string greek = "Καλημέρα — ο δίσκος στο db1 είναι 97% γεμάτος, παρακαλώ δείτε το. ";
  const auto ucs2 = submission_for(account, {"+4915112345678"}, greek + greek, 0x77);
  ASSERT_EQ(gsm.sms.coding, sms::encoding::gsm7);
  ASSERT_EQ(ucs2.sms.coding, sms::encoding::ucs2);
  enqueue(gsm);
  enqueue(ucs2);
  sql::drop_thread_connection();  // the claim's connection opens with the variable set
  setenv("PGCLIENTENCODING", "LATIN1", 1);
  const auto claimed = claim(10);
  unsetenv("PGCLIENTENCODING");
  sql::drop_thread_connection();
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& m : claimed) {
    const auto& expected = m.recipient == "+27821234567" ? gsm : ucs2;
    ASSERT_EQ(m.segments.size(), expected.sms.segments.size()) << m.recipient;
    for (std::size_t p = 0; p < m.segments.size(); ++p) {
      EXPECT_EQ(m.segments[p].udh, expected.sms.segments[p].udh) << m.recipient << " part " << p;
      EXPECT_EQ(m.segments[p].payload, expected.sms.segments[p].payload)
          << m.recipient << " part " << p;
    }
  }
}

TEST_F(store_test, claim_skips_messages_not_yet_due) {
  const auto account = add_account("ops");
  enqueue(submission_for(account, {"+27821234567", "+27821234568"}, "retry later"));
  // When a queued message is due is its dispatch_queue row's (see 0010).
  execute(
      "UPDATE dispatch_queue q SET due_at = now() + interval '1 hour' FROM messages m "
      "WHERE m.id = q.message_id AND m.recipient = '+27821234568'");

  const auto claimed = claim(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].recipient, "+27821234567");
  EXPECT_EQ(
      query("SELECT status FROM messages WHERE recipient = '+27821234568'")[0][0].as<std::string>(),
      "queued");
  EXPECT_TRUE(claim(10).empty());
}

TEST_F(store_test, claim_honours_its_limit) {
  const auto account = add_account("ops");
  enqueue(submission_for(
      account, {"+27821000001", "+27821000002", "+27821000003", "+27821000004", "+27821000005"},
      "five"));
  std::set<std::int64_t> seen;
  for (const std::size_t expected : {2u, 2u, 1u, 0u}) {
    const auto claimed = claim(2);
    ASSERT_EQ(claimed.size(), expected);
    for (const auto& m : claimed)
      EXPECT_TRUE(seen.insert(m.id).second) << "claimed twice: " << m.id;
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(query("SELECT count(*) FROM messages WHERE status = 'sending'")[0][0].as<int>(), 5);
}

TEST_F(store_test, concurrent_claims_never_share_a_message_and_miss_none) {
  const auto account = add_account("ops");
  std::vector<std::string> recipients;
  for (int i = 0; i < 200; ++i) recipients.push_back("+2782" + std::to_string(1000000 + i));
  enqueue(submission_for(account, recipients, "page"));

  // Each thread gets its own connection from the store; the latch starts them together.
  std::latch start(2);
  auto drain = [&](std::vector<std::int64_t>& ids, std::string& error) {
    start.arrive_and_wait();
    for (;;) {
      auto claimed = store_->claim(3);
      if (!claimed) {
        error = claimed.error().message;
        return;
      }
      if (claimed->empty()) return;
      for (const auto& m : *claimed) ids.push_back(m.id);
    }
  };
  std::vector<std::int64_t> a, b;
  std::string error_a, error_b;
  std::thread ta(drain, std::ref(a), std::ref(error_a));
  std::thread tb(drain, std::ref(b), std::ref(error_b));
  ta.join();
  tb.join();
  ASSERT_EQ(error_a, "");
  ASSERT_EQ(error_b, "");

  std::set<std::int64_t> all(a.begin(), a.end());
  EXPECT_EQ(all.size(), a.size()) << "one thread got a message twice";
  for (const auto id : b) EXPECT_TRUE(all.insert(id).second) << "both threads claimed " << id;
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(query("SELECT count(*) FROM messages WHERE status = 'sending'")[0][0].as<int>(), 200);
  EXPECT_EQ(query("SELECT count(*) FROM message_events WHERE status = 'sending'")[0][0].as<int>(),
            200);
}

// --- record ----------------------------------------------------------------------------------

TEST_F(store_test, record_submitted_keeps_the_smsc_ids_in_part_order) {
  const auto account = add_account("ops");
  enqueue(submission_for(account, {"+27821234567"}, three_part_text()));
  const auto claimed = claim(1);
  ASSERT_EQ(claimed.size(), 1u);
  const auto id = claimed[0].id;

  record(id, "smsc1", {status::submitted, {"smsc-a", "smsc-b", "smsc-c"}, ""});

  const auto parts =
      query("SELECT smsc_message_id FROM message_parts WHERE message_id = $1 ORDER BY part_no", id);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0][0].as<std::string>(), "smsc-a");
  EXPECT_EQ(parts[1][0].as<std::string>(), "smsc-b");
  EXPECT_EQ(parts[2][0].as<std::string>(), "smsc-c");
  const auto row =
      query("SELECT status, connector, attempts, last_error FROM messages WHERE id = $1", id)[0];
  EXPECT_EQ(row["status"].as<std::string>(), "submitted");
  EXPECT_EQ(row["connector"].as<std::string>(), "smsc1");
  EXPECT_EQ(row["attempts"].as<int>(), 1);
  EXPECT_TRUE(row["last_error"].is_null());
  EXPECT_EQ(events_of(id), (std::vector<std::string>{"sending", "submitted"}));
  EXPECT_TRUE(claim(10).empty());
}

TEST_F(store_test, record_transient_requeues_for_the_retry_time) {
  const auto account = add_account("ops");
  enqueue(submission_for(account, {"+27821234567"}, "retry me"));
  const auto claimed = claim(1);
  ASSERT_EQ(claimed.size(), 1u);
  const auto id = claimed[0].id;
  // A sub-second part, so a store that keeps only whole seconds would make it due early.
  const auto retry_at =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + 1h) + 250123us;

  record(id, "smsc1", {status::transient_failure, {}, "throttled (ESME_RTHROTTLED)"}, retry_at);

  const auto row = query(
      "SELECT status, attempts, connector, last_error, "
      "(extract(epoch FROM next_attempt_at) * 1000000)::bigint AS next_us "
      "FROM messages WHERE id = $1",
      id)[0];
  EXPECT_EQ(row["status"].as<std::string>(), "queued");
  EXPECT_EQ(row["attempts"].as<int>(), 1);
  EXPECT_EQ(row["connector"].as<std::string>(), "smsc1");
  EXPECT_EQ(row["last_error"].as<std::string>(), "throttled (ESME_RTHROTTLED)");
  EXPECT_EQ(row["next_us"].as<std::int64_t>(), epoch_micros(retry_at));
  const auto event = query(
      "SELECT status, detail FROM message_events WHERE message_id = $1 ORDER BY id DESC LIMIT 1",
      id)[0];
  EXPECT_EQ(event["status"].as<std::string>(), "queued");
  EXPECT_EQ(event["detail"].as<std::string>(), "throttled (ESME_RTHROTTLED)");
  EXPECT_TRUE(claim(10).empty()) << "claimed before its retry time";
}

TEST_F(store_test, record_transient_with_a_past_retry_time_is_claimed_again_with_its_attempts) {
  const auto account = add_account("ops");
  enqueue(submission_for(account, {"+27821234567"}, "retry me"));
  const auto first = claim(1);
  ASSERT_EQ(first.size(), 1u);

  record(first[0].id, "smsc1", {status::transient_failure, {}, "timeout"},
         std::chrono::system_clock::now() - 1s);

  const auto again = claim(10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, first[0].id);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(again[0].segments.size(), 1u);
}

TEST_F(store_test, record_permanent_fails_the_message_with_the_reason) {
  const auto account = add_account("ops");
  enqueue(submission_for(account, {"+27821234567", "+27821234568"}, "no such number"));
  const auto claimed = claim(2);
  ASSERT_EQ(claimed.size(), 2u);

  record(claimed[0].id, "smsc1",
         {status::permanent_failure, {}, "invalid destination (ESME_RINVDSTADR)"});
  // A transient failure without a retry time means the dispatcher gave up: failed too.
  record(claimed[1].id, "smsc1",
         {status::transient_failure, {}, "gave up after 5 attempts: timeout"}, std::nullopt);

  for (const auto& [m, reason] : {std::pair{claimed[0], "invalid destination (ESME_RINVDSTADR)"},
                                  std::pair{claimed[1], "gave up after 5 attempts: timeout"}}) {
    const auto row =
        query("SELECT status, last_error, attempts FROM messages WHERE id = $1", m.id)[0];
    EXPECT_EQ(row["status"].as<std::string>(), "failed");
    EXPECT_EQ(row["last_error"].as<std::string>(), reason);
    EXPECT_EQ(row["attempts"].as<int>(), 1);
    EXPECT_EQ(events_of(m.id), (std::vector<std::string>{"sending", "failed"}));
  }
  EXPECT_TRUE(claim(10).empty());
}

// --- authenticate ----------------------------------------------------------------------------

TEST_F(store_test, authenticate_admits_only_an_active_account_with_its_password) {
  auto added = store_->add_account("pbx", "ZA", known_hash());
  ASSERT_TRUE(added.has_value()) << added.error().message;
  execute("UPDATE accounts SET sender_id = 'PBX', max_parts = 4 WHERE name = 'pbx'");

  auto right = store_->authenticate("pbx", "correct horse");
  ASSERT_TRUE(right.has_value()) << right.error().message;
  ASSERT_TRUE(right->has_value());
  EXPECT_EQ((*right)->id, added->id);
  EXPECT_EQ((*right)->name, "pbx");
  EXPECT_EQ((*right)->country, "ZA");
  EXPECT_EQ((*right)->sender_id, "PBX");
  EXPECT_EQ((*right)->max_parts, 4);

  auto wrong = store_->authenticate("pbx", "correct horse ");
  ASSERT_TRUE(wrong.has_value()) << wrong.error().message;
  EXPECT_FALSE(wrong->has_value());

  auto unknown = store_->authenticate("nobody", "correct horse");
  ASSERT_TRUE(unknown.has_value()) << unknown.error().message;
  EXPECT_FALSE(unknown->has_value());

  execute("UPDATE accounts SET status = 'suspended' WHERE name = 'pbx'");
  auto suspended = store_->authenticate("pbx", "correct horse");
  ASSERT_TRUE(suspended.has_value()) << suspended.error().message;
  EXPECT_FALSE(suspended->has_value());
}

// --- client networks -------------------------------------------------------------------------

TEST_F(store_test, by_network_finds_the_most_specific_active_account) {
  const auto wide = add_account("campus");
  const auto narrow = add_account("pbx");
  ASSERT_EQ(store_->add_network("campus", "192.0.2.0/24").value(), true);
  ASSERT_EQ(store_->add_network("pbx", "192.0.2.10/32").value(), true);
  ASSERT_EQ(store_->add_network("pbx", "192.0.2.10/32").value(), false);  // already there
  ASSERT_EQ(store_->add_network("pbx", "2001:db8::/32").value(), true);

  EXPECT_EQ(store_->by_network("192.0.2.10").value()->id, narrow.id);
  EXPECT_EQ(store_->by_network("192.0.2.11").value()->id, wide.id);
  EXPECT_EQ(store_->by_network("2001:db8::5").value()->id, narrow.id);
  EXPECT_FALSE(store_->by_network("198.51.100.1").value().has_value());
  ASSERT_EQ(store_->add_network("campus", "fe80::/10").value(), true);
  EXPECT_EQ(store_->by_network("fe80::1%eth0").value()->id, wide.id);  // a link-local client

  execute("UPDATE accounts SET status = 'suspended' WHERE name = 'pbx'");
  EXPECT_EQ(store_->by_network("192.0.2.10").value()->id, wide.id);

  EXPECT_EQ(store_->networks("pbx").value(),
            (std::vector<std::string>{"192.0.2.10/32", "2001:db8::/32"}));
  EXPECT_EQ(store_->remove_network("pbx", "192.0.2.10/32").value(), true);
  EXPECT_EQ(store_->remove_network("pbx", "192.0.2.10/32").value(), false);
}

// What is not an address or a network written in full is refused before the database sees it (its
// log would quote the value in its syntax error: an operator may have typed a name or a number).
TEST_F(store_test, a_malformed_network_is_refused_as_permanent) {
  add_account("pbx");
  for (const char* bad : {"SECRET+27821239899", "27821239899", "10.0.0.300/8", "192.0.2.1/24",
                          "10/8", "192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "2001:db8::/129",
                          "2001:db8::1/32", "", "/24", "192.0.2.0/24 ", "192.0.2.0/0024"}) {
    const auto added = store_->add_network("pbx", bad);
    ASSERT_FALSE(added.has_value()) << bad;
    EXPECT_EQ(added.error().kind, core::failure_kind::permanent) << bad;
    EXPECT_EQ(added.error().message.find(bad[0] ? bad : "\x01"), std::string::npos) << bad;
    const auto removed = store_->remove_network("pbx", bad);
    ASSERT_FALSE(removed.has_value()) << bad;
    EXPECT_EQ(removed.error().kind, core::failure_kind::permanent) << bad;
  }
  for (const char* good : {"192.0.2.10", "192.0.2.0/24", "0.0.0.0/0", "2001:db8::/32", "::1"})
    EXPECT_EQ(store_->add_network("pbx", good).value(), true) << good;
  EXPECT_EQ(store_->networks("pbx").value(),
            (std::vector<std::string>{"0.0.0.0/0", "192.0.2.0/24", "192.0.2.10/32", "::1/128",
                                      "2001:db8::/32"}));
}

// PostgreSQL restarted, or ended the thread's idle session: the next look-up still answers (on
// a new connection), so a legacy client is not deferred for the first mail after a restart.
TEST_F(store_test, look_ups_and_writes_work_after_the_database_ended_the_session) {
  const auto pbx = add_account("pbx");
  ASSERT_EQ(store_->add_network("pbx", "192.0.2.0/24").value(), true);
  ASSERT_EQ(store_->by_network("192.0.2.10").value()->id, pbx.id);  // the thread's connection
  const auto end_other_sessions = [this] {
    query(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'");
  };
  end_other_sessions();
  auto found = store_->by_network("192.0.2.10");
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found.value()->id, pbx.id);
  end_other_sessions();
  auto profile = store_->account_profile("pbx");
  ASSERT_TRUE(profile.has_value()) << profile.error().message;
  EXPECT_EQ(profile.value()->id, pbx.id);
  // A write too: nothing was sent on the ended session, so it runs on a new one (the receipts
  // the SMSC sent while the database restarted were refused before: session 33's probe).
  end_other_sessions();
  auto added = store_->add_network("pbx", "198.51.100.0/24");
  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_TRUE(added.value());
}

TEST_F(store_test, a_malformed_network_is_a_permanent_error) {
  add_account("pbx");
  auto bad = store_->add_network("pbx", "192.0.2.300/24");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, core::failure_kind::permanent);
  auto host_bits = store_->add_network("pbx", "192.0.2.10/24");  // cidr refuses host bits
  ASSERT_FALSE(host_bits.has_value());
  EXPECT_EQ(host_bits.error().kind, core::failure_kind::permanent);
}

// --- wait_for_work ---------------------------------------------------------------------------

TEST_F(store_test, wait_for_work_wakes_when_another_thread_enqueues) {
  const auto account = add_account("ops");
  // The first call opens the LISTEN connection; from then on a NOTIFY is never missed, even one
  // that arrives before the next wait starts.
  store_->wait_for_work(1ms);

  std::string queue_id;
  std::thread producer(
      [&] { queue_id = enqueue(submission_for(account, {"+27821234567"}, "wake up")); });
  const auto started = std::chrono::steady_clock::now();
  store_->wait_for_work(20s);
  const auto waited = std::chrono::steady_clock::now() - started;
  producer.join();

  EXPECT_FALSE(queue_id.empty());
  EXPECT_LT(waited, 10s) << "wait_for_work slept through the enqueue's NOTIFY";
  EXPECT_EQ(claim(10).size(), 1u);
}

TEST_F(store_test, wait_for_work_without_work_waits_its_timeout) {
  store_->wait_for_work(1ms);
  const auto started = std::chrono::steady_clock::now();
  store_->wait_for_work(300ms);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

// --- a database that is down -----------------------------------------------------------------

TEST_F(store_test, a_dead_server_is_a_transient_store_error_not_an_exception) {
  sql::store dead("host=/nonexistent-dir dbname=mail2sms connect_timeout=5");
  const auto s = submission_for(unstored_account(1), {"+27821234567"}, "hello");

  auto queued = dead.enqueue(s);
  ASSERT_FALSE(queued.has_value());
  EXPECT_EQ(queued.error().kind, core::failure_kind::transient);
  EXPECT_FALSE(queued.error().message.empty());

  auto claimed = dead.claim(10);
  ASSERT_FALSE(claimed.has_value());
  EXPECT_EQ(claimed.error().kind, core::failure_kind::transient);

  auto recorded = dead.record(1, "smsc1", {status::submitted, {"x"}, ""}, std::nullopt);
  ASSERT_FALSE(recorded.has_value());
  EXPECT_EQ(recorded.error().kind, core::failure_kind::transient);

  auto authenticated = dead.authenticate("ops", "correct horse");
  ASSERT_FALSE(authenticated.has_value());
  EXPECT_EQ(authenticated.error().kind, core::failure_kind::transient);

  // The store still works for a healthy database on the same thread afterwards.
  const auto account = add_account("ops");
  EXPECT_FALSE(enqueue(submission_for(account, {"+27821234567"}, "hello")).empty());
}

TEST_F(store_test, wait_for_work_on_a_dead_server_still_waits_instead_of_spinning) {
  // The dispatcher calls wait_for_work after a failed claim; returning at once would make it
  // retry (and log) in a tight loop for as long as the database is down.
  sql::store dead("host=/nonexistent-dir dbname=mail2sms connect_timeout=5");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(dead.wait_for_work(300ms));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

// --- administration --------------------------------------------------------------------------

TEST_F(store_test, add_account_refuses_a_duplicate_name_and_find_account_returns_what_was_stored) {
  const auto added = add_account("helpdesk", "DE");
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.name, "helpdesk");
  EXPECT_EQ(added.country, "DE");
  EXPECT_EQ(added.max_parts, 10);

  auto duplicate = store_->add_account("helpdesk", "ZA", known_hash());
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().kind, core::failure_kind::permanent);
  EXPECT_EQ(query("SELECT count(*) FROM accounts")[0][0].as<int>(), 1);
  EXPECT_EQ(query("SELECT count(*) FROM credentials")[0][0].as<int>(), 1);

  auto bad_country = store_->add_account("other", "za", known_hash());
  ASSERT_FALSE(bad_country.has_value());
  EXPECT_EQ(bad_country.error().kind, core::failure_kind::permanent);

  auto found = store_->find_account("helpdesk");
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  const auto& row = **found;
  EXPECT_EQ(row.account.id, added.id);
  EXPECT_EQ(row.account.name, "helpdesk");
  EXPECT_EQ(row.account.country, "DE");
  EXPECT_EQ(row.account.sender_id, "");
  EXPECT_EQ(row.account.max_parts, 10);
  EXPECT_EQ(row.status, "active");
  EXPECT_EQ(row.credit, 1000000);  // the fixture gives every account credit
  EXPECT_TRUE(std::regex_match(row.created_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << row.created_at;

  auto missing = store_->find_account("nobody");
  ASSERT_TRUE(missing.has_value()) << missing.error().message;
  EXPECT_FALSE(missing->has_value());

  EXPECT_EQ(query("SELECT action, subject FROM audit_log")[0]["subject"].as<std::string>(),
            "helpdesk");
}

TEST_F(store_test, list_messages_returns_what_was_stored_filtered_by_account_and_status) {
  const auto ops = add_account("ops");
  const auto pbx = add_account("pbx");
  const auto ops_queue_id =
      enqueue(submission_for(ops, {"+27821000001", "+27821000002"}, three_part_text()));
  enqueue(submission_for(pbx, {"+27821000003"}, "Ünïcödé ✓"));
  // Fail one of ops's messages, so the two accounts' messages differ in status.
  const auto claimed = claim(1);
  ASSERT_EQ(claimed.size(), 1u);
  record(claimed[0].id, "smsc1", {status::permanent_failure, {}, "invalid destination"});

  auto all = store_->list_messages(std::nullopt, std::nullopt, 100);
  ASSERT_TRUE(all.has_value()) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_GT((*all)[0].id, (*all)[2].id) << "newest first";

  auto of_ops = store_->list_messages(std::string("ops"), std::nullopt, 100);
  ASSERT_TRUE(of_ops.has_value()) << of_ops.error().message;
  ASSERT_EQ(of_ops->size(), 2u);
  for (const auto& m : *of_ops) {
    EXPECT_EQ(m.account, "ops");
    EXPECT_EQ(m.queue_id, ops_queue_id);
    EXPECT_EQ(m.encoding, "gsm7");
    EXPECT_EQ(m.segments, 3);
  }

  auto failed = store_->list_messages(std::string("ops"), std::string("failed"), 100);
  ASSERT_TRUE(failed.has_value()) << failed.error().message;
  ASSERT_EQ(failed->size(), 1u);
  const auto& f = (*failed)[0];
  EXPECT_EQ(f.id, claimed[0].id);
  EXPECT_EQ(f.recipient, claimed[0].recipient);
  EXPECT_EQ(f.status, "failed");
  EXPECT_EQ(f.attempts, 1);
  EXPECT_EQ(f.connector, "smsc1");
  EXPECT_EQ(f.last_error, "invalid destination");
  EXPECT_TRUE(std::regex_match(f.created_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << f.created_at;

  auto queued_pbx = store_->list_messages(std::string("pbx"), std::string("queued"), 100);
  ASSERT_TRUE(queued_pbx.has_value()) << queued_pbx.error().message;
  ASSERT_EQ(queued_pbx->size(), 1u);
  EXPECT_EQ((*queued_pbx)[0].recipient, "+27821000003");
  EXPECT_EQ((*queued_pbx)[0].encoding, "ucs2");
  EXPECT_EQ((*queued_pbx)[0].connector, "");
  EXPECT_EQ((*queued_pbx)[0].last_error, "");

  auto none = store_->list_messages(std::string("pbx"), std::string("failed"), 100);
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_TRUE(none->empty());

  auto limited = store_->list_messages(std::nullopt, std::nullopt, 2);
  ASSERT_TRUE(limited.has_value()) << limited.error().message;
  EXPECT_EQ(limited->size(), 2u);
}

}  // namespace
}  // namespace mail2sms::testing
