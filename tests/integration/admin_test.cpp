// sql::admin against a real PostgreSQL, part one: settings, disclaimers, app passwords, sender
// patterns, client certificates, credit and the audit trail each change leaves.
#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "admin_fixture.hpp"

namespace mail2sms::testing {
namespace {

using kind = sql::admin_error::kind;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- settings --------------------------------------------------------------------------------

TEST_F(admin_test, every_setting_is_stored_in_its_column) {
  add_account("acme");
  const std::vector<std::pair<std::string, std::string>> changes{
      {"sender-id", "ALERTS"},
      {"country", "na"},
      {"max-parts", "5"},
      {"subject", "subject-and-body"},
      {"timezone", "Africa/Windhoek"},
      {"status", "suspended"},
      {"credit-policy", "fail"},
      {"too-long", "truncate"},
      {"countries", "za, na ,BW,za"},
      {"number-types", "mobile,Fixed-Line"},
      {"messages-per-minute", "60"},
      {"segments-per-day", "1000"},
      {"per-number-per-hour", "3"},
      {"dedup-window", "10m"},
      {"clean", "false"},
      {"smart-gsm", "false"},
      {"transliterate", "true"},
      {"end-marker", "##"}};
  for (const auto& [key, value] : changes) {
    auto set = admin().set("acme", key, value);
    ASSERT_TRUE(set.has_value()) << key << ": " << set.error().message;
  }
  auto a = admin().account("acme");
  ASSERT_OK(a);
  EXPECT_EQ(a->sender_id, "ALERTS");
  EXPECT_EQ(a->country, "NA");
  EXPECT_EQ(a->max_parts, 5);
  EXPECT_EQ(a->subject, "subject-and-body");
  EXPECT_EQ(a->timezone, "Africa/Windhoek");
  EXPECT_EQ(a->status, "suspended");
  EXPECT_EQ(a->credit_policy, "fail");
  EXPECT_EQ(a->too_long, "truncate");
  EXPECT_EQ(a->countries, (std::vector<std::string>{"ZA", "NA", "BW"}));
  EXPECT_EQ(a->number_types, (std::vector<std::string>{"mobile", "fixed-line"}));
  EXPECT_EQ(a->messages_per_minute, 60);
  EXPECT_EQ(a->segments_per_day, 1000);
  EXPECT_EQ(a->per_number_per_hour, 3);
  EXPECT_EQ(a->dedup_seconds, 600);
  EXPECT_FALSE(a->clean);
  EXPECT_FALSE(a->smart_gsm);
  EXPECT_TRUE(a->transliterate);
  EXPECT_EQ(a->end_marker, "##");
  // What the serving path reads: the columns themselves.
  EXPECT_EQ(query("SELECT countries::text FROM accounts")[0][0].as<std::string>(), "{ZA,NA,BW}");
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'account.set' AND account_id = 1 "
                  "AND actor = 'cli' AND subject = 'acme'"),
            static_cast<int>(changes.size()));
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail = 'max-parts=5'"), 1);
}

