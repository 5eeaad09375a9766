// core/mail RFC 2047: Subject values with encoded words to one line of UTF-8.
#include "core/mail/rfc2047.hpp"

#include <gtest/gtest.h>

#include "core/mail/charset.hpp"

namespace mail2sms::mail {
namespace {

TEST(decode_header_text, plain_text_is_kept) {
  EXPECT_EQ(decode_header_text("Server down"), "Server down");
  EXPECT_EQ(decode_header_text("  padded  "), "padded");
  EXPECT_EQ(decode_header_text(""), "");
}

TEST(decode_header_text, b_and_q_words) {
  EXPECT_EQ(decode_header_text("=?UTF-8?B?SGVsbG8gd8O2cmxk?="), "Hello wörld");
  EXPECT_EQ(decode_header_text("=?utf-8?q?Hello_w=C3=B6rld?="), "Hello wörld");
  EXPECT_EQ(decode_header_text("=?ISO-8859-1?Q?Caf=E9?="), "Café");
  EXPECT_EQ(decode_header_text("=?koi8-r?B?8NLJ18XU?="), "Привет");
}

TEST(decode_header_text, whitespace_between_adjacent_words_is_dropped) {
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=\r\n\t=?UTF-8?Q?c?="), "abc");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?a?= =?ISO-8859-1?Q?=E9?="), "aé");
}

TEST(decode_header_text, whitespace_between_word_and_text_is_kept) {
  EXPECT_EQ(decode_header_text("Re: =?UTF-8?Q?caf=C3=A9?= today"), "Re: café today");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?a?= and =?UTF-8?Q?b?="), "a and b");
}

TEST(decode_header_text, character_split_across_words_survives) {
  // "é" is C3 A9; some mailers cut words at a byte count.
  EXPECT_EQ(decode_header_text("=?UTF-8?B?Y2Fmw6k=?="), "café");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?="), "café");
  EXPECT_EQ(decode_header_text("=?UTF-8?B?Y2Fmww==?= =?UTF-8?B?qQ==?="), "café");
}

TEST(decode_header_text, language_suffix_is_ignored) {
  EXPECT_EQ(decode_header_text("=?UTF-8*en?Q?hi?="), "hi");
}

TEST(decode_header_text, malformed_words_stay_as_they_are) {
  EXPECT_EQ(decode_header_text("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?no end"), "=?UTF-8?Q?no end");
  EXPECT_EQ(decode_header_text("=??Q?abc?="), "=??Q?abc?=");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?has space?="), "=?UTF-8?Q?has space?=");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?bad=ZZhex?="), "bad=ZZhex");
  EXPECT_EQ(decode_header_text("1 =? 2"), "1 =? 2");
}

TEST(decode_header_text, unknown_charset_and_bad_bytes_fall_back_to_windows_1252) {
  EXPECT_EQ(decode_header_text("=?x-nope?Q?20=80?="), "20€");
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?caf=E9?="), "café");
}

TEST(decode_header_text, raw_8bit_text_is_utf8_or_windows_1252) {
  EXPECT_EQ(decode_header_text("Grüße"), "Grüße");
  EXPECT_EQ(decode_header_text("Gr\xFC\xDF\x65"), "Grüße");
}

TEST(decode_header_text, result_is_one_line_without_control_characters) {
  EXPECT_EQ(decode_header_text("=?UTF-8?Q?line=0Aone=0D=0Atwo=09x?="), "line one  two x");
  EXPECT_EQ(decode_header_text("a\r\n b"), "a b");
}

TEST(decode_header_text, long_header_full_of_openers_is_kept) {
  std::string raw;
  for (int i = 0; i < 20000; ++i) raw += "=?a?b?x";
  EXPECT_EQ(decode_header_text(raw), raw);
}

}  // namespace
}  // namespace mail2sms::mail
