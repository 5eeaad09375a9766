// Request templates of the http connector: text with {placeholder}s for a message's fields, each
// rendered with the escaping of where it stands (a URL, a form body, a JSON body, a header).
// Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::http {

// How every placeholder of one template is escaped. A literal part is never changed.
enum class escaping {
  url,   // percent-encoding of everything but RFC 3986 unreserved characters (URL, form body)
  json,  // JSON string escaping, without the quotes (the template writes them)
  none,  // as is (a text body); in headers a value with CR or LF is refused at send time
};

enum class field {
  to,           // recipient, E.164 with '+': +27821234567
  to_digits,    // recipient without '+': 27821234567
  from,         // the account's sender ID, else the connector's source
  text,         // UTF-8 text: the whole message, or this part's in per-segment mode
  coding,       // the connector's coding_values entry for GSM 03.38 or UCS-2
  udh,          // this part's UDH octets (empty when none); only where escaping is url
  udh_hex,      // the same in lower-case hex
  payload_hex,  // this part's octets (unpacked septets / UTF-16BE) in hex; all parts in whole mode
  message_id,   // mail2sms's queue id of the message
  part,         // 1-based number of this request's part
  parts,        // how many requests the message takes (1 in whole mode)
};

// The values one request is rendered with.
struct message_fields {
  std::string to;  // E.164
  std::string from;
  std::string text;
  std::string coding;
  std::string udh;  // raw octets
  std::string payload_hex;
  std::string message_id;
  int part = 1;
  int parts = 1;
};

// The names a template may use, "to", "to_digits", ... in field order.
const std::vector<std::string_view>& field_names();

std::string percent_encode(std::string_view raw);
std::string json_escape(std::string_view utf8);  // ", \\ and control characters; UTF-8 as is

class request_template {
 public:
  // A placeholder is '{', a lower-case name, '}'. Any other '{' is literal (so JSON bodies need
  // no escaping). An unknown name, or {udh} where escaping is not url, is an error naming it.
  static result<request_template, std::string> parse(std::string_view text, escaping how);

  std::string render(const message_fields& values) const;
  bool uses(field f) const;
  bool empty() const { return pieces_.empty(); }

 private:
  struct piece {
    std::string literal;
    std::optional<field> placeholder;  // set: this piece is a placeholder, literal is unused
  };
  std::vector<piece> pieces_;
  escaping how_ = escaping::none;
};

}  // namespace mail2sms::http
