// A received RFC 5322 message to the text an SMS should carry (first cut: text/plain parts,
// quoted-printable and base64, US-ASCII / UTF-8 / ISO-8859-1 / Windows-1252 charsets).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mail2sms::mail {

struct mail_text {
  std::string subject;     // decoded from RFC 2047 words, UTF-8
  std::string body;        // the chosen text part, decoded to UTF-8, CRLF -> LF, trailing space trimmed
  std::string message_id;  // the Message-ID header, as it stands
  std::string from;        // the From header, as it stands
};

// On failure the error says what is wrong with the mail in a sentence fit for a 554 reply.
result<mail_text, std::string> extract_text(std::string_view rfc5322);

}  // namespace mail2sms::mail
