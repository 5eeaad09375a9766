// Fuzzes smtpd::protocol the way the session drives it: bytes in arbitrary chunks, every awaited
// outcome (credentials, store, TLS handshake) answered with an outcome the input chooses, and the
// shutdown and timeout events. Checks what the session and the client rely on: well-formed
// replies, nothing after close, one question at a time, AUTH only where it is offered, and a
// stored message only from an authenticated (or network-trusted) sender, to our domains, within
// the limits.
//
// Input: 4 octets of set-up, then the bytes the client sends.
//   [0] bit 0 STARTTLS available, 1 implicit TLS, 2 plaintext AUTH, 3 small limits,
//       bits 4-7 max_errors
//   [1] bits 0-1 chunking (whole, octet by octet, up to 16, up to 512), bit 2 sometimes send more
//       input before answering an outcome, bit 3 a shutdown at some point, bit 4 a read timeout
//       at the end, bit 5 the client's address is in an account's networks (trust_network)
//   [2..3] seed of the choices made along the way (chunk sizes, outcomes)
#include <arpa/inet.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "smtpd/protocol.hpp"

namespace {

using namespace mail2sms;
using namespace mail2sms::smtpd;

[[noreturn]] void broken(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "smtp_protocol_fuzz: invariant broken: %s\n", what);
  if (!detail.empty()) {
    std::fprintf(stderr, "  in (%zu octets): ", detail.size());
    for (unsigned char c : detail.substr(0, 1200)) {
      if (c >= 0x20 && c < 0x7F && c != '\\') {
        std::fputc(c, stderr);
      } else {
        std::fprintf(stderr, "\\x%02X", c);
      }
    }
    std::fputc('\n', stderr);
  }
  std::abort();
}

void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) broken(what, detail);
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Whether `domain` is an address literal of `own` ("[192.0.2.25]", "[IPv6:2001:db8::25]" in any
// spelling of the same address), the oracle's own reading of RFC 5321 4.1.3: no substring of
// it, so "[192.0.2.250]" is someone else's.
bool literal_of(std::string_view domain, const std::string& own) {
  if (own.empty() || domain.size() < 3 || domain.front() != '[' || domain.back() != ']')
    return false;
  std::string literal(domain.substr(1, domain.size() - 2));
  const bool v6 = own.find(':') != std::string::npos;
  if (v6) {
    if (literal.size() < 5 || !iequal(std::string_view(literal).substr(0, 5), "IPv6:"))
      return false;
    literal.erase(0, 5);
  }
  std::array<unsigned char, 16> a{}, b{};
  const int family = v6 ? AF_INET6 : AF_INET;
  return inet_pton(family, literal.c_str(), a.data()) == 1 &&
         inet_pton(family, own.c_str(), b.data()) == 1 && a == b;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// SMTP_FUZZ_TRACE=1 prints the conversation, to read what a crashing input does.
const bool tracing = std::getenv("SMTP_FUZZ_TRACE") != nullptr;

void trace(const char* tag, std::string_view text) {
  if (!tracing) return;
  std::fprintf(stderr, "%-16s %.*s\n", tag, static_cast<int>(text.size()), text.data());
}

// splitmix64: the choices along the way, reproducible from the input's seed octets.
class choices {
 public:
  explicit choices(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

 private:
  std::uint64_t state_;
};

// As tests/unit/smtpd's fake: "+<digits>", or "0<digits>" for an account in ZA. The refusal
// quotes the local part, as a real resolver's may: the protocol must make it reply-safe.
class fuzz_resolver : public recipient_resolver {
 public:
  result<std::vector<std::string>, std::string> resolve(std::string_view local,
                                                        const authenticated_account& account,
                                                        std::size_t) const override {
    auto digits = [](std::string_view s) {
      for (char c : s) {
        if (!is_digit(c)) return false;
      }
      return !s.empty();
    };
    if (local.size() > 1 && local[0] == '+' && digits(local.substr(1)))
      return std::vector<std::string>{std::string(local)};
    if (local.size() > 1 && local[0] == '0' && digits(local) && account.country == "ZA") {
      return std::vector<std::string>{"+27" + std::string(local.substr(1))};
    }
    return fail("550 5.1.1 '" + std::string(local) + "' is not a phone number");
  }
  std::string check_sender(std::string_view reverse_path,
                           const authenticated_account&) const override {
    return reverse_path.starts_with("x") ? "553 5.7.1 '" + std::string(reverse_path) + "' refused"
                                         : std::string{};
  }
};

// One send_reply: complete lines "ddd[ -]text" CRLF, printable ASCII, at most 512 octets each
// (RFC 5321 4.2, 4.5.3.1.5), a multi-line reply ended by its last line.
void check_reply_text(std::string_view text) {
  check(!text.empty(), "empty send_reply");
  check(text.size() >= 2 && text.substr(text.size() - 2) == "\r\n", "reply does not end in CRLF",
        text);
  std::string_view open_code;  // the code of an unfinished multi-line reply
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find("\r\n", pos);
    check(end != std::string_view::npos, "reply line without CRLF", text);
    const std::string_view line = text.substr(pos, end - pos);
    check(line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]),
          "reply line does not start with 3 digits", text);
    check(line[0] >= '2' && line[0] <= '5', "reply code class outside 2..5", text);
    check(line.size() == 3 || line[3] == ' ' || line[3] == '-', "no SP or - after the code", text);
    for (char c : line) check(c >= 0x20 && c < 0x7F, "reply holds a non-printable octet", text);
    check(line.size() + 2 <= 512, "reply line longer than 512 octets", text);
    if (!open_code.empty())
      check(line.substr(0, 3) == open_code, "multi-line reply changes code", text);
    open_code = line.size() > 3 && line[3] == '-' ? line.substr(0, 3) : std::string_view{};
    pos = end + 2;
  }
  check(open_code.empty(), "multi-line reply without its last line", text);
}

