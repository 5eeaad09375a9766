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

const std::string html_only_error =
    "the mail has no text/plain part (HTML-only mail is not supported yet); send it as plain text";
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

TEST(extract_text, html_only_is_refused_with_a_reason) {
  EXPECT_EQ(error_of(sample("html_only.eml")), html_only_error);
}

TEST(extract_text, html_only_alternative_is_refused_with_a_reason) {
  EXPECT_EQ(error_of("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                     "--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b--\r\n"),
            html_only_error);
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
  EXPECT_EQ(text_of(sample("format_flowed.eml")).body,
            "This is a long paragraph that Thunderbird wrapped at seventy-two characters, with a "
            "trailing space marking the soft break.\nFrom here on a space-stuffed line.\n\n"
            "> quoted and flowed\n\n--\nFrank");
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
