// Micro-benchmark of smtpd::protocol: one whole transaction (greeting, EHLO, AUTH PLAIN, MAIL,
// RCPT, DATA with a 1 KiB body, QUIT) fed in one chunk and in 64-byte chunks, with the awaited
// outcomes (credentials, store) answered at once, as a session would after its blocking work.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtpd/auth_limiter.hpp"
#include "smtpd/postmaster_budget.hpp"
#include "smtpd/protocol.hpp"
#include "smtpd/sasl.hpp"

namespace {

using namespace mail2sms::smtpd;

// Any "+<digits>" local part is a number; the benchmark never sends anything else.
class plus_number_resolver : public recipient_resolver {
 public:
  mail2sms::result<std::vector<std::string>, std::string> resolve(std::string_view local_part,
                                                                  const authenticated_account&,
                                                                  std::size_t) const override {
    return std::vector<std::string>{std::string(local_part)};
  }
  std::string check_sender(std::string_view, const authenticated_account&) const override {
    return {};
  }
};

protocol_settings bench_settings() {
  protocol_settings s;
  s.hostname = "mx.bench";
  s.domains = {"sms.example.com"};
  s.tls_active = true;  // AUTH offered without STARTTLS: the TLS itself is outside the protocol
  return s;
}

std::string conversation() {
  std::string body = "From: bench@example.com\r\nSubject: load\r\n\r\n";
  const std::string line = "The quick brown fox jumps over the lazy dog, 0123456789 times.\r\n";
  while (body.size() + line.size() <= 1024) body += line;
  body.append(1024 - body.size() - 2, 'x');
  body += "\r\n";
  std::string secret("\0bench\0secret", 13);
  return "EHLO client.bench\r\n"
         "AUTH PLAIN " + mail2sms::smtpd::sasl::base64_encode(secret) + "\r\n"
         "MAIL FROM:<bench@example.com>\r\n"
         "RCPT TO:<+27821234567@sms.example.com>\r\n"
         "DATA\r\n" + body + ".\r\n"
         "QUIT\r\n";
}

// Performs the actions as the session would; returns how many replies were produced and, when
// `transcript` is given, appends their text to it.
std::size_t perform(protocol& proto, actions todo, std::string* transcript = nullptr) {
  std::size_t replies = 0;
  std::deque<action> queue(std::make_move_iterator(todo.begin()), std::make_move_iterator(todo.end()));
  while (!queue.empty()) {
    action next = std::move(queue.front());
    queue.pop_front();
    actions more;
    if (const auto* r = std::get_if<send_reply>(&next)) {
      ++replies;
      if (transcript != nullptr) *transcript += r->text;
    } else if (std::holds_alternative<verify_credentials>(next)) {
      auth_result r;
      r.state = auth_result::status::ok;
      r.account = {7, "bench", "ZA", nullptr};
      more = proto.on_auth_result(r);
    } else if (std::holds_alternative<store_message>(next)) {
      store_result r;
      r.state = store_result::status::accepted;
      r.queue_id = "Q1";
      more = proto.on_store_result(r);
    }
    for (auto& a : more) queue.push_back(std::move(a));
  }
  return replies;
}

// One whole conversation, `chunk` octets per on_input call.
std::size_t converse(const std::string& input, std::size_t chunk, std::string* transcript = nullptr) {
  static const plus_number_resolver resolver;
  protocol proto(bench_settings(), resolver);
  std::size_t replies = perform(proto, proto.on_connect(), transcript);
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    replies += perform(proto, proto.on_input(std::string_view(input).substr(at, chunk)), transcript);
  }
  return proto.closed() ? replies : 0;
}

void transaction(benchmark::State& state, std::size_t chunk) {
  const std::string input = conversation();
  std::string transcript;
  if (converse(input, chunk, &transcript) == 0 ||
      transcript.find("250 2.0.0 Ok: queued as Q1") == std::string::npos) {
    state.SkipWithError("the conversation did not queue the mail and close");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(converse(input, chunk));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

void bm_smtp_transaction_one_chunk(benchmark::State& state) { transaction(state, 1 << 20); }
void bm_smtp_transaction_64_byte_chunks(benchmark::State& state) { transaction(state, 64); }

BENCHMARK(bm_smtp_transaction_one_chunk);
BENCHMARK(bm_smtp_transaction_64_byte_chunks);

// A mail to the postmaster's budget check with 20,000 client addresses in the hour (a spray
// from many addresses): each take used to walk all of them once there were 4,096.
void bm_postmaster_budget_take_20000_clients(benchmark::State& state) {
  mail2sms::smtpd::postmaster_budget budget(1000000);
  std::vector<std::string> clients;
  for (int i = 0; i < 20000; ++i)
    clients.push_back("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1");
  for (const auto& c : clients) budget.take(c);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(budget.take(clients[i]));
    i = (i + 1) % clients.size();
  }
}
BENCHMARK(bm_postmaster_budget_take_20000_clients);

// A failed AUTH with 150,000 user names failing in the window (credential stuffing): each
// failure used to walk every name once there were 100,000.
void bm_auth_limiter_failure_150000_names(benchmark::State& state) {
  mail2sms::smtpd::auth_limiter limiter({.per_ip = 1000000,
                                         .per_user = 1000000,
                                         .window = std::chrono::hours(1),
                                         .first_delay = std::chrono::milliseconds(1),
                                         .max_delay = std::chrono::milliseconds(1)});
  std::vector<std::string> names;
  for (int i = 0; i < 150000; ++i) names.push_back("user" + std::to_string(i));
  for (const auto& n : names) limiter.failed("192.0.2.1", n);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.failed("192.0.2.1", names[i]));
    i = (i + 1) % names.size();
  }
}
BENCHMARK(bm_auth_limiter_failure_150000_names);

}  // namespace
