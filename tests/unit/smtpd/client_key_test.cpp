// The key the per-client limits count a client by: IPv4 as it is, IPv6 by its /64.
#include "smtpd/client_key.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd {
namespace {

TEST(client_key, ipv4_is_itself_and_ipv6_is_its_64) {
  EXPECT_EQ(client_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("2001:db8:1:2::"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("::1"), "::/64");
  EXPECT_EQ(client_key("::ffff:192.0.2.7"), "192.0.2.7");  // a dual-stack listener's IPv4 client
  EXPECT_EQ(client_key("unknown"), "unknown");
}

}  // namespace
}  // namespace mail2sms::smtpd
