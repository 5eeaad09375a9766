// The trace fields of a mail delivered to the postmaster's mailbox (RFC 5321 4.4).
#include "smtpd/trace.hpp"

#include <gtest/gtest.h>

namespace mail2sms::smtpd {
namespace {

TEST(trace, return_path_and_a_folded_received_field) {
  const auto text = trace_headers({.return_path = "abuse@isp.example",
                                   .helo = "mx.isp.example",
                                   .client = "192.0.2.7",
                                   .by = "sms.example.com",
                                   .with = "ESMTPS",
                                   .recipient = "Postmaster",
                                   .at = 1796132186});  // 2026-12-01 13:36:26 UTC
  EXPECT_EQ(text,
            "Return-Path: <abuse@isp.example>\r\n"
            "Received: from mx.isp.example ([192.0.2.7])\r\n"
            "\tby sms.example.com (mail2sms) with ESMTPS\r\n"
            "\tfor <Postmaster>; Tue, 01 Dec 2026 13:36:26 +0000\r\n");
}

TEST(trace, the_null_sender_and_an_ipv6_client) {
  const auto text = trace_headers({.return_path = "",
                                   .helo = "[2001:db8::1]",
                                   .client = "2001:db8::1",
                                   .by = "sms.example.com",
                                   .with = "SMTP",
                                   .recipient = "postmaster@sms.example.com",
                                   .at = 0});
  EXPECT_EQ(text,
            "Return-Path: <>\r\n"
            "Received: from [2001:db8::1] ([IPv6:2001:db8::1])\r\n"
            "\tby sms.example.com (mail2sms) with SMTP\r\n"
            "\tfor <postmaster@sms.example.com>; Thu, 01 Jan 1970 00:00:00 +0000\r\n");
}

}  // namespace
}  // namespace mail2sms::smtpd
