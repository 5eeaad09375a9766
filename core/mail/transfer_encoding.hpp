// Content-Transfer-Encoding (RFC 2045): quoted-printable and base64 back to the bytes they carry,
// with mimetic's decoders, lenient with the malformed input mailers produce.
#pragma once

#include <string>
#include <string_view>

namespace mail2sms::mail {

// Characters outside the base64 alphabet (line breaks, garbage) are skipped; a missing final
// quantum is treated as padded.
std::string decode_base64(std::string_view text);

// Soft line breaks removed, "=XX" decoded, malformed "=" sequences kept as they stand; hard line
// breaks come out as "\n".
std::string decode_quoted_printable(std::string_view text);

// By the mechanism's name, case-insensitively; 7bit, 8bit, binary and unknown mechanisms pass
// the text through unchanged.
std::string decode_transfer_encoding(std::string_view body, std::string_view mechanism);

}  // namespace mail2sms::mail
