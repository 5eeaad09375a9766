// Replies whose text comes from outside the protocol (the store, the resolver, the settings):
// their codes (RFC 5321) and enhanced codes (RFC 3463), made safe to send as one reply line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "smtpd/protocol.hpp"

namespace mail2sms::smtpd {

// Printable ASCII only (no CR/LF to inject reply lines), at most a few hundred octets;
// fallback when nothing printable is left.
std::string reply_safe_text(std::string_view text, std::string_view fallback);

// "X.Y.Z" with class 2, 4 or 5 (RFC 3463 2).
bool is_enhanced_code(std::string_view code, char wanted_class);

// The reply to the final dot once the store has answered (without CRLF).
std::string store_result_reply(const store_result& r);

// The EHLO reply lines, each ending in CRLF.
struct ehlo_offer {
  std::string_view hostname;
  std::string_view helo;
  std::size_t max_message_size = 0;
  bool starttls = false;
  bool auth = false;
};
std::string ehlo_reply(const ehlo_offer& offer);

// "550 5.7.1 Relay access denied: we only accept <number>@a.example or <number>@b.example"
std::string relay_denied_reply(const std::vector<std::string>& domains);

}  // namespace mail2sms::smtpd
