// Phone numbers: the local part of a recipient address to E.164 (libphonenumber), and masking
// for logs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::phone {

// "+27821234567" or a national number ("0821234567") read in default_region ("ZA", ISO 3166
// alpha-2). Separators commonly seen in addresses (spaces are impossible there, but ".", "-",
// "(", ")") are accepted. On failure, the error is a sentence for the SMTP reply.
result<std::string, std::string> to_e164(std::string_view text, std::string_view default_region);

struct number_info {
  std::string e164;    // "+27821234567"
  std::string region;  // "ZA" (ISO 3166 alpha-2; "001" for non-geographic numbers)
  std::string type;    // one of number_type_names(): "mobile", "premium-rate", ...
};
// to_e164 with what the policy needs to know about the number.
result<number_info, std::string> parse(std::string_view text, std::string_view default_region);

// The region of an E.164 number ("ZA"), empty when none is known.
std::string region_of(std::string_view e164);

// libphonenumber's number types, as account settings name them: "mobile", "fixed-line",
// "fixed-line-or-mobile", "toll-free", "premium-rate", "shared-cost", "voip", "personal-number",
// "pager", "uan", "voicemail", "unknown".
const std::vector<std::string_view>& number_type_names();

// "+27821234567" -> "+2782*****67": enough to tell numbers apart in logs, not to dial them.
std::string mask(std::string_view e164);

// The text with every run of 7 or more digits masked like mask(): for audit details and logs of
// texts that may hold numbers. A run may start with '+', and between two of its digits may have
// up to three characters that are neither letters nor digits (punctuation other than
// <>[]{}@"':; , white space, invisible characters, invalid UTF-8, the '?' a log makes of them);
// digits of other scripts (fullwidth, Arabic-Indic) count as the ASCII digits they stand for.
std::string redact_numbers(std::string_view text);

// True for an ISO 3166 alpha-2 code, in upper case ("ZA"), that libphonenumber has numbering
// data for: a country an account may default to or send to.
bool is_known_region(std::string_view region);

}  // namespace mail2sms::phone
