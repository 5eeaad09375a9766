// Config loading: values and defaults, path resolution, TLS files, syntax errors, unreadable
// files, the error text format, and the shipped example file.
#include <unistd.h>

#include <climits>

#include "config_test_support.hpp"

namespace mail2sms::config::testing {
namespace {

std::string machine_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  gethostname(name, sizeof name);
  return name;
}

TEST_F(config_test, minimal_file_loads_with_defaults) {
  auto loaded = load(minimal_toml);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const config& c = *loaded;
  EXPECT_EQ(c.source, "test.toml");
  ASSERT_EQ(c.smtp.listen.size(), 1u);
  EXPECT_EQ(c.smtp.listen[0].host, "127.0.0.1");
  EXPECT_EQ(c.smtp.listen[0].port, 2525);
  EXPECT_TRUE(c.smtp.listen_tls.empty());
  EXPECT_EQ(c.smtp.hostname, machine_hostname());
  EXPECT_EQ(c.smtp.domains, std::vector<std::string>{"sms.example.com"});
  EXPECT_FALSE(c.smtp.plaintext_auth);
  EXPECT_EQ(c.smtp.max_message_size, 1048576u);
  EXPECT_EQ(c.smtp.max_recipients, 100u);
  EXPECT_EQ(c.smtp.max_command_line, 512u);
  EXPECT_EQ(c.smtp.max_text_line, 1000u);
  EXPECT_EQ(c.smtp.command_timeout, std::chrono::seconds(300));
  EXPECT_EQ(c.smtp.data_timeout, std::chrono::seconds(180));
  EXPECT_EQ(c.smtp.account_cache, std::chrono::seconds(5));
  EXPECT_TRUE(c.smtp.postmaster);
  EXPECT_EQ(c.smtp.postmaster_mailbox_size, 64u * 1024 * 1024);
  EXPECT_EQ(c.smtp.postmaster_per_client, 10u);
  EXPECT_EQ(c.database.embedded, (dir_ / "pg").string());
  EXPECT_TRUE(c.database.url.empty());
  EXPECT_EQ(c.database.pool_size, 4);
  EXPECT_EQ(c.database.lock_timeout, 30);
  EXPECT_EQ(c.database.wal_reserve_mb, 1024);
  ASSERT_EQ(c.connectors.size(), 1u);
  EXPECT_EQ(c.connectors[0].path, (dir_ / "out.jsonl").string());
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].prefix, "+");
  EXPECT_EQ(c.routes[0].connector, "sim");
  EXPECT_EQ(c.dispatch.batch_size, 200);
  EXPECT_EQ(c.dispatch.max_attempts, 10);
  EXPECT_EQ(c.dispatch.retry_base, std::chrono::seconds(30));
  EXPECT_EQ(c.dispatch.retry_max, std::chrono::seconds(3600));
  EXPECT_EQ(c.dispatch.reply_parts_wait, std::chrono::minutes(30));
  EXPECT_EQ(c.dispatch.claim_interval_ms, 15);
  EXPECT_EQ(c.log.level, "info");
}

