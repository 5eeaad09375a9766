// Fuzzes text -> segments: any bytes as UTF-8 text (invalid sequences included), with the options
// taken from the first octet. Every part must fit one SMS with its UDH, the parts must read back to
// the text encode() reports, and without replacements asked for that is the input itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"
#include "sms_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mail2sms;
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  sms::encode_options options;
  options.reference = static_cast<std::uint16_t>(size * 40503U);
  options.reference_16bit = (flags & 1) != 0;
  options.smart_gsm = (flags & 2) != 0;
  options.transliterate = (flags & 4) != 0;
  options.national = static_cast<sms::national_language>((flags >> 3) & 3);
  const auto m = sms::encode(bytes, options);
  // Valid UTF-8 comes back as it went in; invalid sequences as U+FFFD, so compare with m.text.
  fuzz::check_sms(m.text, m, options);
  if (!options.smart_gsm && !options.transliterate) {
    fuzz::check(m.text == sms::utf8::encode(sms::utf8::decode(bytes)),
                "encode changed the text with no replacements asked for", bytes);
  }
  return 0;
}
