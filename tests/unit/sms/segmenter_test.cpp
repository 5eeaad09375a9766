// Segmentation: the single/multipart boundaries, pairs kept whole across parts, the 140-octet
// limit for every part, and what happens past 255 parts.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/sms/sms.hpp"
#include "sms_test_support.hpp"

namespace mail2sms::sms {
namespace {

using bytes = std::vector<std::uint8_t>;
using test_support::decode_all;
using test_support::repeat;

const std::string zhe = "\xD0\x96";           // U+0416, one UTF-16 unit, not GSM
const std::string grin = "\xF0\x9F\x98\x80";  // U+1F600, a surrogate pair
const std::string euro = "\xE2\x82\xAC";      // GSM extension: escape pair

// Units per part: septets for GSM, UTF-16 units for UCS-2.
std::vector<std::size_t> part_units(const encoded_message& message) {
  std::vector<std::size_t> units;
  for (const auto& s : message.segments) {
    units.push_back(message.coding == encoding::gsm7 ? s.payload.size() : s.payload.size() / 2);
  }
  return units;
}

using sizes = std::vector<std::size_t>;

TEST(segmenter_test, gsm_160_is_one_part_161_is_two) {
  const auto one = encode(repeat("a", 160));
  EXPECT_EQ(one.coding, encoding::gsm7);
  EXPECT_EQ(one.units, 160u);
  EXPECT_EQ(part_units(one), sizes{160});

  const auto two = encode(repeat("a", 161));
  EXPECT_EQ(two.units, 161u);
  EXPECT_EQ(part_units(two), (sizes{153, 8}));
}

TEST(segmenter_test, gsm_306_is_two_parts_307_is_three) {
  EXPECT_EQ(part_units(encode(repeat("a", 306))), (sizes{153, 153}));
  EXPECT_EQ(part_units(encode(repeat("a", 307))), (sizes{153, 153, 1}));
}

TEST(segmenter_test, gsm_with_16bit_reference_uses_152_septet_parts) {
  const encode_options ref16{.reference = 1, .reference_16bit = true};
  EXPECT_EQ(part_units(encode(repeat("a", 160), ref16)), sizes{160});
  EXPECT_EQ(part_units(encode(repeat("a", 304), ref16)), (sizes{152, 152}));
  EXPECT_EQ(part_units(encode(repeat("a", 305), ref16)), (sizes{152, 152, 1}));
}

TEST(segmenter_test, escape_pairs_count_two_septets) {
  const auto message = encode(repeat(euro, 80));
  EXPECT_EQ(message.coding, encoding::gsm7);
  EXPECT_EQ(message.units, 160u);
  EXPECT_EQ(part_units(message), sizes{160});
  EXPECT_EQ(part_units(encode(repeat(euro, 80) + "a")), (sizes{152, 9}));
}

TEST(segmenter_test, escape_pair_at_the_boundary_moves_to_the_next_part) {
  const std::string text = repeat("a", 152) + euro + repeat("b", 10);
  const auto message = encode(text);
  EXPECT_EQ(message.units, 164u);
  ASSERT_EQ(part_units(message), (sizes{152, 12}));
  EXPECT_EQ(decode(message.coding, message.segments[0].payload), repeat("a", 152));
  EXPECT_EQ(message.segments[1].payload[0], 0x1B);
  EXPECT_EQ(message.segments[1].payload[1], 0x65);
  EXPECT_EQ(decode(message.coding, message.segments[1].payload), euro + repeat("b", 10));
}

TEST(segmenter_test, escape_pair_ending_exactly_at_the_boundary_stays) {
  const auto message = encode(repeat("a", 151) + euro + repeat("b", 10));
  EXPECT_EQ(part_units(message), (sizes{153, 10}));
}

TEST(segmenter_test, no_gsm_part_ends_inside_an_escape_pair) {
  const auto message = encode(repeat(euro, 200));
  EXPECT_EQ(message.units, 400u);
  EXPECT_EQ(part_units(message), (sizes{152, 152, 96}));
  for (const auto& s : message.segments) EXPECT_NE(s.payload.back(), 0x1B);
  EXPECT_EQ(decode_all(message), repeat(euro, 200));
}

TEST(segmenter_test, ucs2_70_is_one_part_71_is_two) {
  const auto one = encode(repeat(zhe, 70));
  EXPECT_EQ(one.coding, encoding::ucs2);
  EXPECT_EQ(one.units, 70u);
  EXPECT_EQ(part_units(one), sizes{70});
  EXPECT_EQ(one.segments[0].payload.size(), 140u);

  const auto two = encode(repeat(zhe, 71));
  EXPECT_EQ(two.units, 71u);
  EXPECT_EQ(part_units(two), (sizes{67, 4}));
}

TEST(segmenter_test, ucs2_134_is_two_parts_135_is_three) {
  EXPECT_EQ(part_units(encode(repeat(zhe, 134))), (sizes{67, 67}));
  EXPECT_EQ(part_units(encode(repeat(zhe, 135))), (sizes{67, 67, 1}));
}

TEST(segmenter_test, ucs2_with_16bit_reference_uses_66_unit_parts) {
  const encode_options ref16{.reference = 1, .reference_16bit = true};
  EXPECT_EQ(part_units(encode(repeat(zhe, 132), ref16)), (sizes{66, 66}));
  EXPECT_EQ(part_units(encode(repeat(zhe, 133), ref16)), (sizes{66, 66, 1}));
}

TEST(segmenter_test, surrogate_pairs_count_two_units) {
  EXPECT_EQ(part_units(encode(repeat(zhe, 68) + grin)), sizes{70});
  EXPECT_EQ(part_units(encode(repeat(zhe, 69) + grin)), (sizes{67, 4}));
}

TEST(segmenter_test, surrogate_pair_at_the_boundary_is_not_split) {
  const std::string text = repeat(zhe, 66) + grin + repeat(zhe, 10);
  const auto message = encode(text);
  EXPECT_EQ(message.units, 78u);
  ASSERT_EQ(part_units(message), (sizes{66, 12}));
  EXPECT_EQ(decode(message.coding, message.segments[0].payload), repeat(zhe, 66));
  EXPECT_EQ(decode(message.coding, message.segments[1].payload), grin + repeat(zhe, 10));
  EXPECT_EQ((bytes{message.segments[1].payload.begin(), message.segments[1].payload.begin() + 4}),
            (bytes{0xD8, 0x3D, 0xDE, 0x00}));
}

TEST(segmenter_test, surrogate_pair_at_the_16bit_boundary_is_not_split) {
  const auto message =
      encode(repeat(zhe, 65) + grin + repeat(zhe, 10), {.reference = 9, .reference_16bit = true});
  EXPECT_EQ(part_units(message), (sizes{65, 12}));
  EXPECT_EQ(decode_all(message), repeat(zhe, 65) + grin + repeat(zhe, 10));
}

TEST(segmenter_test, one_non_gsm_character_forces_ucs2_for_the_whole_text) {
  const auto message = encode(repeat("a", 100) + "\xC5\x82");  // l with stroke is not GSM
  EXPECT_EQ(message.coding, encoding::ucs2);
  EXPECT_EQ(message.units, 101u);
  EXPECT_EQ(part_units(message), (sizes{67, 34}));
  EXPECT_EQ(decode_all(message), repeat("a", 100) + "\xC5\x82");
}

TEST(segmenter_test, every_part_fits_140_octets) {
  const std::vector<std::string> pieces = {"a", euro, "a" + euro, zhe, grin, zhe + grin};
  for (bool ref16 : {false, true}) {
    for (const auto& piece : pieces) {
      for (std::size_t n : {1u, 69u, 70u, 71u, 159u, 160u, 161u, 500u, 1000u}) {
        const auto message =
            encode(repeat(piece, n), {.reference = 0x0102, .reference_16bit = ref16});
        for (const auto& s : message.segments) {
          EXPECT_LE(test_support::user_data_octets(message.coding, s), 140u)
              << piece << " x" << n << " ref16=" << ref16;
          EXPECT_LE(test_support::udh_plus_packed_octets(message.coding, s), 140u);
        }
      }
    }
  }
}

TEST(segmenter_test, full_parts_use_all_140_octets) {
  for (bool ref16 : {false, true}) {
    const encode_options options{.reference = 1, .reference_16bit = ref16};
    const auto gsm = encode(repeat("a", 1000), options);
    EXPECT_EQ(test_support::user_data_octets(gsm.coding, gsm.segments[0]), 140u);
    const auto ucs2 = encode(repeat(zhe, 1000), options);
    EXPECT_EQ(test_support::user_data_octets(ucs2.coding, ucs2.segments[0]), ref16 ? 139u : 140u);
  }
}

TEST(segmenter_test, empty_text_is_one_empty_gsm_part) {
  const auto message = encode("");
  EXPECT_EQ(message.coding, encoding::gsm7);
  EXPECT_EQ(message.units, 0u);
  ASSERT_EQ(message.segments.size(), 1u);
  EXPECT_TRUE(message.segments[0].payload.empty());
  EXPECT_TRUE(message.segments[0].udh.empty());
}

TEST(segmenter_test, 255_parts_are_concatenated) {
  const auto message = encode(repeat("a", 153 * 255), {.reference = 5, .reference_16bit = false});
  ASSERT_EQ(message.segments.size(), 255u);
  EXPECT_TRUE(fits_concatenation(message));
  EXPECT_EQ(message.segments.back().udh, (bytes{0x05, 0x00, 0x03, 0x05, 0xFF, 0xFF}));
}

TEST(segmenter_test, more_than_255_parts_are_counted_but_carry_no_udh) {
  const std::string text = repeat("a", 153 * 255 + 1);
  const auto message = encode(text, {.reference = 5, .reference_16bit = false});
  EXPECT_EQ(message.segments.size(), 256u);
  EXPECT_FALSE(fits_concatenation(message));
  for (const auto& s : message.segments) EXPECT_TRUE(s.udh.empty());
  EXPECT_EQ(decode_all(message), text);  // nothing truncated
}

TEST(segmenter_test, encode_is_deterministic) {
  const std::string text = repeat("x" + euro + grin, 300);
  const auto first = encode(text, {.reference = 77, .reference_16bit = true});
  const auto second = encode(text, {.reference = 77, .reference_16bit = true});
  ASSERT_EQ(first.segments.size(), second.segments.size());
  for (std::size_t i = 0; i < first.segments.size(); ++i) {
    EXPECT_EQ(first.segments[i].udh, second.segments[i].udh);
    EXPECT_EQ(first.segments[i].payload, second.segments[i].payload);
  }
}

// Plain ASCII GSM text takes encode()'s fast path; the same text with its first character swapped
// for a non-ASCII one of the same septet count (é for one septet, the euro sign for an escape
// pair) takes the general one. Both must cut the parts at the same places: a CR LF stays in one
// part, an escape pair is never split, the 8- and 16-bit reference limits hold.
TEST(segmenter_test, plain_ascii_text_is_cut_where_the_general_path_cuts_it) {
  const std::string letters = "abcXYZ 019.,:;!?@$_-\r\n\r\n[]{}~^|\\";
  std::mt19937 random(20261129);
  for (int round = 0; round < 400; ++round) {
    std::string text(1, random() % 4 == 0 ? '[' : 'a');
    const std::size_t length = random() % 900;
    for (std::size_t i = 1; i < length; ++i) text += letters[random() % letters.size()];
    const bool pair = text[0] == '[';
    const std::string general_text = (pair ? euro : std::string("\xC3\xA9")) + text.substr(1);
    const encode_options options{.reference = 9, .reference_16bit = round % 2 == 1};
    const auto fast = encode(text, options);
    const auto general = encode(general_text, options);
    SCOPED_TRACE("round " + std::to_string(round) + ", " + std::to_string(text.size()) + " octets");
    EXPECT_EQ(fast.coding, encoding::gsm7);
    EXPECT_EQ(general.coding, encoding::gsm7);
    EXPECT_EQ(fast.text, text);
    EXPECT_EQ(general.text, general_text);
    EXPECT_EQ(fast.units, general.units);
    ASSERT_EQ(fast.segments.size(), general.segments.size());
    for (std::size_t i = 0; i < fast.segments.size(); ++i) {
      EXPECT_EQ(fast.segments[i].udh, general.segments[i].udh) << "part " << i;
      auto expected = general.segments[i].payload;
      if (i == 0) expected[pair ? 1 : 0] = pair ? 0x3C : 0x61;  // '[' and 'a' back in
      EXPECT_EQ(fast.segments[i].payload, expected) << "part " << i;
    }
  }
}

// The same comparison for text without escape pairs, which the fast path cuts without walking
// the characters: CRLFs are frequent, so some fall on a part boundary.
TEST(segmenter_test, plain_ascii_text_without_escapes_is_cut_where_the_general_path_cuts_it) {
  const std::string letters = "abcXYZ 019.,:;!?@$_-\r\n\r\n\r\n";
  std::mt19937 random(20261130);
  std::size_t crlf_on_boundary = 0;
  for (int round = 0; round < 600; ++round) {
    std::string text = "a";
    const std::size_t length = 150 + random() % 1200;
    for (std::size_t i = 1; i < length; ++i) text += letters[random() % letters.size()];
    const std::string general_text = "\xC3\xA9" + text.substr(1);  // é: one septet, as 'a'
    const encode_options options{.reference = 9, .reference_16bit = round % 2 == 1};
    const auto fast = encode(text, options);
    const auto general = encode(general_text, options);
    SCOPED_TRACE("round " + std::to_string(round) + ", " + std::to_string(text.size()) + " octets");
    EXPECT_EQ(fast.units, text.size());
    EXPECT_EQ(fast.units, general.units);
    ASSERT_EQ(fast.segments.size(), general.segments.size());
    std::size_t at = 0;
    for (std::size_t i = 0; i < fast.segments.size(); ++i) {
      EXPECT_EQ(fast.segments[i].udh, general.segments[i].udh) << "part " << i;
      auto expected = general.segments[i].payload;
      if (i == 0) expected[0] = 0x61;  // 'a' back in
      EXPECT_EQ(fast.segments[i].payload, expected) << "part " << i;
      at += fast.segments[i].payload.size();
      if (i + 1 < fast.segments.size() && text[at - 1] == '\r' && text[at] == '\n') {
        ADD_FAILURE() << "part " << i << " ends inside a CRLF";
      }
      if (i + 1 < fast.segments.size() && text[at] == '\r' && text[at + 1] == '\n' &&
          fast.segments[i].payload.size() < 153 - (options.reference_16bit ? 1 : 0)) {
        ++crlf_on_boundary;
      }
    }
  }
  EXPECT_GT(crlf_on_boundary, 10u);  // the CRLF case was exercised
}

// A store keeps a message's text once and each part as its UDH and the octets of text it
// carries (sql/stored_parts.hpp): every part's payload must come back from its piece of the text
// and its UDH alone, on the fast path and the general one, GSM with escapes, national tables
// (named only in the UDH), UCS-2 with surrogate pairs and graphemes kept whole, one part or many.
// Encoded without payloads (what the intake does), the message is the same but for them.
TEST(segmenter_test, every_payload_comes_back_from_its_piece_of_the_text_and_its_udh) {
  const std::string turkish = "\xC4\x9F\xC4\xB1\xC5\x9F ";  // ğış: the Turkish tables carry them
  std::mt19937 random(20261130);
  const std::vector<std::string> alphabet{"a",     "Z",        " ", "\r\n", "[",        euro,
                                          turkish, "\xC3\xA9", zhe, grin,   "e\xCC\x81"};
  std::size_t national_parts = 0;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const std::size_t length = random() % 700;
    // Plain ASCII (encode's fast path, without and with escape pairs), GSM with the Turkish
    // tables, and anything.
    const std::size_t letters = round % 6 == 0   ? 4
                                : round % 6 == 3 ? 5
                                : round % 3 == 1 ? 7
                                                 : alphabet.size();
    for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % letters];
    encode_options options{.reference = 300, .reference_16bit = round % 2 == 1};
    if (round % 4 == 0) options.national = national_language::turkish;
    const auto encoded = encode(text, options);
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_EQ(encoded.text_sizes.size(), encoded.segments.size());
    std::size_t at = 0;
    for (std::size_t i = 0; i < encoded.segments.size(); ++i) {
      const auto& part = encoded.segments[i];
      const auto payload =
          payload_of(std::string_view(encoded.text).substr(at, encoded.text_sizes[i]),
                     encoded.coding, part.udh);
      ASSERT_TRUE(payload.has_value()) << "part " << i;
      EXPECT_EQ(*payload, part.payload) << "part " << i;
      at += encoded.text_sizes[i];
    }
    EXPECT_EQ(at, encoded.text.size());

