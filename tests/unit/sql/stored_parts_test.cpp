#include "sql/stored_parts.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/sms/sms.hpp"

namespace mail2sms {
namespace {

std::vector<sms::segment> unpacked(const sql::packed_parts& packed, std::string_view text = {},
                                   sms::encoding coding = sms::encoding::gsm7) {
  auto parts = sql::unpack_parts(packed, text, coding);
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
    EXPECT_FALSE(sql::unpack_parts(std::span(whole.data(), size), {}, sms::encoding::gsm7)) << size;
  }
}

TEST(stored_parts, a_field_longer_than_an_octet_can_say_is_refused) {
  sql::packed_parts packed;
  const std::vector<sms::segment> too_long{{{}, std::vector<std::uint8_t>(256, 'x')}};
  EXPECT_THROW(sql::append_packed(packed, too_long), std::logic_error);
  // A first octet of 255 names the by-text form: no UDH is that long.
  const std::vector<sms::segment> udh_255{{std::vector<std::uint8_t>(255, 0), {}}};
  EXPECT_THROW(sql::append_packed(packed, udh_255), std::logic_error);
  EXPECT_TRUE(packed.empty());
  const std::vector<sms::segment> longest{{{}, std::vector<std::uint8_t>(255, 'x')}};
  sql::append_packed(packed, longest);
  EXPECT_EQ(unpacked(packed).at(0).payload.size(), 255u);
}

// The by-text form: each part a UDH and the size of its piece of the text, every payload made
// again from the text. GSM (plain, with escape pairs, with the Turkish tables named in the UDH
// only) and UCS-2 (with a surrogate pair), one part and several, 8- and 16-bit references.
TEST(stored_parts, the_by_text_form_gives_back_every_part_from_the_text) {
  const std::string turkish = "\xC4\x9F\xC4\xB1\xC5\x9F";
  for (const auto& [text, national] : std::vector<std::pair<std::string, bool>>{
           {"disk full on db1", false},
           {std::string(400, 'x') + "\xE2\x82\xAC{}", false},
           {"Kapasite " + turkish + " " + std::string(300, 'a') + turkish, true},
           {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xF0\x9F\x98\x80 " +
                std::string(150, 'y'),
            false},
           {"", false}}) {
    for (const bool ref16 : {false, true}) {
      sms::encode_options options{.reference = 0x1234, .reference_16bit = ref16};
      if (national) options.national = sms::national_language::turkish;
      const auto encoded = sms::encode(text, options);
      sql::packed_parts packed;
      ASSERT_TRUE(sql::append_packed_by_text(packed, encoded)) << text;
      ASSERT_EQ(packed.at(0), 0xFF);
      const auto parts = unpacked(packed, encoded.text, encoded.coding);
      ASSERT_EQ(parts.size(), encoded.segments.size()) << text;
      for (std::size_t p = 0; p < parts.size(); ++p) {
        EXPECT_EQ(parts[p].udh, encoded.segments[p].udh) << text << " part " << p + 1;
        EXPECT_EQ(parts[p].payload, encoded.segments[p].payload) << text << " part " << p + 1;
      }
      if (national) {
        EXPECT_NE(encoded.single_shift, sms::national_language::none);
      }
    }
  }
}

TEST(stored_parts, the_by_text_form_is_only_for_a_message_that_says_where_its_parts_are) {
  auto encoded = sms::encode(std::string(200, 'z'));
  sql::packed_parts packed;
  auto by_hand = encoded;
  by_hand.text_sizes.clear();  // a message put together without the encoder
  EXPECT_FALSE(sql::append_packed_by_text(packed, by_hand));
  auto wrong = encoded;
  wrong.text_sizes.back() += 1;  // pieces that do not add up to the text
  EXPECT_FALSE(sql::append_packed_by_text(packed, wrong));
  EXPECT_TRUE(packed.empty());
}

TEST(stored_parts, a_by_text_value_that_does_not_fit_its_text_is_not_read_as_parts) {
  const auto encoded = sms::encode(std::string(200, 'z'), {.reference = 7});
  sql::packed_parts packed;
  ASSERT_TRUE(sql::append_packed_by_text(packed, encoded));
  const auto read = [&](std::span<const unsigned char> value, std::string_view text,
                        sms::encoding coding) { return sql::unpack_parts(value, text, coding); };
  EXPECT_TRUE(read(packed, encoded.text, sms::encoding::gsm7).has_value());
  EXPECT_FALSE(read(packed, {}, sms::encoding::gsm7));                  // the text purged
  EXPECT_FALSE(read(packed, encoded.text + "z", sms::encoding::gsm7));  // text left over
  EXPECT_FALSE(read(packed, encoded.text.substr(1), sms::encoding::gsm7));
  EXPECT_FALSE(
      read(packed, "\xD0\x96" + encoded.text.substr(2), sms::encoding::gsm7));  // no GSM form
  EXPECT_FALSE(read(std::span(packed.data(), 1), encoded.text, sms::encoding::gsm7));  // no part
  for (std::size_t size = 2; size < packed.size(); ++size)
    EXPECT_FALSE(read(std::span(packed.data(), size), encoded.text, sms::encoding::gsm7)) << size;
}

}  // namespace
}  // namespace mail2sms
