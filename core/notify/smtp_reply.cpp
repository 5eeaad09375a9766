// SMTP client framing (see smtp_reply.hpp).
#include "core/notify/smtp_reply.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace mail2sms::notify {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string smtp_reply::text() const {
  std::string out = std::to_string(code);
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? " " : " / ") + lines[i];
  return out;
}

reply_parser::state reply_parser::feed(std::string_view line) {
  if (!in_reply_) {
    reply_ = smtp_reply{};
    in_reply_ = true;
  }
  const bool shaped = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                      std::isdigit(static_cast<unsigned char>(line[1])) &&
                      std::isdigit(static_cast<unsigned char>(line[2])) &&
                      (line.size() == 3 || line[3] == ' ' || line[3] == '-');
  if (!shaped || line[0] < '2' || line[0] > '5') {
    error_ = "not an SMTP reply line: '" + std::string(line.substr(0, 64)) + "'";
    in_reply_ = false;
    return state::bad;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply_.lines.empty() && code != reply_.code) {
    error_ = "a multi-line reply changed its code from " + std::to_string(reply_.code) + " to " +
             std::to_string(code);
    in_reply_ = false;
    return state::bad;
  }
  reply_.code = code;
  reply_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  if (line.size() > 3 && line[3] == '-') return state::need_more;
  in_reply_ = false;
  return state::done;
}

capabilities capabilities_of(const smtp_reply& ehlo) {
  capabilities caps;
  // The first line is the greeting name; each further line is a keyword and its parameters.
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    const std::string line = upper(ehlo.lines[i]);
    if (line == "STARTTLS") caps.starttls = true;
    if (line.rfind("AUTH ", 0) == 0 || line.rfind("AUTH=", 0) == 0) {
      const std::string mechanisms = " " + line.substr(5) + " ";
      if (mechanisms.find(" PLAIN ") != std::string::npos) caps.auth_plain = true;
    }
  }
  return caps;
}

std::string dot_stuffed(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (c == '\r' || c == '\n') {
      out.append("\r\n");
      if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out.push_back('.');
    out.push_back(c);
    line_start = false;
  }
  if (!line_start) out.append("\r\n");
  out.append(".\r\n");
  return out;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string auth_plain_response(std::string_view user, std::string_view password) {
  std::string raw;
  raw.push_back('\0');
  raw.append(user);
  raw.push_back('\0');
  raw.append(password);
  return base64(raw);
}

}  // namespace mail2sms::notify
