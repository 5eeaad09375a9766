// decode(encode(text)) part by part gives the text back: a spread of hand-picked texts, and
// seeded random ones (deterministic) that land escape and surrogate pairs on part boundaries.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/sms/gsm7.hpp"
#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"
#include "sms_test_support.hpp"

namespace mail2sms::sms {
namespace {

using test_support::decode_all;
using test_support::repeat;

// The invariants every encoding must keep, besides the round trip itself.
void expect_well_formed(const std::string& text, const encoded_message& message) {
  std::size_t units = 0;
  for (const auto& s : message.segments) {
    units += message.coding == encoding::gsm7 ? s.payload.size() : s.payload.size() / 2;
    EXPECT_LE(test_support::user_data_octets(message.coding, s), 140u);
    EXPECT_EQ(s.udh.empty(), message.segments.size() == 1);
  }
  EXPECT_EQ(units, message.units);
  EXPECT_FALSE(message.segments.empty());
  EXPECT_EQ(decode_all(message), message.text);
  EXPECT_EQ(message.text, text);  // these texts hold nothing smart GSM would replace
}

std::string all_basic_characters() {
  std::u32string text;
  for (std::size_t septet = 0; septet < gsm7::basic_table.size(); ++septet) {
    if (septet != gsm7::escape) text.push_back(gsm7::basic_table[septet]);
  }
  return utf8::encode(text);
}

std::string all_extension_characters() {
  std::u32string text;
  for (const auto& entry : gsm7::extension_table) text.push_back(entry.character);
  return utf8::encode(text);
}

TEST(round_trip_test, hand_picked_texts) {
  const std::vector<std::string> texts = {
      "",
      "Hello",
      "Server db1 is DOWN\r\nsince 03:12 (load 12.5) [crit] {ticket #42} ~ok | a\\b ^ \x0C",
      all_basic_characters(),
      all_extension_characters(),
      repeat(all_basic_characters() + all_extension_characters(), 5),
      "\xCE\x93\xCE\xB5\xCE\xB9\xCE\xAC \xCF\x83\xCE\xBF\xCF\x85",  // Greek lower case: UCS-2
      "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C",
      repeat("\xF0\x9F\x9A\xA8 alert ", 40),
      repeat("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", 30),
      repeat("caf\xC3\xA9 ", 100),
      std::string("nul\0inside", 10),
  };
  for (bool ref16 : {false, true}) {
    for (const auto& text : texts) {
      SCOPED_TRACE(text);
      expect_well_formed(text, encode(text, {.reference = 0x4242, .reference_16bit = ref16}));
    }
  }
}

// Random texts from a few pools; a GSM-only text stays GSM so escape pairs meet part boundaries.
class random_text {
 public:
  explicit random_text(std::uint32_t seed) : engine_(seed) {}

  std::string next() {
    const bool gsm_only = pick(2) == 0;
    const std::size_t length = pick(700);
    std::u32string text;
    for (std::size_t i = 0; i < length; ++i) text.push_back(gsm_only ? gsm_char() : any_char());
    return utf8::encode(text);
  }

 private:
  std::size_t pick(std::size_t bound) { return engine_() % bound; }

  char32_t gsm_char() {
    if (pick(4) == 0) return gsm7::extension_table[pick(gsm7::extension_table.size())].character;
    std::size_t septet = pick(gsm7::basic_table.size());
    if (septet == gsm7::escape) septet = 'x';
    return gsm7::basic_table[septet];
  }

  char32_t any_char() {
    switch (pick(4)) {
      case 0:
        return gsm_char();
      case 1:
        return static_cast<char32_t>(0x10000 + pick(0x100000));  // astral: surrogate pair
      default: {
        const auto c = static_cast<char32_t>(pick(0x10000));
        return c >= 0xD800 && c <= 0xDFFF ? U'\u00E7' : c;
      }
    }
  }

  std::mt19937 engine_;  // mt19937's sequence is fixed by the standard: same texts everywhere
};

TEST(round_trip_test, seeded_random_texts) {
  random_text texts(20240229);
  for (int i = 0; i < 400; ++i) {
    const std::string text = texts.next();
    encode_options options{.reference = static_cast<std::uint16_t>(i),
                           .reference_16bit = i % 2 == 1};
    options.smart_gsm = false;  // the text must come back as it went in
    SCOPED_TRACE("text #" + std::to_string(i));
    expect_well_formed(text, encode(text, options));
  }
}

TEST(round_trip_test, invalid_utf8_round_trips_as_replacement) {
  const auto message = encode("a\xC3(b\xFF");
  EXPECT_EQ(message.coding, encoding::ucs2);
  EXPECT_EQ(decode_all(message), "a\xEF\xBF\xBD(b\xEF\xBF\xBD");
}

}  // namespace
}  // namespace mail2sms::sms
