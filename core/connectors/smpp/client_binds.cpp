// smpp::client, the connector over its binds (one client::engine each): which binds there are,
// which one a message goes on, their stats together, and stopping them all at once.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/connectors/smpp/addressing.hpp"
#include "core/connectors/smpp/client.hpp"
#include "core/connectors/smpp/client_engine.hpp"
#include "core/connectors/smpp/receipt.hpp"

namespace mail2sms::smpp {
namespace {

std::string_view role_name(bind_role role) {
  switch (role) {
    case bind_role::transmitter:
      return "tx";
    case bind_role::receiver:
      return "rx";
    case bind_role::transceiver:
      break;
  }
  return "trx";
}

}  // namespace

class client::bind_set {
 public:
  explicit bind_set(const client_settings& settings);
  ~bind_set() { stop(); }

  const std::string name;

  void start() {
    for (auto& b : binds_) b->io->start();
  }
  void stop();
  core::submit_outcome submit(const core::queued_message& message);
  void submit_async(const core::queued_message& message,
                    std::function<void(core::submit_outcome)> done);
  bool available() const;
  // query_sm goes on a transmitting bind, as a submit would.
  void query_async(query_sm body, query_handler answer) {
    pick(0).io->query_async(std::move(body), std::move(answer));
  }
  // The connector's settings, as each bind has them (but for its name and address).
  const client_settings& settings() const { return binds_.front()->io->settings(); }
  client_stats stats() const {
    std::lock_guard lock(mutex_);
    return collect();
  }
  bool wait_until(const std::function<bool(const client_stats&)>& ready,
                  std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return ready(collect()); });
  }

 private:
  struct bind {
    bind_role role = bind_role::transceiver;
    std::string label;
    std::unique_ptr<client::engine> io;       // the bind's connection and I/O thread
    std::atomic<std::size_t> outstanding{0};  // segments handed to it and not yet answered
    std::string seen_error;                   // mutex_
  };

  void add(const client_settings& settings, bind_role role, int index, int of);
  bind& pick(std::size_t segments);
  void on_change(bind& b);
  client_stats collect() const;  // mutex_ held

  const int window_;
  const std::shared_ptr<token_bucket> tokens_;
  mutable std::mutex mutex_;  // before any engine's stats mutex, never after
  mutable std::condition_variable changed_;
  std::string last_error_;                    // mutex_
  std::atomic<std::size_t> next_start_{0};    // see pick()
  std::vector<std::unique_ptr<bind>> binds_;  // transmitting binds first; destroyed first
};

client::bind_set::bind_set(const client_settings& settings)
    : name(settings.name),
      window_(std::max(1, settings.window)),
      tokens_(std::make_shared<token_bucket>(settings.tps, steady_clock::now())) {
  const int sending = std::clamp(settings.binds, 1, max_binds);
  if (settings.topology == bind_topology::pair) {
    const int receiving = std::clamp(settings.receiver_binds, 1, max_binds);
    for (int i = 1; i <= sending; ++i) add(settings, bind_role::transmitter, i, sending);
    auto at_receiver = settings;
    if (!settings.receiver_host.empty()) at_receiver.host = settings.receiver_host;
    if (settings.receiver_port != 0) at_receiver.port = settings.receiver_port;
    for (int i = 1; i <= receiving; ++i) add(at_receiver, bind_role::receiver, i, receiving);
  } else {
    for (int i = 1; i <= sending; ++i) add(settings, bind_role::transceiver, i, sending);
  }
}

// A lone transceiver keeps the connector's name in logs, as before there were several binds.
void client::bind_set::add(const client_settings& settings, bind_role role, int index, int of) {
  auto b = std::make_unique<bind>();
  b->role = role;
  b->label = role == bind_role::transceiver && of == 1
                 ? settings.name
                 : settings.name + "#" + std::to_string(index) + " " + std::string(role_name(role));
  auto own = settings;
  own.name = b->label;
  auto* raw = b.get();
  b->io = std::make_unique<engine>(
      std::move(own), bind_spec{role, settings.name, tokens_, [this, raw] { on_change(*raw); }});
  binds_.push_back(std::move(b));
}

// Every bind unbinds at the same time, so stopping takes one response_timeout, not one per bind.
// Called (wrongly) from a bind's own thread, the binds stop one by one: that engine's stop() then
// says so and does not wait for itself.
void client::bind_set::stop() {
  const bool from_a_bind =
      std::any_of(binds_.begin(), binds_.end(), [](const auto& b) { return b->io->on_io_thread(); });
  if (binds_.size() == 1 || from_a_bind) {
    for (auto& b : binds_) b->io->stop();
    return;
  }
  std::vector<std::thread> stopping;
  stopping.reserve(binds_.size());
  for (auto& b : binds_) stopping.emplace_back([&b] { b->io->stop(); });
  for (auto& t : stopping) t.join();
}

