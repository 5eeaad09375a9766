// One bind of smpp::client (client::engine): lifecycle (start, stop, the I/O thread) and the
// blocking submit() that hands segments to the I/O thread and waits for their outcome.
#include "core/connectors/smpp/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include "core/connectors/smpp/addressing.hpp"
#include "core/connectors/smpp/client_engine.hpp"

namespace mail2sms::smpp {
namespace {

std::chrono::milliseconds tick_for(const client_settings& s) {
  using std::chrono::milliseconds;
  return std::clamp(s.response_timeout / 10, milliseconds(10), milliseconds(250));
}

core::submit_outcome transient(std::string reason) {
  core::submit_outcome out;
  out.state = core::submit_outcome::status::transient_failure;
  out.reason = std::move(reason);
  return out;
}

std::string_view to_string(core::submit_outcome::status s) {
  switch (s) {
    case core::submit_outcome::status::submitted:
      return "submitted";
    case core::submit_outcome::status::transient_failure:
      return "transient failure";
    case core::submit_outcome::status::permanent_failure:
      return "permanent failure";
    case core::submit_outcome::status::expired:
      return "expired";
  }
  return "?";
}

}  // namespace

client::engine::engine(client_settings settings, bind_spec bind)
    : settings_(std::move(settings)),
      bind_(std::move(bind)),
      tick_(tick_for(settings_)),
      tls_(settings_.tls.enabled ? client_tls_context(settings_.tls.ca_file, settings_.tls.verify)
                                 : nullptr),
      resolver_(io_),
      backoff_timer_(io_),
      tick_timer_(io_),
      token_timer_(io_),
      jitter_(std::random_device{}()) {}

client::engine::~engine() { stop(); }

void client::engine::start() {
  std::lock_guard lock(life_mutex_);
  if (life_ != life::idle) return;
  life_ = life::running;
  const auto now = steady_clock::now();
  unbound_since_ = now;
  asio::co_spawn(io_, run_sessions(), rethrow_on_error);
  asio::co_spawn(io_, housekeeping(), rethrow_on_error);
  thread_ = std::thread([this] { io_.run(); });
}

void client::engine::stop() {
  std::lock_guard serial(stop_mutex_);
  {
    std::lock_guard lock(life_mutex_);
    if (life_ == life::idle) life_ = life::stopped;
    if (life_ == life::stopped) return;
    life_ = life::stopping;
  }
  asio::post(io_, [this] { begin_stop(); });
  if (std::this_thread::get_id() == thread_.get_id()) {
    spdlog::error("smpp {}: stop() called on the connector's own thread; not waiting for it",
                  settings_.name);
    return;
  }
  thread_.join();
  std::lock_guard lock(life_mutex_);
  life_ = life::stopped;
}

core::submit_outcome client::engine::submit(const core::queued_message& message) {
  std::promise<core::submit_outcome> promise;
  auto done = promise.get_future();
  submit_async(message, [&promise](core::submit_outcome outcome) {
    promise.set_value(std::move(outcome));
  });
  return done.get();
}

void client::engine::submit_async(const core::queued_message& message,
                                  std::function<void(core::submit_outcome)> done) {
  auto parts = to_submit_sms(
      message, {settings_.default_source, settings_.registered_delivery, settings_.sar});
  if (!parts) {
    core::submit_outcome out;
    out.state = core::submit_outcome::status::permanent_failure;
    out.reason = parts.error();
    done(std::move(out));
    return;
  }
  auto logged = [name = settings_.name, queue_id = message.queue_id,
                 recipient = mask_number(message.recipient), count = message.segments.size(),
                 done = std::move(done)](core::submit_outcome outcome) {
    spdlog::debug("smpp {}: message {} to {} ({} parts): {}{}{}", name, queue_id, recipient,
                  count, to_string(outcome.state), outcome.reason.empty() ? "" : ": ",
                  outcome.reason);
    done(std::move(outcome));
  };
  auto pending = std::make_shared<pending_message>(parts->size(), std::move(logged));
  {
    std::lock_guard lock(life_mutex_);
    if (life_ != life::running) {
      pending->done(transient("the SMPP connector is not running"));
      return;
    }
    // Posted under the lock: stop() cannot slip its begin_stop in front of this, and the handler
    // always runs (the I/O thread only ends after begin_stop).
    asio::post(io_, [this, pending, parts = std::move(*parts),
                     first = message.smpp_sequence]() mutable {
      enqueue(pending, std::move(parts), first);
    });
  }
}

void client::engine::query_async(query_sm body, query_handler answer) {
  std::lock_guard lock(life_mutex_);
  if (life_ != life::running) {
    answer(nullptr, "the SMPP connector is not running");
    return;
  }
  asio::post(io_, [this, body = std::move(body), answer = std::move(answer)]() mutable {
    auto* c = conn_.get();
    if (c == nullptr || !c->bound || c->unbinding || c->closing || c->closed) {
      answer(nullptr, "not bound to the SMSC");
      return;
    }
    const auto sequence = send_request(*c, command_id::query_sm, std::move(body));
    if (sequence == 0) {
      answer(nullptr, "the message id does not fit a query_sm");
      return;
    }
    c->requests[sequence] = {command_id::query_sm, std::nullopt,
                             steady_clock::now() + settings_.response_timeout, std::move(answer)};
  });
}

bool client::engine::available() const {
  const auto s = stats();
  return s.bound || (s.binds == 0 && s.connect_failures == 0 && s.bind_failures == 0);
}

client_stats client::engine::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

bool client::engine::wait_until(const std::function<bool(const client_stats&)>& ready,
                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(stats_mutex_);
  return stats_changed_.wait_for(lock, timeout, [&] { return ready(stats_); });
}

void client::engine::update_stats(const std::function<void(client_stats&)>& change) {
  {
    std::lock_guard lock(stats_mutex_);
    change(stats_);
  }
  stats_changed_.notify_all();
  if (bind_.stats_changed) bind_.stats_changed();
}

}  // namespace mail2sms::smpp
