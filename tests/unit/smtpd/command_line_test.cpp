// Command-line syntax: verbs, paths (quoted local parts, source routes, null path) and ESMTP
// parameters of MAIL and RCPT.
#include "smtpd/command_line.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd {
namespace {

TEST(command_line, split_command_trims_the_arguments) {
  const auto c = split_command("MAIL  FROM:<a@b>  ");
  EXPECT_EQ(c.verb, "MAIL");
  EXPECT_EQ(c.args, "FROM:<a@b>");
  EXPECT_EQ(split_command("QUIT").args, "");
}

TEST(command_line, iequals_ignores_ascii_case_only) {
  EXPECT_TRUE(iequals("StartTLS", "STARTTLS"));
  EXPECT_FALSE(iequals("MAIL", "MAI"));
  EXPECT_FALSE(iequals("\xC0", "\xE0"));
}

TEST(command_line, parses_a_plain_path_with_parameters) {
  const auto p = parse_path_argument("from:<Alice@Example.COM> SIZE=100 BODY=8BITMIME", "FROM:", true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->address, "Alice@Example.COM");
  EXPECT_EQ(p->local_part, "Alice");
  EXPECT_EQ(p->domain, "Example.COM");
  EXPECT_EQ(p->parameters, "SIZE=100 BODY=8BITMIME");
}

TEST(command_line, tolerates_a_space_after_the_colon) {
  const auto p = parse_path_argument("TO: <+27821234567@sms.example.com>", "TO:", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->local_part, "+27821234567");
}

TEST(command_line, null_path_only_where_allowed) {
  const auto p = parse_path_argument("FROM:<>", "FROM:", true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->address, "");
  EXPECT_FALSE(parse_path_argument("TO:<>", "TO:", false));
}

TEST(command_line, quoted_local_part_is_unquoted) {
  const auto p = parse_path_argument(R"(TO:<"+27 82>1\"x"@sms.example.com>)", "TO:", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->local_part, "+27 82>1\"x");
  EXPECT_EQ(p->domain, "sms.example.com");
  EXPECT_EQ(p->address, R"("+27 82>1\"x"@sms.example.com)");
}

TEST(command_line, source_route_is_ignored) {
  const auto p = parse_path_argument("TO:<@relay.one,@relay.two:+1555@sms.example.com>", "TO:", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->address, "+1555@sms.example.com");
  EXPECT_EQ(p->domain, "sms.example.com");
}

TEST(command_line, refuses_malformed_paths) {
  for (const char* bad :
       {"TO:<a@b", "TO:<a@b>x", "TO:<a>", "TO:<@a>", "TO:<a@>", "TO:<a..b@c>", "TO:<.a@c>",
        "TO:<a@-c>", "TO:<a@c->", "TO:<a@c..d>", "TO:<\"a@c>", "TO:<@r:>", "TO:<@r,:a@b>",
        "TO:<a b@c>", "TO:<a@b\x01>", "TO:a<b>", "TO:<a@.>", "TO:<a@b..>", "TO:"}) {
    const auto p = parse_path_argument(bad, "TO:", false);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error(), path_error::address) << bad;
  }
  for (const char* not_the_keyword : {"FROM:<a@b>", "TO<a@b>"}) {
    const auto p = parse_path_argument(not_the_keyword, "TO:", false);
    ASSERT_FALSE(p) << not_the_keyword;
    EXPECT_EQ(p.error(), path_error::syntax) << not_the_keyword;
  }
}

TEST(command_line, local_part_longer_than_64_is_refused_for_a_recipient) {
  EXPECT_TRUE(parse_path_argument("TO:<" + std::string(64, 'a') + "@b.c>", "TO:", false));
  EXPECT_FALSE(parse_path_argument("TO:<" + std::string(65, 'a') + "@b.c>", "TO:", false));
}

// As Postfix reads envelopes by default (strict_rfc821_envelopes = no).
TEST(command_line, a_path_without_brackets_runs_to_the_first_space) {
  const auto p = parse_path_argument("TO:+27821234567@sms.example.com", "TO:", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->address, "+27821234567@sms.example.com");
  EXPECT_EQ(p->parameters, "");
  const auto m = parse_path_argument("FROM: a@b.c SIZE=10", "FROM:", true);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->address, "a@b.c");
  EXPECT_EQ(m->parameters, "SIZE=10");
}

TEST(command_line, a_domain_may_end_in_a_dot_and_have_underscores) {
  const auto p = parse_path_argument("TO:<+27821234567@sms.example.com.>", "TO:", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->domain, "sms.example.com");
  EXPECT_EQ(p->address, "+27821234567@sms.example.com");
  const auto m = parse_path_argument("FROM:<cron@host_01.example.com>", "FROM:", true);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->domain, "host_01.example.com");
}

