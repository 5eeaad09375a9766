// Reply texts built from outcomes and settings rather than fixed in the command handlers.
#include "smtpd/reply.hpp"

namespace mail2sms::smtpd {
namespace {

constexpr std::size_t max_reply_text = 400;  // a reply line is at most 512 octets (4.5.3.1.5)

bool is_digits(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// RFC 3463 codes that have their own basic code at the end of DATA.
std::string_view basic_code_for_rejection(std::string_view enhanced) {
  if (enhanced == "5.3.4") return "552";                  // message too big for system
  if (enhanced.substr(0, 4) == "5.7.") return "550";     // policy / security
  return "554";
}

}  // namespace

std::string reply_safe_text(std::string_view text, std::string_view fallback) {
  std::string out;
  for (char c : text.substr(0, max_reply_text)) {
    const bool printable = c >= 32 && c <= 126;
    out += printable ? c : (static_cast<unsigned char>(c) >= 0x80 ? '?' : ' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  const auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return std::string(fallback);
  return out.substr(first);
}

bool is_enhanced_code(std::string_view code, char wanted_class) {
  if (code.size() < 5 || code[0] != wanted_class || code[1] != '.') return false;
  const auto rest = code.substr(2);
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return false;
  return is_digits(rest.substr(0, dot)) && is_digits(rest.substr(dot + 1));
}

std::string store_result_reply(const store_result& r) {
  switch (r.state) {
    case store_result::status::accepted:
    {
      std::string line = "250 2.0.0 Ok: queued as " + reply_safe_text(r.queue_id, "(unknown)");
      if (r.truncated) line += "; the text was cut to the account's maximum number of parts";
      if (r.duplicates > 0) {
        line += "; " + std::to_string(r.duplicates) +
                (r.duplicates == 1 ? " recipient" : " recipients") +
                " already had this mail (same Message-ID and text): not sent again";
      }
      return line;
    }
    case store_result::status::rejected: {
      const std::string code = is_enhanced_code(r.enhanced_code, '5') ? r.enhanced_code : "5.0.0";
      return std::string(basic_code_for_rejection(code)) + " " + code + " " +
             reply_safe_text(r.text, "Message rejected");
    }
    case store_result::status::deferred:
      break;
  }
  const std::string code = is_enhanced_code(r.enhanced_code, '4') ? r.enhanced_code : "4.3.0";
  return "451 " + code + " " + reply_safe_text(r.text, "Temporary failure, please try again later");
}

std::string ehlo_reply(const ehlo_offer& offer) {
  std::vector<std::string> lines{std::string(offer.hostname) + " greets " + std::string(offer.helo),
                                 "SIZE " + std::to_string(offer.max_message_size), "8BITMIME",
                                 "PIPELINING", "ENHANCEDSTATUSCODES"};
  if (offer.starttls) lines.emplace_back("STARTTLS");
  if (offer.auth) lines.emplace_back("AUTH PLAIN LOGIN");
  lines.emplace_back("HELP");
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += (i + 1 < lines.size() ? "250-" : "250 ") + lines[i] + "\r\n";
  }
  return out;
}

std::string relay_denied_reply(const std::vector<std::string>& domains) {
  if (domains.empty()) return "550 5.7.1 Relay access denied: no recipient domain is configured";
  std::string out = "550 5.7.1 Relay access denied: we only accept";
  for (std::size_t i = 0; i < domains.size(); ++i) {
    out += (i == 0 ? " <number>@" : " or <number>@") + domains[i];
  }
  return out;
}

}  // namespace mail2sms::smtpd
