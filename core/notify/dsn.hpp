// A delivery-status notification (RFC 3464) for one SMS: multipart/report with a human part and
// a message/delivery-status part, CRLF line ends, 7-bit, headers folded at 78 characters. Pure:
// no clock, no randomness (the caller passes the dates, the Message-ID and the boundary).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mail2sms::notify {

struct delivery_status {
  std::string from;           // From: (the gateway's address)
  std::string to;             // To: (the account holder's)
  std::string reporting_mta;  // host name: Reporting-MTA and the text
  std::string queue_id;
  std::string recipient;         // the SMS's destination, E.164
  std::string recipient_domain;  // for Final-Recipient: rfc822; NUMBER@DOMAIN
  std::string status;  // the message's state: delivered, failed, expired, undeliverable, rejected
  std::string reason;  // the SMSC's or the gateway's words, may be empty
  std::string original_message_id;  // the mail's Message-ID, may be empty
  std::string arrival_date;         // RFC 5322 date the mail was accepted
  std::string last_attempt_date;    // RFC 5322 date of the state change
  std::string date;                 // RFC 5322 date of this mail
  std::string message_id;           // this mail's Message-ID, with angle brackets
  std::string boundary;             // MIME boundary, must not occur in the text
};

// A reply (MO) to an SMS, mailed to the account: text/plain UTF-8 in base64, threaded under
// the mail that became the SMS it answers.
struct reply_mail {
  std::string from;
  std::string to;
  std::string reporting_mta;
  std::string queue_id;             // of the SMS it answers
  std::string number;               // who replied, E.164
  std::optional<std::string> text;  // UTF-8; nullopt: erased after the retention period
  std::string original_message_id;
  std::string received_date;  // RFC 5322
  std::string date;
  std::string message_id;
};
std::string render_reply(const reply_mail& r);

// Mail to the postmaster (RFC 5321 4.5.1) forwarded to a person: a text part saying who sent it
// from where, then the mail as received, as message/rfc822 when it is 7-bit, else as a base64
// attachment (postmaster-N.eml: the relay may not take 8-bit).
struct postmaster_forward_mail {
  std::string from;           // [notifications] from
  std::string to;             // [notifications] postmaster_to
  std::string reporting_mta;  // this server's name
  std::int64_t number = 0;    // its number in `mail2sms postmaster`
  std::string client, helo, mail_from, recipient;
  std::string received_date;  // RFC 5322
  std::string_view message;   // as received, CRLF line ends
  std::string date;
  std::string message_id;
  std::string boundary;  // must not occur in the message
};
std::string render_postmaster_forward(const postmaster_forward_mail& m);

// RFC 3464 Action and RFC 3463 status code for a message state.
std::string_view action_of(std::string_view status);
std::string_view status_code_of(std::string_view status);

// The whole message, headers and body, every line ending in CRLF.
std::string render_dsn(const delivery_status& d);

// Text from the database or an SMSC made safe for a header or a 7-bit body: controls (CR and LF
// included) become spaces, bytes outside printable ASCII become '?', at most max_length bytes.
std::string printable_ascii(std::string_view text, std::size_t max_length = 400);

// "Subject: ..." folded at whitespace so no line exceeds 78 characters (RFC 5322 2.1.1).
std::string fold_header(std::string_view name, std::string_view value);

// "<id@host>" for a Message-ID stored with or without its angle brackets; "" when it has none.
std::string angle_id(std::string_view message_id);

}  // namespace mail2sms::notify
