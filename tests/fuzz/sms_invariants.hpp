// What every fuzz target checks of encoded SMS parts: each fits one SMS with its UDH, and the parts
// read back to exactly the text encode() says it sends. On a broken invariant: a report and abort.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/sms/sms.hpp"

namespace fuzz {

using namespace mail2sms;

[[noreturn]] inline void broken(const char* what, std::string_view text) {
  std::fprintf(stderr, "fuzz: invariant broken: %s\ntext (%zu octets): ", what, text.size());
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

inline void check(bool ok, const char* what, std::string_view text) {
  if (!ok) broken(what, text);
}

// The parts as an SMSC sees them: each fits one SMS with its UDH, and together they are the text.
inline void check_sms(std::string_view text, const sms::encoded_message& m,
                      const sms::encode_options& options) {
  check(!m.segments.empty(), "encode gave no segment", text);
  std::string back;
  std::size_t units = 0;
  const bool gsm = m.coding == sms::encoding::gsm7;
  // National language elements: 3 octets each, in every part's UDH.
  const std::size_t national = (m.locking_shift != sms::national_language::none ? 3u : 0u) +
                               (m.single_shift != sms::national_language::none ? 3u : 0u);
  check(gsm || national == 0, "national language tables with UCS-2", text);
  for (std::size_t i = 0; i < m.segments.size(); ++i) {
    const auto& s = m.segments[i];
    const std::size_t unit_octets = gsm ? 1 : 2;
    check(s.payload.size() % unit_octets == 0, "UCS-2 payload with an odd octet count", text);
    units += s.payload.size() / unit_octets;
    const bool concatenated = m.segments.size() > 1 && m.segments.size() <= sms::max_segments;
    const std::size_t concat = concatenated ? (options.reference_16bit ? 6u : 5u) : 0u;
    const std::size_t udh = concat + national == 0 ? 0 : 1 + concat + national;
    check(s.udh.size() == udh, "UDH size does not match the part count and tables", text);
    // 140 octets: a GSM part is packed 7 bits a septet after the UDH (padded to a septet).
    const std::size_t udh_septets = (s.udh.size() * 8 + 6) / 7;
    check(gsm ? udh_septets + s.payload.size() <= 160 : s.udh.size() + s.payload.size() <= 140,
          "a part does not fit one SMS", text);
    back += sms::decode_part(m, i);
  }
  check(units == m.units, "segments' units do not add up to encoded_message::units", text);
  check(back == m.text, "decode(encode(text)) != the text encode says it sends", text);
  check(options.smart_gsm || options.transliterate || m.text == text,
        "encode changed the text with no replacements asked for", text);
  check(gsm || !text.empty(), "empty text not GSM", text);
}

}  // namespace fuzz