TEST_F(config_test, every_key_is_read) {
  write("tls/server.crt", "cert");
  write("tls/server.key", "key");
  const std::string text = R"(
[smtp]
listen = ["0.0.0.0:25", "[::1]:2525", "localhost:0"]
listen_tls = ["[::]:465"]
listen_plaintext_auth = ["10.0.0.5:2526"]
hostname = "mx.example.com"
domains = ["SMS.Example.com", "sms.example.org"]
tls_cert = "tls/server.crt"
tls_key = "tls/server.key"
plaintext_auth = true
max_message_size = 2048
max_recipients = 5
max_command_line = 1024
max_text_line = 4000
command_timeout = 60
data_timeout = 90
account_cache = 0
postmaster = false
postmaster_mailbox_size = 1048576
postmaster_per_client = 3

[database]
url = "postgresql://mail2sms@/mail2sms?host=/run/postgresql"
pool_size = 8
lock_timeout = 5

[[connector]]
name = "smsc1"
type = "smpp"
host = "smsc.example.com"
port = 2776
system_id = "esme"
password = "pw"
system_type = "VMA"
window = 10
tps = 5
enquire_link_interval = 15
response_timeout = 3

[[route]]
prefix = "+27"
connector = "smsc1"

[dispatch]
batch_size = 20
max_attempts = 3
retry_base = 5
retry_max = 60
reply_parts_wait = 600
claim_interval_ms = 5

[log]
level = "debug"
)";
  auto loaded = load(text);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const config& c = *loaded;
  ASSERT_EQ(c.smtp.listen.size(), 3u);
  EXPECT_EQ(c.smtp.listen[1].host, "::1");
  EXPECT_EQ(c.smtp.listen[1].port, 2525);
  EXPECT_EQ(c.smtp.listen[2].host, "localhost");
  EXPECT_EQ(c.smtp.listen[2].port, 0);
  ASSERT_EQ(c.smtp.listen_tls.size(), 1u);
  EXPECT_EQ(c.smtp.listen_tls[0].host, "::");
  EXPECT_EQ(c.smtp.listen_tls[0].port, 465);
  ASSERT_EQ(c.smtp.listen_plaintext_auth.size(), 1u);
  EXPECT_EQ(c.smtp.listen_plaintext_auth[0].host, "10.0.0.5");
  EXPECT_EQ(c.smtp.listen_plaintext_auth[0].port, 2526);
  EXPECT_EQ(c.smtp.hostname, "mx.example.com");
  EXPECT_EQ(c.smtp.domains, (std::vector<std::string>{"sms.example.com", "sms.example.org"}));
  EXPECT_EQ(c.smtp.tls_cert, (dir_ / "tls/server.crt").string());
  EXPECT_EQ(c.smtp.tls_key, (dir_ / "tls/server.key").string());
  EXPECT_TRUE(c.smtp.plaintext_auth);
  EXPECT_EQ(c.smtp.max_message_size, 2048u);
  EXPECT_EQ(c.smtp.max_recipients, 5u);
  EXPECT_EQ(c.smtp.max_command_line, 1024u);
  EXPECT_EQ(c.smtp.max_text_line, 4000u);
  EXPECT_EQ(c.smtp.command_timeout, std::chrono::seconds(60));
  EXPECT_EQ(c.smtp.data_timeout, std::chrono::seconds(90));
  EXPECT_EQ(c.smtp.account_cache, std::chrono::seconds(0));  // off
  EXPECT_FALSE(c.smtp.postmaster);
  EXPECT_EQ(c.smtp.postmaster_mailbox_size, 1048576u);
  EXPECT_EQ(c.smtp.postmaster_per_client, 3u);
  EXPECT_EQ(c.database.url, "postgresql://mail2sms@/mail2sms?host=/run/postgresql");
  EXPECT_EQ(c.database.pool_size, 8);
  EXPECT_EQ(c.database.lock_timeout, 5);
  const connector_config& smpp = c.connectors.at(0);
  EXPECT_EQ(smpp.host, "smsc.example.com");
  EXPECT_EQ(smpp.port, 2776);
  EXPECT_EQ(smpp.system_id, "esme");
  EXPECT_EQ(smpp.password, "pw");
  EXPECT_EQ(smpp.system_type, "VMA");
  EXPECT_EQ(smpp.window, 10);
  EXPECT_EQ(smpp.tps, 5);
  EXPECT_EQ(smpp.enquire_link_interval, std::chrono::seconds(15));
  EXPECT_EQ(smpp.response_timeout, std::chrono::seconds(3));
  EXPECT_EQ(c.routes.at(0).prefix, "+27");
  EXPECT_EQ(c.dispatch.batch_size, 20);
  EXPECT_EQ(c.dispatch.max_attempts, 3);
  EXPECT_EQ(c.dispatch.retry_base, std::chrono::seconds(5));
  EXPECT_EQ(c.dispatch.retry_max, std::chrono::seconds(60));
  EXPECT_EQ(c.dispatch.reply_parts_wait, std::chrono::seconds(600));
  EXPECT_EQ(c.dispatch.claim_interval_ms, 5);
  EXPECT_EQ(c.log.level, "debug");
}

TEST_F(config_test, smpp_connector_defaults) {
  auto loaded =
      load(edited("type = \"file\"\npath = \"out.jsonl\"", "type = \"smpp\"\nsystem_id = \"id\""));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const connector_config& c = loaded->connectors.at(0);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 2775);
  EXPECT_EQ(c.window, 32);
  EXPECT_EQ(c.tps, 100);
  EXPECT_EQ(c.enquire_link_interval, std::chrono::seconds(30));
  EXPECT_EQ(c.response_timeout, std::chrono::seconds(10));
}

