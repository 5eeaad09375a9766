// Config validation: each wrong key, type or value gives an error with the right line and key.
#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

// Unknown keys

TEST_F(config_test, unknown_key_in_smtp_suggests_the_close_one) {
  const auto e = error_of(edited("listen", "lisen"));
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.key, "smtp.lisen");
  EXPECT_EQ(e.message, "unknown key 'lisen' in [smtp]; did you mean 'listen'?");
  EXPECT_EQ(e.to_string(),
            "test.toml:2: smtp.lisen: unknown key 'lisen' in [smtp]; did you mean 'listen'?");
}

TEST_F(config_test, unknown_key_far_from_any_has_no_suggestion) {
  const auto e = error_of(edited("domains", "colour = 1\ndomains"));
  EXPECT_ERROR(e, 3, "smtp.colour", "unknown key 'colour' in [smtp]");
  EXPECT_EQ(e.message.find("did you mean"), std::string::npos) << e.message;
}

TEST_F(config_test, the_first_unknown_key_in_the_file_is_reported) {
  const auto e = error_of(edited("domains", "zzz = 1\naaa = 2\ndomains"));
  EXPECT_ERROR(e, 3, "smtp.zzz", "unknown key 'zzz'");
}

TEST_F(config_test, unknown_top_level_table) {
  const auto e = error_of(minimal_toml + "\n[smpt]\nx = 1\n");
  EXPECT_ERROR(e, 17, "smpt", "unknown key 'smpt' in the top level; did you mean 'smtp'?");
}

TEST_F(config_test, unknown_key_in_connector) {
  const auto e = error_of(edited("name = \"sim\"", "nmae = \"sim\""));
  EXPECT_ERROR(e, 9, "connector[0].nmae",
               "unknown key 'nmae' in [[connector]]; did you mean 'name'?");
}

TEST_F(config_test, unknown_key_in_route_database_dispatch_log) {
  EXPECT_ERROR(error_of(edited("prefix", "prefx")), 14, "route[0].prefx", "did you mean 'prefix'?");
  EXPECT_ERROR(error_of(edited("embedded", "embeded")), 6, "database.embeded",
               "did you mean 'embedded'?");
  EXPECT_ERROR(error_of(minimal_toml + "[dispatch]\nbatchsize = 1\n"), 17, "dispatch.batchsize",
               "did you mean 'batch_size'?");
  EXPECT_ERROR(error_of(minimal_toml + "[log]\nlevl = \"info\"\n"), 17, "log.levl",
               "did you mean 'level'?");
}

// The SMPP source address

TEST_F(config_test, smpp_source_address_lengths) {
  const std::string smpp = "type = \"smpp\"\nsystem_id = \"id\"\nsource = ";
  const auto edit = [&](const std::string& value) {
    return edited("type = \"file\"\npath = \"out.jsonl\"", smpp + value);
  };
  EXPECT_ERROR(error_of(edit("\"TwelveLetter\"")), 12, "connector[0].source",
               "at most 11 characters");
  EXPECT_ERROR(error_of(edit("\"+123456789012345678901\"")), 12, "connector[0].source",
               "at most 20 digits");
  auto ok = load(edit("\"Alerts\""));
  ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
  EXPECT_EQ(ok->connectors[0].source, "Alerts");
  ok = load(edit("\"+27821234567\""));
  ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
}

// Wrong types

TEST_F(config_test, integer_given_as_string) {
  const auto e = error_of(edited("domains", "max_recipients = \"100\"\ndomains"));
  EXPECT_ERROR(e, 3, "smtp.max_recipients", "expected an integer, got a string");
  EXPECT_EQ(e.to_string(), "test.toml:3: smtp.max_recipients: expected an integer, got a string");
}

// RFC 5321's least line lengths are the floor: a server may take longer lines, never shorter.
TEST_F(config_test, line_limits_below_rfc_5321_s_least_are_refused) {
  EXPECT_ERROR(error_of(edited("domains", "max_command_line = 511\ndomains")), 3,
               "smtp.max_command_line", "must be between 512 and 65536, got 511");
  EXPECT_ERROR(error_of(edited("domains", "max_text_line = 998\ndomains")), 3, "smtp.max_text_line",
               "must be between 1000 and 65536, got 998");
  EXPECT_ERROR(error_of(edited("domains", "max_text_line = 65537\ndomains")), 3,
               "smtp.max_text_line", "must be between 1000 and 65536, got 65537");
}

