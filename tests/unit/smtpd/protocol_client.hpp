// A scripted SMTP client for protocol tests: feeds bytes, answers every awaited outcome the way
// the session would (fake credentials check, fake store), and records every action in order.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "smtpd/protocol.hpp"

namespace mail2sms::smtpd::test {

// "+<digits>" is a number; "0<digits>" is national for an account in ZA; "oncall" is a group of
// two; anything else is not. Senders "intruder@..." are refused.
class fake_resolver : public recipient_resolver {
 public:
  result<std::vector<std::string>, std::string> resolve(std::string_view local,
                                                        const authenticated_account& account,
                                                        std::size_t most) const override;
  std::string check_sender(std::string_view reverse_path,
                           const authenticated_account& account) const override;
};

protocol_settings test_settings();  // TLS already on (AUTH offered), small limits
authenticated_account alice();      // password "secret"

class client {
 public:
  explicit client(protocol_settings settings = test_settings());

  actions connect();
  actions send(std::string_view bytes);           // on_input, then every outcome it awaits
  std::string says(std::string_view bytes);       // send(), and the reply text it produced
  void login();                                   // connect, EHLO, AUTH PLAIN as alice
  actions perform(actions todo);                  // answer awaited outcomes, as the session does

  fake_resolver resolver;  // before proto, which keeps a reference
  protocol proto;
  std::vector<action> log;  // every action, in order
  std::vector<store_message> stored;
  std::vector<verify_credentials> verified;
  int tls_handshakes = 0;
  bool complete_tls = true;  // answer start_tls with on_tls_started()
  std::function<auth_result(const verify_credentials&)> check_credentials;
  std::function<store_result(const store_message&)> store;
};

std::string reply_text(const actions& todo);
int count_replies(const actions& todo);  // send_reply actions
// The log with adjacent replies merged: the same conversation whatever the read chunking.
std::vector<std::string> transcript(const std::vector<action>& log);

std::string plain_response(std::string_view authzid, std::string_view user, std::string_view pass);

}  // namespace mail2sms::smtpd::test
