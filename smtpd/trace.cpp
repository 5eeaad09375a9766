#include "smtpd/trace.hpp"

namespace mail2sms::smtpd {

std::string trace_headers(const trace_fields& t) {
  std::tm utc{};
  gmtime_r(&t.at, &utc);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  // An IPv6 address literal is tagged (RFC 5321 4.1.3).
  const bool v6 = t.client.find(':') != std::string_view::npos;
  std::string out;
  out.reserve(200 + t.return_path.size() + t.helo.size() + t.recipient.size());
  out.append("Return-Path: <").append(t.return_path).append(">\r\n");
  out.append("Received: from ").append(t.helo).append(" ([").append(v6 ? "IPv6:" : "");
  out.append(t.client).append("])\r\n\tby ").append(t.by).append(" (mail2sms) with ");
  out.append(t.with).append("\r\n\tfor <").append(t.recipient).append(">; ").append(date);
  out.append("\r\n");
  return out;
}

}  // namespace mail2sms::smtpd