// National language and reference width: stored in their columns (whose CHECKs hold even
// against SQL that bypasses admin), read by the serving path, and in the export.
TEST_F(admin_test, encoding_settings_round_trip_to_the_serving_path_and_the_export) {
  add_account("acme");
  auto a = admin().account("acme");
  ASSERT_OK(a);
  EXPECT_EQ(a->national_language, "none");
  EXPECT_EQ(a->concatenation_reference, 8);
  auto profile = store_->account_profile("acme");
  ASSERT_TRUE(profile.has_value() && profile->has_value());
  EXPECT_EQ((*profile)->national, sms::national_language::none);
  EXPECT_FALSE((*profile)->reference_16bit);

  auto set = admin().set("acme", "national-language", "Turkish");
  ASSERT_OK(set);
  EXPECT_EQ(*set, "turkish");
  ASSERT_OK(admin().set("acme", "concatenation-reference", "16"));
  a = admin().account("acme");
  ASSERT_OK(a);
  EXPECT_EQ(a->national_language, "turkish");
  EXPECT_EQ(a->concatenation_reference, 16);
  profile = store_->account_profile("acme");
  ASSERT_TRUE(profile.has_value() && profile->has_value());
  EXPECT_EQ((*profile)->national, sms::national_language::turkish);
  EXPECT_TRUE((*profile)->reference_16bit);
  auto authenticated = store_->authenticate("acme", "correct horse");  // what SMTP AUTH loads
  ASSERT_TRUE(authenticated.has_value() && authenticated->has_value());
  EXPECT_EQ((*authenticated)->national, sms::national_language::turkish);
  EXPECT_TRUE((*authenticated)->reference_16bit);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail IN "
                  "('national-language=turkish', 'concatenation-reference=16')"),
            2);

  auto exported = admin().export_account("acme");
  ASSERT_OK(exported);
  const auto doc = nlohmann::json::parse(*exported);
  EXPECT_EQ(doc["account"]["national_language"], "turkish");
  EXPECT_EQ(doc["account"]["concatenation_reference"], 16);

  ASSERT_OK(admin().set("acme", "national-language", "portuguese"));
  ASSERT_OK(admin().set("acme", "concatenation-reference", "8"));
  profile = store_->account_profile("acme");
  ASSERT_TRUE(profile.has_value() && profile->has_value());
  EXPECT_EQ((*profile)->national, sms::national_language::portuguese);
  EXPECT_FALSE((*profile)->reference_16bit);

  EXPECT_THROW(execute("UPDATE accounts SET national_language = 'greek'"), pqxx::check_violation);
  EXPECT_THROW(execute("UPDATE accounts SET concatenation_reference = 7"), pqxx::check_violation);
}

TEST_F(admin_test, clearing_and_special_values) {
  add_account("acme");
  ASSERT_OK(admin().set("acme", "sender-id", "+27821234567"));
  ASSERT_OK(admin().set("acme", "sender-id", ""));
  ASSERT_OK(admin().set("acme", "countries", "*"));
  ASSERT_OK(admin().set("acme", "end-marker", "--"));
  ASSERT_OK(admin().set("acme", "end-marker", ""));
  ASSERT_OK(admin().set("acme", "dedup-window", "0"));
  auto stored = admin().set("acme", "timezone", "africa/johannesburg");
  ASSERT_OK(stored);
  EXPECT_EQ(*stored, "Africa/Johannesburg");  // PostgreSQL's spelling
  auto a = admin().account("acme");
  ASSERT_OK(a);
  EXPECT_EQ(a->sender_id, "");
  EXPECT_EQ(a->countries, std::vector<std::string>{"*"});
  EXPECT_EQ(a->end_marker, "");
  EXPECT_EQ(a->dedup_seconds, 0);
  ASSERT_OK(admin().set("acme", "countries", ""));
  EXPECT_TRUE(admin().account("acme")->countries.empty());
  // A numeric sender ID is a phone number: the audit trail masks it.
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail LIKE '%27821234567%'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail = 'sender-id=+2782*****67'"), 1);
}

