// Grapheme clusters (UAX #29, ICU's character break iterator): what a reader sees as one
// character, which a segment boundary must never cut.
#pragma once

#include <string_view>
#include <vector>

namespace mail2sms::sms {

// One flag per code point: true where a grapheme cluster starts. flags[0] is true for a
// non-empty text.
std::vector<bool> grapheme_starts(std::u32string_view code_points);

}  // namespace mail2sms::sms
