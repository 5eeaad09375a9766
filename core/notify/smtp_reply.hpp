// The client side of SMTP's framing, without a socket: replies assembled from lines (RFC 5321
// 4.2: "250-" continues, "250 " ends; every line must carry the same code), EHLO capabilities,
// and DATA's dot-stuffing. Pure, so it is tested line by line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mail2sms::notify {

struct smtp_reply {
  int code = 0;                    // 250, 451, ...
  std::vector<std::string> lines;  // the text of each line, after the code and separator
  std::string text() const;        // the lines joined by " / ", for logs and last_error
  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
};

class reply_parser {
 public:
  enum class state { need_more, done, bad };
  // One line without its CRLF. After done, reply() holds it and the next feed starts a new one;
  // after bad, error() says why (the connection should be dropped).
  state feed(std::string_view line);
  const smtp_reply& reply() const { return reply_; }
  const std::string& error() const { return error_; }

 private:
  smtp_reply reply_;
  bool in_reply_ = false;
  std::string error_;
};

// What an EHLO reply offers, by keyword (case-insensitive).
struct capabilities {
  bool starttls = false;
  bool auth_plain = false;
};
capabilities capabilities_of(const smtp_reply& ehlo);

// The message for DATA: bare LF and bare CR become CRLF, lines beginning with '.' get one more,
// and it ends with CRLF "." CRLF.
std::string dot_stuffed(std::string_view message);

// Base64 (RFC 4648) on one line.
std::string base64(std::string_view bytes);

// The AUTH PLAIN initial response: base64("\0user\0password").
std::string auth_plain_response(std::string_view user, std::string_view password);

}  // namespace mail2sms::notify