TEST_F(admin_test, bad_keys_and_values_are_invalid_and_change_nothing) {
  add_account("acme");
  auto e = error_of(admin().set("acme", "max_parts", "5"), kind::invalid);
  EXPECT_TRUE(contains(e.message, "the settings are sender-id, country, max-parts")) << e.message;
  EXPECT_TRUE(contains(e.message, "did you mean 'max-parts'?")) << e.message;
  const std::vector<std::tuple<std::string, std::string, std::string>> bad{
      {"max-parts", "0", "a whole number from 1 to 255"},
      {"max-parts", "256", "a whole number from 1 to 255"},
      {"max-parts", "5x", "a whole number from 1 to 255"},
      {"sender-id", "TWELVE-CHARS", "up to 11 letters and digits"},
      {"sender-id", "+1234567890123456", "up to 15 digits"},
      {"country", "XX", "ISO 3166"},
      {"country", "ZAF", "ISO 3166"},
      {"subject", "both", "body, subject or subject-and-body"},
      {"timezone", "Mars/Olympus_Mons", "pg_timezone_names"},
      {"timezone", "UTC; DROP TABLE accounts", "pg_timezone_names"},
      {"status", "closed", "active or suspended"},
      {"credit-policy", "later", "defer or fail"},
      {"too-long", "split", "refuse or truncate"},
      {"countries", "ZA,XX", "'XX' is not a country code"},
      {"number-types", "mobile,cell", "'cell' is not a number type"},
      {"number-types", "", "a comma-separated list of mobile"},
      {"messages-per-minute", "-1", "0 for no limit"},
      {"segments-per-day", "3000000000", "0 for no limit"},
      {"dedup-window", "5w", "with s, m, h or d"},
      {"clean", "yes", "true or false"},
      {"end-marker", "a\nb", "line break"},
      {"national-language", "greek", "none, turkish, spanish or portuguese"},
      {"concatenation-reference", "32", "8 or 16"},
  };
  for (const auto& [key, value, fragment] : bad) {
    auto r = admin().set("acme", key, value);
    const auto error = error_of(r, kind::invalid);
    EXPECT_TRUE(contains(error.message, fragment)) << key << "=" << value << ": " << error.message;
  }
  auto a = admin().account("acme");
  ASSERT_OK(a);
  EXPECT_EQ(a->max_parts, 10);
  EXPECT_EQ(a->timezone, "UTC");
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'account.set'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM accounts"), 1);
}

TEST_F(admin_test, an_account_that_does_not_exist_is_not_found) {
  auto e = error_of(admin().set("nobody", "max-parts", "3"), kind::not_found);
  EXPECT_EQ(e.message, "no account named 'nobody'");
  error_of(admin().account("nobody"), kind::not_found);
  error_of(admin().senders("nobody"), kind::not_found);
  error_of(admin().change_credit("nobody", 5, ""), kind::not_found);
}

TEST_F(admin_test, show_counts_what_the_account_has) {
  add_account("acme");
  ASSERT_OK(admin().add_sender("acme", "ops@example.com"));
  ASSERT_OK(admin().add_password("acme", "laptop", known_hash()));
  ASSERT_OK(store_->add_network("acme", "192.0.2.0/24"));
  ASSERT_OK(admin().add_to_group("acme", "oncall", {"+27821234567", "+27821234568"}));
  auto n = admin().counts("acme");
  ASSERT_OK(n);
  EXPECT_EQ(n->passwords, 2);  // the first one, from account add, and laptop
  EXPECT_EQ(n->senders, 1);
  EXPECT_EQ(n->networks, 1);
  EXPECT_EQ(n->certificates, 0);
  EXPECT_EQ(n->contacts, 2);
  EXPECT_EQ(n->groups, 1);
  // The network's audit row is tied to the account too.
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'account.network.add' "
                  "AND account_id IS NOT NULL"),
            1);
}

TEST_F(admin_test, disclaimers_are_checked_added_once_and_removed) {
  add_account("acme");
  auto added = admin().add_disclaimer("acme", "this e-?mail is confidential");
  ASSERT_OK(added);
  EXPECT_TRUE(*added);
  EXPECT_FALSE(*admin().add_disclaimer("acme", "this e-?mail is confidential"));
  ASSERT_OK(admin().add_disclaimer("acme", "call 0821234567"));
  auto e = error_of(admin().add_disclaimer("acme", "(unclosed"), kind::invalid);
  EXPECT_TRUE(contains(e.message, "(unclosed")) << e.message;
  EXPECT_EQ(admin().account("acme")->disclaimers,
            (std::vector<std::string>{"this e-?mail is confidential", "call 0821234567"}));
  ASSERT_OK(admin().remove_disclaimer("acme", "this e-?mail is confidential"));
  error_of(admin().remove_disclaimer("acme", "this e-?mail is confidential"), kind::not_found);
  EXPECT_EQ(admin().account("acme")->disclaimers, std::vector<std::string>{"call 0821234567"});
  // A pattern with a number in it is masked in the audit trail.
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail LIKE '%1234567%'"), 0);
}

// --- app passwords ---------------------------------------------------------------------------

