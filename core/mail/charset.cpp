// Charset conversion to UTF-8 with ICU's converters (ucnv), strict first, Windows-1252 after.
#include "core/mail/charset.hpp"

#include <unicode/ucnv.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include "core/mail/ascii_text.hpp"

namespace mail2sms::mail {
namespace {

constexpr const char* fallback_charset = "windows-1252";
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool names_ascii(const std::string& label) {
  return label.empty() || label == "us-ascii" || label == "ascii" || label == "ansi_x3.4-1968";
}

bool names_utf8(const std::string& label) { return label == "utf-8" || label == "utf8"; }

bool names_latin1(const std::string& label) {
  return label == "iso-8859-1" || label == "iso8859-1" || label == "iso_8859-1" ||
         label == "latin1" || label == "l1";
}

using converter_ptr = std::unique_ptr<UConverter, decltype(&ucnv_close)>;

// The bytes read in `label`, or nothing if ICU does not know the label or `strict` is set and a
// byte sequence is illegal or unassigned in it. Not strict: such sequences become U+FFFD.
std::optional<std::string> convert(std::string_view bytes, const char* label, bool strict) {
  UErrorCode status = U_ZERO_ERROR;
  converter_ptr converter(ucnv_open(label, &status), &ucnv_close);
  if (U_FAILURE(status)) return std::nullopt;
  if (strict) {
    ucnv_setToUCallBack(converter.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr,
                        &status);
  }
  const auto source = static_cast<int32_t>(bytes.size());
  const int32_t length = ucnv_toUChars(converter.get(), nullptr, 0, bytes.data(), source, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) return std::nullopt;
  status = U_ZERO_ERROR;
  ucnv_reset(converter.get());
  icu::UnicodeString text;
  UChar* buffer = text.getBuffer(length + 1);
  if (buffer == nullptr) return std::nullopt;
  const int32_t written =
      ucnv_toUChars(converter.get(), buffer, length + 1, bytes.data(), source, &status);
  text.releaseBuffer(U_SUCCESS(status) ? written : 0);
  if (U_FAILURE(status)) return std::nullopt;
  std::string utf8;
  text.toUTF8String(utf8);  // unpaired surrogates (from a UTF-16 source) become U+FFFD
  return utf8;
}

std::string from_fallback(std::string_view bytes) {
  return convert(bytes, fallback_charset, false).value_or(std::string{});
}

std::string without_bom(std::string_view utf8) {
  if (utf8.substr(0, utf8_bom.size()) == utf8_bom) utf8.remove_prefix(utf8_bom.size());
  return std::string(utf8);
}

}  // namespace

bool is_utf8(std::string_view bytes) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const auto length = static_cast<int32_t>(bytes.size());
  // ASCII, the common case, eight octets at a time; the first octet of a word with a high bit
  // set goes through the decoder.
  int32_t ascii = 0;
  for (; ascii + 8 <= length; ascii += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + ascii, sizeof word);
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  for (int32_t i = ascii; i < length;) {
    UChar32 c = 0;
    U8_NEXT(data, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  const std::string label = lower(trim(charset));
  if (names_ascii(label) || names_utf8(label)) {
    return is_utf8(bytes) ? without_bom(bytes) : from_fallback(bytes);
  }
  const char* icu_label = names_latin1(label) ? fallback_charset : label.c_str();
  if (auto utf8 = convert(bytes, icu_label, true)) return without_bom(*utf8);
  return from_fallback(bytes);
}

}  // namespace mail2sms::mail
