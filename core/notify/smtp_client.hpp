// A small SMTP client for delivery-status mails: EHLO, STARTTLS (off, opportunistic, required),
// AUTH PLAIN over TLS only, MAIL FROM:<> (RFC 3464: DSNs have the null sender), one RCPT, DATA
// with dot-stuffing, QUIT. One conversation per mail, on an io_context of the caller's thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

namespace mail2sms::notify {

struct relay_settings {
  std::string host;
  std::uint16_t port = 25;
  std::string helo_name;                           // EHLO argument
  std::string starttls = "opportunistic";          // off | opportunistic | required
  std::shared_ptr<boost::asio::ssl::context> tls;  // client context (null when starttls = off)
  std::string server_name;                         // SNI and the name verified; empty: host
  bool tls_verify = true;
  std::string auth_user;  // empty: no AUTH
  std::string auth_password;
  std::chrono::seconds timeout{60};  // the whole conversation
};

struct send_outcome {
  // sent: the relay took it (250 after DATA); transient: 4xx, a connection or TLS failure, a
  // timeout (try later); permanent: 5xx (the relay will never take it).
  enum class kind { sent, transient, permanent };
  kind what = kind::transient;
  std::string detail;  // the relay's reply or what failed, never the message or the password
};

// Blocking: runs the conversation to its end on a private io_context. A stop requested meanwhile
// ends it at once (transient: "stopped"), so serve need not wait for a silent relay's timeout.
send_outcome send_mail(const relay_settings& relay, const std::string& rcpt_to,
                       const std::string& message, std::stop_token stop = {});

}  // namespace mail2sms::notify
