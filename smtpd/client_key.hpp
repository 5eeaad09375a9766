// The address a client is counted by in the per-client limits (connections, AUTH failures, mail
// to the postmaster): an IPv4 address as it is, an IPv6 address as its /64. One IPv6 host usually
// has a whole /64 to pick source addresses from, so counting single addresses would give it as
// many budgets as it likes.
#pragma once

#include <string>

namespace mail2sms::smtpd {

// "192.0.2.7" -> "192.0.2.7"; "2001:db8:1:2:3:4:5:6" -> "2001:db8:1:2::/64"; an IPv4-mapped IPv6
// address counts as its IPv4 one; anything else (no address) as it is.
std::string client_key(const std::string& address);

}  // namespace mail2sms::smtpd
