// SASL for SMTP AUTH (RFC 4954): strict base64 (RFC 4648) and the decoding of the PLAIN
// (RFC 4616) and LOGIN responses into credentials. Pure functions; never throws on client input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mail2sms::smtpd::sasl {

std::string base64_encode(std::string_view bytes);
// Canonical alphabet with padding; no whitespace, no line breaks. Empty text decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

struct credentials {
  std::string username;
  std::string password;
};

enum class error {
  bad_base64,        // the response is not base64
  malformed,         // decodes, but is not a valid message for the mechanism
  authzid_mismatch,  // PLAIN: an authorization identity other than the username
};

// PLAIN: base64 of authzid NUL authcid NUL passwd; authzid must be empty or equal to authcid.
result<credentials, error> decode_plain(std::string_view response);
// LOGIN: one base64 field (the username or the password). A NUL inside is malformed.
result<std::string, error> decode_login_field(std::string_view response);

}  // namespace mail2sms::smtpd::sasl
