// Fuzzes mail -> text -> SMS as acceptance does it: extract_text() on an untrusted RFC 5322
// message, then sms::encode() on the text an SMS would carry. The text must be valid UTF-8 laid out
// as body_layout promises, and the segments must read back to exactly that text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/mail/mail_text.hpp"
#include "core/sms/sms.hpp"
#include "sms_invariants.hpp"

namespace {

using namespace mail2sms;
using fuzz::check;

// Well-formed UTF-8 (Unicode 15, table 3-7): shortest forms, no surrogates, nothing past U+10FFFF.
// Written out here rather than borrowed from the code under test.
bool is_well_formed_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 1;
    } else if (b == 0xE0) {
      n = 2, lo = 0xA0;
    } else if (b == 0xED) {
      n = 2, hi = 0x9F;
    } else if (b >= 0xE1 && b <= 0xEF) {
      n = 2;
    } else if (b == 0xF0) {
      n = 3, lo = 0x90;
    } else if (b == 0xF4) {
      n = 3, hi = 0x8F;
    } else if (b >= 0xF1 && b <= 0xF3) {
      n = 3;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

// body_layout.hpp: LF line ends only, no trailing blanks on a line, no blank line at either end,
// at most one blank line in a row.
void check_body_layout(std::string_view body) {
  check(body.find('\r') == std::string_view::npos, "body holds a CR", body);
  if (body.empty()) return;
  check(body.front() != '\n' && body.back() != '\n', "body starts or ends with a line break", body);
  check(body.find("\n\n\n") == std::string_view::npos, "body has two blank lines in a row", body);
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t end = std::min(body.find('\n', start), body.size());
    const std::string_view line = body.substr(start, end - start);
    if (!line.empty()) {
      const char last = line.back();
      check(last != ' ' && last != '\t' && last != '\f' && last != '\v',
            "a body line ends in a blank", body);
    }
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view mail(reinterpret_cast<const char*>(data), size);
  mail::text_options text_options;
  text_options.clean = (size & 2) == 0;
  text_options.end_marker = (size & 4) != 0 ? "##" : "";
  if ((size & 8) != 0) text_options.disclaimer_patterns = {"confidential|(a+)+b"};
  const auto text = mail::extract_text(mail, text_options);
  if (!text) {
    check(!text.error().empty(), "a refusal without a reason", mail);
    return 0;
  }
  check(is_well_formed_utf8(text->subject), "subject is not UTF-8", text->subject);
  check(is_well_formed_utf8(text->body), "body is not UTF-8", text->body);
  check(is_well_formed_utf8(text->message_id), "Message-ID is not UTF-8", text->message_id);
  check(is_well_formed_utf8(text->from), "From is not UTF-8", text->from);
  check(text->subject.find_first_of("\r\n") == std::string::npos, "subject has a line break",
        text->subject);
  check_body_layout(text->body);
  check(!text->body.empty() || !text->subject.empty(), "accepted mail with no text", mail);

  // As acceptance does: the body, or the subject of a subject-only alert.
  const std::string& sms_text = text->body.empty() ? text->subject : text->body;
  sms::encode_options options;
  options.reference = static_cast<std::uint16_t>(size * 2654435761U);
  options.reference_16bit = (size & 1) != 0;
  options.smart_gsm = (size & 16) == 0;
  options.transliterate = (size & 32) != 0;
  fuzz::check_sms(sms_text, sms::encode(sms_text, options), options);
  return 0;
}
