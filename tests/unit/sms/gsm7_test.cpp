// GSM 03.38 tables: every entry encodes to its septet(s) and decodes back; nothing else is GSM;
// reserved codes decode as the specification says.
#include "core/sms/gsm7.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"

namespace mail2sms::sms {
namespace {

using bytes = std::vector<std::uint8_t>;

TEST(gsm7_test, every_basic_entry_round_trips) {
  for (std::uint8_t septet = 0; septet < 128; ++septet) {
    if (septet == gsm7::escape) continue;
    const std::string text = utf8::encode(std::u32string(1, gsm7::basic_table[septet]));
    const auto message = encode(text);
    EXPECT_EQ(message.coding, encoding::gsm7) << int{septet};
    EXPECT_EQ(message.units, 1u) << int{septet};
    ASSERT_EQ(message.segments.size(), 1u);
    EXPECT_EQ(message.segments[0].payload, bytes{septet}) << int{septet};
    EXPECT_EQ(decode(encoding::gsm7, message.segments[0].payload), text) << int{septet};
  }
}

TEST(gsm7_test, every_extension_entry_round_trips_as_escape_pair) {
  for (const auto& entry : gsm7::extension_table) {
    const std::string text = utf8::encode(std::u32string(1, entry.character));
    const auto message = encode(text);
    EXPECT_EQ(message.coding, encoding::gsm7) << text;
    EXPECT_EQ(message.units, 2u) << text;
    ASSERT_EQ(message.segments.size(), 1u);
    EXPECT_EQ(message.segments[0].payload, (bytes{0x1B, entry.septet})) << text;
    EXPECT_EQ(decode(encoding::gsm7, message.segments[0].payload), text);
  }
}

// The tables as TS 23.038 prints them, typed independently of gsm7.hpp: septets 0x00..0x7F in
// order (0x1B, the escape, left out), then the extension characters.
TEST(gsm7_test, basic_table_matches_the_specification) {
  const std::string spec_order =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"
      "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  bytes expected;
  for (int septet = 0; septet < 128; ++septet) {
    if (septet != 0x1B) expected.push_back(static_cast<std::uint8_t>(septet));
  }
  const auto message = encode(spec_order);
  EXPECT_EQ(message.coding, encoding::gsm7);
  ASSERT_EQ(message.segments.size(), 1u);
  EXPECT_EQ(message.segments[0].payload, expected);
}

TEST(gsm7_test, extension_table_matches_the_specification) {
  const auto message = encode("\f^{}\\[~]|€");
  EXPECT_EQ(message.coding, encoding::gsm7);
  ASSERT_EQ(message.segments.size(), 1u);
  EXPECT_EQ(message.segments[0].payload,
            (bytes{0x1B, 0x0A, 0x1B, 0x14, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x2F,
                   0x1B, 0x3C, 0x1B, 0x3D, 0x1B, 0x3E, 0x1B, 0x40, 0x1B, 0x65}));
}

TEST(gsm7_test, spot_checks_against_the_specification) {
  EXPECT_EQ(encode("@").segments[0].payload, bytes{0x00});
  EXPECT_EQ(encode("\xE2\x82\xAC").segments[0].payload, (bytes{0x1B, 0x65}));  // euro
  EXPECT_EQ(encode("\x0C").segments[0].payload, (bytes{0x1B, 0x0A}));          // form feed
  EXPECT_EQ(encode("{}").segments[0].payload, (bytes{0x1B, 0x28, 0x1B, 0x29}));
  EXPECT_EQ(encode("\xCE\x94").segments[0].payload, bytes{0x10});  // Greek capital delta
  EXPECT_EQ(encode("\xC3\x87").segments[0].payload, bytes{0x09});  // C with cedilla
  EXPECT_EQ(encode("\xC2\xA4").segments[0].payload, bytes{0x24});  // currency sign, not '$'
  EXPECT_EQ(encode("$").segments[0].payload, bytes{0x02});
}

TEST(gsm7_test, exactly_the_table_characters_are_gsm) {
  std::set<char32_t> expected;
  for (std::uint8_t septet = 0; septet < 128; ++septet) {
    if (septet != gsm7::escape) expected.insert(gsm7::basic_table[septet]);
  }
  for (const auto& entry : gsm7::extension_table) expected.insert(entry.character);
  ASSERT_EQ(expected.size(), 137u);  // 127 basic + 10 extension, no character twice

  std::set<char32_t> found;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (is_gsm7(c)) found.insert(c);
  }
  EXPECT_EQ(found, expected);
}

TEST(gsm7_test, lookalikes_are_not_gsm) {
  EXPECT_FALSE(is_gsm7(U'`'));
  EXPECT_FALSE(is_gsm7(U'\u00E7'));  // c cedilla: only the capital is in the table
  EXPECT_FALSE(is_gsm7(U'\u00A0'));  // no-break space
  EXPECT_FALSE(is_gsm7(U'\u001B'));  // the escape is not a character
  EXPECT_FALSE(is_gsm7(U'\u0000'));
  EXPECT_FALSE(is_gsm7(U'\u03B1'));  // Greek small alpha
}

TEST(gsm7_test, septet_counts) {
  EXPECT_EQ(gsm7::septet_count(U'a'), 1u);
  EXPECT_EQ(gsm7::septet_count(U'\u20AC'), 2u);
  EXPECT_EQ(gsm7::septet_count(U'\u4E2D'), 0u);
}

TEST(gsm7_test, to_septets_escapes_extensions_and_refuses_other_characters) {
  EXPECT_EQ(gsm7::to_septets(U"a\u20AC"), (bytes{'a', 0x1B, 0x65}));
  EXPECT_EQ(gsm7::to_septets(U"abc\u00E7"), std::nullopt);
}

TEST(gsm7_test, unknown_escape_shows_the_basic_character) {
  EXPECT_EQ(decode(encoding::gsm7, bytes{0x1B, 0x41}), "A");
  EXPECT_EQ(decode(encoding::gsm7, bytes{0x1B, 0x00, 'b'}), "@b");
}

TEST(gsm7_test, double_escape_and_trailing_escape_show_a_space) {
  EXPECT_EQ(decode(encoding::gsm7, bytes{'a', 0x1B, 0x1B, 'b'}), "a b");
  EXPECT_EQ(decode(encoding::gsm7, bytes{'a', 0x1B}), "a ");
}

TEST(gsm7_test, octets_above_a_septet_decode_as_replacement) {
  EXPECT_EQ(decode(encoding::gsm7, bytes{'a', 0x80, 0xFF}), "a\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(decode(encoding::gsm7, bytes{0x1B, 0x9B}), "\xEF\xBF\xBD");
}

TEST(gsm7_test, decodes_an_empty_payload) { EXPECT_EQ(decode(encoding::gsm7, bytes{}), ""); }

}  // namespace
}  // namespace mail2sms::sms
