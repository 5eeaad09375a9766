// Who an account may reach and which sender addresses it may use: the checks at MAIL and RCPT,
// made with the account as loaded when the session identified it. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/ports.hpp"
#include "core/result.hpp"

namespace mail2sms::core::policy {

// The numbers RCPT TO:<local_part@one-of-our-domains> stands for: one number, or the members of
// one of the account's contact groups. Each must be a valid number in a destination country and
// of a number type the account allows. On refusal: the whole SMTP reply line ("550 5.7.1 ...").
// A group of more than `most` members (the recipients one mail may have) is refused with 550
// 5.5.3 before its numbers are read: it can never be sent, and reading thousands of them on
// every RCPT would hold the I/O thread.
result<std::vector<std::string>, std::string> resolve_recipient(std::string_view local_part,
                                                                const account& a, std::size_t most);

// Whether `address` (a MAIL FROM reverse-path or the From: header's address) matches the
// account's allowed senders; an account without any allows every address.
bool sender_allowed(std::string_view address, const account& a);

// The addresses in a From: header ("Ops <ops@example.com>", "ops@example.com (Ops)", a list),
// reading past quoted display names and comments (where a "<...>" is no address).
std::vector<std::string> addresses_in_header(std::string_view from);

}  // namespace mail2sms::core::policy