std::string first_reply_line(const actions& list) {
  for (const auto& a : list) {
    if (const auto* r = std::get_if<send_reply>(&a)) return r->text.substr(0, r->text.find("\r\n"));
  }
  return {};
}

struct setup {
  protocol_settings settings;
  int chunking = 0;
  bool defer_outcomes = false;
  bool shutdown = false;
  bool timeout_at_end = false;
  bool trusted_network = false;
  std::uint16_t seed = 0;
};

setup read_setup(const std::uint8_t* data, std::size_t size) {
  std::uint8_t h[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < 4 && i < size; ++i) h[i] = data[i];
  setup s;
  auto& p = s.settings;
  p.hostname = "mx.fuzz.test";
  p.domains = {"sms.example.com", "SMS2.Example.org"};
  p.own_address = (h[1] & 64) != 0 ? "2001:db8::25" : "192.0.2.25";  // postmaster@[...]
  p.starttls_available = (h[0] & 1) != 0;
  p.tls_active = (h[0] & 2) != 0;
  p.plaintext_auth = (h[0] & 4) != 0;
  if ((h[0] & 8) != 0) {
    p.max_message_size = 300;
    p.max_recipients = 3;
    p.max_command_line = 100;
    p.max_text_line = 60;
  }
  p.max_errors = h[0] >> 4;
  s.chunking = h[1] & 3;
  s.defer_outcomes = (h[1] & 4) != 0;
  s.shutdown = (h[1] & 8) != 0;
  s.timeout_at_end = (h[1] & 16) != 0;
  s.trusted_network = (h[1] & 32) != 0;
  s.seed = static_cast<std::uint16_t>(h[2] | (h[3] << 8));
  return s;
}

class driver {
 public:
  explicit driver(const setup& s)
      : setup_(s), proto_(s.settings, resolver_), choose_(s.seed), tls_(s.settings.tls_active) {}