// The bound transmitting bind with the most free window (among equals, in turn: so the first
// messages go one to each); while none is bound, one not yet known to be down; else the first,
// whose queue fails the message as transient within response_timeout (the dispatcher asked
// available() first, so that is a race with a lost bind).
client::bind_set::bind& client::bind_set::pick(std::size_t segments) {
  bind* best = binds_.front().get();  // a lone transceiver: nothing to choose
  if (binds_.size() > 1) {
    int best_rank = -1;
    long best_free = 0;
    // Ties go round: the scan starts one bind further each time.
    const std::size_t start = next_start_++;
    for (std::size_t i = 0; i < binds_.size(); ++i) {
      const auto& b = binds_[(start + i) % binds_.size()];
      if (b->role == bind_role::receiver) continue;
      const int rank = b->io->stats().bound ? 2 : b->io->available() ? 1 : 0;
      const long free = window_ - static_cast<long>(b->outstanding.load());
      if (rank > best_rank || (rank == best_rank && free > best_free)) {
        best = b.get();
        best_rank = rank;
        best_free = free;
      }
    }
  }
  best->outstanding += segments;
  return *best;
}

core::submit_outcome client::bind_set::submit(const core::queued_message& message) {
  const auto segments = message.segments.size();
  auto& b = pick(segments);
  auto outcome = b.io->submit(message);
  b.outstanding -= segments;
  return outcome;
}

void client::bind_set::submit_async(const core::queued_message& message,
                                    std::function<void(core::submit_outcome)> done) {
  const auto segments = message.segments.size();
  auto& b = pick(segments);
  b.io->submit_async(message, [&b, segments, done = std::move(done)](core::submit_outcome o) {
    b.outstanding -= segments;
    done(std::move(o));
  });
}

bool client::bind_set::available() const {
  return std::any_of(binds_.begin(), binds_.end(), [](const auto& b) {
    return b->role != bind_role::receiver && b->io->available();
  });
}

void client::bind_set::on_change(bind& b) {
  const auto s = b.io->stats();
  {
    std::lock_guard lock(mutex_);
    if (!s.last_error.empty() && s.last_error != b.seen_error) {
      b.seen_error = s.last_error;
      last_error_ = binds_.size() == 1 ? s.last_error : b.label + ": " + s.last_error;
    }
  }
  changed_.notify_all();
}

client_stats client::bind_set::collect() const {
  client_stats all;
  all.label = name;
  all.last_error = last_error_;
  for (const auto& b : binds_) {
    auto s = b->io->stats();
    s.label = b->label;
    s.role = b->role;
    if (s.bound && b->role != bind_role::receiver) all.bound = true;
    if (s.bound && b->role != bind_role::transmitter) all.receiving = true;
    all.connect_failures += s.connect_failures;
    all.binds += s.binds;
    all.bind_failures += s.bind_failures;
    all.per_bind.push_back(std::move(s));
  }
  return all;
}

// --- client ----------------------------------------------------------------------------------

client::client(client_settings settings) : binds_(std::make_unique<bind_set>(settings)) {}
client::~client() = default;  // the binds stop

void client::start() { binds_->start(); }
void client::stop() { binds_->stop(); }
const std::string& client::name() const { return binds_->name; }
core::submit_outcome client::submit(const core::queued_message& message) {
  return binds_->submit(message);
}
void client::submit_async(const core::queued_message& message,
                          std::function<void(core::submit_outcome)> done) {
  binds_->submit_async(message, std::move(done));
}
bool client::available() const { return binds_->available(); }

void client::query_async(const core::part_query& part,
                         std::function<void(core::query_result)> done) {
  auto failed = [&done](std::string why) {
    core::query_result out;
    out.what = core::query_result::kind::failed;
    out.reason = std::move(why);
    done(std::move(out));
  };
  const auto& s = binds_->settings();
  const auto source = source_address(part.sender_id, s.default_source);
  if (!source) return failed(source.error());
  query_sm body;
  body.message_id = submitted_message_id(part.smsc_message_id, s.submit_id_format);
  body.source_addr_ton = source->ton;
  body.source_addr_npi = source->npi;
  body.source_addr = source->value;
  binds_->query_async(std::move(body), [done = std::move(done)](const pdu* response,
                                                                const std::string& why) {
    if (response == nullptr) {
      core::query_result out;
      out.what = core::query_result::kind::failed;
      out.reason = why;
      done(std::move(out));
      return;
    }
    done(query_result_of(*response));
  });
}

client_stats client::stats() const { return binds_->stats(); }
bool client::wait_until(const std::function<bool(const client_stats&)>& ready,
                        std::chrono::milliseconds timeout) const {
  return binds_->wait_until(ready, timeout);
}

}  // namespace mail2sms::smpp