TEST(command_line, a_sender_may_have_any_local_part_or_no_domain) {
  const std::string srs = "SRS0=HHH=TT=example.org=" + std::string(80, 'j') + "@forwarder.example";
  const auto long_one = parse_path_argument("FROM:<" + srs + ">", "FROM:", true);
  ASSERT_TRUE(long_one);
  EXPECT_EQ(long_one->address, srs);
  for (const char* loose :
       {"FROM:<a..b@docomo.example>", "FROM:<a.@ezweb.example>", "FROM:<.a@c.d>"}) {
    EXPECT_TRUE(parse_path_argument(loose, "FROM:", true)) << loose;
    EXPECT_FALSE(parse_path_argument(std::string(loose).replace(0, 5, "TO:"), "TO:", false))
        << loose;
  }
  const auto root = parse_path_argument("FROM:<root>", "FROM:", true);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->address, "root");
  EXPECT_EQ(root->domain, "");
  EXPECT_FALSE(parse_path_argument("FROM:<a b>", "FROM:", true));
  EXPECT_FALSE(parse_path_argument("FROM:<a@b@>", "FROM:", true));
}

TEST(command_line, address_literal_domain) {
  const auto p = parse_path_argument("TO:<a@[192.0.2.1]>", "TO:", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->domain, "[192.0.2.1]");
}

TEST(command_line, non_ascii_in_the_path_is_its_own_error) {
  const auto p = parse_path_argument("FROM:<j\xC3\xB6rg@example.com>", "FROM:", true);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), path_error::non_ascii);
}

TEST(command_line, splits_parameters) {
  const auto p = split_parameters("SIZE=10  BODY=7BIT RET");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 3U);
  EXPECT_EQ((*p)[0].keyword, "SIZE");
  EXPECT_EQ((*p)[0].value, "10");
  EXPECT_EQ((*p)[2].keyword, "RET");
  EXPECT_FALSE((*p)[2].value);
  EXPECT_FALSE(split_parameters("SIZE="));
  EXPECT_FALSE(split_parameters("=10"));
  EXPECT_FALSE(split_parameters("SI_ZE=1"));
  EXPECT_TRUE(split_parameters("")->empty());
}

TEST(command_line, mail_parameters) {
  EXPECT_EQ(*parse_mail_parameters("SIZE=1234 BODY=8bitmime AUTH=<>", true)->size, 1234U);
  EXPECT_FALSE(parse_mail_parameters("", false)->size);
  EXPECT_EQ(*parse_mail_parameters("SIZE=99999999999999999999999", false)->size, UINT64_MAX);
  EXPECT_EQ(parse_mail_parameters("SIZE=12a", false).error().kind, mail_parameter_error::bad_size);
  EXPECT_EQ(parse_mail_parameters("SIZE", false).error().kind, mail_parameter_error::bad_size);
  const auto smtputf8 = parse_mail_parameters("SMTPUTF8", true);
  EXPECT_EQ(smtputf8.error().kind, mail_parameter_error::unsupported);
  EXPECT_EQ(smtputf8.error().parameter, "SMTPUTF8");
  EXPECT_EQ(parse_mail_parameters("SIZE=1=2", false).error().kind, mail_parameter_error::syntax);
}

// BODY is known: a value it cannot take is the parameter's syntax (501), as Postfix answers.
TEST(command_line, body_parameter_takes_7bit_or_8bitmime) {
  EXPECT_TRUE(parse_mail_parameters("BODY=7bit", false));
  for (const char* bad : {"BODY=BINARYMIME", "BODY=junk", "BODY"}) {
    const auto p = parse_mail_parameters(bad, false);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().kind, mail_parameter_error::bad_body) << bad;
    EXPECT_EQ(p.error().parameter, bad);
  }
}

// AUTH= (RFC 4954 5) only where the session offers AUTH, and once.
TEST(command_line, auth_parameter_only_where_auth_is_offered) {
  EXPECT_TRUE(parse_mail_parameters("AUTH=<>", true));
  EXPECT_TRUE(parse_mail_parameters("AUTH=a+2Bb@example.com SIZE=10", true));
  const auto not_offered = parse_mail_parameters("AUTH=<>", false);
  ASSERT_FALSE(not_offered);
  EXPECT_EQ(not_offered.error().kind, mail_parameter_error::unsupported);
  EXPECT_EQ(not_offered.error().parameter, "AUTH=<>");
  const auto twice = parse_mail_parameters("AUTH=<> SIZE=5 auth=<>", true);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, mail_parameter_error::repeated_auth);
  EXPECT_EQ(parse_mail_parameters("AUTH", true).error().kind, mail_parameter_error::unsupported);
}

}  // namespace
}  // namespace mail2sms::smtpd
