// submit_sm per second through one bind (or BINDS transceivers): an smpp::client (window W per
// bind, no rate limit) against an SMSC on loopback (run `mail2sms smsc-sim` first). Not a test;
// docs/PERFORMANCE.md has figures.
//
//   smpp_bind_load PORT WINDOW COUNT [SYSTEM_ID PASSWORD [BINDS]]
//
// Prints one JSON line: binds, window, messages, seconds, submits_per_second, failures.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/connectors/smpp/client.hpp"

int main(int argc, char** argv) {
  using namespace mail2sms;
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: smpp_bind_load PORT WINDOW COUNT [SYSTEM_ID PASSWORD [BINDS]]\n");
    return 2;
  }
  smpp::client_settings s;
  s.name = "bench";
  s.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  s.window = std::stoi(argv[2]);
  const int count = std::stoi(argv[3]);
  s.system_id = argc > 4 ? argv[4] : "bench";
  s.password = argc > 5 ? argv[5] : "bench";
  s.default_source = "Bench";
  s.binds = argc > 6 ? std::stoi(argv[6]) : 1;
  s.tps = 0;
  smpp::client client(s);
  client.start();
  const auto all_bound = [&s](const smpp::client_stats& st) {
    int bound = 0;
    for (const auto& b : st.per_bind) bound += b.bound ? 1 : 0;
    return bound == s.binds;
  };
  if (!client.wait_until(all_bound, std::chrono::seconds(10))) {
    std::fprintf(stderr, "smpp_bind_load: not bound within 10 s\n");
    return 1;
  }
  core::queued_message m;
  m.queue_id = "BENCH";
  m.recipient = "+27821234567";
  m.segments.push_back({{}, std::vector<std::uint8_t>(60, 'a')});

  std::mutex mutex;
  std::condition_variable all_done;
  int done = 0;
  std::atomic<int> failures{0};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    client.submit_async(m, [&](core::submit_outcome outcome) {
      if (outcome.state != core::submit_outcome::status::submitted) ++failures;
      std::lock_guard lock(mutex);
      if (++done == count) all_done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  all_done.wait(lock, [&] { return done == count; });
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf(
      "{\"binds\":%d,\"window\":%d,\"messages\":%d,\"seconds\":%.3f,"
      "\"submits_per_second\":%.0f,\"failures\":%d}\n",
      s.binds, s.window, count, took.count(), count / took.count(), failures.load());
  lock.unlock();
  client.stop();
  return failures.load() == 0 ? 0 : 1;
}
