// UTF-8 decoding with U+FFFD for ill-formed input, and encoding of scalar values.
#include "core/sms/utf8.hpp"

#include <cstddef>
#include <cstdint>

namespace mail2sms::sms::utf8 {
namespace {

// What a lead octet promises: how many continuation octets follow, the range the first of them
// must fall in (excludes overlongs, surrogates and values above U+10FFFF), and its payload bits.
struct lead_octet {
  int continuations = -1;  // -1: not a valid lead octet
  std::uint8_t first_min = 0x80;
  std::uint8_t first_max = 0xBF;
  char32_t bits = 0;
};

lead_octet classify(std::uint8_t b) {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF, char32_t{b} & 0x1Fu};
  if (b == 0xE0) return {2, 0xA0, 0xBF, char32_t{b} & 0x0Fu};
  if (b == 0xED) return {2, 0x80, 0x9F, char32_t{b} & 0x0Fu};
  if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF, char32_t{b} & 0x0Fu};
  if (b == 0xF0) return {3, 0x90, 0xBF, char32_t{b} & 0x07u};
  if (b == 0xF4) return {3, 0x80, 0x8F, char32_t{b} & 0x07u};
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF, char32_t{b} & 0x07u};
  return {};
}

// Decodes one scalar starting at text[pos]; returns it and advances pos past what it consumed.
// An ill-formed sequence consumes only its maximal subpart, so the octet that broke it is read
// again as the start of the next one.
char32_t decode_one(std::string_view text, std::size_t& pos) {
  const auto lead = static_cast<std::uint8_t>(text[pos++]);
  if (lead < 0x80) return lead;
  lead_octet shape = classify(lead);
  if (shape.continuations < 0) return replacement_character;
  char32_t value = shape.bits;
  for (int i = 0; i < shape.continuations; ++i) {
    if (pos == text.size()) return replacement_character;
    const auto b = static_cast<std::uint8_t>(text[pos]);
    const std::uint8_t min = i == 0 ? shape.first_min : 0x80;
    const std::uint8_t max = i == 0 ? shape.first_max : 0xBF;
    if (b < min || b > max) return replacement_character;
    value = (value << 6) | (b & 0x3Fu);
    ++pos;
  }
  return value;
}

bool is_scalar(char32_t c) { return c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF); }

}  // namespace

std::u32string decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) out.push_back(decode_one(text, pos));
  return out;
}

void append(std::string& out, char32_t c) {
  if (!is_scalar(c)) c = replacement_character;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));  // most of a mail's text: no call per character
    } else {
      append(out, c);
    }
  }
  return out;
}

}  // namespace mail2sms::sms::utf8
