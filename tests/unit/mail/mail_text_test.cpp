// core/mail extract_text: the sample mails under tests/data/mail, each with the exact text an SMS
// would carry, and malformed input that must be refused or read as well as possible, never crash.
#include "core/mail/mail_text.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/mail/charset.hpp"

namespace mail2sms::mail {
namespace {

const std::string no_text_error = "the mail has no text to send";

std::string sample(const std::string& name) {
  const std::string path = std::string(MAIL2SMS_TEST_DATA) + "/mail/" + name;
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot open " << path;
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

mail_text text_of(const std::string& rfc5322) {
  auto text = extract_text(rfc5322);
  EXPECT_TRUE(text.has_value()) << text.error();
  return text ? *text : mail_text{};
}

std::string error_of(const std::string& rfc5322) {
  auto text = extract_text(rfc5322);
  EXPECT_FALSE(text.has_value()) << "extracted body: " << text->body;
  return text ? std::string{} : text.error();
}

TEST(extract_text, plain_ascii_is_laid_out_for_sms) {
  const mail_text text = text_of(sample("plain_ascii.eml"));
  EXPECT_EQ(text.subject, "PROBLEM: db1 is DOWN");
  EXPECT_EQ(text.from, "Nagios <nagios@monitor.example.com>");
  EXPECT_EQ(text.message_id, "<20240301101500.1234@monitor.example.com>");
  EXPECT_EQ(
      text.body,
      "Host: db1\nState: DOWN\n\nAddress: 10.0.0.5\nInfo: PING CRITICAL - Packet loss = 100%");
}

TEST(extract_text, utf8_8bit) {
  const mail_text text = text_of(sample("utf8_8bit.eml"));
  EXPECT_EQ(text.subject, "Gruss");
  EXPECT_EQ(text.from, "=?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>");  // as it stands
  EXPECT_EQ(text.body, "Grüße aus Köln – das Meeting ist um 15:00 €.\nSmile: 😀");
}

TEST(extract_text, quoted_printable_utf8) {
  EXPECT_EQ(text_of(sample("qp_utf8.eml")).body,
            "Café ouvert jusqu'à 22h. Cette ligne est très longue et elle continue après un saut "
            "doux.\nDeux espaces codés\nFin = terminé.");
}

TEST(extract_text, base64_utf8) {
  const mail_text text = text_of(sample("base64_utf8.eml"));
  EXPECT_EQ(text.subject, "Встреча");
  EXPECT_EQ(text.body, "Привет! Встреча в 15:00.\nДо встречи — Алиса");
}

// A NUL in the body (QP, base64 of UTF-16) is dropped: no SMS carries U+0000, and the database
// could not store the mail with it. (An encoded subject's NUL was a space already.)
TEST(extract_text, nul_characters_are_dropped) {
  const mail_text text = text_of(
      "From: a@example.com\r\nSubject: =?utf-8?q?up=00time?=\r\nContent-Type: text/plain\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nhello=00world\r\n");
  EXPECT_EQ(text.body, "helloworld");
  EXPECT_EQ(text.subject, "up time");
  EXPECT_EQ(text_of("Content-Type: text/plain; charset=utf-16le\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\naABpAAAAIQA=\r\n")
                .body,
            "hi!");
}

TEST(extract_text, latin1_quoted_printable_is_read_as_windows_1252) {
  const mail_text text = text_of(sample("latin1_qp.eml"));
  EXPECT_EQ(text.subject, "Réunion à 10h");
  EXPECT_EQ(text.body, "L'été coûte 20 € (sic: Windows-1252 in a Latin-1 label).\nNaïve façade.");
}

TEST(extract_text, windows_1251_any_charset_icu_knows) {
  const mail_text text = text_of(sample("windows1251_qp.eml"));
  EXPECT_EQ(text.subject, "Привет");
  EXPECT_EQ(text.body, "Привет, мир!");
}

TEST(extract_text, multipart_alternative_takes_the_plain_part) {
  const mail_text text = text_of(sample("multipart_alternative.eml"));
  EXPECT_EQ(text.subject, "Lunch?");
  EXPECT_EQ(text.from, "Bob <bob@example.com>");
  EXPECT_EQ(text.body, "Lunch at 12:30 at Café Nero?\n\n-- Bob");
}

TEST(extract_text, multipart_mixed_skips_attachments_and_nests) {
  EXPECT_EQ(text_of(sample("multipart_mixed_attachment.eml")).body,
            "The report is attached.\nPlease check page 2.");
}

TEST(extract_text, subject_rfc2047_b_words_are_joined) {
  const mail_text text = text_of(sample("subject_rfc2047_b.eml"));
  EXPECT_EQ(text.subject, "日本語の件名 (Japanese)");
  EXPECT_EQ(text.body, "本文");
}

TEST(extract_text, subject_rfc2047_q_words_mixed_with_text) {
  const mail_text text = text_of(sample("subject_rfc2047_q.eml"));
  EXPECT_EQ(text.subject, "Re: Grüße aus München und Köln");
  EXPECT_EQ(text.body, "Servus.");
  EXPECT_EQ(text.message_id, "<subj-q@example.de>");
}

TEST(extract_text, html_only_is_converted) {
  const mail_text text = text_of(sample("html_only.eml"));
  EXPECT_EQ(text.body, "News\n\nHello");
  EXPECT_EQ(text.source, "text/html");
}

TEST(extract_text, html_only_alternative_is_converted) {
  EXPECT_EQ(text_of("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b--\r\n")
                .body,
            "hi");
}

TEST(extract_text, alternative_prefers_plain_even_after_html) {
  EXPECT_EQ(text_of("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
                    "--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b--\r\n")
                .body,
            "plain");
}

TEST(extract_text, empty_plain_part_gives_way_to_html) {
  EXPECT_EQ(text_of("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/plain\r\n\r\n \r\n"
                    "--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n")
                .body,
            "html");
}

TEST(extract_text, a_body_of_invisible_characters_is_no_body) {
  // A zero-width space, a soft hyphen, no-break spaces: the GSM replacements make them nothing
  // or blanks, and the SMS would be empty. The subject is the text instead.
  for (const char* body : {"=E2=80=8B", "=C2=AD", "=C2=A0\r\n=C2=A0 =E3=80=80", "=EF=BB=BF"}) {
    const auto text =
        text_of(std::string("Subject: Disk full on db1\r\nContent-Type: text/plain; charset=utf-8"
                            "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n") +
                body + "\r\n");
    EXPECT_EQ(text.body, "") << body;
    EXPECT_EQ(sms_text(text), "Disk full on db1") << body;
  }
  // Beside a filled HTML part, the HTML is read.
  EXPECT_EQ(text_of("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n\r\n=E2=80=8B\r\n"
                    "--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n")
                .body,
            "html");
  // Nothing visible in the subject either: no text to send.
  EXPECT_EQ(error_of("Subject: =?utf-8?q?=E2=80=8B?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C2=A0\r\n"),
            no_text_error);
  EXPECT_TRUE(has_visible_text("x"));
  EXPECT_TRUE(has_visible_text("\xC3\xA9"));  // é
  EXPECT_FALSE(has_visible_text(" \t\r\n\xE2\x80\x8B\xC2\xA0"));
}

TEST(extract_text, forwarded_message_is_read_when_the_mail_has_no_text_of_its_own) {
  const std::string forward =
      "Subject: Fwd: alert\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\n{OWN}\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: alert\r\n"
      "Content-Type: text/plain\r\n\r\ndb1 is down\r\n--b--\r\n";
  std::string own = forward;
  own.replace(own.find("{OWN}"), 5, "FYI");
  EXPECT_EQ(text_of(own).body, "FYI");
  std::string none = forward;
  none.replace(none.find("{OWN}"), 5, "");
  EXPECT_EQ(text_of(none).body, "db1 is down");
}

const std::string too_deep_error =
    "the mail's text is nested more than 16 MIME levels deep; send it nearer the top of the mail";

// Past 16 levels the parts are not read. A mail whose only text is down there is refused with
// that reason: an SMS of its subject alone would drop the text without a word (session 31's
// probe: "Server alert" sent, "DB primary down" lost).
TEST(extract_text, forwarded_messages_nested_past_the_depth_limit_are_not_read) {
  std::string mail = "Subject: deep\r\n";
  for (int level = 0; level < 20; ++level) mail += "Content-Type: message/rfc822\r\n\r\n";
  mail += "Content-Type: text/plain\r\n\r\nhello\r\n";
  EXPECT_EQ(error_of(mail), too_deep_error);
  mail = "Subject: shallow\r\n";
  for (int level = 0; level < 5; ++level) mail += "Content-Type: message/rfc822\r\n\r\n";
  mail += "Content-Type: text/plain\r\n\r\nhello\r\n";
  EXPECT_EQ(text_of(mail).body, "hello");
}

std::string nested_multiparts(int depth, const std::string& innermost) {
  std::string mail =
      "Subject: Server alert\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n";
  for (int i = 1; i < depth; ++i) {
    mail += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" +
            std::to_string(i) + "\"\r\n\r\n";
  }
  mail += "--b" + std::to_string(depth - 1) + "\r\n" + innermost + "\r\n--b" +
          std::to_string(depth - 1) + "--\r\n";
  for (int i = depth - 2; i >= 0; --i) mail += "--b" + std::to_string(i) + "--\r\n";
  return mail;
}

TEST(extract_text, a_text_past_the_depth_limit_is_refused_not_replaced_by_the_subject) {
  const std::string text = "Content-Type: text/plain\r\n\r\nDB primary down, failover FAILED";
  // The text part at level 16 is read; at level 17 it is not, and the mail says why.
  EXPECT_EQ(text_of(nested_multiparts(16, text)).body, "DB primary down, failover FAILED");
  EXPECT_EQ(error_of(nested_multiparts(17, text)), too_deep_error);
  EXPECT_EQ(error_of(nested_multiparts(200, text)), too_deep_error);
  // An attachment down there is no text that could be lost: the subject is the SMS, as before.
  const mail_text attached = text_of(nested_multiparts(
      17, "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nlog lines"));
  EXPECT_EQ(attached.body, "");
  EXPECT_EQ(attached.subject, "Server alert");
}

// Below the limit, only a part that could hold the text counts: an inline image there leaves
// the subject as the SMS. An account that sends the subject alone is not refused either.
TEST(extract_text, only_what_could_hold_the_text_past_the_depth_limit_refuses_the_mail) {
  const mail_text image = text_of(nested_multiparts(17, "Content-Type: image/png\r\n\r\niVBORw0K"));
  EXPECT_EQ(image.body, "");
  EXPECT_EQ(image.subject, "Server alert");
  text_options subject_only;
  subject_only.subject = subject_policy::subject;
  const auto text = extract_text(
      nested_multiparts(17, "Content-Type: text/plain\r\n\r\nDB primary down"), subject_only);
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(text->subject, "Server alert");
}

TEST(extract_text, a_text_found_above_the_depth_limit_is_the_sms_whatever_lies_below) {
  std::string mail =
      nested_multiparts(20, "Content-Type: text/plain\r\n\r\nforwarded twenty levels down");
  // The same mail with a text of its own at the top level.
  mail.replace(mail.find("--b0\r\n"), 6,
               "--b0\r\nContent-Type: text/plain\r\n\r\nthe mail's own text\r\n--b0\r\n");
  EXPECT_EQ(text_of(mail).body, "the mail's own text");
}

TEST(extract_text, rfc2231_charset_and_attachment_names) {
  // A text part named only by an RFC 2231 filename is an attachment; the charset parameter in its
  // extended form is honoured.
  const mail_text text = text_of(
      "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset*=iso-8859-1''\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\nD\xe9j\xe0 vu\r\n"
      "--b\r\nContent-Type: text/plain\r\nContent-Disposition: inline;\r\n"
      " filename*0*=utf-8''r%C3%A9sum%C3%A9;\r\n filename*1=.txt\r\n\r\nattached\r\n--b--\r\n");
  EXPECT_EQ(text.body, "Déjà vu");
}

TEST(extract_text, non_text_mail_without_subject_is_refused_with_a_reason) {
  const std::string error = error_of("Content-Type: application/octet-stream\r\n\r\nAAAA\r\n");
  EXPECT_NE(error.find("no text part"), std::string::npos) << error;
}

TEST(extract_text, truncated_base64_gives_the_complete_characters) {
  // "Grüße" in UTF-8 is R3LDvMOfZQ==; cut mid-quantum, the partial character is not garbage.
  const mail_text text = text_of(
      "Subject: t\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nR3LDvMOfZ");
  EXPECT_TRUE(is_utf8(text.body));
  EXPECT_TRUE(text.body.starts_with("Grüß")) << text.body;
}

TEST(extract_text, no_subject_and_blank_body_is_refused) {
  EXPECT_EQ(error_of(sample("empty.eml")), no_text_error);
  EXPECT_EQ(error_of(""), no_text_error);
  EXPECT_EQ(error_of("\r\n\r\n"), no_text_error);
}

TEST(extract_text, subject_alone_is_enough) {
  const mail_text text = text_of(sample("subject_only.eml"));
  EXPECT_EQ(text.subject, "Disk full on web1");
  EXPECT_EQ(text.body, "");
}

TEST(extract_text, attachment_only_with_subject_sends_the_subject) {
  const mail_text text = text_of(
      "Subject: scan\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n"
      "--b--\r\n");
  EXPECT_EQ(text.subject, "scan");
  EXPECT_EQ(text.body, "");
}

TEST(extract_text, truncated_multipart_gives_what_is_there) {
  const mail_text text = text_of(sample("truncated_multipart.eml"));
  EXPECT_EQ(text.subject, "Truncated");
  EXPECT_EQ(text.body, "Hello, this mail was cut off in the middle of");
}

TEST(extract_text, unknown_charset_falls_back_to_windows_1252) {
  EXPECT_EQ(text_of(sample("unknown_charset.eml")).body, "Price: 20€, “quoted”.");
}

TEST(extract_text, undeclared_utf8_is_read_as_utf8) {
  EXPECT_EQ(text_of(sample("undeclared_utf8.eml")).body, "Température: 21 °C");
}

TEST(extract_text, format_flowed_paragraphs_are_joined) {
  text_options raw;
  raw.clean = false;
  const auto text = extract_text(sample("format_flowed.eml"), raw);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->body,
            "This is a long paragraph that Thunderbird wrapped at seventy-two characters, with a "
            "trailing space marking the soft break.\nFrom here on a space-stuffed line.\n\n"
            "> quoted and flowed\n\n--\nFrank");
  // Cleaned (the default): the quote and the signature go.
  EXPECT_EQ(text_of(sample("format_flowed.eml")).body,
            "This is a long paragraph that Thunderbird wrapped at seventy-two characters, with a "
            "trailing space marking the soft break.\nFrom here on a space-stuffed line.");
}

TEST(extract_text, missing_content_type_in_a_part_means_text_plain) {
  EXPECT_EQ(text_of("Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n"
                    "part without headers\r\n--b--\r\n")
                .body,
            "part without headers");
}

TEST(extract_text, bare_lf_line_endings_are_accepted) {
  const mail_text text = text_of(
      "Subject: lf\nContent-Transfer-Encoding: quoted-printable\n\n"
      "one  \ntwo=\n three\n");
  EXPECT_EQ(text.subject, "lf");
  EXPECT_EQ(text.body, "one\ntwo three");
}

const std::string too_many_parts_error =
    "the mail has too many MIME parts to read (more than 256); send it as plain text";

TEST(extract_text, deeply_nested_multiparts_are_refused_not_recursed) {
  std::string mail = "Subject: deep\r\n";
  for (int level = 0; level < 5000; ++level) {
    mail += "Content-Type: multipart/mixed; boundary=b" + std::to_string(level) + "\r\n\r\n--b" +
            std::to_string(level) + "\r\n";
  }
  mail += "Content-Type: text/plain\r\n\r\nhello\r\n";
  EXPECT_EQ(error_of(mail), too_many_parts_error);
}

TEST(extract_text, deeply_nested_messages_are_refused_not_recursed) {
  std::string mail = "Subject: deep\r\n";
  for (int level = 0; level < 30000; ++level) mail += "content-type:message/rfc822\r\n\r\n";
  mail += "hello\r\n";
  EXPECT_EQ(error_of(mail), too_many_parts_error);
}

// mimetic finds a boundary anywhere in a line, and the next part's header starts right after it:
// Content-Type fields in the middle of lines nest as deep, so the guard counts them too (counting
// only at line starts, this mail reached mimetic with 300 levels).
TEST(extract_text, nesting_through_boundaries_in_mid_line_is_refused) {
  auto boundary = [](int level) {
    std::string digits = std::to_string(level);
    return "b" + std::string(5 - digits.size(), '0') + digits;
  };
  std::string mail =
      "Subject: deep\r\nContent-Type: multipart/mixed; boundary=" + boundary(0) + "\r\n\r\n";
  for (int level = 0; level < 300; ++level) {
    mail += "--" + boundary(level) +
            "Content-Type: multipart/mixed; boundary=" + boundary(level + 1) + "\r\n\r\n";
  }
  EXPECT_EQ(error_of(mail), too_many_parts_error);
}

std::string nested_in_spelling(const std::string& field) {
  std::string mail = "Subject: deep\r\n";
  for (int level = 0; level < 300; ++level) {
    mail += field + "; boundary=b" + std::to_string(level) + "\r\n\r\n--b" + std::to_string(level) +
            "\r\n";
  }
  return mail + "Content-Type: text/plain\r\n\r\nhello\r\n";
}

// Every spelling of a nesting Content-Type that mimetic nests for is counted: a blank before the
// colon, none after it, upper case, blanks after the colon.
TEST(extract_text, nesting_fields_in_any_spelling_are_counted) {
  for (const std::string field : {"Content-Type : multipart/mixed", "CONTENT-TYPE:MULTIPART/mixed",
                                  "content-type:\t Multipart/alternative"}) {
    EXPECT_EQ(error_of(nested_in_spelling(field)), too_many_parts_error) << field;
  }
}

// A value folded onto the next line is " multipart/mixed" to mimetic, a type it does not nest
// for: the count has it (it cannot tell), but mimetic's own reading of the mail's header says
// the mail is flat, so it is read, and its subject is the SMS.
TEST(extract_text, a_spelling_mimetic_does_not_nest_for_is_read) {
  const mail_text text = text_of(nested_in_spelling("Content-Type:\r\n\tmultipart/mixed"));
  EXPECT_EQ(text.subject, "deep");
}

// A mail that is not MIME has no parts for mimetic to nest into, whatever its text quotes: a
// reply quoting a log's "content-type mismatch" 300 times is one short SMS (session 31's probe
// had it refused as too many MIME parts).
TEST(extract_text, a_plain_mail_quoting_content_type_lines_is_not_counted_as_parts) {
  std::string quoted;
  for (int i = 0; i < 300; ++i) quoted += "> log: content-type mismatch\r\n";
  EXPECT_EQ(text_of("Subject: re\r\n\r\nShort alert text.\r\n" + quoted).body.substr(0, 17),
            "Short alert text.");
  // Only the mail's own header decides: a Content-Type that nests further down is a body line.
  EXPECT_EQ(text_of("Subject: re\r\nContent-Type: text/plain\r\n\r\nShort alert text.\r\n" +
                    quoted + "Content-Type: multipart/mixed\r\n")
                .body.substr(0, 17),
            "Short alert text.");
  // A MIME mail is counted as before.
  EXPECT_EQ(error_of("Subject: re\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                     "Content-Type: text/plain\r\n\r\nShort alert text.\r\n" +
                     quoted + "--b--\r\n"),
            too_many_parts_error);
}

// A header section whose first line is a field without a name (" : message/rfc822") gives its
// value to the next field mimetic reads: a "Content-Type:" with nothing after it then nests.
// Session 31's review built both of these; each would have overflowed the stack in mimetic.
TEST(extract_text, nesting_through_fields_without_a_name_is_refused) {
  // At the top: the mail's own header names no nesting type in a Content-Type field.
  std::string top = " : message/rfc822\r\nContent-Type:\r\n\r\n";
  for (int level = 0; level < 30000; ++level) top += "Content-Type: message/rfc822\r\n\r\n";
  top += "hello\r\n";
  EXPECT_EQ(error_of(top), too_many_parts_error);
  // At every level of a multipart chain: no "Content-Type" is followed by an m at all.
  std::string chain = "Subject: deep\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int level = 0; level < 5000; ++level)
    chain += "--b\r\n : multipart/mixed; boundary=b\r\nContent-Type:\r\n\r\n";
  chain += "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";
  EXPECT_EQ(error_of(chain), too_many_parts_error);
}

// Only the Content-Types that could nest are counted: a text attachment that quotes a thousand
// header sections (a mail log, a spool dump) is no reason to refuse the mail it is attached to.
// Such a mail was refused with too_many_parts_error.
TEST(extract_text, content_types_that_cannot_nest_are_not_counted) {
  std::string log;
  for (int i = 0; i < 1000; ++i) log += "Content-Type: text/plain; charset=us-ascii\r\n";
  const std::string mail =
      "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nthe log is attached\r\n--b\r\n"
      "Content-Type: text/plain; name=spool.log\r\nContent-Disposition: attachment\r\n\r\n" +
      log + "--b--\r\n";
  EXPECT_EQ(text_of(mail).body, "the log is attached");
}

// mimetic's cost for one header field grows with the square of its length (a 1 MiB folded
// Subject took over a second of CPU): more than 102,400 octets in one field is refused, in the
// mail's own header, a part's or a forwarded message's, with any of the line breaks mimetic reads.
const std::string header_too_long_error =
    "the mail has a header field longer than 102400 octets; send it with shorter headers";

std::string folded(std::size_t octets, std::string_view line_break) {
  std::string value = "x";
  while (value.size() < octets) value += std::string(line_break) + " " + std::string(70, 'a');
  value.resize(octets);
  return value;
}

TEST(extract_text, a_header_field_too_long_to_parse_is_refused) {
  for (const std::string_view line_break : {"\r\n", "\n", "\r", "\n\r"}) {
    const std::string mail = "Subject: " + folded(200 * 1024, line_break) +
                             std::string(line_break) + std::string(line_break) + "body";
    EXPECT_EQ(error_of(mail), header_too_long_error) << testing::PrintToString(line_break);
  }
  const std::string in_a_part =
      "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-Long: " +
      folded(200 * 1024, "\r\n") + "\r\n\r\nhello\r\n--b--\r\n";
  EXPECT_EQ(error_of(in_a_part), header_too_long_error);
  const std::string after_a_boundary_mid_line =
      "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--bX-Long: " +
      folded(200 * 1024, "\r\n") + "\r\n\r\nhello\r\n--b--\r\n";
  EXPECT_EQ(error_of(after_a_boundary_mid_line), header_too_long_error);
  const std::string in_a_forwarded_message =
      "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: message/rfc822\r\n\r\nX-Long: " +
      folded(200 * 1024, "\r\n") + "\r\n\r\nhello\r\n--b--\r\n";
  EXPECT_EQ(error_of(in_a_forwarded_message), header_too_long_error);
  // As long as Postfix keeps of a header: read.
  const std::string at_the_limit =
      "Subject: hi\r\nX-Long: " + folded(102400 - 8, "\r\n") + "\r\n\r\nbody";
  EXPECT_EQ(text_of(at_the_limit).body, "body");
}

// A header section whose first line is a field without a name (" : ...") makes mimetic append
// the next field's value to that one's: two fields each under the limit became one of twice
// the limit inside mimetic (about 30 ms of CPU). They count as one field; two named fields
// each under the limit do not.
TEST(extract_text, a_nameless_first_field_counts_with_the_next) {
  const auto nameless_then = [](const std::string& between) {
    return " : " + folded(60 * 1024, "\r\n") + "\r\n" + between +
           "X-Next: " + folded(60 * 1024, "\r\n") + "\r\nSubject: hi\r\n\r\nbody";
  };
  EXPECT_EQ(error_of(nameless_then("")), header_too_long_error);
  EXPECT_EQ(error_of(nameless_then(":skipped by mimetic\r\n")), header_too_long_error);
  const std::string in_a_part =
      "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + nameless_then("") +
      "\r\n--b--\r\n";
  EXPECT_EQ(error_of(in_a_part), header_too_long_error);
  const std::string on_the_boundary_s_line =  // one long line, not folded
      "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b : " +
      std::string(60 * 1024, 'a') + "\r\nX-Next: " + folded(60 * 1024, "\r\n") +
      "\r\n\r\nbody\r\n--b--\r\n";
  EXPECT_EQ(error_of(on_the_boundary_s_line), header_too_long_error);
  const std::string two_named = "X-One: " + folded(60 * 1024, "\r\n") +
                                "\r\nX-Two: " + folded(60 * 1024, "\r\n") +
                                "\r\nSubject: hi\r\n\r\nbody";
  EXPECT_EQ(text_of(two_named).body, "body");
  const std::string nameless_alone =
      " : " + folded(60 * 1024, "\r\n") + "\r\nSubject: hi\r\n\r\nbody";
  EXPECT_EQ(text_of(nameless_alone).body, "body");
}

// Indented text in a body is not a header, however long: a pretty-printed HTML report of 200 KiB
// (every line indented) is read, alone or as a part. The first version of the check counted
// bodies too and refused it.
TEST(extract_text, an_indented_body_is_not_a_long_header) {
  std::string html = "<html>\r\n<body>\r\n";
  for (int i = 0; html.size() < 200 * 1024; ++i)
    html +=
        "      <p>row " + std::to_string(i) + " of the report, with the state of each host</p>\r\n";
  html += "</body>\r\n</html>\r\n";
  const std::string alone = "Subject: report\r\nContent-Type: text/html\r\n\r\n" + html;
  EXPECT_TRUE(extract_text(alone).has_value()) << error_of(alone);
  const std::string as_a_part =
      "Subject: report\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/html\r\n\r\n" +
      html + "--b--\r\n";
  EXPECT_TRUE(extract_text(as_a_part).has_value()) << error_of(as_a_part);
  std::string plain = "Subject: hi\r\n\r\n";
  for (int i = 0; i < 5000; ++i) plain += "line " + std::to_string(i) + "\r\n  indented\r\n";
  EXPECT_GT(plain.size(), 102400u);
  EXPECT_TRUE(extract_text(plain).has_value());
}

TEST(extract_text, a_few_nested_multiparts_are_read) {
  std::string mail = "Subject: nested\r\n";
  for (int level = 0; level < 10; ++level) {
    mail += "Content-Type: multipart/mixed; boundary=b" + std::to_string(level) + "\r\n\r\n--b" +
            std::to_string(level) + "\r\n";
  }
  mail += "Content-Type: text/plain\r\n\r\nhello\r\n";
  EXPECT_EQ(text_of(mail).body, "hello");
}

TEST(extract_text, garbage_does_not_crash) {
  for (const std::string& garbage :
       {std::string("\0\0\0\xff\xfe", 5), std::string(":::\r\n\r\n"), std::string("=?=?=?"),
        std::string("Content-Type: multipart/mixed\r\n\r\n--\r\n--\r\n"),
        std::string("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\nx\r\n"),
        std::string("Content-Transfer-Encoding: base64\r\n\r\n!!!!|||{{{"),
        std::string("Subject: =?utf-8?B?\xff\xff?=\r\n\r\n")}) {
    auto text = extract_text(garbage);
    if (text) {
      EXPECT_TRUE(is_utf8(text->subject));
      EXPECT_TRUE(is_utf8(text->body));
    }
  }
}

// Every sample cut at every byte: whatever comes out is refused with a sentence or is valid
// UTF-8. This is the truncation a dropped connection or a size limit produces.
TEST(extract_text, every_sample_cut_at_every_offset_is_handled) {
  for (const char* name :
       {"plain_ascii.eml", "utf8_8bit.eml", "qp_utf8.eml", "base64_utf8.eml", "latin1_qp.eml",
        "multipart_alternative.eml", "multipart_mixed_attachment.eml", "subject_rfc2047_b.eml",
        "subject_rfc2047_q.eml", "html_only.eml", "empty.eml", "truncated_multipart.eml",
        "unknown_charset.eml", "undeclared_utf8.eml", "windows1251_qp.eml", "subject_only.eml",
        "format_flowed.eml"}) {
    const std::string mail = sample(name);
    ASSERT_FALSE(mail.empty()) << name;
    for (std::size_t cut = 0; cut <= mail.size(); ++cut) {
      auto text = extract_text(std::string_view(mail).substr(0, cut));
      if (!text) {
        EXPECT_FALSE(text.error().empty());
        continue;
      }
      EXPECT_TRUE(is_utf8(text->subject) && is_utf8(text->body) && is_utf8(text->from) &&
                  is_utf8(text->message_id))
          << name << " cut at " << cut;
    }
  }
}

// Found by the fuzzer: mimetic throws from its constructor on this multipart and used to leak
// the parts it had built (LeakSanitizer catches it in the sanitizer build). The mail is refused.
TEST(extract_text, mimetic_throwing_mid_parse_is_a_refusal) {
  const auto r = extract_text("Content-Type:multipart\r\r--\n\n\r\n--");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("could not be read as a MIME message"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace mail2sms::mail