TEST_F(config_test, wrong_types_name_both_types) {
  EXPECT_ERROR(error_of(edited("listen = [\"127.0.0.1:2525\"]", "listen = \"127.0.0.1:2525\"")), 2,
               "smtp.listen", "expected an array of strings, got a string");
  EXPECT_ERROR(error_of(edited("\"127.0.0.1:2525\"", "2525")), 2, "smtp.listen[0]",
               "expected a string, got an integer");
  EXPECT_ERROR(error_of(edited("domains", "plaintext_auth = \"yes\"\ndomains")), 3,
               "smtp.plaintext_auth", "expected a boolean");
  EXPECT_ERROR(error_of(edited("domains", "command_timeout = 1.5\ndomains")), 3,
               "smtp.command_timeout", "expected an integer, got a float");
  EXPECT_ERROR(error_of(edited("domains", "account_cache = \"5s\"\ndomains")), 3,
               "smtp.account_cache", "expected an integer, got a string");
  EXPECT_ERROR(error_of(edited("domains", "account_cache = -1\ndomains")), 3, "smtp.account_cache",
               "must be between 0 and 1073741824, got -1");
  EXPECT_ERROR(error_of(edited("name = \"sim\"", "name = 7")), 9, "connector[0].name",
               "expected a string, got an integer");
}

TEST_F(config_test, table_given_as_value) {
  EXPECT_ERROR(error_of("log = \"debug\"\n" + minimal_toml), 1, "log",
               "expected a table ([log]), got a string");
}

TEST_F(config_test, connector_written_as_single_table) {
  const auto e = error_of(edited("[[connector]]", "[connector]"));
  EXPECT_ERROR(e, 8, "connector",
               "expected an array of tables (write each as [[connector]]), got a table");
}

// Values

TEST_F(config_test, listen_port_out_of_range) {
  EXPECT_ERROR(error_of(edited("127.0.0.1:2525", "127.0.0.1:65536")), 2, "smtp.listen[0]",
               "the port must be a number from 0 to 65535");
  EXPECT_ERROR(error_of(edited("127.0.0.1:2525", "127.0.0.1:http")), 2, "smtp.listen[0]",
               "the port");
}

TEST_F(config_test, listen_address_shapes) {
  EXPECT_ERROR(error_of(edited("127.0.0.1:2525", "127.0.0.1")), 2, "smtp.listen[0]",
               "expected \"HOST:PORT\"");
  EXPECT_ERROR(error_of(edited("127.0.0.1:2525", "::1:2525")), 2, "smtp.listen[0]",
               "IPv6 address in brackets");
  EXPECT_ERROR(error_of(edited("127.0.0.1:2525", "[::1]2525")), 2, "smtp.listen[0]",
               "\"[IPV6]:PORT\"");
  EXPECT_ERROR(error_of(edited("127.0.0.1:2525", ":2525")), 2, "smtp.listen[0]",
               "the host is missing");
}

TEST_F(config_test, second_listen_entry_is_named_by_index) {
  const auto e =
      error_of(edited("\"127.0.0.1:2525\"]", "\"127.0.0.1:2525\", \"127.0.0.1:99999\"]"));
  EXPECT_ERROR(e, 2, "smtp.listen[1]", "'127.0.0.1:99999'");
}

TEST_F(config_test, same_listener_twice) {
  const auto e = error_of(edited("domains", "listen_tls = [\"127.0.0.1:2525\"]\ndomains"));
  EXPECT_NE(e.key, "");
  EXPECT_ERROR(e, 3, "smtp.listen_tls[0]", "listed twice");
  const auto trusted =
      error_of(edited("domains", "listen_plaintext_auth = [\"127.0.0.1:2525\"]\ndomains"));
  EXPECT_ERROR(trusted, 3, "smtp.listen_plaintext_auth[0]", "listed twice");
}

TEST_F(config_test, connector_port_out_of_range) {
  const auto smpp = edited("type = \"file\"\npath = \"out.jsonl\"",
                           "type = \"smpp\"\nsystem_id = \"id\"\nport = 0");
  EXPECT_ERROR(error_of(smpp), 12, "connector[0].port", "must be between 1 and 65535, got 0");
  const auto high = edited("type = \"file\"\npath = \"out.jsonl\"",
                           "type = \"smpp\"\nsystem_id = \"id\"\nport = 65536");
  EXPECT_ERROR(error_of(high), 12, "connector[0].port", "must be between 1 and 65535, got 65536");
}

