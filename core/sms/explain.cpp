// explain(): encode() plus a count of the characters that decided the encoding.
#include "core/sms/explain.hpp"

#include <algorithm>

#include "core/sms/gsm_substitution.hpp"
#include "core/sms/utf8.hpp"

namespace mail2sms::sms {
namespace {

void count(std::vector<character_note>& notes, char32_t c, std::u32string_view replacement) {
  const auto it = std::find_if(notes.begin(), notes.end(),
                               [c](const character_note& n) { return n.character == c; });
  if (it != notes.end()) {
    ++it->count;
    return;
  }
  notes.push_back({.character = c, .count = 1, .replacement = utf8::encode(replacement)});
}

// A GSM text a character could become: smart replacement, else transliteration, else nothing.
std::u32string suggestion(char32_t c) {
  if (const auto r = smart_replacement(c)) return std::u32string(*r);
  std::u32string t = transliterate_non_gsm(std::u32string(1, c));
  const bool gsm = std::all_of(t.begin(), t.end(), [](char32_t x) { return is_gsm7(x); });
  return gsm ? t : std::u32string{};
}

// A GSM form in the default alphabet or one of the national tables the options allow.
bool has_gsm_form(char32_t c, const std::vector<alphabet>& alphabets) {
  return std::any_of(alphabets.begin(), alphabets.end(),
                     [c](const alphabet& a) { return septet_count(c, a) > 0; });
}

}  // namespace

encoding_explanation explain(std::string_view utf8_text, const encode_options& options) {
  encoding_explanation out;
  out.message = encode(utf8_text, options);
  const std::u32string input = utf8::decode(utf8_text);
  const std::vector<alphabet> alphabets = alphabets_for(options.national);
  if (out.message.coding == encoding::ucs2) {
    std::u32string replaced;
    for (char32_t c : input) {
      if (has_gsm_form(c, alphabets)) {
        replaced += c;
        continue;
      }
      const std::u32string s = suggestion(c);
      count(out.forcing_ucs2, c, s);
      replaced += s;
    }
    out.segments_if_replaced = encode(utf8::encode(replaced), options).segments.size();
    out.segments_without_replacements = out.message.segments.size();
    return out;
  }
  // GSM: what (if anything) was replaced to get there.
  const std::u32string sent = utf8::decode(out.message.text);
  if (sent != input) {
    for (char32_t c : input) {
      if (has_gsm_form(c, alphabets)) continue;
      const auto smart = options.smart_gsm ? smart_replacement(c) : std::nullopt;
      count(out.replaced, c,
            smart ? std::u32string(*smart) : transliterate_non_gsm(std::u32string(1, c)));
    }
  }
  encode_options plain = options;
  plain.smart_gsm = false;
  plain.transliterate = false;
  out.segments_without_replacements = encode(utf8_text, plain).segments.size();
  return out;
}

}  // namespace mail2sms::sms
