// Why a text is sent the way it is: which characters forced UCS-2, what replacing them would
// save, and what smart GSM or transliteration already replaced. For `mail render` and
// `sms encode`, so a sender can see why one pasted character tripled the price.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/sms/sms.hpp"

namespace mail2sms::sms {

struct character_note {
  char32_t character = 0;
  std::size_t count = 0;    // occurrences in the text
  std::string replacement;  // UTF-8: what it became (replaced) or could become (a GSM suggestion;
                            // empty: no GSM form, it would have to go)
};

struct encoding_explanation {
  encoded_message message;                   // what encode() makes of the text with these options
  std::vector<character_note> replaced;      // changed by smart GSM / transliteration, input order
  std::vector<character_note> forcing_ucs2;  // characters without a GSM form (when UCS-2)
  // Segments if every character in forcing_ucs2 were replaced by its suggestion (0 when the text
  // is already GSM), and the segments the text had before the replacements in `replaced`.
  std::size_t segments_if_replaced = 0;
  std::size_t segments_without_replacements = 0;
};

encoding_explanation explain(std::string_view utf8, const encode_options& options = {});

}  // namespace mail2sms::sms
