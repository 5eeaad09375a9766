// Delivery-status mails: headers, the multipart/report structure, folding, CRLF only, and what
// they must not carry.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "core/notify/dsn.hpp"

namespace mail2sms::notify {
namespace {

delivery_status failed_sms() {
  return delivery_status{.from = "sms-gateway@example.com",
                         .to = "ops@example.org",
                         .reporting_mta = "gw.example.com",
                         .queue_id = "Q1A2B3",
                         .recipient = "+27821234567",
                         .recipient_domain = "sms.example.com",
                         .status = "undeliverable",
                         .reason = "receipt: UNDELIV err:001",
                         .original_message_id = "abc.123@client.example.org",
                         .arrival_date = "Sun, 29 Nov 2026 02:00:00 +0000",
                         .last_attempt_date = "Sun, 29 Nov 2026 02:00:05 +0000",
                         .date = "Sun, 29 Nov 2026 02:00:06 +0000",
                         .message_id = "<mail2sms.dsn.7.ab@gw.example.com>",
                         .boundary = "=_mail2sms_0011"};
}

std::vector<std::string> crlf_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find("\r\n", start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

// The header block's value of `name` with folding undone.
std::string header(const std::string& mail, const std::string& name) {
  const auto head = mail.substr(0, mail.find("\r\n\r\n") + 2);
  const auto at = head.find("\r\n" + name + ":") != std::string::npos
                      ? head.find("\r\n" + name + ":") + 2
                      : (head.rfind(name + ":", 0) == 0 ? 0 : std::string::npos);
  if (at == std::string::npos) return {};
  std::string value;
  auto pos = at + name.size() + 1;
  for (;;) {
    const auto end = head.find("\r\n", pos);
    value += head.substr(pos, end - pos);
    if (end + 2 >= head.size() || (head[end + 2] != ' ' && head[end + 2] != '\t')) break;
    pos = end + 2;
  }
  return value.substr(value.find_first_not_of(' '));
}

TEST(dsn, every_line_ends_in_crlf_and_is_7bit_and_short) {
  auto d = failed_sms();
  d.reason = "r\xc3\xa9sultat\nBCC: x@y " + std::string(300, 'x');
  const auto mail = render_dsn(d);
  for (std::size_t i = 0; i < mail.size(); ++i) {
    const auto c = static_cast<unsigned char>(mail[i]);
    EXPECT_LT(c, 0x80) << "8-bit byte at " << i;
    if (c == '\n') {
      EXPECT_TRUE(i > 0 && mail[i - 1] == '\r') << "bare LF at " << i;
    }
    if (c == '\r') {
      EXPECT_TRUE(i + 1 < mail.size() && mail[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  ASSERT_GE(mail.size(), 2u);
  EXPECT_EQ(mail.substr(mail.size() - 2), "\r\n");
  for (const auto& line : crlf_lines(mail)) EXPECT_LE(line.size(), 998u) << line;
  // The reason's line break did not become a header or a line of its own.
  EXPECT_EQ(mail.find("\r\nBCC:"), std::string::npos);
}

TEST(dsn, headers_say_who_what_and_which_mail) {
  const auto mail = render_dsn(failed_sms());
  EXPECT_EQ(header(mail, "From"), "<sms-gateway@example.com>");
  EXPECT_EQ(header(mail, "To"), "<ops@example.org>");
  EXPECT_EQ(header(mail, "In-Reply-To"), "<abc.123@client.example.org>");
  EXPECT_EQ(header(mail, "References"), "<abc.123@client.example.org>");
  EXPECT_EQ(header(mail, "Message-ID"), "<mail2sms.dsn.7.ab@gw.example.com>");
  EXPECT_EQ(header(mail, "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(header(mail, "MIME-Version"), "1.0");
  EXPECT_EQ(header(mail, "Content-Type"),
            "multipart/report; report-type=delivery-status; boundary=\"=_mail2sms_0011\"");
  EXPECT_NE(header(mail, "Subject").find("+27821234567"), std::string::npos);
  EXPECT_NE(header(mail, "Subject").find("undeliverable"), std::string::npos);
}

TEST(dsn, no_in_reply_to_without_the_mails_message_id) {
  auto d = failed_sms();
  d.original_message_id = "";
  const auto mail = render_dsn(d);
  EXPECT_EQ(mail.find("In-Reply-To:"), std::string::npos);
  EXPECT_EQ(mail.find("References:"), std::string::npos);
}

TEST(dsn, two_parts_human_then_delivery_status) {
  const auto mail = render_dsn(failed_sms());
  const std::string b = "--=_mail2sms_0011";
  const auto first = mail.find("\r\n" + b + "\r\n");
  ASSERT_NE(first, std::string::npos);
  const auto second = mail.find("\r\n" + b + "\r\n", first + 1);
  ASSERT_NE(second, std::string::npos);
  const auto end = mail.find("\r\n" + b + "--\r\n", second + 1);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(mail.find("\r\n" + b, end + 1), std::string::npos) << "a part after the last";

  const auto human = mail.substr(first, second - first);
  EXPECT_NE(human.find("Content-Type: text/plain; charset=us-ascii"), std::string::npos);
  EXPECT_NE(human.find("Q1A2B3"), std::string::npos);
  EXPECT_NE(human.find("+27821234567"), std::string::npos);
  EXPECT_NE(human.find("receipt: UNDELIV err:001"), std::string::npos);
  EXPECT_NE(human.find("<abc.123@client.example.org>"), std::string::npos);

  const auto report = mail.substr(second, end - second);
  EXPECT_NE(report.find("Content-Type: message/delivery-status\r\n\r\n"), std::string::npos);
  EXPECT_NE(report.find("\r\nReporting-MTA: dns; gw.example.com\r\n"), std::string::npos);
  EXPECT_NE(report.find("\r\nArrival-Date: Sun, 29 Nov 2026 02:00:00 +0000\r\n\r\n"
                        "Final-Recipient: rfc822; +27821234567@sms.example.com\r\n"
                        "Action: failed\r\nStatus: 5.1.1\r\n"
                        "Diagnostic-Code: X-SMSC; receipt: UNDELIV err:001\r\n"),
            std::string::npos)
      << report;
}

TEST(dsn, delivered_and_expired_have_their_action_and_status) {
  EXPECT_EQ(action_of("delivered"), "delivered");
  EXPECT_EQ(status_code_of("delivered"), "2.0.0");
  EXPECT_EQ(action_of("expired"), "failed");
  EXPECT_EQ(status_code_of("expired"), "5.4.7");
  EXPECT_EQ(status_code_of("failed"), "5.0.0");
  auto d = failed_sms();
  d.status = "delivered";
  d.reason = "";
  const auto mail = render_dsn(d);
  EXPECT_NE(mail.find("\r\nAction: delivered\r\nStatus: 2.0.0\r\n"), std::string::npos);
  EXPECT_EQ(mail.find("Diagnostic-Code"), std::string::npos);
  EXPECT_NE(mail.find("was delivered to the phone"), std::string::npos);
}

TEST(dsn, long_headers_fold_at_whitespace) {
  const std::string value =
      "a long subject line with many words in it that goes past the seventy-eight character "
      "limit of a header line and on and on and on";
  const auto folded = fold_header("Subject", value);
  for (const auto& line : crlf_lines(folded)) EXPECT_LE(line.size(), 78u) << line;
  // Unfolding (removing CRLF before the white space) gives the header back.
  std::string unfolded = folded;
  for (auto at = unfolded.find("\r\n "); at != std::string::npos; at = unfolded.find("\r\n "))
    unfolded.erase(at, 2);
  EXPECT_EQ(unfolded, "Subject: " + value + "\r\n");
  EXPECT_EQ(fold_header("To", "<a@b>"), "To: <a@b>\r\n");
}

TEST(dsn, message_ids_get_angle_brackets_once) {
  EXPECT_EQ(angle_id("x@y"), "<x@y>");
  EXPECT_EQ(angle_id(" <x@y> "), "<x@y>");
  EXPECT_EQ(angle_id(""), "");
  EXPECT_EQ(angle_id("x@y\r\nBcc: z"), "<x@y  Bcc: z>");
}

TEST(dsn, printable_ascii_replaces_controls_and_8bit_and_bounds_length) {
  EXPECT_EQ(printable_ascii("a\r\nb\tc"), "a  b c");
  EXPECT_EQ(printable_ascii("caf\xc3\xa9"), "caf??");
  EXPECT_EQ(printable_ascii(std::string(500, 'x')).size(), 400u);
}

}  // namespace
}  // namespace mail2sms::notify