  void run(std::string_view stream) {
    if (setup_.trusted_network) {  // as the session does, before the greeting
      network_account_ = authenticated_account{99, "net", "ZA", nullptr};
      account_ = network_account_;
      proto_.trust_network(*network_account_);
    }
    deliver(proto_.on_connect(), "on_connect");
    std::size_t pos = 0;
    bool shutdown_sent = false;
    while (!stopped() && pos < stream.size()) {
      if (awaited_ && !(setup_.defer_outcomes && choose_.below(3) == 0)) {
        answer();
        continue;
      }
      if (setup_.shutdown && !shutdown_sent && choose_.below(16) == 0) {
        shutdown_sent = true;
        deliver(proto_.on_shutdown(), "on_shutdown");
        continue;
      }
      const std::string_view chunk = stream.substr(pos, chunk_size(stream.size() - pos));
      pos += chunk.size();
      input_octets_ += chunk.size();
      trace("on_input", chunk);
      const bool awaiting_answer = awaited_ && !std::holds_alternative<start_tls>(*awaited_);
      auto out = proto_.on_input(chunk);
      if (awaiting_answer)
        check(out.empty(), "on_input did more than buffer while an outcome is awaited");
      deliver(std::move(out), "on_input");
    }
    while (!stopped() && awaited_) answer();
    if (!stopped() && setup_.timeout_at_end) {
      deliver(proto_.on_timeout(), "on_timeout");
      check(closed_, "a read timeout did not close the session");
    }
    if (closed_) {
      check(proto_.on_input("NOOP\r\n").empty() && proto_.on_timeout().empty() &&
                proto_.on_shutdown().empty() && proto_.on_connect().empty(),
            "the protocol acts after close_connection");
    }
  }

 private:
  bool stopped() const { return closed_ || handshake_failed_; }

  std::size_t chunk_size(std::size_t left) {
    switch (setup_.chunking) {
      case 0:
        return left;
      case 1:
        return 1;
      case 2:
        return 1 + choose_.below(16);
      default:
        return 1 + choose_.below(512);
    }
  }