    auto without = options;
    without.payloads = false;
    const auto lean = encode(text, without);
    EXPECT_TRUE(encoded.has_payloads);
    EXPECT_FALSE(lean.has_payloads);
    EXPECT_EQ(lean.coding, encoded.coding);
    EXPECT_EQ(lean.units, encoded.units);
    EXPECT_EQ(lean.text, encoded.text);
    EXPECT_EQ(lean.text_sizes, encoded.text_sizes);
    EXPECT_EQ(lean.locking_shift, encoded.locking_shift);
    EXPECT_EQ(lean.single_shift, encoded.single_shift);
    ASSERT_EQ(lean.segments.size(), encoded.segments.size());
    for (std::size_t i = 0; i < lean.segments.size(); ++i) {
      EXPECT_EQ(lean.segments[i].udh, encoded.segments[i].udh) << "part " << i;
      EXPECT_TRUE(lean.segments[i].payload.empty()) << "part " << i;
    }
    if (encoded.locking_shift != national_language::none ||
        encoded.single_shift != national_language::none)
      national_parts += encoded.segments.size();
  }
  EXPECT_GT(national_parts, 0u);  // the national tables were exercised
  EXPECT_EQ(encode("").text_sizes, sizes{0});
  EXPECT_FALSE(payload_of(zhe, encoding::gsm7, {}).has_value());  // no GSM form
}

TEST(segmenter_test, encoding_names) {
  EXPECT_EQ(to_string(encoding::gsm7), "gsm7");
  EXPECT_EQ(to_string(encoding::ucs2), "ucs2");
}

}  // namespace
}  // namespace mail2sms::sms
