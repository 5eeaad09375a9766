// Grapheme boundaries: a fast path for text whose every code point stands alone, ICU otherwise.
#include "core/sms/graphemes.hpp"

#include <unicode/brkiter.h>
#include <unicode/unistr.h>

#include <memory>

namespace mail2sms::sms {
namespace {

// Below U+0300 no code point extends or joins another (combining marks start at U+0300; ZWJ,
// variation selectors, regional indicators and emoji modifiers are far above), except CR LF,
// which is one cluster (UAX #29 GB3).
bool all_stand_alone(std::u32string_view cps) {
  for (char32_t c : cps) {
    if (c >= 0x300) return false;
  }
  return true;
}

icu::BreakIterator* character_breaks() {
  thread_local std::unique_ptr<icu::BreakIterator> it = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> made(
        icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
    return U_SUCCESS(status) ? std::move(made) : nullptr;
  }();
  return it.get();
}

}  // namespace

std::vector<bool> grapheme_starts(std::u32string_view cps) {
  std::vector<bool> starts(cps.size(), true);
  if (all_stand_alone(cps)) {
    for (std::size_t i = 1; i < cps.size(); ++i) {
      if (cps[i - 1] == U'\r' && cps[i] == U'\n') starts[i] = false;
    }
    return starts;
  }
  icu::BreakIterator* breaks = character_breaks();
  if (breaks == nullptr) return starts;  // ICU without break data: code point boundaries
  const icu::UnicodeString text = icu::UnicodeString::fromUTF32(
      reinterpret_cast<const UChar32*>(cps.data()), static_cast<std::int32_t>(cps.size()));
  breaks->setText(text);
  std::fill(starts.begin(), starts.end(), false);
  // Walk the UTF-16 boundaries and the code points together.
  std::size_t cp = 0;
  std::int32_t unit = 0;
  for (std::int32_t b = breaks->first(); b != icu::BreakIterator::DONE && cp < cps.size();
       b = breaks->next()) {
    while (unit < b && cp < cps.size()) {
      unit += cps[cp] > 0xFFFF ? 2 : 1;
      ++cp;
    }
    if (unit == b && cp < cps.size()) starts[cp] = true;
  }
  return starts;
}

}  // namespace mail2sms::sms