TEST_F(config_test, absolute_paths_are_kept) {
  auto loaded = load(edited("embedded = \"pg\"", "embedded = \"/var/lib/mail2sms/pg\""));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->database.embedded, "/var/lib/mail2sms/pg");
}

TEST_F(config_test, missing_tls_cert_names_key_line_and_resolved_path) {
  write("tls/server.key", "key");
  const auto e = error_of(
      edited("domains", "tls_cert = \"tls/server.crt\"\ntls_key = \"tls/server.key\"\ndomains"));
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.key, "smtp.tls_cert");
  EXPECT_NE(e.message.find((dir_ / "tls/server.crt").string()), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("No such file"), std::string::npos) << e.message;
}

TEST_F(config_test, missing_tls_key_names_key_line_and_resolved_path) {
  write("tls/server.crt", "cert");
  const auto e = error_of(
      edited("domains", "tls_cert = \"tls/server.crt\"\ntls_key = \"tls/server.key\"\ndomains"));
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.key, "smtp.tls_key");
  EXPECT_NE(e.message.find((dir_ / "tls/server.key").string()), std::string::npos) << e.message;
}

TEST_F(config_test, syntax_error_reports_its_line) {
  const auto e = error_of(edited("embedded = \"pg\"", "embedded = \"pg"));
  EXPECT_EQ(e.file, "test.toml");
  EXPECT_EQ(e.line, 6);
  EXPECT_FALSE(e.message.empty());
  EXPECT_EQ(e.to_string().rfind("test.toml:6: ", 0), 0u) << e.to_string();
}

TEST_F(config_test, duplicate_key_is_a_syntax_error_with_its_line) {
  const auto e = error_of(edited("domains", "max_recipients = 1\nmax_recipients = 2\ndomains"));
  EXPECT_EQ(e.line, 4);
}

TEST_F(config_test, missing_file_cannot_be_read) {
  const std::string path = (dir_ / "absent.toml").string();
  auto loaded = load_file(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().line, 0);
  EXPECT_EQ(loaded.error().to_string(), path + ": cannot read: No such file or directory");
}

TEST_F(config_test, directory_cannot_be_read) {
  auto loaded = load_file(dir_.string());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().to_string(), dir_.string() + ": cannot read: it is a directory");
}

TEST_F(config_test, load_file_resolves_paths_against_the_files_directory) {
  const auto path = write("etc/mail2sms.toml", minimal_toml);
  auto loaded = load_file(path.string());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->source, path.string());
  EXPECT_EQ(loaded->database.embedded, (dir_ / "etc/pg").string());
  EXPECT_EQ(loaded->connectors.at(0).path, (dir_ / "etc/out.jsonl").string());
}

TEST_F(config_test, load_file_errors_name_the_file) {
  const auto path = write("bad.toml", edited("listen", "lisen"));
  auto loaded = load_file(path.string());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(
      loaded.error().to_string(),
      path.string() + ":2: smtp.lisen: unknown key 'lisen' in [smtp]; did you mean 'listen'?");
}

TEST(config_error_text, omits_line_zero_and_empty_key) {
  EXPECT_EQ((config_error{"a.toml", 7, "smtp.listen", "bad"}).to_string(),
            "a.toml:7: smtp.listen: bad");
  EXPECT_EQ((config_error{"a.toml", 0, "route", "none"}).to_string(), "a.toml: route: none");
  EXPECT_EQ((config_error{"a.toml", 3, "", "syntax"}).to_string(), "a.toml:3: syntax");
}

TEST(example_config, loads_without_error) {
  auto loaded = load_file(MAIL2SMS_EXAMPLE_CONFIG);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const std::string dir = std::filesystem::path(MAIL2SMS_EXAMPLE_CONFIG).parent_path().string();
  EXPECT_EQ(loaded->database.embedded, dir + "/.var/pg");
  ASSERT_FALSE(loaded->connectors.empty());
  EXPECT_EQ(loaded->connectors[0].host, "127.0.0.1");
  EXPECT_EQ(loaded->connectors[0].port, 2775);
  ASSERT_FALSE(loaded->routes.empty());
  EXPECT_EQ(loaded->routes[0].prefix, "+");
}

}  // namespace
}  // namespace mail2sms::config::testing
