// Concatenation UDH octets, alone and as encode() attaches them to every part.
#include "core/sms/udh.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/sms/sms.hpp"
#include "sms_test_support.hpp"

namespace mail2sms::sms {
namespace {

using bytes = std::vector<std::uint8_t>;
using test_support::repeat;

TEST(udh_test, eight_bit_reference_sends_the_low_octet) {
  EXPECT_EQ(udh::concatenation_header(
                {.reference = 0x1234, .reference_16bit = false, .total = 3, .sequence = 2}),
            (bytes{0x05, 0x00, 0x03, 0x34, 0x03, 0x02}));
}

TEST(udh_test, sixteen_bit_reference_is_big_endian) {
  EXPECT_EQ(udh::concatenation_header(
                {.reference = 0x1234, .reference_16bit = true, .total = 3, .sequence = 2}),
            (bytes{0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02}));
}

TEST(udh_test, encode_numbers_every_part_with_an_8bit_reference) {
  const auto message = encode(repeat("a", 307), {.reference = 0xAB, .reference_16bit = false});
  ASSERT_EQ(message.segments.size(), 3u);
  EXPECT_EQ(message.segments[0].udh, (bytes{0x05, 0x00, 0x03, 0xAB, 0x03, 0x01}));
  EXPECT_EQ(message.segments[1].udh, (bytes{0x05, 0x00, 0x03, 0xAB, 0x03, 0x02}));
  EXPECT_EQ(message.segments[2].udh, (bytes{0x05, 0x00, 0x03, 0xAB, 0x03, 0x03}));
}

TEST(udh_test, encode_numbers_every_part_with_a_16bit_reference) {
  const auto message =
      encode(repeat("\xD0\x96", 71), {.reference = 0xBEEF, .reference_16bit = true});
  ASSERT_EQ(message.segments.size(), 2u);
  EXPECT_EQ(message.segments[0].udh, (bytes{0x06, 0x08, 0x04, 0xBE, 0xEF, 0x02, 0x01}));
  EXPECT_EQ(message.segments[1].udh, (bytes{0x06, 0x08, 0x04, 0xBE, 0xEF, 0x02, 0x02}));
}

TEST(udh_test, single_part_has_no_udh) {
  EXPECT_TRUE(encode(repeat("a", 160), {.reference = 7, .reference_16bit = true})
                  .segments.at(0)
                  .udh.empty());
  EXPECT_TRUE(encode(repeat("\xD0\x96", 70)).segments.at(0).udh.empty());
}

}  // namespace
}  // namespace mail2sms::sms
