// core/mail charset: bytes in a declared (or missing) charset to UTF-8, with the fallbacks.
#include "core/mail/charset.hpp"

#include <gtest/gtest.h>

namespace mail2sms::mail {
namespace {

TEST(to_utf8, missing_or_ascii_label_passes_ascii_and_utf8_through) {
  EXPECT_EQ(to_utf8("plain text", ""), "plain text");
  EXPECT_EQ(to_utf8("plain text", "us-ascii"), "plain text");
  EXPECT_EQ(to_utf8("K\xC3\xB6ln", ""), "Köln");
  EXPECT_EQ(to_utf8("K\xC3\xB6ln", "US-ASCII"), "Köln");
}

TEST(to_utf8, missing_label_on_8bit_bytes_reads_windows_1252) {
  EXPECT_EQ(to_utf8("K\xF6ln \x80", ""), "Köln €");
}

TEST(to_utf8, utf8_label) {
  EXPECT_EQ(to_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80", "UTF-8"), "€ 😀");
  EXPECT_EQ(to_utf8("\xEF\xBB\xBFwith bom", "utf-8"), "with bom");
}

TEST(to_utf8, invalid_utf8_under_a_utf8_label_reads_windows_1252) {
  EXPECT_EQ(to_utf8("caf\xE9", "utf-8"), "café");
  EXPECT_EQ(to_utf8("\xC0\xAF overlong", "utf-8"), "À¯ overlong");
  EXPECT_EQ(to_utf8("\xED\xA0\x80 surrogate", "utf-8"), "í\xC2\xA0€ surrogate");
}

TEST(to_utf8, iso_8859_family_and_windows_125x) {
  EXPECT_EQ(to_utf8("\xE9t\xE9", "ISO-8859-1"), "été");
  EXPECT_EQ(to_utf8("\xA4", "iso-8859-15"), "€");
  EXPECT_EQ(to_utf8("\xBF\xF3\xB3w", "iso-8859-2"), "żółw");
  EXPECT_EQ(to_utf8("\xC1\xE8\xE1", "iso-8859-7"), "Αθα");
  EXPECT_EQ(to_utf8("\x93hi\x94", "windows-1252"), "“hi”");
  EXPECT_EQ(to_utf8("\xCF\xF0\xE8", "windows-1251"), "При");
  EXPECT_EQ(to_utf8("\x9F", "cp1250"), "ź");
}

TEST(to_utf8, latin1_label_is_read_as_windows_1252) {
  EXPECT_EQ(to_utf8("20\x80 \x93ok\x94", "iso-8859-1"), "20€ “ok”");
  EXPECT_EQ(to_utf8("20\x80", "latin1"), "20€");
}

TEST(to_utf8, other_charsets_icu_knows) {
  EXPECT_EQ(to_utf8("\xF0\xD2\xC9\xD7\xC5\xD4", "KOI8-R"), "Привет");
  EXPECT_EQ(to_utf8("\x93\xFA\x96\x7B", "Shift_JIS"), "日本");
  EXPECT_EQ(to_utf8("\x1B$BF|K\\\x1B(B", "iso-2022-jp"), "日本");
  EXPECT_EQ(to_utf8(std::string("\xFF\xFE\x41\x00\xAC\x20", 6), "utf-16"), "A€");
}

TEST(to_utf8, unknown_label_reads_windows_1252) {
  EXPECT_EQ(to_utf8("20\x80", "x-no-such-charset"), "20€");
  EXPECT_EQ(to_utf8("ok", "x-no-such-charset"), "ok");
  EXPECT_EQ(to_utf8("20\x80", std::string(200, 'a')), "20€");
}

TEST(to_utf8, bytes_invalid_in_their_charset_read_windows_1252) {
  // 0x81 is not a Shift_JIS lead byte on its own at the end of the text.
  EXPECT_EQ(to_utf8("ok\x81", "Shift_JIS"), "ok\xC2\x81");
  EXPECT_TRUE(is_utf8(to_utf8("\x81\x8D\x8F\x90\x9D", "windows-1252")));
}

TEST(to_utf8, output_is_always_valid_utf8) {
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) every_byte += static_cast<char>(byte);
  for (const char* label :
       {"", "us-ascii", "utf-8", "iso-8859-1", "iso-8859-5", "windows-1252", "windows-1253",
        "koi8-r", "shift_jis", "euc-kr", "big5", "gb2312", "utf-16", "utf-7", "x-unknown"}) {
    EXPECT_TRUE(is_utf8(to_utf8(every_byte, label))) << label;
  }
}

TEST(to_utf8, empty_text) {
  EXPECT_EQ(to_utf8("", ""), "");
  EXPECT_EQ(to_utf8("", "iso-8859-2"), "");
}

TEST(is_utf8, accepts_well_formed_and_rejects_the_rest) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("ascii"));
  EXPECT_TRUE(is_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(is_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_utf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(is_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_utf8("\x80"));              // stray continuation
}

// The ASCII prefix is read eight octets at a time: a sequence at any offset after it, cut by a
// word boundary or not, is still decoded.
TEST(is_utf8, sequences_after_ascii_are_checked_at_every_offset) {
  for (std::size_t prefix = 0; prefix < 20; ++prefix) {
    const std::string ascii(prefix, 'x');
    SCOPED_TRACE(prefix);
    EXPECT_TRUE(is_utf8(ascii + "\xE2\x82\xAC" + ascii));     // €
    EXPECT_TRUE(is_utf8(ascii + "\xF0\x9F\x98\x80"));         // U+1F600
    EXPECT_FALSE(is_utf8(ascii + "\xE2\x82"));                // truncated at the end
    EXPECT_FALSE(is_utf8(ascii + "\xE2\x82" + ascii + "y"));  // truncated inside
    EXPECT_FALSE(is_utf8(ascii + "\xC0\x80" + ascii));        // overlong NUL
    EXPECT_FALSE(is_utf8(ascii + "\xFF"));
  }
}

}  // namespace
}  // namespace mail2sms::mail
