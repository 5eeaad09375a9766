// UCS-2 (UTF-16 big-endian) payloads: surrogate pairs out, and back with U+FFFD for broken ones.
#include "core/sms/ucs2.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/sms/sms.hpp"

namespace mail2sms::sms {
namespace {

using bytes = std::vector<std::uint8_t>;

const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

TEST(ucs2_test, bmp_characters_are_one_big_endian_unit) {
  const auto message = encode("\xD0\x96\xE4\xB8\xAD");  // Cyrillic Zhe, CJK 'middle'
  EXPECT_EQ(message.coding, encoding::ucs2);
  EXPECT_EQ(message.units, 2u);
  EXPECT_EQ(message.segments.at(0).payload, (bytes{0x04, 0x16, 0x4E, 0x2D}));
}

TEST(ucs2_test, astral_characters_are_surrogate_pairs) {
  const auto message = encode("\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(message.coding, encoding::ucs2);
  EXPECT_EQ(message.units, 2u);
  EXPECT_EQ(message.segments.at(0).payload, (bytes{0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(decode(encoding::ucs2, message.segments[0].payload), "\xF0\x9F\x98\x80");
}

TEST(ucs2_test, to_utf16_of_the_last_code_point) {
  EXPECT_EQ(ucs2::to_utf16(U"\U0010FFFF"), (std::vector<char16_t>{0xDBFF, 0xDFFF}));
}

TEST(ucs2_test, a_single_non_gsm_character_forces_ucs2) {
  // The euro sign is GSM, l with stroke is not (nor has it a smart GSM replacement).
  const auto message = encode("Price: 10\xE2\x82\xAC, caf\xC5\x82");
  EXPECT_EQ(message.coding, encoding::ucs2);
  EXPECT_EQ(message.units, 16u);  // the euro sign is one UTF-16 unit, not an escape pair
  EXPECT_EQ(decode(message.coding, message.segments.at(0).payload),
            "Price: 10\xE2\x82\xAC, caf\xC5\x82");
}

TEST(ucs2_test, lone_surrogates_decode_as_replacement) {
  EXPECT_EQ(decode(encoding::ucs2, bytes{0xD8, 0x3D}), "\xEF\xBF\xBD");
  EXPECT_EQ(decode(encoding::ucs2, bytes{0xDE, 0x00, 0x00, 'a'}), replacement + "a");
  EXPECT_EQ(decode(encoding::ucs2, bytes{0xD8, 0x3D, 0x00, 'a'}), replacement + "a");
}

TEST(ucs2_test, odd_trailing_octet_decodes_as_replacement) {
  EXPECT_EQ(decode(encoding::ucs2, bytes{0x00, 'a', 0x00}), "a\xEF\xBF\xBD");
}

}  // namespace
}  // namespace mail2sms::sms
