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

namespace {

using namespace mail2sms;

[[noreturn]] void broken(const char* what, std::string_view text) {
  std::fprintf(stderr, "mail_text_fuzz: invariant broken: %s\ntext (%zu octets): ", what,
               text.size());
  for (unsigned char c : text.substr(0, 400)) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02X", c);
    }
  }
  std::fputc('\n', stderr);
  std::abort();
}

void check(bool ok, const char* what, std::string_view text) {
  if (!ok) broken(what, text);
}

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

// The parts as an SMSC sees them: each fits one SMS with its UDH, and together they are the text.
void check_sms(std::string_view text, const sms::encoded_message& m,
               const sms::encode_options& options) {
  check(!m.segments.empty(), "encode gave no segment", text);
  std::string back;
  std::size_t units = 0;
  const bool gsm = m.coding == sms::encoding::gsm7;
  for (const auto& s : m.segments) {
    const std::size_t unit_octets = gsm ? 1 : 2;
    check(s.payload.size() % unit_octets == 0, "UCS-2 payload with an odd octet count", text);
    units += s.payload.size() / unit_octets;
    if (m.segments.size() == 1) {
      check(s.udh.empty(), "single SMS carries a UDH", text);
      check(s.payload.size() <= (gsm ? 160u : 140u), "single SMS too long", text);
    } else {
      const bool has_udh = m.segments.size() <= sms::max_segments;
      check(s.udh.empty() != has_udh, "UDH presence does not match the part count", text);
      check(s.udh.empty() || s.udh.size() == (options.reference_16bit ? 7u : 6u), "UDH size", text);
      // 140 octets: a GSM part is packed 7 bits a septet after the UDH (padded to a septet).
      const std::size_t udh_septets = (s.udh.size() * 8 + 6) / 7;
      check(gsm ? udh_septets + s.payload.size() <= 160 : s.udh.size() + s.payload.size() <= 140,
            "a part does not fit one SMS", text);
    }
    back += sms::decode(m.coding, s.payload);
  }
  check(units == m.units, "segments' units do not add up to encoded_message::units", text);
  check(back == text, "decode(encode(text)) != text", text);
  check(gsm || !text.empty(), "empty text not GSM", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view mail(reinterpret_cast<const char*>(data), size);
  const auto text = mail::extract_text(mail);
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
  check_sms(sms_text, sms::encode(sms_text, options), options);
  return 0;
}
