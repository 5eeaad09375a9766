// core/mail clean_body: the sender's words without signatures, quoted replies, footers,
// disclaimers and what follows an end marker; the subject policy (sms_text).
#include "core/mail/text_cleaning.hpp"

#include <gtest/gtest.h>

namespace mail2sms::mail {
namespace {

std::string clean(std::string_view text, const text_options& options = {}) {
  return clean_body(text, options);
}

TEST(clean_body, signature_is_cut_with_or_without_its_trailing_space) {
  EXPECT_EQ(clean("Call me.\n-- \nAnn Smith\nACME"), "Call me.");
  EXPECT_EQ(clean("Call me.\n--\nAnn Smith"), "Call me.");
  EXPECT_EQ(clean("Range 10--20 ok\n---\nnot a signature"),
            "Range 10--20 ok\n---\nnot a signature");
}

TEST(clean_body, quoted_lines_and_attribution_are_cut) {
  EXPECT_EQ(clean("Yes, 3pm works.\n\nOn Mon, 4 Mar 2024 at 10:00, Bob <bob@example.com> wrote:\n"
                  "> Can we meet at 3?\n> Bob"),
            "Yes, 3pm works.");
  // Gmail wraps a long attribution over two lines.
  EXPECT_EQ(clean("Done.\n\nOn Mon, Mar 4, 2024 at 10:00 AM Robert Example <\n"
                  "robert@example.com> wrote:\n\n> Is it done?"),
            "Done.");
  EXPECT_EQ(clean("Ja.\n\nAm 04.03.2024 um 10:00 schrieb Bob <bob@example.de>:\n> Kommst du?"),
            "Ja.");
  EXPECT_EQ(clean("Oui.\n\nLe lun. 4 mars 2024 à 10:00, Bob <bob@example.fr> a écrit :\n> ?"),
            "Oui.");
}

TEST(clean_body, interleaved_quotes_keep_the_answers) {
  EXPECT_EQ(clean("> When?\nTomorrow.\n> Where?\nHere."), "Tomorrow.\nHere.");
}

TEST(clean_body, outlook_reply_blocks_are_cut) {
  EXPECT_EQ(clean("Approved.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Ann\n"
                  "Subject: PO\n\nPlease approve."),
            "Approved.");
  EXPECT_EQ(clean("Approved.\n\n________________________________\nFrom: Bob <bob@example.com>\n"
                  "Sent: Monday, March 4, 2024 10:00 AM\nTo: Ann\nSubject: PO\n\nPlease approve."),
            "Approved.");
  EXPECT_EQ(clean("Approved.\n\nFrom: Bob <bob@example.com>\nDate: Monday\nSubject: PO\n\nAsk."),
            "Approved.");
}

TEST(clean_body, a_mail_that_is_only_a_quote_passes_the_quote_on) {
  EXPECT_EQ(clean("On Mon, 4 Mar 2024, Bob wrote:\n> Server down\n> since 10:00"),
            "Server down\nsince 10:00");
}

TEST(clean_body, forward_headers_are_dropped_and_the_text_kept) {
  EXPECT_EQ(clean("FYI\n\n---------- Forwarded message ---------\nFrom: Nagios <n@example.com>\n"
                  "Date: Mon, 4 Mar 2024\nSubject: db1 DOWN\nTo: ops@example.com\n\ndb1 is DOWN"),
            "FYI\n\ndb1 is DOWN");
  EXPECT_EQ(clean("Begin forwarded message:\n\nFrom: Bob\nSubject: x\n\nhello"), "hello");
}

TEST(clean_body, mobile_footers_at_the_end_are_dropped) {
  EXPECT_EQ(clean("On my way\n\nSent from my iPhone"), "On my way");
  EXPECT_EQ(clean("On my way\nGet Outlook for Android"), "On my way");
  EXPECT_EQ(clean("Unterwegs\n\nVon meinem iPhone gesendet"), "Unterwegs");
  EXPECT_EQ(clean("Sent from my iPhone"), "");
  // Several, with blank lines between and after them; lines before them are kept as they are.
  EXPECT_EQ(clean("Line 1\n\nLine 2\n\nGet Outlook for iOS\n\nSent from my iPhone\n\n\n"),
            "Line 1\n\nLine 2");
  EXPECT_EQ(clean("\n\n"), "");
  // Only at the end: a sentence that starts alike in the middle stays.
  EXPECT_EQ(clean("Sent from my laptop at home, the report.\nThanks"),
            "Sent from my laptop at home, the report.\nThanks");
}

TEST(clean_body, disclaimers_are_cut_from_the_line_where_they_begin) {
  text_options options;
  options.disclaimer_patterns = {"this (e-?mail|message) (and any attachments )?is confidential"};
  EXPECT_EQ(clean("Meeting moved to 4pm.\n\nCONFIDENTIAL: This email is confidential and intended "
                  "only for the addressee.\nIf you received it in error, delete it.",
                  options),
            "Meeting moved to 4pm.");
  EXPECT_EQ(clean("No disclaimer here.", options), "No disclaimer here.");
}

TEST(clean_body, a_bad_disclaimer_pattern_is_skipped_and_reported_by_the_check) {
  text_options options;
  options.disclaimer_patterns = {"(unclosed", "confidential"};
  EXPECT_EQ(clean("Hi\nConfidential stuff", options), "Hi");
  EXPECT_FALSE(check_disclaimer_pattern("(unclosed").empty());
  EXPECT_TRUE(check_disclaimer_pattern("confidential").empty());
}

TEST(clean_body, end_marker_ends_the_text) {
  text_options options;
  options.end_marker = "##";
  EXPECT_EQ(clean("Pump 3 failed\n##\nticket 1234 internal notes", options), "Pump 3 failed");
  EXPECT_EQ(clean("no marker\n# one hash", options), "no marker\n# one hash");
}

TEST(clean_body, whitespace_is_normalised) {
  EXPECT_EQ(clean("\n\nHost:\t\tdb1   \nState:   DOWN\n\n\n\nEnd  \n\n"),
            "Host: db1\nState: DOWN\n\nEnd");
  // Blanks at the start and end of the text and of lines go; a run inside a line is one space.
  EXPECT_EQ(clean("  a \t b\t\n\t c  d \n e\t"), "a b\nc d\ne");
  EXPECT_EQ(clean("x"), "x");
  EXPECT_EQ(clean(" \t "), "");
}

TEST(clean_body, off_keeps_replies_and_signatures) {
  text_options options;
  options.clean = false;
  EXPECT_EQ(clean("Yes\n> q\n-- \nAnn", options), "Yes\n> q\n--\nAnn");
}

TEST(sms_text, subject_policies) {
  const mail_text m{.subject = "PROBLEM: db1",
                    .body = "Host db1 DOWN",
                    .message_id = {},
                    .from = {},
                    .source = {}};
  text_options options;
  EXPECT_EQ(sms_text(m, options), "Host db1 DOWN");
  options.subject = subject_policy::subject;
  EXPECT_EQ(sms_text(m, options), "PROBLEM: db1");
  options.subject = subject_policy::subject_and_body;
  EXPECT_EQ(sms_text(m, options), "PROBLEM: db1\nHost db1 DOWN");
  EXPECT_EQ(
      sms_text({.subject = "x", .body = "", .message_id = {}, .from = {}, .source = {}}, options),
      "x");
  EXPECT_EQ(
      sms_text({.subject = "Hi", .body = "Hi there", .message_id = {}, .from = {}, .source = {}},
               options),
      "Hi there");
  options.subject = subject_policy::body;
  EXPECT_EQ(sms_text({.subject = "only", .body = "", .message_id = {}, .from = {}, .source = {}},
                     options),
            "only");
  subject_policy parsed = subject_policy::body;
  EXPECT_TRUE(parse_subject_policy("subject-and-body", parsed));
  EXPECT_EQ(parsed, subject_policy::subject_and_body);
  EXPECT_FALSE(parse_subject_policy("both", parsed));
}

}  // namespace
}  // namespace mail2sms::mail