TEST_F(config_test, domains_empty_or_missing) {
  EXPECT_ERROR(error_of(edited("domains = [\"sms.example.com\"]", "domains = []")), 3,
               "smtp.domains", "at least one domain is required");
  EXPECT_ERROR(error_of(edited("domains = [\"sms.example.com\"]\n", "")), 1, "smtp.domains",
               "at least one domain is required");
  EXPECT_ERROR(error_of(edited("sms.example.com", "user@sms.example.com")), 3, "smtp.domains[0]",
               "is not a domain name");
}

TEST_F(config_test, listen_tls_needs_cert_and_key) {
  const auto e = error_of(edited("domains", "listen_tls = [\"127.0.0.1:4650\"]\ndomains"));
  EXPECT_ERROR(e, 3, "smtp.listen_tls", "need tls_cert and tls_key");
}

TEST_F(config_test, tls_cert_without_key_and_key_without_cert) {
  write("c.pem", "c");
  EXPECT_ERROR(error_of(edited("domains", "tls_cert = \"c.pem\"\ndomains")), 3, "smtp.tls_cert",
               "tls_key is not");
  EXPECT_ERROR(error_of(edited("domains", "tls_key = \"c.pem\"\ndomains")), 3, "smtp.tls_key",
               "tls_cert is not");
}

TEST_F(config_test, max_message_size_at_least_1024) {
  EXPECT_ERROR(error_of(edited("domains", "max_message_size = 1023\ndomains")), 3,
               "smtp.max_message_size", "must be at least 1024, got 1023");
  EXPECT_TRUE(load(edited("domains", "max_message_size = 1024\ndomains")).has_value());
}

TEST_F(config_test, smpp_connector_needs_system_id) {
  const auto e = error_of(edited("type = \"file\"\npath = \"out.jsonl\"", "type = \"smpp\""));
  EXPECT_ERROR(e, 8, "connector[0].system_id", "needs system_id");
}

TEST_F(config_test, file_connector_needs_path) {
  EXPECT_ERROR(error_of(edited("path = \"out.jsonl\"\n", "")), 8, "connector[0].path",
               "needs path");
}

TEST_F(config_test, connector_type_must_be_known) {
  EXPECT_ERROR(error_of(edited("type = \"file\"", "type = \"fax\"")), 10, "connector[0].type",
               "unknown connector type 'fax'");
  EXPECT_ERROR(error_of(edited("type = \"file\"\n", "")), 8, "connector[0].type", "needs a type");
}

TEST_F(config_test, http_connector_settings_are_checked_at_load) {
  const std::string http = "type = \"http\"\n";
  const auto with = [&](const std::string& lines) {
    return error_of(edited("type = \"file\"\npath = \"out.jsonl\"\n", http + lines));
  };
  EXPECT_ERROR(with(""), 8, "connector[0].url", "needs url");
  EXPECT_ERROR(with("url = \"ftp://x/\"\n"), 11, "connector[0].url", "http:// or https://");
  EXPECT_ERROR(with("url = \"http://x/?t={txet}\"\n"), 11, "connector[0].url",
               "unknown placeholder {txet}");
  EXPECT_ERROR(with("url = \"http://x/\"\nbody_format = \"json\"\nbody = \"{\\\"u\\\": \\\"{udh}\\\"}\"\n"), 13,
               "connector[0].body", "use {udh_hex}");
  EXPECT_ERROR(with("url = \"http://x/\"\nmessage_id_pattern = \"id: \\\\w+\"\n"), 12,
               "connector[0].message_id_pattern", "needs a capture group");
  EXPECT_ERROR(with("url = \"http://x/\"\nsuccess_pattern = \"(\"\n"), 12,
               "connector[0].success_pattern", "not a valid regular expression");
  EXPECT_ERROR(with("url = \"http://x/\"\nsuccess_status = [200, 700]\n"), 12,
               "connector[0].success_status", "100..599");
  EXPECT_ERROR(with("url = \"http://x/\"\nheaders = [\"Authorization Bearer x\"]\n"), 12,
               "connector[0].headers", "Name: value");
  // The line is not quoted: without its colon, a header is mostly its secret.
  EXPECT_ERROR(with("url = \"http://x/\"\nheaders = [\"A: b\", \"Authorization Bearer sk_9f\"]\n"),
               12, "connector[0].headers", "header 2 of 2: expected");
  const auto secret = with("url = \"http://x/\"\nheaders = [\"Authorization Bearer sk_9f\"]\n");
  EXPECT_EQ(secret.to_string().find("sk_9f"), std::string::npos) << secret.to_string();
  EXPECT_EQ(secret.to_string().find("Bearer"), std::string::npos) << secret.to_string();
  EXPECT_ERROR(with("url = \"http://x/\"\nmultipart = \"each\"\n"), 12, "connector[0].multipart",
               "\"whole\"");
  EXPECT_ERROR(with("url = \"https://x/\"\nca_file = \"missing.pem\"\n"), 12,
               "connector[0].ca_file", "no such file");
  EXPECT_ERROR(with("url = \"http://x/\"\ncoding_values = [\"0\"]\n"), 12,
               "connector[0].coding_values", "two values");
}

