// The scripted client and fakes shared by the protocol tests.
#include "protocol_client.hpp"

#include <algorithm>
#include <deque>

#include "smtpd/sasl.hpp"

namespace mail2sms::smtpd::test {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

auth_result default_check(const verify_credentials& v) {
  auth_result r;
  if (v.username == "alice" && v.password == "secret") {
    r.state = auth_result::status::ok;
    r.account = alice();
  } else if (v.username == "tempfail") {
    r.state = auth_result::status::temporary_failure;
  }
  return r;
}

}  // namespace

result<std::vector<std::string>, std::string> fake_resolver::resolve(
    std::string_view local, const authenticated_account& account, std::size_t most) const {
  if (local == "oncall") return std::vector<std::string>{"+27820000001", "+27820000002"};
  if (local == "crowd") {  // a resolver that does not check the size: the protocol does
    return std::vector<std::string>{"+27820000001", "+27820000002", "+27820000003", "+27820000004",
                                    "+27820000005"};
  }
  if (local == "everyone") {  // as core's resolver: more members than a mail may have
    if (most < 5) return fail("550 5.5.3 Too many recipients: the group has 5 members");
    return std::vector<std::string>{"+27820000001", "+27820000002", "+27820000003", "+27820000004",
                                    "+27820000005"};
  }
  if (local.size() > 1 && local[0] == '+' && all_digits(local.substr(1)))
    return std::vector<std::string>{std::string(local)};
  if (local.size() > 1 && local[0] == '0' && all_digits(local) && account.country == "ZA") {
    return std::vector<std::string>{"+27" + std::string(local.substr(1))};
  }
  return fail("550 5.1.1 '" + std::string(local) +
              "' is not a phone number: write +<country code><number>");
}

std::string fake_resolver::check_sender(std::string_view reverse_path,
                                        const authenticated_account&) const {
  if (reverse_path.starts_with("intruder@")) return "553 5.7.1 Sender address not allowed";
  return {};
}

protocol_settings test_settings() {
  protocol_settings s;
  s.hostname = "mx.test";
  s.domains = {"sms.example.com", "sms2.example.org"};
  s.max_message_size = 200;
  s.max_recipients = 3;
  s.max_command_line = 512;
  s.max_text_line = 40;
  s.tls_active = true;
  return s;
}

authenticated_account alice() { return {7, "alice", "ZA", nullptr}; }

client::client(protocol_settings settings)
    : proto(std::move(settings), resolver), check_credentials(default_check) {
  store = [n = 0](const store_message&) mutable {
    store_result r;
    r.state = store_result::status::accepted;
    r.queue_id = "Q" + std::to_string(++n);
    return r;
  };
}

actions client::connect() { return perform(proto.on_connect()); }

actions client::send(std::string_view bytes) { return perform(proto.on_input(bytes)); }

std::string client::says(std::string_view bytes) { return reply_text(send(bytes)); }

void client::login() {
  connect();
  send("EHLO client.test\r\n");
  send("AUTH PLAIN " + plain_response("", "alice", "secret") + "\r\n");
}

// Mirrors the session's perform(): outcomes are answered in order, their actions queued after.
actions client::perform(actions todo) {
  actions all;
  std::deque<action> queue(std::make_move_iterator(todo.begin()), std::make_move_iterator(todo.end()));
  auto then = [&queue](actions more) {
    for (auto& a : more) queue.push_back(std::move(a));
  };
  while (!queue.empty()) {
    action next = std::move(queue.front());
    queue.pop_front();
    log.push_back(next);
    all.push_back(next);
    if (auto* v = std::get_if<verify_credentials>(&next)) {
      verified.push_back(*v);
      then(proto.on_auth_result(check_credentials(*v)));
    } else if (auto* m = std::get_if<store_message>(&next)) {
      stored.push_back(*m);
      then(proto.on_store_result(store(*m)));
    } else if (std::holds_alternative<start_tls>(next) && complete_tls) {
      ++tls_handshakes;
      then(proto.on_tls_started());
    }
  }
  return all;
}

std::string reply_text(const actions& todo) {
  std::string out;
  for (const auto& a : todo) {
    if (const auto* r = std::get_if<send_reply>(&a)) out += r->text;
  }
  return out;
}

int count_replies(const actions& todo) {
  return static_cast<int>(std::count_if(todo.begin(), todo.end(), [](const action& a) {
    return std::holds_alternative<send_reply>(a);
  }));
}

std::vector<std::string> transcript(const std::vector<action>& log) {
  std::vector<std::string> out;
  for (const auto& a : log) {
    if (const auto* r = std::get_if<send_reply>(&a)) {
      if (!out.empty() && out.back().rfind("reply:", 0) == 0) {
        out.back() += r->text;
      } else {
        out.push_back("reply:" + r->text);
      }
    } else if (const auto* m = std::get_if<store_message>(&a)) {
      std::string s = "store:" + m->env.helo + "|" + m->env.mail_from + "|";
      for (const auto& rcpt : m->env.recipients) s += rcpt.address + "=" + rcpt.e164 + ",";
      s += "|" + m->env.account.name + "|" + (m->env.tls ? "tls" : "plain") + "|" + m->data;
      out.push_back(std::move(s));
    } else if (const auto* v = std::get_if<verify_credentials>(&a)) {
      out.push_back("verify:" + v->mechanism + ":" + v->username + ":" + v->password);
    } else if (std::holds_alternative<start_tls>(a)) {
      out.emplace_back("start_tls");
    } else {
      out.emplace_back("close");
    }
  }
  return out;
}

std::string plain_response(std::string_view authzid, std::string_view user, std::string_view pass) {
  std::string message(authzid);
  message += '\0';
  message += user;
  message += '\0';
  message += pass;
  return sasl::base64_encode(message);
}

}  // namespace mail2sms::smtpd::test