TEST_F(admin_test, app_passwords_authenticate_until_revoked_and_labels_come_back) {
  add_account("acme");
  const auto laptop = policy::hash_password("laptop password");
  ASSERT_OK(admin().add_password("acme", "laptop", laptop));
  auto who = store_->authenticate("acme", "laptop password");
  ASSERT_TRUE(who.has_value() && who->has_value());

  auto e = error_of(admin().add_password("acme", "laptop", known_hash()), kind::conflict);
  EXPECT_TRUE(contains(e.message, "revoke it first")) << e.message;

  ASSERT_OK(admin().revoke_password("acme", "laptop"));
  who = store_->authenticate("acme", "laptop password");
  ASSERT_TRUE(who.has_value());
  EXPECT_FALSE(who->has_value()) << "a revoked password still authenticates";
  error_of(admin().revoke_password("acme", "laptop"), kind::not_found);

  // The label is free again; the old row stays, revoked.
  ASSERT_OK(admin().add_password("acme", "laptop", policy::hash_password("new laptop pw")));
  auto listed = admin().passwords("acme");
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].label, "default");
  EXPECT_EQ((*listed)[1].label, "laptop");
  EXPECT_TRUE((*listed)[1].revoked_at.has_value());
  EXPECT_FALSE((*listed)[2].revoked_at.has_value());
  EXPECT_FALSE((*listed)[2].last_used_at.has_value());

  error_of(admin().add_password("acme", "bad label!", known_hash()), kind::invalid);
  // Audit rows name the label, never the hash.
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action LIKE 'account.password.%' "
                  "AND detail = 'label=laptop'"),
            3);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail LIKE '%argon2%'"), 0);
}

// --- senders ---------------------------------------------------------------------------------

TEST_F(admin_test, sender_patterns_are_lower_case_and_validated) {
  add_account("acme");
  auto added = admin().add_sender("acme", "Ops@Example.COM");
  ASSERT_OK(added);
  EXPECT_EQ(added->first, "ops@example.com");
  EXPECT_TRUE(added->second);
  EXPECT_FALSE(admin().add_sender("acme", "ops@example.com")->second);
  ASSERT_OK(admin().add_sender("acme", "*@alerts.example.org"));
  for (const char* bad : {"example.com", "@example.com", "ops@", "a@b@c", "o*s@example.com",
                          "*@*.example.com", "ops@exa mple.com", "ops@-x.com", "ops@x..com"}) {
    auto e = error_of(admin().add_sender("acme", bad), kind::invalid);
    EXPECT_TRUE(contains(e.message, "write one address (user@domain")) << bad << ": " << e.message;
  }
  EXPECT_EQ(*admin().senders("acme"),
            (std::vector<std::string>{"*@alerts.example.org", "ops@example.com"}));
  ASSERT_OK(admin().remove_sender("acme", "OPS@example.com"));
  error_of(admin().remove_sender("acme", "ops@example.com"), kind::not_found);
  EXPECT_EQ(*admin().senders("acme"), std::vector<std::string>{"*@alerts.example.org"});
}

// --- certificates ----------------------------------------------------------------------------

TEST_F(admin_test, certificates_by_fingerprint_belong_to_one_account) {
  add_account("acme");
  add_account("other");
  const std::string hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::string colons;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    colons += (i > 0 ? ":" : "") + std::string{static_cast<char>(std::toupper(hex[i])),
                                               static_cast<char>(std::toupper(hex[i + 1]))};
  auto added = admin().add_certificate("acme", "SHA256 Fingerprint=" + colons, "CN=pbx");
  ASSERT_OK(added);
  EXPECT_EQ(added->first, hex);
  EXPECT_TRUE(added->second);
  EXPECT_FALSE(admin().add_certificate("acme", hex, "")->second);

  auto e = error_of(admin().add_certificate("other", hex, ""), kind::conflict);
  EXPECT_TRUE(contains(e.message, "registered to account 'acme'")) << e.message;
  error_of(admin().add_certificate("acme", "abcd", ""), kind::invalid);

  auto listed = admin().certificates("acme");
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].subject, "CN=pbx");
  ASSERT_OK(admin().remove_certificate("acme", colons));
  error_of(admin().remove_certificate("acme", hex), kind::not_found);
  // Free again: the other account may have it now.
  ASSERT_OK(admin().add_certificate("other", hex, ""));
}