  // Every event's actions, checked as the session would perform them.
  void deliver(actions out, const char* event) {
    if (std::string_view(event) != "on_input") trace(event, "");
    if (closed_) check(out.empty(), "an action after close_connection", event);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const bool last = i + 1 == out.size();
      std::visit([&](const auto& a) { on_action(a, last); }, out[i]);
    }
    if (!closed_) {
      check(proto_.waiting() == awaited_.has_value(), "waiting() disagrees with the actions",
            event);
    }
    check(reply_octets_ <= 64 * (input_octets_ + 1) + 1024 * (outcomes_ + 2),
          "replies out of proportion to the input");
  }

  void on_action(const send_reply& r, bool) {
    trace("  send_reply", r.text);
    check_reply_text(r.text);
    reply_octets_ += r.text.size();
    // Promise 1: "queued" only in the answer to an accepted store, once.
    for (std::size_t at = r.text.find("250 2.0.0 Ok: queued"); at != std::string::npos;
         at = r.text.find("250 2.0.0 Ok: queued", at + 1)) {
      if (at != 0 && r.text[at - 1] != '\n') continue;  // not at the start of a line
      check(in_store_answer_, "250 queued without an accepted store", r.text);
      in_store_answer_ = false;
    }
    last_reply_ = r.text;
  }

  void on_action(const close_connection&, bool last) {
    trace("  close", "");
    check(last, "an action after close_connection in the same batch");
    check(proto_.closed(), "close_connection but closed() is false");
    closed_ = true;
  }

  void expect_awaited_slot(bool last) {
    check(!awaited_, "a second question before the first is answered");
    check(last, "an action after an awaited one in the same batch");
  }

  void on_action(const start_tls& a, bool last) {
    trace("  start_tls", "");
    expect_awaited_slot(last);
    check(setup_.settings.starttls_available && !tls_, "start_tls where STARTTLS is not offered");
    const std::size_t last_line = last_reply_.rfind("\r\n", last_reply_.size() - 3);
    const std::size_t start = last_line == std::string::npos ? 0 : last_line + 2;
    check(last_reply_.size() >= 3 && last_reply_.compare(start, 4, "220 ") == 0,
          "start_tls without a 220 just before it", last_reply_);
    awaited_ = a;
  }

  void on_action(const verify_credentials& a, bool last) {
    trace("  verify", a.mechanism + " " + a.username);
    expect_awaited_slot(last);
    // Promise 3: AUTH over TLS only, unless the listener is trusted-plaintext.
    check(tls_ || setup_.settings.plaintext_auth, "credentials taken over plaintext");
    check(!authenticated_, "verify_credentials while already authenticated");
    check(a.mechanism == "PLAIN" || a.mechanism == "LOGIN", "unknown mechanism", a.mechanism);
    awaited_ = a;
  }

  void on_action(const store_message& m, bool last) {
    trace("  store", m.data);
    expect_awaited_slot(last);
    if (m.to_postmaster) return on_postmaster_mail(m);
    const auto& s = setup_.settings;
    check(account_.has_value(), "store_message without authentication or a trusted network");
    check(m.env.account.id == account_->id && m.env.account.name == account_->name &&
              m.env.account.country == account_->country,
          "store_message for another account");
    check(m.env.tls == tls_, "envelope TLS flag is wrong");
    check(!m.env.helo.empty(), "store_message without HELO");
    check(!m.env.recipients.empty() && m.env.recipients.size() <= s.max_recipients,
          "recipient count out of range");
    for (std::size_t i = 0; i < m.env.recipients.size(); ++i) {
      const auto& r = m.env.recipients[i];
      const auto at = r.address.rfind('@');
      check(at != std::string::npos, "recipient without a domain", r.address);
      const std::string_view domain = std::string_view(r.address).substr(at + 1);
      bool ours = false;
      for (const auto& d : s.domains) ours = ours || iequal(d, domain);
      check(ours, "a recipient outside our domains: open relay", r.address);  // promise 3
      check(r.e164.size() > 1 && r.e164[0] == '+', "recipient is not E.164", r.e164);
      for (std::size_t j = 0; j < i; ++j) {
        check(m.env.recipients[j].e164 != r.e164, "duplicate recipient kept", r.e164);
      }
    }
    check_message_data(m.data);
    awaited_ = m;
  }

  // Mail to the postmaster (protocol_settings::postmaster): from any client, also one without an
  // account, in a transaction of its own, to that one address at one of our domains or at the
  // address literal of the server's own address; stored whole, never given a number.
  void on_postmaster_mail(const store_message& m) {
    const auto& s = setup_.settings;
    check(s.postmaster, "mail to the postmaster taken with postmaster = false");
    check(m.env.recipients.size() == 1, "mail to the postmaster with other recipients");
    const auto& r = m.env.recipients[0];
    check(r.e164.empty(), "the postmaster given a number", r.e164);
    const auto at = r.address.rfind('@');
    const std::string_view address(r.address);
    check(iequal(address.substr(0, at), "postmaster"), "mail to the postmaster for another name",
          r.address);
    if (at != std::string::npos) {
      const std::string_view domain = address.substr(at + 1);
      bool ours = false;
      for (const auto& d : s.domains) ours = ours || iequal(d, domain);
      ours = ours || literal_of(domain, s.own_address);
      check(ours, "mail to a postmaster outside our domains: open relay", r.address);
    }
    check(account_ ? m.env.account.id == account_->id : m.env.account.id == 0,
          "mail to the postmaster for another account");
    check(!m.received_with.empty(), "mail to the postmaster without its Received protocol");
    check_message_data(m.data);
    awaited_ = m;
  }

  void check_message_data(std::string_view data) {
    const auto& s = setup_.settings;
    check(data.size() <= s.max_message_size, "stored message above max_message_size");
    check(data.empty() || data.substr(data.size() - 2) == "\r\n",
          "stored message does not end in CRLF", data);
    std::size_t pos = 0;
    while (pos < data.size()) {
      const std::size_t end = data.find("\r\n", pos);
      check(end != std::string_view::npos, "stored message has a partial line", data);
      const std::string_view line = data.substr(pos, end - pos);
      check(line.find_first_of("\r\n") == std::string_view::npos, "stored message has bare CR/LF",
            data);
      check(line.size() + 2 <= s.max_text_line, "stored message has an over-long line", data);
      pos = end + 2;
    }
  }

  // Answers the awaited question as core or the TLS layer might, and checks the reply it brings.
  void answer() {
    const action question = std::move(*awaited_);
    awaited_.reset();
    ++outcomes_;
    if (std::holds_alternative<start_tls>(question)) {
      if (choose_.below(8) == 0) {
        trace("tls handshake", "fails");
        handshake_failed_ = true;  // the session closes the socket; the protocol hears no more
        return;
      }
      tls_ = true;
      account_ = network_account_;  // AUTH learnt in plaintext is forgotten, the address is not
      authenticated_ = false;
      auto out = proto_.on_tls_started();
      const std::string first = first_reply_line(out);
      check(first.empty() || first.rfind("421 ", 0) == 0, "a reply to a TLS handshake", first);
      deliver(std::move(out), "on_tls_started");
    } else if (std::holds_alternative<verify_credentials>(question)) {
      auth_result r;
      const std::size_t roll = choose_.below(20);
      r.state = roll < 14   ? auth_result::status::ok
                : roll < 17 ? auth_result::status::invalid
                : roll < 19 ? auth_result::status::temporary_failure
                            : auth_result::status::blocked;
      if (r.state == auth_result::status::ok) {
        r.account = {static_cast<std::int64_t>(choose_.below(1000)), "acct",
                     choose_.below(2) == 0 ? "ZA" : "", nullptr};
        account_ = r.account;
        authenticated_ = true;
      }
      auto out = proto_.on_auth_result(r);
      const char* expected = r.state == auth_result::status::ok        ? "235 "
                             : r.state == auth_result::status::invalid ? "535 "
                             : r.state == auth_result::status::blocked ? "421 "
                                                                       : "454 ";
      check(first_reply_line(out).rfind(expected, 0) == 0, "wrong reply to an AUTH outcome",
            first_reply_line(out));
      deliver(std::move(out), "on_auth_result");
      if (r.state == auth_result::status::blocked)
        check(closed_, "a blocked client stays connected");
    } else {
      const store_result r = store_outcome();
      in_store_answer_ = r.state == store_result::status::accepted;
      auto out = proto_.on_store_result(r);
      const char* expected = r.state == store_result::status::accepted   ? "250 "
                             : r.state == store_result::status::rejected ? "5"
                                                                         : "451 ";
      check(first_reply_line(out).rfind(expected, 0) == 0, "wrong reply to a store outcome",
            first_reply_line(out));
      deliver(std::move(out), "on_store_result");
      check(!in_store_answer_, "an accepted store without its 250 queued");
    }
  }

  // Outcomes as the store and acceptance might give them, including texts that must be made
  // reply-safe (line breaks, 8-bit octets, over-long) and codes that are not RFC 3463 codes.
  store_result store_outcome() {
    static const std::string long_text(700, 'x');
    static const std::string queue_ids[] = {"Q1", "", "abc\r\n250 injected", "\x80\xFF\x01",
                                            long_text};
    static const std::string codes[] = {"5.6.0", "5.3.4", "5.7.1",     "4.3.0",    "",
                                        "5.",    "x.y.z", "5.999.999", "5.1234.1", "4.7.0"};
    static const std::string texts[] = {"",
                                        "Rejected: too many parts",
                                        "line\r\n250 2.0.0 injected",
                                        long_text,
                                        "\t \x01 ",
                                        "caf\xC3\xA9"};
    store_result r;
    const std::size_t roll = choose_.below(20);
    r.state = roll < 12   ? store_result::status::accepted
              : roll < 17 ? store_result::status::rejected
                          : store_result::status::deferred;
    if (r.state == store_result::status::accepted) {
      r.queue_id = choose_.pick(queue_ids);
    } else {
      r.enhanced_code = choose_.pick(codes);
      r.text = choose_.pick(texts);
    }
    return r;
  }

  setup setup_;
  fuzz_resolver resolver_;
  protocol proto_;
  choices choose_;
  bool tls_ = false;
  bool closed_ = false;
  bool handshake_failed_ = false;
  bool in_store_answer_ = false;
  std::optional<authenticated_account> account_;  // who a MAIL sends as
  std::optional<authenticated_account> network_account_;
  bool authenticated_ = false;  // by AUTH, since the last TLS handshake
  std::optional<action> awaited_;
  std::string last_reply_;
  std::size_t input_octets_ = 0;
  std::size_t reply_octets_ = 0;
  std::size_t outcomes_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const setup s = read_setup(data, size);
  const std::size_t skip = size < 4 ? size : 4;
  driver(s).run(std::string_view(reinterpret_cast<const char*>(data) + skip, size - skip));
  return 0;
}
