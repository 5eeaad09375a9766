// UTF-8 decoding: well-formed input, and U+FFFD per maximal ill-formed subpart.
#include "core/sms/utf8.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "core/sms/sms.hpp"

namespace mail2sms::sms {
namespace {

TEST(utf8_test, decodes_every_sequence_length) {
  EXPECT_EQ(utf8::decode("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), U"a\u00E9\u20AC\U0001F600");
}

TEST(utf8_test, decodes_the_extremes_of_each_length) {
  EXPECT_EQ(utf8::decode(std::string("\x00\x7F", 2)), std::u32string(U"\u0000\u007F", 2));
  EXPECT_EQ(utf8::decode("\xC2\x80\xDF\xBF"), U"\u0080\u07FF");
  EXPECT_EQ(utf8::decode("\xE0\xA0\x80\xEF\xBF\xBF"), U"\u0800\uFFFF");
  EXPECT_EQ(utf8::decode("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"), U"\U00010000\U0010FFFF");
}

struct ill_formed_case {
  const char* name;
  std::string input;
  std::u32string expected;
};

void PrintTo(const ill_formed_case& c, std::ostream* os) { *os << c.name; }

class utf8_ill_formed_test : public ::testing::TestWithParam<ill_formed_case> {};

TEST_P(utf8_ill_formed_test, replaces_maximal_subparts) {
  EXPECT_EQ(utf8::decode(GetParam().input), GetParam().expected) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    cases, utf8_ill_formed_test,
    ::testing::Values(
        ill_formed_case{"lone_continuation", std::string("a\x80") + "b", U"a\uFFFDb"},
        ill_formed_case{"invalid_octet_ff", "\xFF", U"\uFFFD"},
        ill_formed_case{"truncated_three_octet", "\xE2\x82", U"\uFFFD"},
        ill_formed_case{"truncated_then_ascii", std::string("\xF0\x9F\x98") + "a", U"\uFFFDa"},
        ill_formed_case{"overlong_two_octet", "\xC0\xAF", U"\uFFFD\uFFFD"},
        ill_formed_case{"overlong_three_octet", "\xE0\x80\xAF", U"\uFFFD\uFFFD\uFFFD"},
        ill_formed_case{"surrogate", "\xED\xA0\x80", U"\uFFFD\uFFFD\uFFFD"},
        ill_formed_case{"above_10ffff", "\xF4\x90\x80\x80", U"\uFFFD\uFFFD\uFFFD\uFFFD"},
        ill_formed_case{"lead_interrupted_by_lead", "\xC3\xC3\xA9", U"\uFFFD\u00E9"},
        ill_formed_case{"truncated_at_end", "ok\xC3", U"ok\uFFFD"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(utf8_test, encodes_what_it_decodes) {
  const std::u32string text = U"a\u00E9\u20AC\U0001F600\U0010FFFF";
  EXPECT_EQ(utf8::decode(utf8::encode(text)), text);
  EXPECT_EQ(utf8::encode(U"\u20AC"), "\xE2\x82\xAC");
}

TEST(utf8_test, encodes_non_scalars_as_replacement) {
  EXPECT_EQ(utf8::encode(std::u32string{char32_t{0xD800}}), "\xEF\xBF\xBD");
  EXPECT_EQ(utf8::encode(std::u32string{char32_t{0x110000}}), "\xEF\xBF\xBD");
}

TEST(utf8_test, invalid_input_becomes_ucs2_replacement_character) {
  const auto message = encode("abc\xFF");
  EXPECT_EQ(message.coding, encoding::ucs2);
  EXPECT_EQ(message.units, 4u);
  ASSERT_EQ(message.segments.size(), 1u);
  EXPECT_EQ(message.segments[0].payload,
            (std::vector<std::uint8_t>{0x00, 'a', 0x00, 'b', 0x00, 'c', 0xFF, 0xFD}));
  EXPECT_EQ(decode(message.coding, message.segments[0].payload), "abc\xEF\xBF\xBD");
}

}  // namespace
}  // namespace mail2sms::sms