TEST_F(config_test, http_connector_reads_every_key) {
  write("ca.pem", "not read at load time\n");
  const auto loaded = load(edited("type = \"file\"\npath = \"out.jsonl\"\n",
                                  "type = \"http\"\n"
                                  "url = \"https://sms.example.net:8443/send?to={to}\"\n"
                                  "method = \"PUT\"\n"
                                  "headers = [\"Authorization: Bearer t0ken\"]\n"
                                  "body = \"{\\\"text\\\": \\\"{text}\\\"}\"\n"
                                  "body_format = \"json\"\n"
                                  "success_status = [200, 202]\n"
                                  "success_pattern = \"accepted\"\n"
                                  "message_id_pattern = \"id=(\\\\w+)\"\n"
                                  "multipart = \"segments\"\n"
                                  "coding_values = [\"0\", \"2\"]\n"
                                  "source = \"Alerts\"\n"
                                  "timeout = 3\n"
                                  "ca_file = \"ca.pem\"\n"
                                  "max_idle_connections = 2\n"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const auto& h = loaded->connectors[0].http;
  EXPECT_EQ(h.name, "sim");
  EXPECT_EQ(h.url, "https://sms.example.net:8443/send?to={to}");
  EXPECT_EQ(h.method, "PUT");
  EXPECT_EQ(h.headers, std::vector<std::string>{"Authorization: Bearer t0ken"});
  EXPECT_EQ(h.body, "{\"text\": \"{text}\"}");
  EXPECT_EQ(h.body_format, "json");
  EXPECT_EQ(h.success_status, (std::vector<unsigned>{200, 202}));
  EXPECT_EQ(h.success_pattern, "accepted");
  EXPECT_EQ(h.message_id_pattern, "id=(\\w+)");
  EXPECT_EQ(h.multipart, "segments");
  EXPECT_EQ(h.coding_values[1], "2");
  EXPECT_EQ(h.default_source, "Alerts");
  EXPECT_EQ(h.timeout, std::chrono::seconds(3));
  EXPECT_EQ(h.ca_file, (dir_ / "ca.pem").string());
  EXPECT_EQ(h.max_idle_connections, 2u);
}

TEST_F(config_test, window_and_tps_at_least_one) {
  const std::string smpp = "type = \"smpp\"\nsystem_id = \"id\"\n";
  EXPECT_ERROR(error_of(edited("type = \"file\"\n", smpp + "window = 0\n")), 12,
               "connector[0].window", "must be between 1 and");
  EXPECT_ERROR(error_of(edited("type = \"file\"\n", smpp + "tps = 0\n")), 12, "connector[0].tps",
               "must be between 1 and");
}

TEST_F(config_test, duplicate_connector_names) {
  const auto e =
      error_of(minimal_toml + "\n[[connector]]\nname = \"sim\"\ntype = \"file\"\npath = \"b\"\n");
  EXPECT_ERROR(e, 18, "connector[1].name",
               "duplicate connector name 'sim' (first defined at line 9)");
}

TEST_F(config_test, route_to_unknown_connector) {
  const auto e = error_of(edited("connector = \"sim\"", "connector = \"sin\""));
  EXPECT_ERROR(e, 15, "route[0].connector", "unknown connector 'sin'; did you mean 'sim'?");
}

TEST_F(config_test, route_prefix_must_be_e164) {
  EXPECT_ERROR(error_of(edited("prefix = \"+\"", "prefix = \"27\"")), 14, "route[0].prefix",
               "expected '+'");
  const auto e = error_of(minimal_toml + "[[route]]\nprefix = \"+\"\nconnector = \"sim\"\n");
  EXPECT_ERROR(e, 17, "route[1].prefix", "duplicate route prefix '+'");
}

TEST_F(config_test, no_connectors_and_no_routes) {
  const auto connectors_start = minimal_toml.find("[[connector]]");
  const auto routes_start = minimal_toml.find("[[route]]");
  const auto without_connectors = minimal_toml.substr(0, connectors_start);
  EXPECT_ERROR(error_of(without_connectors), 0, "connector", "no connectors");
  EXPECT_ERROR(error_of(minimal_toml.substr(0, routes_start)), 0, "route", "no routes");
}

TEST_F(config_test, database_needs_exactly_one_of_url_and_embedded) {
  EXPECT_ERROR(error_of(edited("embedded = \"pg\"\n", "")), 5, "database", "set url");
  EXPECT_ERROR(error_of(edited("embedded = \"pg\"\n", "url = \"host=/tmp\"\nembedded = \"pg\"\n")),
               7, "database.embedded", "not both");
  EXPECT_ERROR(error_of(edited("[database]\nembedded = \"pg\"\n", "")), 0, "database", "set url");
  EXPECT_ERROR(error_of(edited("embedded = \"pg\"\n", "url = \"\"\n")), 6, "database.url",
               "set url");
}

TEST_F(config_test, the_wal_reserve_is_the_embedded_cluster_s_and_in_mib) {
  const auto reserve = [](const std::string& line) {
    return edited("embedded = \"pg\"\n", "embedded = \"pg\"\n" + line + "\n");
  };
  EXPECT_ERROR(error_of(reserve("wal_reserve_mb = -1")), 7, "database.wal_reserve_mb", "0");
  EXPECT_ERROR(error_of(reserve("wal_reserve_mb = 65537")), 7, "database.wal_reserve_mb", "65536");
  EXPECT_ERROR(
      error_of(edited("embedded = \"pg\"\n", "url = \"host=/tmp\"\nwal_reserve_mb = 512\n")), 7,
      "database.wal_reserve_mb", "embedded cluster only");
  const auto none = load_string(reserve("wal_reserve_mb = 0"), "t.toml", "/tmp");
  ASSERT_TRUE(none.has_value()) << none.error().to_string();
  EXPECT_EQ(none->database.wal_reserve_mb, 0);
  const auto some = load_string(reserve("wal_reserve_mb = 256"), "t.toml", "/tmp");
  ASSERT_TRUE(some.has_value()) << some.error().to_string();
  EXPECT_EQ(some->database.wal_reserve_mb, 256);
}

// answer_timeout must outlast lock_timeout (a statement may wait that long for a row lock, and
// would be taken for a server that hangs); left unset, it follows a longer lock_timeout.
TEST_F(config_test, the_answer_timeout_outlasts_the_lock_timeout) {
  const auto database = [](const std::string& lines) {
    return edited("embedded = \"pg\"\n", "embedded = \"pg\"\n" + lines);
  };
  EXPECT_ERROR(error_of(database("lock_timeout = 30\nanswer_timeout = 30\n")), 8,
               "database.answer_timeout", "more than lock_timeout (30)");
  EXPECT_ERROR(error_of(database("answer_timeout = 1\n")), 7, "database.answer_timeout", "2");
  const auto by_default = load_string(minimal_toml, "t.toml", "/tmp");
  ASSERT_TRUE(by_default.has_value()) << by_default.error().to_string();
  EXPECT_EQ(by_default->database.answer_timeout, 60);
  const auto longer_lock = load_string(database("lock_timeout = 120\n"), "t.toml", "/tmp");
  ASSERT_TRUE(longer_lock.has_value()) << longer_lock.error().to_string();
  EXPECT_EQ(longer_lock->database.answer_timeout, 150);
  const auto set =
      load_string(database("lock_timeout = 1\nanswer_timeout = 3\n"), "t.toml", "/tmp");
  ASSERT_TRUE(set.has_value()) << set.error().to_string();
  EXPECT_EQ(set->database.answer_timeout, 3);
}

TEST_F(config_test, a_database_url_libpq_cannot_read_is_refused_without_quoting_it) {
  // libpq's own messages quote the part they stumbled on: here the password.
  for (const std::string url : {"postgresql://m2s:Sup3r%zzSecretPw@db/mail2sms",
                                "host=db user=m2s password=Sup3r SecretPw dbname=mail2sms"}) {
    const auto e = error_of(edited("embedded = \"pg\"\n", "url = \"" + url + "\"\n"));
    EXPECT_ERROR(e, 6, "database.url", "libpq cannot read it");
    EXPECT_EQ(e.to_string().find("SecretPw"), std::string::npos) << e.to_string();
  }
}

TEST_F(config_test, log_level_must_be_known) {
  const auto e = error_of(minimal_toml + "[log]\nlevel = \"warning\"\n");
  EXPECT_ERROR(e, 17, "log.level", "unknown level 'warning'");
  EXPECT_ERROR(error_of(minimal_toml + "[log]\nlevel = \"verbose\"\n"), 17, "log.level",
               "expected trace");
}

TEST_F(config_test, dispatch_values) {
  EXPECT_ERROR(error_of(minimal_toml + "[dispatch]\nbatch_size = 0\n"), 17, "dispatch.batch_size",
               "must be between 1 and");
  EXPECT_ERROR(error_of(minimal_toml + "[dispatch]\nretry_base = 60\nretry_max = 30\n"), 18,
               "dispatch.retry_max", "must be at least retry_base (60)");
  EXPECT_ERROR(error_of(minimal_toml + "[dispatch]\nreply_parts_wait = 0\n"), 17,
               "dispatch.reply_parts_wait", "must be between 1 and");
}

TEST_F(config_test, timeouts_at_least_one_second) {
  EXPECT_ERROR(error_of(edited("domains", "data_timeout = 0\ndomains")), 3, "smtp.data_timeout",
               "must be between 1 and");
}

}  // namespace
}  // namespace mail2sms::config::testing

