// SASL: base64 both ways (RFC 4648 vectors), PLAIN and LOGIN responses and their failures.
#include "smtpd/sasl.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd::sasl {
namespace {

TEST(sasl, base64_rfc4648_vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
}

TEST(sasl, base64_round_trips_every_byte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(sasl, base64_refuses_what_is_not_canonical) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "====", "Zm9v\r\n", "Zm 9v", "Zm9v*A==", "Zg==Zg==", "*"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

TEST(sasl, plain_with_and_without_authzid) {
  const auto c = decode_plain(base64_encode(std::string("\0alice\0secret", 13)));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "secret");
  EXPECT_TRUE(decode_plain(base64_encode(std::string("alice\0alice\0secret", 18))));
}

TEST(sasl, plain_failures) {
  EXPECT_EQ(decode_plain("not base64!").error(), error::bad_base64);
  EXPECT_EQ(decode_plain(base64_encode("alice")).error(), error::malformed);
  EXPECT_EQ(decode_plain(base64_encode(std::string("\0alice", 6))).error(), error::malformed);
  EXPECT_EQ(decode_plain(base64_encode(std::string("\0\0secret", 8))).error(), error::malformed);
  EXPECT_EQ(decode_plain(base64_encode(std::string("\0a\0b\0c", 6))).error(), error::malformed);
  EXPECT_EQ(decode_plain(base64_encode(std::string("bob\0alice\0secret", 16))).error(),
            error::authzid_mismatch);
  EXPECT_EQ(decode_plain("").error(), error::malformed);
}

TEST(sasl, login_field) {
  EXPECT_EQ(*decode_login_field("YWxpY2U="), "alice");
  EXPECT_EQ(*decode_login_field(""), "");
  EXPECT_EQ(decode_login_field("YW=xp").error(), error::bad_base64);
  EXPECT_EQ(decode_login_field(base64_encode(std::string("a\0b", 3))).error(), error::malformed);
}

}  // namespace
}  // namespace mail2sms::smtpd::sasl
