// Parsing of SMTP command lines (RFC 5321 4.1): the verb, the paths of MAIL and RCPT, and their
// ESMTP parameters. Pure syntax; what an outcome means is the protocol's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::smtpd {

bool iequals(std::string_view a, std::string_view b);  // ASCII case-insensitive

struct command_line {
  std::string_view verb;
  std::string_view args;  // without surrounding spaces
};
command_line split_command(std::string_view line);

struct path_argument {
  std::string address;  // the path, source route and a domain's trailing dot dropped; empty for <>
  std::string local_part;  // unquoted when it was a quoted string
  std::string domain;      // empty for RCPT TO:<Postmaster> and an unqualified sender ("root")
  std::string_view parameters;  // what follows the path
};

// syntax: not "FROM:" / "TO:" (501 5.5.4); address: a malformed path (501 5.1.7 for a sender,
// 5.1.3 for a recipient, RFC 3463); non_ascii: 553 5.6.7 (no SMTPUTF8).
enum class path_error { syntax, address, non_ascii };

// args of MAIL ("FROM:<a@b> SIZE=1") or RCPT ("TO:<a@b>"); keyword is "FROM:" or "TO:".
// A space after the colon is tolerated; source routes are accepted and ignored (RFC 5321 4.1.2).
// As Postfix with strict_rfc821_envelopes = no: a path without angle brackets runs to the first
// space, a domain may have an underscore and one trailing dot (dropped), and a sender ("FROM:")
// may have any local part of atext and dots, of any length, or no domain.
result<path_argument, path_error> parse_path_argument(std::string_view args,
                                                      std::string_view keyword, bool allow_null);

struct esmtp_parameter {
  std::string_view keyword;
  std::optional<std::string_view> value;
  std::string_view text;  // keyword[=value] as sent
};
// esmtp-param *(SP esmtp-param); nothing on a syntax error.
std::optional<std::vector<esmtp_parameter>> split_parameters(std::string_view text);

struct mail_parameters {
  std::optional<std::uint64_t> size;  // RFC 1870; saturates instead of overflowing
};
// bad_body: BODY without 7BIT or 8BITMIME (a known keyword with a value it cannot take: a syntax
// error in the parameters, 501; RFC 5321 4.1.1.11 keeps 555 for parameters not recognised);
// repeated_auth: AUTH= twice (503: a second one can only contradict the first).
enum class mail_parameter_error { syntax, bad_size, bad_body, repeated_auth, unsupported };
struct mail_parameter_problem {
  mail_parameter_error kind;
  std::string parameter;  // the offending keyword[=value]
};
// SIZE=n, BODY=7BIT|8BITMIME, and AUTH=xtext (accepted and ignored) where the session offers
// AUTH (RFC 4954 5); where it does not, AUTH= is an unsupported parameter as any other.
result<mail_parameters, mail_parameter_problem> parse_mail_parameters(std::string_view text,
                                                                      bool auth_offered);

}  // namespace mail2sms::smtpd
