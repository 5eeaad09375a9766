// The key the per-client limits count a client by: IPv4 as it is, IPv6 by its /64.
#include "smtpd/client_key.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

namespace mail2sms::smtpd {
namespace {

TEST(client_key, ipv4_is_itself_and_ipv6_is_its_64) {
  EXPECT_EQ(client_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("2001:db8:1:2::"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("::1"), "::/64");
  EXPECT_EQ(client_key("::ffff:192.0.2.7"), "192.0.2.7");  // a dual-stack listener's IPv4 client
  EXPECT_EQ(client_key("unknown"), "unknown");
  EXPECT_EQ(client_key("fe80::1:2:3:4%eth0"), "fe80::/64");  // link-local: by its /64 too
}

TEST(without_zone, strips_a_link_local_zone_only) {
  EXPECT_EQ(without_zone("fe80::1%eth0"), "fe80::1");
  EXPECT_EQ(without_zone("fe80::1%2"), "fe80::1");
  EXPECT_EQ(without_zone("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(without_zone("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(without_zone(""), "");
  // What the session gets from Asio for a link-local local endpoint (a scope id, written as
  // "%" and the interface's number or name).
  const auto scoped = boost::asio::ip::make_address("fe80::1%1");
  EXPECT_NE(scoped.to_string().find('%'), std::string::npos);
  EXPECT_EQ(without_zone(scoped.to_string()), "fe80::1");
}

}  // namespace
}  // namespace mail2sms::smtpd
