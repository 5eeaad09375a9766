// The address a client is counted by in the per-client limits (connections, AUTH failures, mail
// to the postmaster): an IPv4 address as it is, an IPv6 address as its /64. One IPv6 host usually
// has a whole /64 to pick source addresses from, so counting single addresses would give it as
// many budgets as it likes.
#pragma once

#include <string>

namespace mail2sms::smtpd {

// "192.0.2.7" -> "192.0.2.7"; "2001:db8:1:2:3:4:5:6" -> "2001:db8:1:2::/64"; an IPv4-mapped IPv6
// address counts as its IPv4 one; a link-local one counts without its zone; anything else (no
// address) as it is.
std::string client_key(const std::string& address);

// An address as an address literal or a network writes it: a link-local IPv6 address comes with
// its zone ("fe80::1%eth0", "fe80::1%2"), which neither has. "fe80::1%eth0" -> "fe80::1"; any
// other address as it is.
std::string without_zone(std::string address);

}  // namespace mail2sms::smtpd
