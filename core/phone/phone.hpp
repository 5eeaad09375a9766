// Phone numbers: the local part of a recipient address to E.164 (libphonenumber), and masking
// for logs.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mail2sms::phone {

// "+27821234567" or a national number ("0821234567") read in default_region ("ZA", ISO 3166
// alpha-2). Separators commonly seen in addresses (spaces are impossible there, but ".", "-",
// "(", ")") are accepted. On failure, the error is a sentence for the SMTP reply.
result<std::string, std::string> to_e164(std::string_view text, std::string_view default_region);

// "+27821234567" -> "+2782*****67": enough to tell numbers apart in logs, not to dial them.
std::string mask(std::string_view e164);

}  // namespace mail2sms::phone
