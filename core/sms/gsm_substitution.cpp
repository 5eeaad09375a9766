// Smart GSM replacements (a fixed table) and ICU transliteration of non-GSM runs.
#include "core/sms/gsm_substitution.hpp"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>

#include "core/sms/sms.hpp"

namespace mail2sms::sms {

std::optional<std::u32string_view> smart_replacement(char32_t c) {
  using namespace std::string_view_literals;
  switch (c) {
    case U'\u2018':
    case U'\u2019':
    case U'\u201A':
    case U'\u201B':
    case U'\u2032':
    case U'\u00B4':
    case U'\u02BC':
    case U'\u0060':
      return U"'"sv;
    case U'\u201C':
    case U'\u201D':
    case U'\u201E':
    case U'\u201F':
    case U'\u2033':
    case U'\u00AB':
    case U'\u00BB':
      return U"\""sv;
    case U'\u2039':
      return U"<"sv;
    case U'\u203A':
      return U">"sv;
    case U'\u2010':
    case U'\u2011':
    case U'\u2012':
    case U'\u2013':
    case U'\u2014':
    case U'\u2015':
    case U'\u2212':
      return U"-"sv;
    case U'\u2026':
      return U"..."sv;
    case U'\u2022':
      return U"*"sv;
    case U'\u00B7':
      return U"."sv;
    case U'\t':
    case U'\u00A0':
    case U'\u2000':
    case U'\u2001':
    case U'\u2002':
    case U'\u2003':
    case U'\u2004':
    case U'\u2005':
    case U'\u2006':
    case U'\u2007':
    case U'\u2008':
    case U'\u2009':
    case U'\u200A':
    case U'\u202F':
    case U'\u205F':
    case U'\u3000':
      return U" "sv;
    case U'\u2028':
    case U'\u2029':
      return U"\n"sv;
    case U'\u200B':
    case U'\u2060':
    case U'\u00AD':
    case U'\uFEFF':
      return U""sv;
    case U'\u00E7':
      return U"\u00C7"sv;
    default:
      break;
  }
  if (c >= U'\uFF01' && c <= U'\uFF5E') {
    // Fullwidth forms mirror ASCII 0x21-0x7E; a static table keeps the views alive.
    static const std::u32string ascii = [] {
      std::u32string s;
      for (char32_t a = 0x21; a <= 0x7E; ++a) s += a;
      return s;
    }();
    return std::u32string_view(ascii).substr(c - U'\uFF01', 1);
  }
  return std::nullopt;
}

namespace {

// Transliterators are costly to build and not thread-safe to share: one per thread.
icu::Transliterator* latin_ascii() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> made(
        icu::Transliterator::createInstance("Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
    return U_SUCCESS(status) ? std::move(made) : nullptr;
  }();
  return t.get();
}

std::u32string transliterate_run(std::u32string_view run) {
  icu::Transliterator* t = latin_ascii();
  if (t == nullptr) return std::u32string(run);
  icu::UnicodeString u = icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(run.data()),
                                                       static_cast<std::int32_t>(run.size()));
  t->transliterate(u);
  std::u32string out(static_cast<std::size_t>(u.countChar32()), U'\0');
  UErrorCode status = U_ZERO_ERROR;
  const std::int32_t n = u.toUTF32(reinterpret_cast<UChar32*>(out.data()),
                                   static_cast<std::int32_t>(out.size()), status);
  if (U_FAILURE(status)) return std::u32string(run);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::u32string transliterate_non_gsm(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_gsm7(text[i])) {
      out += text[i++];
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !is_gsm7(text[end])) ++end;
    out += transliterate_run(text.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace mail2sms::sms