namespace mail2sms::config::testing {
namespace {

TEST_F(config_test, smpp_dispatch_choices_are_checked) {
  const auto smpp = [](const std::string& extra) {
    return edited("type = \"file\"\npath = \"out.jsonl\"",
                  "type = \"smpp\"\nsystem_id = \"id\"\n" + extra);
  };
  EXPECT_ERROR(error_of(smpp("concatenation = \"udhi\"")), 12, "connector[0].concatenation",
               "unknown value 'udhi': expected one of \"udh\", \"sar\"");
  EXPECT_ERROR(error_of(smpp("receipt_id_format = \"octal\"")), 12,
               "connector[0].receipt_id_format", "expected one of \"as-is\", \"decimal\", \"hex\"");
  EXPECT_ERROR(error_of(smpp("unknown_policy = \"drop\"")), 12, "connector[0].unknown_policy",
               "expected one of \"resend\", \"hold\"");
  const auto good = load_string(smpp("concatenation = \"sar\"\nsubmit_id_format = \"hex\"\n"
                                     "receipts = false\nunknown_policy = \"hold\""),
                                "t.toml", "/tmp");
  ASSERT_TRUE(good.has_value()) << good.error().to_string();
  EXPECT_EQ(good->connectors[0].concatenation, "sar");
  EXPECT_EQ(good->connectors[0].submit_id_format, "hex");
  EXPECT_FALSE(good->connectors[0].receipts);
  EXPECT_EQ(good->connectors[0].unknown_policy, "hold");
}

TEST_F(config_test, route_fallback_names_other_defined_connectors) {
  EXPECT_ERROR(error_of(minimal_toml + "fallback = [\"backup\"]\n"), 16, "route[0].fallback",
               "unknown connector 'backup'");
  EXPECT_ERROR(error_of(minimal_toml + "fallback = [\"sim\"]\n"), 16, "route[0].fallback",
               "cannot be its fallback");
  const auto good = load_string(minimal_toml + "fallback = [\"b\"]\n[[connector]]\nname = \"b\"\n"
                                "type = \"file\"\npath = \"b.jsonl\"\n", "t.toml", "/tmp");
  ASSERT_TRUE(good.has_value()) << good.error().to_string();
  EXPECT_EQ(good->routes[0].fallback, std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace mail2sms::config::testing
