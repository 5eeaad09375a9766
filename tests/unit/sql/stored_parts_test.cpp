#include "sql/stored_parts.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/sms/sms.hpp"

namespace mail2sms {
namespace {

std::vector<sms::segment> unpacked(const sql::packed_parts& packed) {
  auto parts = sql::unpack_parts(packed);
  EXPECT_TRUE(parts.has_value());
  return parts.value_or(std::vector<sms::segment>{});
}

TEST(stored_parts, every_part_comes_back_in_order_byte_for_byte) {
  for (const char* text :
       {"disk full on db1", "Καλημέρα — ο δίσκος στο db1 είναι 97% γεμάτος, παρακαλώ δείτε το.",
        "x"}) {
    // Long enough for several parts with UDHs, in GSM and in UCS-2.
    std::string long_text;
    for (int i = 0; i < 12; ++i) long_text += text;
    for (const auto& t : {std::string(text), long_text}) {
      const auto encoded = sms::encode(t);
      sql::packed_parts packed;
      sql::append_packed(packed, encoded.segments);
      const auto parts = unpacked(packed);
      ASSERT_EQ(parts.size(), encoded.segments.size()) << t;
      for (std::size_t p = 0; p < parts.size(); ++p) {
        EXPECT_EQ(parts[p].udh, encoded.segments[p].udh) << t << " part " << p + 1;
        EXPECT_EQ(parts[p].payload, encoded.segments[p].payload) << t << " part " << p + 1;
      }
    }
  }
}

TEST(stored_parts, the_layout_is_length_octets_before_each_field) {
  // What migration 0014 writes from old part rows with string_agg must read back the same.
  const std::vector<sms::segment> segments{{{0x05, 0x00, 0x03, 0x2a, 0x02, 0x01}, {'a', 'b'}},
                                           {{}, {}}};
  sql::packed_parts packed;
  sql::append_packed(packed, segments);
  const sql::packed_parts expected{6, 0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 2, 'a', 'b', 0, 0};
  EXPECT_EQ(packed, expected);
  EXPECT_EQ(unpacked(packed).size(), 2u);
  EXPECT_TRUE(unpacked({}).empty());
}

TEST(stored_parts, a_value_cut_short_is_not_read_as_parts) {
  const sql::packed_parts whole{1, 0x00, 3, 'a', 'b', 'c'};
  ASSERT_EQ(unpacked(whole).size(), 1u);
  for (std::size_t size = 1; size < whole.size(); ++size) {
    EXPECT_FALSE(sql::unpack_parts(std::span(whole.data(), size)).has_value()) << size;
  }
}

TEST(stored_parts, a_field_longer_than_an_octet_can_say_is_refused) {
  sql::packed_parts packed;
  const std::vector<sms::segment> too_long{{{}, std::vector<std::uint8_t>(256, 'x')}};
  EXPECT_THROW(sql::append_packed(packed, too_long), std::logic_error);
  const std::vector<sms::segment> longest{{{}, std::vector<std::uint8_t>(255, 'x')}};
  sql::append_packed(packed, longest);
  EXPECT_EQ(unpacked(packed).at(0).payload.size(), 255u);
}

}  // namespace
}  // namespace mail2sms
