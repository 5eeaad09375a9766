// A received RFC 5322 message to the text an SMS should carry: the MIME part that holds the text
// (text/plain preferred, HTML converted when there is no plain text, forwarded messages searched
// last), decoded to UTF-8 and cleaned of what a phone should not show (signatures, quoted replies,
// mobile footers, disclaimers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::mail {

// What an SMS carries of the subject and the body.
//  - body: the body; the subject only when the body is empty (a subject-only alert). The default:
//    the body is what the sender wrote to be read, a person's subject is often "Re: lunch" noise,
//    monitoring tools (Nagios, Zabbix, Alertmanager) repeat the subject's facts in the body, and
//    it keeps the message shortest.
//  - subject: the subject only; the body when the subject is empty.
//  - subject_and_body: the subject, a line break, then the body (either alone when the other is
//    empty; the subject once when the body starts with it).
enum class subject_policy { body, subject, subject_and_body };

std::string_view to_string(subject_policy p);  // "body", "subject", "subject-and-body"
bool parse_subject_policy(std::string_view name, subject_policy& out);  // those names

// Per-account choices for turning a mail into SMS text; the defaults suit an account that has set
// nothing.
struct text_options {
  subject_policy subject = subject_policy::body;
  bool clean = true;  // cut signatures, quoted replies, mobile footers (false: the body as written)
  // ICU regular expressions (case-insensitive). The body is cut from the start of the line where
  // the first match begins: disclaimers sit at the end of a mail.
  std::vector<std::string> disclaimer_patterns;
  // A line that is exactly this (blanks around it ignored) ends the text, e.g. "##". Empty: none.
  std::string end_marker;
};

struct mail_text {
  std::string subject;     // decoded from RFC 2047 words, UTF-8
  std::string body;        // the chosen part, decoded to UTF-8, LF line ends, cleaned per options
  std::string message_id;  // the Message-ID header, as it stands
  std::string from;        // the From header, as it stands
  std::string source;      // where the body came from: "text/plain", "text/html", "none"
};

// On failure the error says what is wrong with the mail in a sentence fit for a 554 reply.
// A bad disclaimer pattern is not the mail's fault: it is skipped (check patterns with
// check_disclaimer_pattern when an account sets them).
result<mail_text, std::string> extract_text(std::string_view rfc5322,
                                            const text_options& options = {});

// The SMS text of an extracted mail under the subject policy.
std::string sms_text(const mail_text& m, const text_options& options = {});

// Whether a UTF-8 text has anything a reader sees: not only white space (Unicode's too:
// no-break, ideographic, ...) and default-ignorable characters (zero-width space and joiners,
// soft hyphen, word joiner, byte order mark, Hangul fillers), as ICU classifies them. A body of
// only those, which the GSM replacements would turn into an empty or blank SMS, counts as no body.
bool has_visible_text(std::string_view utf8);

// Empty when `pattern` is a usable disclaimer pattern, else why not.
std::string check_disclaimer_pattern(std::string_view pattern);

}  // namespace mail2sms::mail
