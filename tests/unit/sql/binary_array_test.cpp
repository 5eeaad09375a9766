// The binary array parameters of the intake's statements (sql/array_literal.hpp), octet for
// octet as PostgreSQL's array_recv reads them; group_commit_test sends them to a real server.
#include <gtest/gtest.h>

#include <string>

#include "sql/array_literal.hpp"

namespace mail2sms::sql {
namespace {

using namespace std::string_literals;
using element = binary_array::element;

std::string hex(std::string_view octets) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : octets) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(binary_array, an_empty_array_has_no_dimension) {
  EXPECT_EQ(hex(binary_array(element::int8).bytes()),
            "00000000"
            "00000000"
            "00000014");
  EXPECT_EQ(hex(binary_array(element::text).bytes()),
            "00000000"
            "00000000"
            "00000019");
}

TEST(binary_array, numbers_in_network_order_with_their_lengths) {
  binary_array big(element::int8);
  big.add(std::int64_t{1});
  big.add(std::int64_t{-2});
  big.add(std::int64_t{0x0102030405060708});
  EXPECT_EQ(hex(big.bytes()),
            "00000001"
            "00000000"
            "00000014"
            "00000003"
            "00000001"  // ndim, flags, int8, 3, from 1
            "00000008"
            "0000000000000001"
            "00000008"
            "fffffffffffffffe"
            "00000008"
            "0102030405060708");
  binary_array small(element::int4);
  small.add(7);
  small.add(std::int64_t{-1});
  EXPECT_EQ(hex(small.bytes()),
            "00000001"
            "00000000"
            "00000017"
            "00000002"
            "00000001"
            "00000004"
            "00000007"
            "00000004"
            "ffffffff");
  EXPECT_THROW(small.add(std::int64_t{1} << 31), std::logic_error);
  EXPECT_THROW(small.add("text"), std::logic_error);
}

TEST(binary_array, texts_as_they_are_and_a_nul_as_u_fffd) {
  binary_array texts(element::text);
  texts.add("\"q\",{a}\\");  // nothing to escape in this format
  texts.add("");
  texts.add("a\0b\0"s);
  EXPECT_EQ(hex(texts.bytes()),
            "00000001"
            "00000000"
            "00000019"
            "00000003"
            "00000001"
            "00000008" +
                hex("\"q\",{a}\\") +
                "00000000"
                "00000008" +
                hex("a\xEF\xBF\xBD"
                    "b\xEF\xBF\xBD"));
}

}  // namespace
}  // namespace mail2sms::sql
