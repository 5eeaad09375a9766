// sql::with_connection_defaults: the bounded connect every connection gets, and what the operator
// wrote (or left to the environment or a service file) kept as it is; keyword=value strings and
// URIs alike.
#include "sql/conninfo.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>
#include <string>

namespace {

// What libpq itself reads from a connection string: the keywords set, with their values.
std::map<std::string, std::string> parsed(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  EXPECT_NE(options, nullptr) << conninfo << ": " << (error ? error : "");
  PQfreemem(error);
  std::map<std::string, std::string> out;
  if (options == nullptr) return out;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out.emplace(o->keyword, o->val);
  }
  PQconninfoFree(options);
  return out;
}

const std::map<std::string, std::string> defaults{{"connect_timeout", "10"}};

// Sets an environment variable for the life of the object (the tests run one at a time).
struct scoped_env {
  scoped_env(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~scoped_env() { unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST(connection_defaults, are_added_to_a_keyword_string) {
  auto expected = defaults;
  expected.emplace("host", "db.example.net");
  expected.emplace("dbname", "mail2sms");
  EXPECT_EQ(parsed(mail2sms::sql::with_connection_defaults("host=db.example.net dbname=mail2sms")),
            expected);
}

TEST(connection_defaults, keep_what_the_operator_set) {
  const auto p = parsed(
      mail2sms::sql::with_connection_defaults("host=db connect_timeout=3 keepalives_idle=60"));
  EXPECT_EQ(p.at("connect_timeout"), "3");
  EXPECT_EQ(p.at("keepalives_idle"), "60");
  EXPECT_FALSE(p.contains("tcp_user_timeout"));  // only the connect is bounded
}

TEST(connection_defaults, leave_the_timeout_to_the_environment_or_a_service_file) {
  const std::string conninfo = "host=db dbname=mail2sms";
  {
    const scoped_env timeout("PGCONNECT_TIMEOUT", "25");
    EXPECT_EQ(mail2sms::sql::with_connection_defaults(conninfo), conninfo);
  }
  {
    const scoped_env service("PGSERVICE", "mail2sms");
    EXPECT_EQ(mail2sms::sql::with_connection_defaults(conninfo), conninfo);
  }
  EXPECT_EQ(mail2sms::sql::with_connection_defaults("service=sms dbname=m"),
            "service=sms dbname=m");
  EXPECT_EQ(parsed(mail2sms::sql::with_connection_defaults(conninfo)).at("connect_timeout"), "10");
}

TEST(connection_defaults, are_added_to_a_uri_and_keep_its_parts) {
  auto expected = defaults;
  expected["connect_timeout"] = "4";  // the URI's own
  expected.insert({{"user", "m2s"},
                   {"host", "db1,db2"},
                   {"port", "5433,5434"},
                   {"dbname", "mail2sms"},
                   {"sslmode", "verify-full"}});
  EXPECT_EQ(
      parsed(mail2sms::sql::with_connection_defaults(
          "postgresql://m2s@db1:5433,db2:5434/mail2sms?sslmode=verify-full&connect_timeout=4")),
      expected);
}

TEST(connection_defaults, keep_values_with_spaces_quotes_and_backslashes) {
  const std::string password = R"(it's a \secret\ pass)";
  const auto p = parsed(mail2sms::sql::with_connection_defaults(
      "host=/run/my\\ sockets password='it\\'s a \\\\secret\\\\ pass' options='-c jit=off'"));
  EXPECT_EQ(p.at("host"), "/run/my sockets");
  EXPECT_EQ(p.at("password"), password);
  // Any white space is quoted, not only a space: libpq ends an unquoted value at each.
  EXPECT_EQ(parsed(mail2sms::sql::with_connection_defaults("password='a\rb\vc\fd'")).at("password"),
            "a\rb\vc\fd");
  EXPECT_EQ(p.at("options"), "-c jit=off");
  EXPECT_EQ(p.at("connect_timeout"), "10");
}

TEST(connection_defaults, leave_a_string_libpq_cannot_read_as_it_was) {
  EXPECT_EQ(mail2sms::sql::with_connection_defaults("host=db nonsense"), "host=db nonsense");
  EXPECT_EQ(mail2sms::sql::with_connection_defaults("postgresql://db/x?no_such_option=1"),
            "postgresql://db/x?no_such_option=1");
}
