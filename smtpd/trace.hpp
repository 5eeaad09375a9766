// The trace fields (RFC 5321 4.4) a server MUST put at the top of a mail it delivers: here, the
// mail kept in the postmaster's mailbox. Mail that becomes SMS is not delivered as mail.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace mail2sms::smtpd {

struct trace_fields {
  std::string_view return_path;  // the reverse-path; empty for the null sender <>
  std::string_view helo;         // as the client gave it (EHLO/HELO checked it printable)
  std::string_view client;       // the client's IP address as text, v4 or v6
  std::string_view by;           // this server's name ([smtp] hostname)
  std::string_view with;         // RFC 3848: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA
  std::string_view recipient;    // the forward-path, as given
  std::time_t at = 0;
};

// "Return-Path: <...>" and a folded "Received: from HELO ([ADDRESS]) by NAME (mail2sms) with
// WITH for <RCPT>; DATE" (RFC 5322 date in UTC), each line ending in CRLF.
std::string trace_headers(const trace_fields& t);

}  // namespace mail2sms::smtpd