// --- credit ----------------------------------------------------------------------------------

TEST_F(admin_test, credit_changes_leave_ledger_rows_with_the_balance) {
  add_account("acme", "ZA", 100);
  auto balance = admin().change_credit("acme", 50, "invoice 17");
  ASSERT_OK(balance);
  EXPECT_EQ(*balance, 150);
  EXPECT_EQ(*admin().change_credit("acme", -30, ""), 120);

  auto e = error_of(admin().change_credit("acme", -121, "x"), kind::conflict);
  EXPECT_TRUE(contains(e.message, "has a balance of 120")) << e.message;
  EXPECT_EQ(admin().account("acme")->credit, 120);
  error_of(admin().change_credit("acme", 0, ""), kind::invalid);

  auto ledger = admin().ledger("acme", 10);
  ASSERT_OK(ledger);
  ASSERT_EQ(ledger->size(), 3u);  // newest first: -30, +50, the initial credit
  EXPECT_EQ((*ledger)[0].delta, -30);
  EXPECT_EQ((*ledger)[0].balance, 120);
  EXPECT_EQ((*ledger)[0].reason, "adjustment");
  EXPECT_EQ((*ledger)[1].delta, 50);
  EXPECT_EQ((*ledger)[1].balance, 150);
  EXPECT_EQ((*ledger)[1].reason, "invoice 17");
  EXPECT_EQ((*ledger)[2].reason, "initial credit");
  EXPECT_EQ(admin().ledger("acme", 1)->size(), 1u);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'account.credit' AND detail = "
                  "'+50 (invoice 17), balance 150'"),
            1);
}

TEST_F(admin_test, concurrent_debits_never_take_the_balance_below_zero) {
  add_account("acme", "ZA", 40);
  constexpr int threads = 4;
  constexpr int attempts = 25;  // 100 debits of 1 against a balance of 40
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      sql::admin mine(db_);  // each thread on its own connection, as processes would be
      for (int i = 0; i < attempts; ++i) {
        auto r = mine.change_credit("acme", -1, "");
        if (r.has_value()) {
          ++succeeded;
        } else if (r.error().what == kind::conflict) {
          ++refused;
        } else {
          ADD_FAILURE() << r.error().message;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(succeeded.load(), 40);
  EXPECT_EQ(refused.load(), threads * attempts - 40);
  EXPECT_EQ(admin().account("acme")->credit, 0);
  // The ledger adds up, and each row's balance is one the account really had.
  EXPECT_EQ(count("SELECT sum(delta) FROM credit_ledger"), 0);
  EXPECT_EQ(count("SELECT count(DISTINCT balance) FROM credit_ledger WHERE delta = -1"), 40);
  EXPECT_EQ(count("SELECT min(balance) FROM credit_ledger"), 0);
}

// --- audit -----------------------------------------------------------------------------------

TEST_F(admin_test, audit_log_lists_newest_first_and_by_account) {
  add_account("acme");
  add_account("other");
  ASSERT_OK(admin().set("acme", "max-parts", "4"));
  ASSERT_OK(admin().set("other", "max-parts", "6"));
  ASSERT_OK(admin().audit("retention.purge", "body_days=30: 1 messages"));
  auto all = admin().audit_log(std::nullopt, 100);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 5u);  // two account.add, two account.set, one purge
  EXPECT_EQ((*all)[0].action, "retention.purge");
  EXPECT_FALSE((*all)[0].account.has_value());
  EXPECT_EQ((*all)[1].detail, "max-parts=6");
  EXPECT_EQ((*all)[1].account, "other");
  auto acme = admin().audit_log(std::string("acme"), 100);
  ASSERT_OK(acme);
  ASSERT_EQ(acme->size(), 2u);
  EXPECT_EQ((*acme)[0].detail, "max-parts=4");
  EXPECT_EQ((*acme)[1].action, "account.add");
  EXPECT_EQ(admin().audit_log(std::nullopt, 2)->size(), 2u);
  error_of(admin().audit_log(std::string("nobody"), 10), kind::not_found);
}

}  // namespace
}  // namespace mail2sms::testing
