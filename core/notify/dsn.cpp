// Rendering of delivery-status mails (see dsn.hpp).
#include "core/notify/dsn.hpp"

#include "core/notify/smtp_reply.hpp"

#include <algorithm>

namespace mail2sms::notify {
namespace {

constexpr std::size_t line_limit = 78;

bool is_failure(std::string_view status) { return status != "delivered"; }

std::string_view describe(std::string_view status) {
  if (status == "delivered") return "was delivered to the phone";
  if (status == "expired") return "expired: it could not be delivered in time";
  if (status == "undeliverable") return "could not be delivered";
  if (status == "rejected") return "was rejected by the SMS centre";
  return "failed";
}

// Lines of the body: each gets CRLF; long ones are not expected (the fields are bounded).
void add_line(std::string& out, std::string_view line) {
  out.append(line);
  out.append("\r\n");
}

// Base64 in lines of 76 characters, each ending in CRLF (RFC 2045 6.8).
std::string base64_lines(std::string_view bytes) {
  const std::string encoded = base64(bytes);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

// Headers every mail of the notifier has.
std::string common_headers(std::string_view from, std::string_view to, std::string_view subject,
                           std::string_view date, std::string_view message_id,
                           const std::string& original,
                           std::string_view auto_submitted = "auto-replied") {
  std::string out;
  out += fold_header("From", "<" + std::string(from) + ">");
  out += fold_header("To", "<" + std::string(to) + ">");
  out += fold_header("Subject", subject);
  out += fold_header("Date", date);
  out += fold_header("Message-ID", message_id);
  if (!original.empty()) {
    out += fold_header("In-Reply-To", original);
    out += fold_header("References", original);
  }
  // RFC 3834: no automatic answer to this
  out += "Auto-Submitted: " + std::string(auto_submitted) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  return out;
}

}  // namespace

std::string printable_ascii(std::string_view text, std::size_t max_length) {
  std::string out;
  out.reserve(std::min(text.size(), max_length));
  for (const char ch : text) {
    if (out.size() >= max_length) break;
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out.push_back(' ');
    } else if (c >= 0x80) {
      out.push_back('?');
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string fold_header(std::string_view name, std::string_view value) {
  std::string out(name);
  out.append(":");
  std::size_t line_length = out.size();
  std::size_t pos = 0;
  while (pos < value.size()) {
    while (pos < value.size() && value[pos] == ' ') ++pos;
    if (pos >= value.size()) break;
    auto end = value.find(' ', pos);
    if (end == std::string_view::npos) end = value.size();
    const auto word = value.substr(pos, end - pos);
    // A word that does not fit starts a continuation line (a word longer than a line stays
    // whole: RFC 5322 allows up to 998 characters).
    if (line_length + 1 + word.size() > line_limit && line_length > name.size() + 1) {
      out.append("\r\n");
      line_length = 0;
    }
    out.push_back(' ');
    out.append(word);
    line_length += 1 + word.size();
    pos = end;
  }
  out.append("\r\n");
  return out;
}

std::string angle_id(std::string_view message_id) {
  std::string id = printable_ascii(message_id, 250);
  while (!id.empty() && id.front() == ' ') id.erase(id.begin());
  while (!id.empty() && id.back() == ' ') id.pop_back();
  if (id.empty()) return {};
  if (id.front() != '<') id = "<" + id;
  if (id.back() != '>') id += ">";
  return id;
}

std::string_view action_of(std::string_view status) {
  return is_failure(status) ? "failed" : "delivered";
}

std::string_view status_code_of(std::string_view status) {
  if (status == "delivered") return "2.0.0";
  if (status == "expired") return "5.4.7";        // delivery time expired
  if (status == "undeliverable") return "5.1.1";  // the number does not take it
  if (status == "rejected") return "5.7.1";       // refused by the SMSC
  return "5.0.0";
}

std::string render_dsn(const delivery_status& d) {
  const std::string recipient = printable_ascii(d.recipient, 40);
  const std::string reason = printable_ascii(d.reason);
  const std::string original = angle_id(d.original_message_id);
  const std::string status = printable_ascii(d.status, 32);
  const std::string subject =
      "SMS to " + recipient + " " +
      (is_failure(status) ? "not delivered (" + status + ")" : std::string("delivered"));
  std::string out = common_headers(d.from, d.to, subject, d.date, d.message_id, original);
  out += fold_header("Content-Type", "multipart/report; report-type=delivery-status; boundary=\"" +
                                         d.boundary + "\"");
  out += "\r\nThis is a MIME-encapsulated delivery status notification.\r\n";

  out += "\r\n--" + d.boundary + "\r\n";
  out += "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  add_line(out, "This is the SMS gateway at " + printable_ascii(d.reporting_mta, 253) + ".");
  add_line(out, "");
  add_line(out, "Your SMS to " + recipient + " " + std::string(describe(status)) + ".");
  add_line(out, "");
  add_line(out, "  Queue id:     " + printable_ascii(d.queue_id, 64));
  add_line(out, "  Recipient:    " + recipient);
  add_line(out, "  Status:       " + status);
  if (!reason.empty()) add_line(out, "  Reason:       " + reason);
  if (!original.empty()) add_line(out, "  Your mail:    Message-ID " + original);
  add_line(out, "  Accepted:     " + d.arrival_date);
  add_line(out, "  Last change:  " + d.last_attempt_date);
  add_line(out, "");
  add_line(out, "The text of the SMS is not repeated here.");

  out += "\r\n--" + d.boundary + "\r\n";
  out += "Content-Type: message/delivery-status\r\n\r\n";
  add_line(out, "Reporting-MTA: dns; " + printable_ascii(d.reporting_mta, 253));
  add_line(out, "X-Mail2SMS-Queue-ID: " + printable_ascii(d.queue_id, 64));
  add_line(out, "Arrival-Date: " + d.arrival_date);
  add_line(out, "");
  add_line(out, "Final-Recipient: rfc822; " + recipient + "@" +
                    printable_ascii(d.recipient_domain, 253));
  add_line(out, "Action: " + std::string(action_of(status)));
  add_line(out, "Status: " + std::string(status_code_of(status)));
  if (!reason.empty()) {
    // A long reason folds like a header: the fields of a delivery-status part are header fields.
    auto folded = fold_header("Diagnostic-Code", "X-SMSC; " + reason);
    folded.resize(folded.size() - 2);
    add_line(out, folded);
  }
  add_line(out, "Last-Attempt-Date: " + d.last_attempt_date);
  out += "\r\n--" + d.boundary + "--\r\n";
  return out;
}

std::string render_reply(const reply_mail& r) {
  const std::string number = printable_ascii(r.number, 40);
  std::string out = common_headers(r.from, r.to, "SMS reply from " + number, r.date, r.message_id,
                                   angle_id(r.original_message_id));
  out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  std::string body = "A reply to your SMS (queue id " + printable_ascii(r.queue_id, 64) +
                     ") came from " + number + " at " + r.received_date + ":\r\n\r\n";
  // Canonical text (RFC 2046 4.1.1): every line break CRLF, whatever the SMS had.
  const std::string text =
      r.text ? *r.text : std::string("(its text was erased after the retention period)");
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) body += '\r';
    body += text[i];
  }
  body += "\r\n\r\n-- \r\nThe SMS gateway at " + printable_ascii(r.reporting_mta, 253) + "\r\n";
  out += base64_lines(body);
  return out;
}

std::string render_postmaster_forward(const postmaster_forward_mail& m) {
  const std::string sender = m.mail_from.empty() ? "<>" : printable_ascii(m.mail_from, 256);
  std::string out = common_headers(
      m.from, m.to, "Mail to the postmaster (#" + std::to_string(m.number) + ") from " + sender,
      m.date, m.message_id, "", "auto-forwarded");
  out += "Content-Type: multipart/mixed; boundary=\"" + m.boundary + "\"\r\n\r\n";
  out += "--" + m.boundary + "\r\n";
  out += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  add_line(out, "The SMS gateway at " + printable_ascii(m.reporting_mta, 253) +
                    " received a mail for its postmaster:");
  add_line(out, "");
  add_line(out, "  from:      " + sender);
  add_line(out, "  to:        " + printable_ascii(m.recipient, 256));
  add_line(out, "  client:    " + printable_ascii(m.client, 64) + " (HELO " +
                    printable_ascii(m.helo, 255) + ")");
  add_line(out, "  received:  " + m.received_date);
  add_line(out, "");
  add_line(out, "It is attached as it came, and kept as number " + std::to_string(m.number) +
                    " (mail2sms postmaster show " + std::to_string(m.number) + ").");
  out += "\r\n--" + m.boundary + "\r\n";
  const bool seven_bit = std::all_of(m.message.begin(), m.message.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80 && c != '\0';
  });
  if (seven_bit) {
    out += "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n";
    out.append(m.message);
    if (!m.message.ends_with("\r\n")) out += "\r\n";
  } else {
    const std::string name = "postmaster-" + std::to_string(m.number) + ".eml";
    out += "Content-Type: application/octet-stream; name=\"" + name + "\"\r\n";
    out += "Content-Disposition: attachment; filename=\"" + name + "\"\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += base64_lines(m.message);
  }
  out += "--" + m.boundary + "--\r\n";
  return out;
}

}  // namespace mail2sms::notify
