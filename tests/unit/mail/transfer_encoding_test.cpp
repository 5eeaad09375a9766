// core/mail transfer decoding: quoted-printable and base64, including what mailers get wrong.
#include "core/mail/transfer_encoding.hpp"

#include <gtest/gtest.h>

namespace mail2sms::mail {
namespace {

TEST(decode_base64, decodes_with_line_breaks) {
  EXPECT_EQ(decode_base64("SGVs\r\nbG8s\nIHdv\r\ncmxk"), "Hello, world");
  EXPECT_EQ(decode_base64("w6k="), "\xC3\xA9");
  EXPECT_EQ(decode_base64(""), "");
}

TEST(decode_base64, garbage_outside_the_alphabet_is_skipped) {
  EXPECT_EQ(decode_base64("SG|Vs{bG}8~"), "Hello");
  EXPECT_EQ(decode_base64("SGVs bG8\t!"), "Hello");
}

TEST(decode_base64, missing_padding_and_truncation) {
  EXPECT_EQ(decode_base64("SGVsbG8"), "Hello");
  EXPECT_EQ(decode_base64("SGVsbA"), "Hell");
  EXPECT_EQ(decode_base64("SGVsb"), "Hel");
}

TEST(decode_quoted_printable, hex_escapes_and_soft_breaks) {
  EXPECT_EQ(decode_quoted_printable("caf=C3=A9"), "caf\xC3\xA9");
  EXPECT_EQ(decode_quoted_printable("long=\r\nline"), "longline");
  EXPECT_EQ(decode_quoted_printable("long=\nline"), "longline");
  EXPECT_EQ(decode_quoted_printable("a=3Db"), "a=b");
  EXPECT_EQ(decode_quoted_printable("lower =c3=a9"), "lower \xC3\xA9");
}

TEST(decode_quoted_printable, hard_breaks_become_lf) {
  EXPECT_EQ(decode_quoted_printable("one\r\ntwo\r\n"), "one\ntwo\n");
  EXPECT_EQ(decode_quoted_printable("one\ntwo"), "one\ntwo");
}

TEST(decode_quoted_printable, trailing_blanks_are_transport_padding) {
  EXPECT_EQ(decode_quoted_printable("one  \ntwo"), "one\ntwo");
  EXPECT_EQ(decode_quoted_printable("one  \r\ntwo"), "one\ntwo");
  EXPECT_EQ(decode_quoted_printable("end  "), "end");
  EXPECT_EQ(decode_quoted_printable("kept=20=20"), "kept  ");
  EXPECT_EQ(decode_quoted_printable("soft= \r\nbreak"), "softbreak");
}

TEST(decode_quoted_printable, malformed_escapes_are_kept) {
  EXPECT_EQ(decode_quoted_printable("100=%"), "100=%");
  EXPECT_EQ(decode_quoted_printable("a=Zb"), "a=Zb");
  EXPECT_EQ(decode_quoted_printable("ends with ="), "ends with ");
}

TEST(decode_transfer_encoding, by_mechanism_name) {
  EXPECT_EQ(decode_transfer_encoding("w6k=", "BASE64"), "\xC3\xA9");
  EXPECT_EQ(decode_transfer_encoding("=C3=A9", "Quoted-Printable"), "\xC3\xA9");
  EXPECT_EQ(decode_transfer_encoding("=C3=A9", "8bit"), "=C3=A9");
  EXPECT_EQ(decode_transfer_encoding("=C3=A9", ""), "=C3=A9");
  EXPECT_EQ(decode_transfer_encoding("=C3=A9", "x-uuencode"), "=C3=A9");
}

}  // namespace
}  // namespace mail2sms::mail
