// One bind's connection lifecycle: connect (and the TLS handshake), bind (transceiver, transmitter
// or receiver), read and write PDUs, answer the SMSC's requests, enquire_link when idle, time
// requests out, unbind, reconnect with backoff.
#include "core/connectors/smpp/client_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/connectors/smpp/addressing.hpp"
#include "core/connectors/smpp/command_status.hpp"

namespace mail2sms::smpp {

using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

namespace {

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

command_id bind_command(bind_role role) {
  switch (role) {
    case bind_role::transmitter:
      return command_id::bind_transmitter;
    case bind_role::receiver:
      return command_id::bind_receiver;
    case bind_role::transceiver:
      break;
  }
  return command_id::bind_transceiver;
}

// The close_notify exchange after unbind is a courtesy: a silent SMSC must not hold up a stop.
constexpr std::chrono::milliseconds tls_goodbye_limit{2'000};

// The body of our answer to a deliver_sm or data_sm.
pdu_body empty_response(command_id response) {
  if (response == command_id::data_sm_resp) return data_sm_resp{};
  return deliver_sm_resp{};
}

}  // namespace

connection::connection(asio::io_context& io) : link(io), write_signal(io) {
  write_signal.expires_at(steady_clock::time_point::max());
}

// --- sessions --------------------------------------------------------------------------------

asio::awaitable<void> client::engine::run_sessions() {
  auto backoff = settings_.reconnect_min;
  while (!stopping_) {
    auto c = std::make_shared<connection>(io_);
    conn_ = c;
    const bool was_bound = co_await run_connection(c);
    close(*c, "connection ended");
    c->link.close();  // also after a TLS goodbye, which leaves the socket to run_connection
    conn_.reset();
    if (stopping_) break;
    if (was_bound) backoff = settings_.reconnect_min;
    const auto delay = next_backoff(backoff);
    spdlog::info("smpp {}: reconnecting in {}", settings_.name, ms(delay));
    backoff_timer_.expires_after(delay);
    error_code ec;
    co_await backoff_timer_.async_wait(redirect_error(use_awaitable, ec));
  }
  fail_queued("the connector is stopping");
  tick_timer_.cancel();
  token_timer_.cancel();
}

// Full jitter in [backoff/2, backoff], then doubles the next one up to reconnect_max.
std::chrono::milliseconds client::engine::next_backoff(std::chrono::milliseconds& backoff) {
  const auto base = std::max<std::int64_t>(1, backoff.count());
  std::uniform_int_distribution<std::int64_t> pick(base / 2, base);
  backoff = std::min(settings_.reconnect_max, backoff * 2);
  return std::chrono::milliseconds(pick(jitter_));
}

asio::awaitable<bool> client::engine::run_connection(std::shared_ptr<connection> c) {
  if (!co_await connect(c)) co_return false;
  if (tls_ && !co_await handshake(c)) co_return false;
  asio::co_spawn(io_, writer(c), rethrow_on_error);
  if (!co_await bind(c)) co_return false;
  while (auto message = co_await next_pdu(*c)) handle(*c, *message);
  // After unbind_resp nothing is being read; a write still in flight would interleave with the
  // close_notify, so then the connection just ends.
  if (c->tls_goodbye && !c->writing) {
    const auto limit = std::min(settings_.response_timeout, tls_goodbye_limit);
    const std::shared_ptr<void> owner = c;  // named: no temporaries in co_await
    co_await c->link.close_gracefully(owner, limit);
  }
  co_return true;
}

asio::awaitable<bool> client::engine::connect(std::shared_ptr<connection> c) {
  error_code ec;
  const auto service = std::to_string(settings_.port);  // named: no temporaries in co_await
  const auto endpoints =
      co_await resolver_.async_resolve(settings_.host, service, redirect_error(use_awaitable, ec));
  if (stopping_) co_return false;
  if (ec) {
    note_problem("cannot resolve " + settings_.host + ": " + ec.message(), false);
    co_return false;
  }
  asio::steady_timer guard(io_);
  guard.expires_after(settings_.response_timeout);
  guard.async_wait([c](error_code e) {
    if (!e) c->link.socket().close(e);
  });
  co_await asio::async_connect(c->link.socket(), endpoints, redirect_error(use_awaitable, ec));
  guard.cancel();
  if (stopping_ || c->closed) co_return false;
  if (ec) {
    note_problem("cannot connect to " + settings_.host + ":" + std::to_string(settings_.port) +
                     ": " + ec.message(),
                 false);
    co_return false;
  }
  c->link.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  c->last_received = steady_clock::now();
  co_return true;
}

// A failed handshake or certificate check is a connection failure: logged, counted, retried
// with the backoff like a refused connect; queued segments keep waiting for a bind.
asio::awaitable<bool> client::engine::handshake(std::shared_ptr<connection> c) {
  c->link.use_tls(*tls_);
  auto& stream = *c->link.tls();
  const auto& name = settings_.tls.server_name.empty() ? settings_.host : settings_.tls.server_name;
  expect_server(stream, name, settings_.tls.verify);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer guard(io_);
  guard.expires_after(settings_.response_timeout);
  guard.async_wait([c, timed_out](error_code e) {
    if (e) return;
    *timed_out = true;
    c->link.socket().close(e);
  });
  error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  redirect_error(use_awaitable, ec));
  guard.cancel();
  if (stopping_ || c->closed) co_return false;
  if (ec) {
    const auto why = *timed_out ? "no answer within " + ms(settings_.response_timeout)
                                : describe_tls_failure(ec, stream);
    note_problem("TLS handshake with " + settings_.host + ":" + std::to_string(settings_.port) +
                     " (as " + name + ") failed: " + why,
                 false);
    co_return false;
  }
  spdlog::info("smpp {}: TLS to {}:{} ({}, {}{})", settings_.name, settings_.host, settings_.port,
               SSL_get_version(stream.native_handle()), SSL_get_cipher_name(stream.native_handle()),
               settings_.tls.verify ? "" : ", certificate not verified: tls_verify = false");
  co_return true;
}

asio::awaitable<bool> client::engine::bind(std::shared_ptr<connection> c) {
  bind_body body;
  body.system_id = settings_.system_id;
  body.password = settings_.password;
  body.system_type = settings_.system_type;
  const auto command = bind_command(bind_.role);
  const auto sequence = send_request(*c, command, std::move(body));
  if (sequence == 0) {
    note_problem(
        "the bind settings do not fit SMPP (system_id <= 15, password <= 8, "
        "system_type <= 12 characters)",
        true);
    co_return false;
  }
  // Shared with the guard's handler, which may already be queued when the bind completes.
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer guard(io_);
  guard.expires_after(settings_.response_timeout);
  guard.async_wait([c, timed_out](error_code e) {
    if (e || c->bound) return;
    *timed_out = true;
    c->link.socket().close(e);
  });
  std::optional<pdu> answer;
  while (auto message = co_await next_pdu(*c)) {
    if (message->sequence == sequence && is_response(message->command)) {
      answer = std::move(message);
      break;
    }
    handle(*c, *message);
  }
  guard.cancel();
  if (stopping_) co_return false;
  if (!answer) {
    note_problem(*timed_out ? "no " + std::string(to_string(command)) + "_resp within " +
                                  ms(settings_.response_timeout)
                            : std::string("the SMSC closed the connection during bind"),
                 true);
    co_return false;
  }
  if (answer->status != status::ok || answer->command != response_to(command)) {
    note_problem(std::string(to_string(command)) + " refused: " + status::describe(answer->status),
                 true);
    co_return false;
  }
  c->bound = true;
  const auto* resp = std::get_if<bind_resp>(&answer->body);
  spdlog::info("smpp {}: bound to {}:{} as {} (SMSC {})", settings_.name, settings_.host,
               settings_.port, settings_.system_id, resp ? resp->system_id : std::string());
  update_stats([](client_stats& s) {
    s.bound = true;
    ++s.binds;
  });
  pump();
  co_return true;
}

void client::engine::note_problem(const std::string& what, bool bind_failure) {
  spdlog::warn("smpp {}: {}", settings_.name, what);
  update_stats([&](client_stats& s) {
    s.last_error = what;
    ++(bind_failure ? s.bind_failures : s.connect_failures);
  });
}

// --- reading and writing ----------------------------------------------------------------------

asio::awaitable<std::optional<pdu>> client::engine::next_pdu(connection& c) {
  std::array<std::uint8_t, 4096> chunk{};
  for (;;) {
    auto parsed = parse(c.inbox);
    const auto consumed = static_cast<std::ptrdiff_t>(parsed.consumed);
    switch (parsed.status) {
      case parse_status::ok:
        c.inbox.erase(c.inbox.begin(), c.inbox.begin() + consumed);
        co_return std::move(parsed.message);
      case parse_status::bad_body:
        c.inbox.erase(c.inbox.begin(), c.inbox.begin() + consumed);
        spdlog::warn("smpp {}: malformed PDU from the SMSC: {}", settings_.name, parsed.error);
        if (!is_response(parsed.message.command)) {
          send_response(c, command_id::generic_nack, parsed.message.sequence, parsed.error_status,
                        std::monostate{});
        }
        continue;
      case parse_status::bad_frame:
        close(c, "unframeable data from the SMSC: " + parsed.error);
        co_return std::nullopt;
      case parse_status::need_more:
        break;
    }
    if (c.closed) co_return std::nullopt;
    error_code ec;
    const auto n =
        co_await c.link.async_read_some(asio::buffer(chunk), redirect_error(use_awaitable, ec));
    if (ec) {
      close(c, ec == asio::error::eof ? std::string("the SMSC closed the connection")
                                      : "read failed: " + ec.message());
      co_return std::nullopt;
    }
    c.inbox.insert(c.inbox.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    c.last_received = steady_clock::now();
  }
}

asio::awaitable<void> client::engine::writer(std::shared_ptr<connection> c) {
  error_code ec;
  while (!c->closed) {
    if (c->outbox.empty()) {
      if (c->closing) {
        close(*c, "the SMSC unbound");
        break;
      }
      c->write_signal.expires_at(steady_clock::time_point::max());
      co_await c->write_signal.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    auto bytes = std::move(c->outbox.front());
    c->outbox.pop_front();
    c->writing = true;
    co_await c->link.async_write(asio::buffer(bytes), redirect_error(use_awaitable, ec));
    c->writing = false;
    if (ec) {
      close(*c, "write failed: " + ec.message());
      break;
    }
  }
}

std::uint32_t client::engine::send_request(connection& c, command_id command, pdu_body body,
                                           std::uint32_t given) {
  const auto sequence =
      given != 0 ? given
                 : own_sequences_.next([&](std::uint32_t n) { return c.requests.contains(n); });
  auto bytes = encode(pdu{command, 0, sequence, std::move(body)});
  if (!bytes) {
    spdlog::error("smpp {}: cannot encode {}: {}", settings_.name, to_string(command),
                  bytes.error());
    return 0;
  }
  c.outbox.push_back(std::move(*bytes));
  c.write_signal.cancel();
  return sequence;
}

void client::engine::send_response(connection& c, command_id command, std::uint32_t sequence,
                                   std::uint32_t status_value, pdu_body body) {
  auto bytes = encode(pdu{command, status_value, sequence, std::move(body)});
  if (!bytes) {
    spdlog::error("smpp {}: cannot encode {}: {}", settings_.name, to_string(command),
                  bytes.error());
    return;
  }
  c.outbox.push_back(std::move(*bytes));
  c.write_signal.cancel();
}

// Fails what awaited a response on this connection; queued segments wait for the next bind.
void client::engine::close(connection& c, const std::string& why) {
  if (c.closed) return;
  c.closed = true;
  if (!c.tls_goodbye) c.link.close();
  c.write_signal.cancel();
  if (c.bound) {
    c.bound = false;
    unbound_since_ = steady_clock::now();
    if (stopping_) {
      spdlog::info("smpp {}: unbound", settings_.name);
    } else {
      spdlog::warn("smpp {}: connection lost: {}", settings_.name, why);
    }
    update_stats([&](client_stats& s) {
      s.bound = false;
      if (!stopping_) s.last_error = why;
    });
  }
  auto requests = std::move(c.requests);
  c.requests.clear();
  c.submits_in_flight = 0;
  for (auto& [sequence, request] : requests) {
    if (request.job) {
      complete(*request.job, {segment_result::kind::transient,
                              {},
                              "the connection was lost before submit_sm_resp (" + why + ")"});
    }
    if (request.answer) request.answer(nullptr, "the connection was lost (" + why + ")");
  }
}

// --- what the SMSC sends ----------------------------------------------------------------------

void client::engine::handle(connection& c, const pdu& message) {
  if (is_response(message.command)) {
    handle_response(c, message);
    return;
  }
  switch (message.command) {
    case command_id::deliver_sm:
      handle_deliver_sm(c, message.sequence, std::get<deliver_sm>(message.body),
                        command_id::deliver_sm_resp);
      break;
    case command_id::data_sm: {
      // Some SMSCs send receipts and replies as data_sm: the same fields, the text in
      // message_payload.
      const auto& d = std::get<data_sm>(message.body);
      deliver_sm as_deliver;
      as_deliver.source_addr_ton = d.source_addr_ton;
      as_deliver.source_addr_npi = d.source_addr_npi;
      as_deliver.source_addr = d.source_addr;
      as_deliver.dest_addr_ton = d.dest_addr_ton;
      as_deliver.dest_addr_npi = d.dest_addr_npi;
      as_deliver.destination_addr = d.destination_addr;
      as_deliver.esm_class = d.esm_class;
      as_deliver.data_coding = d.data_coding;
      as_deliver.tlvs = d.tlvs;
      handle_deliver_sm(c, message.sequence, as_deliver, command_id::data_sm_resp);
      break;
    }
    case command_id::enquire_link:
      send_response(c, command_id::enquire_link_resp, message.sequence, status::ok,
                    std::monostate{});
      break;
    case command_id::unbind:
      send_response(c, command_id::unbind_resp, message.sequence, status::ok, std::monostate{});
      spdlog::info("smpp {}: the SMSC unbound", settings_.name);
      c.closing = true;
      break;
    default:
      send_response(c, command_id::generic_nack, message.sequence, status::invalid_command_id,
                    std::monostate{});
      break;
  }
}

// The deliver_sm_resp waits for `ack`: a receipt is acknowledged only once it is stored.
client_settings::ack_fn client::engine::ack_for(std::uint32_t sequence, command_id response) {
  std::weak_ptr<connection> weak = conn_;
  return [this, weak, sequence, response](bool stored) {
    asio::post(io_, [this, weak, sequence, response, stored] {
      const auto c = weak.lock();
      if (!c || c->closed) return;  // the SMSC sends it again on the next bind
      send_response(*c, response, sequence, stored ? status::ok : status::temporary_app_error,
                    empty_response(response));
    });
  };
}

void client::engine::handle_deliver_sm(connection& c, std::uint32_t sequence,
                                       const deliver_sm& body, command_id response) {
  spdlog::debug("smpp {}: deliver_sm from {} to {}, esm_class 0x{:02x}", settings_.name,
                mask_number(body.source_addr), mask_number(body.destination_addr),
                body.esm_class);
  if (settings_.on_deliver_sm) settings_.on_deliver_sm(body);
  std::string bad;
  const auto receipt =
      receipt_of(body, settings_.submit_id_format, settings_.receipt_id_format, &bad);
  if (receipt && settings_.on_receipt) {
    settings_.on_receipt(
        {bind_.connector, receipt->message_id, receipt->state, receipt->error_code},
        ack_for(sequence, response));
    return;
  }
  if (!receipt && bad.empty() && settings_.on_reply) {
    settings_.on_reply(reply_of(bind_.connector, body, settings_.default_source),
                       ack_for(sequence, response));
    return;
  }
  if (!bad.empty()) spdlog::warn("smpp {}: ignoring {} from the SMSC", settings_.name, bad);
  send_response(c, response, sequence, status::ok, empty_response(response));
}

void client::engine::handle_response(connection& c, const pdu& message) {
  const auto it = c.requests.find(message.sequence);
  if (it == c.requests.end()) {
    spdlog::debug("smpp {}: {} for no outstanding request (sequence {})", settings_.name,
                  to_string(message.command), message.sequence);
    return;
  }
  auto request = std::move(it->second);
  c.requests.erase(it);
  switch (request.command) {
    case command_id::submit_sm: {
      --c.submits_in_flight;
      segment_result result;
      if (message.status == status::ok && message.command == command_id::submit_sm_resp) {
        result.what = segment_result::kind::ok;
        result.message_id = normalise_message_id(std::get<submit_sm_resp>(message.body).message_id,
                                                 settings_.submit_id_format);
      } else if (throttled(*request.job, message.status)) {
        pump();
        break;
      } else {
        result.what = status::is_transient(message.status) ? segment_result::kind::transient
                                                           : segment_result::kind::permanent;
        result.reason = "the SMSC answered " + std::string(to_string(message.command)) + " " +
                        status::describe(message.status);
      }
      complete(*request.job, result);
      pump();
      break;
    }
    case command_id::enquire_link:
      c.enquire_link_outstanding = false;
      break;
    case command_id::query_sm:
      request.answer(&message, {});
      break;
    case command_id::unbind:
      c.tls_goodbye = c.link.tls() != nullptr;
      close(c, "unbound");
      break;
    default:
      break;
  }
}

// --- timers -----------------------------------------------------------------------------------

asio::awaitable<void> client::engine::housekeeping() {
  error_code ec;
  while (!(stopping_ && !conn_)) {
    tick_timer_.expires_after(tick_);
    co_await tick_timer_.async_wait(redirect_error(use_awaitable, ec));
    const auto now = steady_clock::now();
    expire_queued(now);
    if (conn_ && !conn_->closed) check_connection(*conn_, now);
  }
}

void client::engine::check_connection(connection& c, steady_clock::time_point now) {
  std::vector<std::uint32_t> expired;
  for (const auto& [sequence, request] : c.requests) {
    if (request.deadline <= now) expired.push_back(sequence);
  }
  for (const auto sequence : expired) {
    const auto it = c.requests.find(sequence);
    if (it == c.requests.end()) continue;  // a close() above already failed it
    auto request = std::move(it->second);
    c.requests.erase(it);
    if (request.command == command_id::submit_sm) {
      --c.submits_in_flight;
      complete(*request.job, {segment_result::kind::transient,
                              {},
                              "no submit_sm_resp within " + ms(settings_.response_timeout)});
    } else if (request.command == command_id::query_sm) {
      request.answer(nullptr, "no query_sm_resp within " + ms(settings_.response_timeout));
    } else {
      close(c, "no " + std::string(to_string(request.command)) + "_resp within " +
                   ms(settings_.response_timeout));
      return;
    }
  }
  if (c.bound && !c.unbinding && !c.enquire_link_outstanding &&
      now - c.last_received >= settings_.enquire_link_interval) {
    const auto sequence = send_request(c, command_id::enquire_link, std::monostate{});
    c.requests[sequence] = {command_id::enquire_link, std::nullopt,
                            now + settings_.response_timeout, nullptr};
    c.enquire_link_outstanding = true;
  }
  pump();
}

// --- stopping ---------------------------------------------------------------------------------

void client::engine::begin_stop() {
  if (stopping_) return;
  stopping_ = true;
  backoff_timer_.cancel();
  token_timer_.cancel();
  resolver_.cancel();
  fail_queued("the connector is stopping");
  if (!conn_ || conn_->closed) return;
  if (conn_->bound && !conn_->unbinding && !conn_->closing) {
    conn_->unbinding = true;
    const auto sequence = send_request(*conn_, command_id::unbind, std::monostate{});
    conn_->requests[sequence] = {command_id::unbind, std::nullopt,
                                 steady_clock::now() + settings_.response_timeout, nullptr};
  } else if (!conn_->bound) {
    close(*conn_, "stopping");
  }
}

}  // namespace mail2sms::smpp
