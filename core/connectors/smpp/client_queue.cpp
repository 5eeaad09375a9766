// smpp::client's segment queue: segments wait here for a bind, a window slot and a token, and
// their results are gathered into one submit_outcome per message.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/connectors/smpp/client_engine.hpp"
#include "core/connectors/smpp/command_status.hpp"

namespace mail2sms::smpp {
namespace {

core::submit_outcome outcome_of(pending_message& m) {
  core::submit_outcome out;
  if (!m.failed) {
    out.state = core::submit_outcome::status::submitted;
    out.smsc_message_ids = std::move(m.ids);
  } else {
    out.state = m.permanent ? core::submit_outcome::status::permanent_failure
                            : core::submit_outcome::status::transient_failure;
    out.reason = m.reason;
  }
  return out;
}

}  // namespace

void client::engine::enqueue(const std::shared_ptr<pending_message>& message,
                             std::vector<submit_sm> parts, std::uint32_t first_sequence) {
  if (stopping_) {
    message->failed = true;
    message->reason = "the connector is stopping";
    message->done(outcome_of(*message));
    return;
  }
  const auto now = steady_clock::now();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    queue_.push_back(
        {message, i, std::move(parts[i]), now, std::nullopt, given_sequence(first_sequence, i)});
  }
  pump();
}

// Sends queued segments while the connection is bound, the window has room and the connector's
// bucket has a token.
void client::engine::pump() {
  if (bind_.role == bind_role::receiver) return;  // a receiver cannot submit
  auto* c = conn_.get();
  if (c == nullptr || !c->bound || c->unbinding || c->closing || c->closed) return;
  const auto now = steady_clock::now();
  if (now < paused_until_) {
    arm_token_timer();
    return;
  }
  const int window = std::max(1, settings_.window);
  while (!queue_.empty() && c->submits_in_flight < window) {
    // The dispatcher's numbers come round again after 4 million claims; in the unlikely case
    // that this one is still awaiting its response here, the segment waits for it (before it
    // takes a token, so the wait costs none).
    if (queue_.front().sequence != 0 && c->requests.contains(queue_.front().sequence)) return;
    if (!bind_.tokens->take(now)) {
      arm_token_timer();
      return;
    }
    auto job = std::move(queue_.front());
    queue_.pop_front();
    const auto sequence = send_request(*c, command_id::submit_sm, job.body, job.sequence);
    if (sequence == 0) {
      complete(job, {segment_result::kind::permanent, {}, "the segment does not fit a submit_sm"});
      continue;
    }
    ++c->submits_in_flight;
    c->requests[sequence] = {command_id::submit_sm, std::move(job),
                             now + settings_.response_timeout, nullptr};
  }
}

void client::engine::complete(const segment_job& job, const segment_result& result) {
  auto& m = *job.message;
  if (result.what == segment_result::kind::ok) {
    m.ids[job.index] = result.message_id;
  } else {
    // The first reason is kept, unless a later part fails permanently: that decides the outcome.
    if (!m.failed || (result.what == segment_result::kind::permanent && !m.permanent)) {
      m.reason = result.reason;
    }
    m.failed = true;
    if (result.what == segment_result::kind::permanent) m.permanent = true;
    if (!m.purged) {
      m.purged = true;
      m.remaining -= remove_queued(job.message);
    }
  }
  if (--m.remaining == 0) m.done(outcome_of(m));
}

// ESME_RTHROTTLED / ESME_RMSGQFUL: the segment goes back to the front of the queue and the
// bind pauses; true when it did (false: throttled for longer than throttle_limit, fail it).
bool client::engine::throttled(segment_job& job, std::uint32_t status_value) {
  if (status_value != status::throttled && status_value != status::queue_full) return false;
  const auto now = steady_clock::now();
  if (!job.throttled_since) job.throttled_since = now;
  if (now - *job.throttled_since >= settings_.throttle_limit) return false;
  if (paused_until_ < now + settings_.throttle_pause) {
    paused_until_ = now + settings_.throttle_pause;
    spdlog::info("smpp {}: the SMSC answered {}; pausing for {} ms", settings_.name,
                 status::describe(status_value), settings_.throttle_pause.count());
  }
  job.queued_at = now;
  queue_.push_front(std::move(job));
  return true;
}

// Drops a failed message's segments that were not sent yet; returns how many.
std::size_t client::engine::remove_queued(const std::shared_ptr<pending_message>& message) {
  const auto before = queue_.size();
  std::erase_if(queue_, [&](const segment_job& j) { return j.message == message; });
  return before - queue_.size();
}

// While not bound, a segment waits at most response_timeout (counted from when it was queued or
// the bind was lost, whichever is later), so submit() never blocks on a dead SMSC.
void client::engine::expire_queued(steady_clock::time_point now) {
  if (conn_ && conn_->bound) return;
  std::vector<segment_job> expired;
  std::deque<segment_job> waiting;
  for (auto& job : queue_) {
    const auto since = std::max(job.queued_at, unbound_since_);
    if (now - since >= settings_.response_timeout) {
      expired.push_back(std::move(job));
    } else {
      waiting.push_back(std::move(job));
    }
  }
  queue_ = std::move(waiting);
  if (expired.empty()) return;
  std::string reason =
      "not bound to the SMSC within " + std::to_string(settings_.response_timeout.count()) + " ms";
  const auto last_error = stats().last_error;
  if (!last_error.empty()) reason += " (" + last_error + ")";
  for (const auto& job : expired) complete(job, {segment_result::kind::transient, {}, reason});
}

void client::engine::fail_queued(const std::string& reason) {
  auto jobs = std::move(queue_);
  queue_.clear();
  for (const auto& job : jobs) complete(job, {segment_result::kind::transient, {}, reason});
}

void client::engine::arm_token_timer() {
  if (token_timer_armed_ || stopping_) return;
  token_timer_armed_ = true;
  const auto now = steady_clock::now();
  const auto wait = std::max<steady_clock::duration>(bind_.tokens->wait(now), paused_until_ - now);
  token_timer_.expires_after(std::max(wait, steady_clock::duration::zero()));
  token_timer_.async_wait([this](boost::system::error_code ec) {
    token_timer_armed_ = false;
    if (!ec) pump();
  });
}

}  // namespace mail2sms::smpp
