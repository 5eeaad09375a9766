// The SMSC simulator: an acceptor (plain TCP or implicit TLS), one coroutine per ESME connection
// (all on one strand, kept in a registry so stop() can close them), and the SMSC side of bind,
// submit_sm, receipts and query_sm.
#include "core/connectors/smpp/simulator.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/connectors/smpp/addressing.hpp"
#include "core/connectors/smpp/command_status.hpp"
#include "core/connectors/smpp/reassembly.hpp"
#include "core/connectors/smpp/transport.hpp"
#include "core/sms/sms.hpp"

namespace mail2sms::smpp {

namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using strand_type = asio::strand<asio::io_context::executor_type>;

namespace {

constexpr std::string_view smsc_system_id = "mail2sms-sim";

enum class bind_mode { none, transmitter, receiver, transceiver };

struct esme_session {
  esme_session(tcp::socket s, const strand_type& strand) : link(std::move(s)), idle(strand) {}
  transport link;  // TCP, or TLS over it
  asio::steady_timer idle;
  std::vector<std::uint8_t> inbox;
  bind_mode mode = bind_mode::none;
  std::uint64_t id = 0;  // the connection's number, in events
  std::string system_id;
  std::uint32_t last_sequence = 0;
  std::uint64_t submits = 0;  // submit_sm seen on this connection
  std::deque<std::vector<std::uint8_t>> outbox;
  bool writing = false;
  bool closing = false;
  // deliver_sm sent on this bind and not acknowledged yet, by sequence number: held again for the
  // next bind when the connection ends without their deliver_sm_resp, as an SMSC keeps a receipt
  // until the ESME has acknowledged it.
  std::map<std::uint32_t, deliver_sm> unacknowledged;
};

std::string smpp_date_now() {  // YYMMDDhhmm, UTC
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char out[16];
  std::strftime(out, sizeof out, "%y%m%d%H%M", &tm);
  return out;
}

bool receives(bind_mode mode) {
  return mode == bind_mode::receiver || mode == bind_mode::transceiver;
}

// Receipts held for a system_id while it has no receiving bind; the oldest go beyond this.
constexpr std::size_t max_held_receipts = 100'000;

// query_sm_resp's final_date: YYMMDDhhmmss, tenths, quarter hours from UTC, '+' (16 characters).
std::string smpp_absolute_time(std::chrono::system_clock::time_point t) {
  const std::time_t when = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&when, &tm);
  char out[24];
  std::strftime(out, sizeof out, "%y%m%d%H%M%S000+", &tm);
  return out;
}

// The message_state a receipt's stat: names (the simulator's --receipt-state).
message_state state_of(std::string_view stat) {
  if (stat == "DELIVRD") return message_state::delivered;
  if (stat == "EXPIRED") return message_state::expired;
  if (stat == "DELETED") return message_state::deleted;
  if (stat == "ACCEPTD") return message_state::accepted;
  if (stat == "UNKNOWN") return message_state::unknown;
  if (stat == "REJECTD") return message_state::rejected;
  if (stat == "ENROUTE") return message_state::enroute;
  return message_state::undeliverable;
}

// What query_sm reports for a message the simulator took: en route until its receipt is due
// (receipt_delay after the submit; whether or not receipts are sent), then the receipt's state.
struct taken_message {
  std::chrono::system_clock::time_point final_at;
};
constexpr std::size_t taken_messages_kept = 1'000'000;  // then the oldest are forgotten

std::optional<bind_mode> bind_mode_of(command_id c) {
  switch (c) {
    case command_id::bind_transmitter:
      return bind_mode::transmitter;
    case command_id::bind_receiver:
      return bind_mode::receiver;
    case command_id::bind_transceiver:
      return bind_mode::transceiver;
    default:
      return std::nullopt;
  }
}

tcp::endpoint resolve_listen(asio::io_context& io, const simulator_settings& s) {
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(s.host, std::to_string(s.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service);
  return results.begin()->endpoint();  // resolve() throws rather than return nothing
}

}  // namespace

class simulator::impl : public std::enable_shared_from_this<impl> {
 public:
  impl(asio::io_context* own, asio::io_context& io, simulator_settings settings)
      : own_io_(own),
        io_(io),
        strand_(io.get_executor()),
        settings_(std::move(settings)),
        tls_(settings_.tls_cert.empty()
                 ? nullptr
                 : server_tls_context(settings_.tls_cert, settings_.tls_key)),
        acceptor_(io) {
    const auto endpoint = resolve_listen(io_, settings_);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
  }

  void start() {
    auto self = shared_from_this();
    asio::co_spawn(strand_, accept_loop(), rethrow);
    if (settings_.stop_on_signals) {
      signals_.emplace(strand_, SIGINT, SIGTERM);
      signals_->async_wait([self](error_code ec, int) {
        if (!ec) self->close_all();
      });
    }
  }

  void stop() {
    asio::post(strand_, [self = shared_from_this()] { self->close_all(); });
  }

  std::unique_ptr<asio::io_context> own_io_;
  asio::io_context& io_;
  std::uint16_t port_ = 0;

 private:
  static void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  }

  void close_all() {
    if (stopped_) return;
    stopped_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    if (signals_) signals_->cancel(ignored);
    for (const auto& s : sessions_) {
      s->link.close();
      s->idle.cancel();
    }
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    emit({{"event", "listening"},
          {"host", settings_.host},
          {"port", port_},
          {"tls", tls_ != nullptr}});
    while (!stopped_) {
      error_code ec;
      auto socket = co_await acceptor_.async_accept(redirect_error(use_awaitable, ec));
      if (stopped_) break;
      if (ec) {
        spdlog::warn("smsc-sim: accept failed: {}", ec.message());
        asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
        co_await pause.async_wait(redirect_error(use_awaitable, ec));
        continue;
      }
      // A response and a receipt are two writes: without NODELAY the second waits for the
      // ESME's delayed ACK (~40 ms a message).
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
      auto session = std::make_shared<esme_session>(std::move(socket), strand_);
      session->id = ++connections_;
      if (tls_) session->link.use_tls(*tls_);
      sessions_.insert(session);
      asio::co_spawn(strand_, serve(session), rethrow);
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<esme_session> s) {
    auto self = shared_from_this();
    error_code ec;
    const auto peer = s->link.socket().remote_endpoint(ec);
    spdlog::debug("smsc-sim: connection from {}", peer.address().to_string());
    bool ready = true;
    if (s->link.tls()) ready = co_await handshake(s);
    if (ready) co_await serve_pdus(s);
    // Let the writer finish what is queued (an unbind_resp), for at most a second.
    for (int i = 0; i < 100 && s->writing && s->link.socket().is_open(); ++i) {
      asio::steady_timer pause(strand_, std::chrono::milliseconds(10));
      co_await pause.async_wait(redirect_error(use_awaitable, ec));
    }
    if (s->link.tls() && s->closing && !s->writing && s->link.socket().is_open() && !stopped_) {
      const std::shared_ptr<void> owner = s;  // named: no temporaries in co_await
      const bool answered = co_await s->link.close_gracefully(owner, std::chrono::seconds(1));
      emit({{"event", "tls_closed"}, {"system_id", s->system_id}, {"close_notify", answered}});
    }
    s->link.close();
    s->idle.cancel();
    sessions_.erase(s);
    // Another bind of the system_id may have come meanwhile (the ESME reconnecting).
    for (auto& [sequence, receipt] : s->unacknowledged) {
      if (const auto to = receiving_session(s->system_id)) {
        send_receipt(to, std::move(receipt));
      } else {
        hold(s->system_id, std::move(receipt));
      }
    }
    s->unacknowledged.clear();
  }

  // Implicit TLS: the handshake comes first, within the inactivity timeout.
  asio::awaitable<bool> handshake(std::shared_ptr<esme_session> s) {
    auto& stream = *s->link.tls();
    s->idle.expires_after(settings_.inactivity_timeout);
    s->idle.async_wait([s](error_code e) {
      if (!e) s->link.socket().close(e);
    });
    error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    redirect_error(use_awaitable, ec));
    s->idle.cancel();
    if (ec) {
      emit({{"event", "tls_failed"}, {"reason", describe_tls_failure(ec, stream)}});
      co_return false;
    }
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    emit({{"event", "tls"},
          {"protocol", SSL_get_version(stream.native_handle())},
          {"server_name", sni == nullptr ? "" : sni}});
    co_return true;
  }

  asio::awaitable<void> serve_pdus(std::shared_ptr<esme_session> s) {
    std::array<std::uint8_t, 4096> chunk{};
    while (!s->closing && !stopped_) {
      auto parsed = parse(s->inbox);
      const auto consumed = static_cast<std::ptrdiff_t>(parsed.consumed);
      if (parsed.status == parse_status::bad_frame) {
        spdlog::warn("smsc-sim: closing a connection: {}", parsed.error);
        co_return;
      }
      if (parsed.status == parse_status::bad_body) {
        s->inbox.erase(s->inbox.begin(), s->inbox.begin() + consumed);
        spdlog::warn("smsc-sim: malformed PDU: {}", parsed.error);
        if (!is_response(parsed.message.command)) {
          send(s, pdu{command_id::generic_nack, parsed.error_status, parsed.message.sequence,
                      std::monostate{}});
        }
        continue;
      }
      if (parsed.status == parse_status::ok) {
        s->inbox.erase(s->inbox.begin(), s->inbox.begin() + consumed);
        handle(s, parsed.message);
        continue;
      }
      s->idle.expires_after(settings_.inactivity_timeout);
      s->idle.async_wait([s](error_code e) {
        if (!e) s->link.socket().close(e);
      });
      error_code ec;
      const auto n =
          co_await s->link.async_read_some(asio::buffer(chunk), redirect_error(use_awaitable, ec));
      s->idle.cancel();
      if (ec) co_return;
      s->inbox.insert(s->inbox.end(), chunk.begin(),
                      chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  // Queues a PDU for the session's writer (after `delay`): responses, delayed responses and
  // receipts never interleave on the socket.
  void send(const std::shared_ptr<esme_session>& s, const pdu& message,
            std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    auto bytes = encode(message);
    if (!bytes) {
      spdlog::error("smsc-sim: cannot encode {}: {}", to_string(message.command), bytes.error());
      return;
    }
    if (delay.count() > 0) {
      auto timer = std::make_shared<asio::steady_timer>(strand_, delay);
      timer->async_wait([this, self = shared_from_this(), s, timer,
                         b = std::move(*bytes)](error_code ec) mutable {
        if (!ec) push(s, std::move(b));
      });
      return;
    }
    push(s, std::move(*bytes));
  }

  void push(const std::shared_ptr<esme_session>& s, std::vector<std::uint8_t> bytes) {
    if (s->closing || !s->link.socket().is_open()) return;
    s->outbox.push_back(std::move(bytes));
    if (s->writing) return;
    s->writing = true;
    asio::co_spawn(strand_, write_loop(s), rethrow);
  }

  asio::awaitable<void> write_loop(std::shared_ptr<esme_session> s) {
    auto self = shared_from_this();
    while (!s->outbox.empty()) {
      auto bytes = std::move(s->outbox.front());
      s->outbox.pop_front();
      error_code ec;
      co_await s->link.async_write(asio::buffer(bytes), redirect_error(use_awaitable, ec));
      if (ec) {
        s->outbox.clear();
        break;
      }
    }
    s->writing = false;
  }

  void handle(const std::shared_ptr<esme_session>& s, const pdu& p) {
    if (const auto mode = bind_mode_of(p.command)) {
      handle_bind(s, p, *mode);
      return;
    }
    if (p.command == command_id::submit_sm) {
      handle_submit(s, p);
      return;
    }
    if (p.command == command_id::deliver_sm_resp) {
      // Answered, whatever the status: the simulator does not send again after ESME_RX_T_APPN.
      s->unacknowledged.erase(p.sequence);
      return;
    }
    if (is_response(p.command)) return;  // nothing to answer
    if (p.command == command_id::query_sm) {
      handle_query(s, p);
      return;
    }
    pdu answer{command_id::generic_nack, status::invalid_command_id, p.sequence, {}};
    if (p.command == command_id::enquire_link) {
      answer.command = command_id::enquire_link_resp;
      answer.status = status::ok;
    } else if (p.command == command_id::unbind) {
      emit({{"event", "unbind"}, {"system_id", s->system_id}, {"session", s->id}});
      answer.command = command_id::unbind_resp;
      answer.status = status::ok;
      send(s, answer);
      s->closing = true;
      return;
    }
    send(s, answer);
  }

  void handle_bind(const std::shared_ptr<esme_session>& sp, const pdu& p, bind_mode mode) {
    auto& s = *sp;
    const auto& body = std::get<bind_body>(p.body);
    std::uint32_t result = status::ok;
    if (s.mode != bind_mode::none) {
      result = status::already_bound;
    } else if (body.system_id != settings_.system_id || body.password != settings_.password) {
      result = status::bind_failed;
    }
    emit({{"event", "bind"},
          {"system_id", body.system_id},
          {"session", s.id},
          {"command", std::string(to_string(p.command))},
          {"status", std::string(status::name(result))}});
    if (result != status::ok) {
      send(sp, pdu{response_to(p.command), result, p.sequence, {}});
      return;
    }
    s.mode = mode;
    s.system_id = body.system_id;
    bind_resp resp{std::string(smsc_system_id), {}};
    set_tlv(resp.tlvs, tag::sc_interface_version, {interface_version_34});
    send(sp, pdu{response_to(p.command), status::ok, p.sequence, std::move(resp)});
    if (receives(mode)) release_held(sp);
  }

  // The state of a message this simulator took (section 4.8.2); ESME_RQUERYFAIL for an id it
  // never gave (or has forgotten).
  void handle_query(const std::shared_ptr<esme_session>& s, const pdu& p) {
    const auto& q = std::get<query_sm>(p.body);
    const auto it = taken_.find(q.message_id);
    if (it == taken_.end()) {
      emit({{"event", "query_sm"}, {"message_id", q.message_id}, {"status", "ESME_RQUERYFAIL"}});
      send(s, pdu{command_id::query_sm_resp, status::query_failed, p.sequence, {}});
      return;
    }
    query_sm_resp resp{q.message_id, "", static_cast<std::uint8_t>(message_state::enroute), 0};
    if (std::chrono::system_clock::now() >= it->second.final_at) {
      const auto state = state_of(settings_.receipt_state);
      resp.message_state = static_cast<std::uint8_t>(state);
      resp.final_date = smpp_absolute_time(it->second.final_at);
      if (state != message_state::delivered) resp.error_code = 1;  // the receipts' err:001
    }
    emit({{"event", "query_sm"},
          {"message_id", q.message_id},
          {"source", q.source_addr},
          {"status", "ESME_ROK"},
          {"message_state", resp.message_state},
          {"sequence", p.sequence}});
    send(s, pdu{command_id::query_sm_resp, status::ok, p.sequence, std::move(resp)});
  }

  void remember(const std::string& id) {
    taken_.emplace(id, taken_message{std::chrono::system_clock::now() + settings_.response_delay +
                                     settings_.receipt_delay});
    taken_order_.push_back(id);
    if (taken_order_.size() > taken_messages_kept) {
      taken_.erase(taken_order_.front());
      taken_order_.pop_front();
    }
  }

  // The failure modes' answer to this submit_sm, ESME_ROK when none applies.
  std::uint32_t failure_mode_status(std::uint64_t n) const {
    if (settings_.throttle_every > 0 && n % settings_.throttle_every == 0) return status::throttled;
    if (settings_.queue_full_every > 0 && n % settings_.queue_full_every == 0)
      return status::queue_full;
    return status::ok;
  }

  void handle_submit(const std::shared_ptr<esme_session>& sp, const pdu& p) {
    auto& s = *sp;
    const auto& sm = std::get<submit_sm>(p.body);
    const auto n = ++submits_;
    if (settings_.drop_after > 0 && n % settings_.drop_after == 0) {
      emit({{"event", "dropped_connection"},
            {"system_id", s.system_id},
            {"session", s.id},
            {"submits", n}});
      s.link.close();
      s.closing = true;
      return;
    }
    std::uint32_t result = status::ok;
    if (s.mode != bind_mode::transmitter && s.mode != bind_mode::transceiver) {
      result = status::invalid_bind_status;
    } else if (settings_.submit_status) {
      result = settings_.submit_status(sm);
    } else if (sm.destination_addr.empty()) {
      result = status::invalid_destination;
    } else {
      result = failure_mode_status(n);
    }
    if (result != status::ok) {
      emit({{"event", "submit_sm_refused"},
            {"system_id", s.system_id},
            {"destination", mask_number(sm.destination_addr)},
            {"status", status::describe(result)}});
      send(sp, pdu{command_id::submit_sm_resp, result, p.sequence, {}}, settings_.response_delay);
      return;
    }
    const auto id = next_message_id();
    const auto submitted_at = smpp_date_now();
    remember(id);
    report_submit(s, sm, id, p.sequence);
    if (settings_.never_respond) return;
    send(sp, pdu{command_id::submit_sm_resp, status::ok, p.sequence, submit_sm_resp{id}},
         settings_.response_delay);
    if (settings_.delivery_receipts && (sm.registered_delivery & 0x03) == 1 && !s.closing) {
      deliver_receipt(sp, receipt_for(sm, id, submitted_at, settings_.receipt_state),
                      settings_.response_delay + settings_.receipt_delay);
    }
  }

  // A receipt goes to a bind of the submitter's system_id that may receive: the submitting bind
  // when it is a transceiver, else a receiver (SMPP 3.4: never to a transmitter). With none bound
  // it is held until one binds, as an SMSC queues receipts.
  void deliver_receipt(const std::shared_ptr<esme_session>& from, deliver_sm receipt,
                       std::chrono::milliseconds delay) {
    auto deliver = [this, from, receipt = std::move(receipt)]() mutable {
      auto to = receiving_session(from->system_id, from);
      if (!to) {
        hold(from->system_id, std::move(receipt));
        return;
      }
      if (to != from) {
        emit({{"event", "receipt_routed"},
              {"message_id", receipted_message_id(receipt.tlvs).value_or("")},
              {"submitted_on", from->id},
              {"session", to->id}});
      }
      send_receipt(to, std::move(receipt));
    };
    if (delay.count() == 0) {
      deliver();
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(strand_, delay);
    timer->async_wait([self = shared_from_this(), timer, deliver](error_code ec) mutable {
      if (!ec) deliver();
    });
  }

  // `preferred` when it is open and receives, else the first open receiving bind of system_id.
  std::shared_ptr<esme_session> receiving_session(
      const std::string& system_id, const std::shared_ptr<esme_session>& preferred = nullptr) {
    const auto usable = [&system_id](const std::shared_ptr<esme_session>& s) {
      return s && receives(s->mode) && s->system_id == system_id && !s->closing &&
             s->link.socket().is_open();
    };
    if (usable(preferred)) return preferred;
    for (const auto& s : sessions_) {
      if (usable(s)) return s;
    }
    return nullptr;
  }

  void hold(const std::string& system_id, deliver_sm receipt) {
    auto& held = held_[system_id];
    if (held.size() >= max_held_receipts) held.pop_front();
    held.push_back(std::move(receipt));
    emit({{"event", "receipt_held"}, {"system_id", system_id}, {"held", held.size()}});
  }

  void release_held(const std::shared_ptr<esme_session>& to) {
    const auto it = held_.find(to->system_id);
    if (it == held_.end()) return;
    auto held = std::move(it->second);
    held_.erase(it);
    for (auto& receipt : held) send_receipt(to, std::move(receipt));
  }

  // A receipt on `to`, remembered until its deliver_sm_resp comes.
  void send_receipt(const std::shared_ptr<esme_session>& to, deliver_sm receipt) {
    const auto sequence = ++to->last_sequence;
    to->unacknowledged.insert_or_assign(sequence, receipt);
    send(to, pdu{command_id::deliver_sm, status::ok, sequence, std::move(receipt)});
  }

  void report_submit(const esme_session& s, const submit_sm& sm, const std::string& id,
                     std::uint32_t sequence) {
    const auto user_data = split_user_data(sm);
    auto text = decode_text(sm.data_coding, user_data.udh, user_data.payload);
    emit({{"event", "submit_sm"},
          {"system_id", s.system_id},
          {"session", s.id},
          {"source", sm.source_addr},
          {"destination", sm.destination_addr},
          {"data_coding", sm.data_coding},
          {"esm_class", sm.esm_class},
          {"udh", sms::to_hex(user_data.udh)},
          {"text", text},
          {"message_id", id},
          {"sequence", sequence}});
    auto whole = reassembler_.add({sm.source_addr, sm.destination_addr, sm.data_coding,
                                   concatenation_of(user_data.udh, sm.tlvs), std::move(text), id});
    if (!whole) return;
    emit({{"event", "message"},
          {"source", whole->source},
          {"destination", whole->destination},
          {"text", whole->text},
          {"parts", whole->message_ids.size()},
          {"data_coding", whole->data_coding},
          {"message_ids", whole->message_ids}});
  }

  static deliver_sm receipt_for(const submit_sm& sm, const std::string& id,
                                const std::string& submitted_at, const std::string& state) {
    deliver_sm d;
    d.source_addr_ton = sm.dest_addr_ton;
    d.source_addr_npi = sm.dest_addr_npi;
    d.source_addr = sm.destination_addr;
    d.dest_addr_ton = sm.source_addr_ton;
    d.dest_addr_npi = sm.source_addr_npi;
    d.destination_addr = sm.source_addr;
    d.esm_class = esm_class_delivery_receipt;
    d.data_coding = data_coding_gsm7;
    auto text = delivery_receipt_text(id, submitted_at, smpp_date_now());
    if (state != "DELIVRD") {
      text.replace(text.find("stat:DELIVRD"), 12, "stat:" + state);
      text.replace(text.find("err:000"), 7, "err:001");
    } else {
      set_message_state(d.tlvs, message_state::delivered);
    }
    d.short_message.assign(text.begin(), text.end());
    set_receipted_message_id(d.tlvs, id);
    return d;
  }

 public:
  void inject_reply(std::string source, std::string destination, std::string text) {
    asio::post(strand_, [this, self = shared_from_this(), source = std::move(source),
                         destination = std::move(destination), text = std::move(text)] {
      const auto encoded = sms::encode(text, {.reference = static_cast<std::uint16_t>(++last_reply_ref_)});
      // One receiving bind gets it (the simulator serves one system_id); none bound: dropped.
      int sessions = 0;
      if (const auto s = receiving_session(settings_.system_id)) {
        ++sessions;
        for (const auto& segment : encoded.segments) {
          deliver_sm d;
          d.source_addr_ton = ton_international;
          d.source_addr_npi = npi_isdn;
          d.source_addr = source.starts_with('+') ? source.substr(1) : source;
          d.destination_addr = destination;
          d.esm_class = segment.udh.empty() ? 0 : esm_class_udhi;
          d.data_coding =
              encoded.coding == sms::encoding::ucs2 ? data_coding_ucs2 : data_coding_gsm7;
          d.short_message = segment.udh;
          d.short_message.insert(d.short_message.end(), segment.payload.begin(),
                                 segment.payload.end());
          send(s, pdu{command_id::deliver_sm, status::ok, ++s->last_sequence, std::move(d)});
        }
      }
      emit({{"event", "reply_injected"}, {"source", mask_number(source)}, {"sessions", sessions}});
    });
  }

 private:

  // Hex ids that start from the clock, so a restarted simulator does not reuse its ids.
  std::string next_message_id() {
    if (last_id_ == 0) last_id_ = static_cast<std::uint64_t>(std::time(nullptr)) << 20;
    char out[24];
    std::snprintf(out, sizeof out, "%08llx", static_cast<unsigned long long>(++last_id_));
    return out;
  }

  void emit(const nlohmann::json& line) {
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (settings_.output) {
      settings_.output(text);
    } else {
      std::cout << text << std::endl;  // flushed: another process may be reading line by line
    }
  }

  strand_type strand_;
  simulator_settings settings_;
  std::unique_ptr<asio::ssl::context> tls_;  // null: plain TCP
  tcp::acceptor acceptor_;
  std::optional<asio::signal_set> signals_;
  std::set<std::shared_ptr<esme_session>> sessions_;
  std::map<std::string, std::deque<deliver_sm>> held_;  // receipts by system_id, see hold()
  std::uint64_t connections_ = 0;
  reassembler reassembler_;
  std::uint64_t last_id_ = 0;
  std::unordered_map<std::string, taken_message> taken_;  // by message id, for query_sm
  std::deque<std::string> taken_order_;                   // oldest first
  std::uint64_t submits_ = 0;
  unsigned last_reply_ref_ = 0;
  bool stopped_ = false;
};

// --- simulator --------------------------------------------------------------------------------

simulator::simulator(simulator_settings settings) {
  auto io = std::make_unique<asio::io_context>();
  auto& ref = *io;
  impl_ = std::make_shared<impl>(io.release(), ref, std::move(settings));
  impl_->start();
}

simulator::simulator(asio::io_context& io, simulator_settings settings)
    : impl_(std::make_shared<impl>(nullptr, io, std::move(settings))) {
  impl_->start();
}

simulator::~simulator() {
  stop();
  if (impl_->own_io_) {
    // Let the coroutines see the stop and end, so they release the impl they hold.
    impl_->own_io_->restart();
    impl_->own_io_->run();
  }
}

std::uint16_t simulator::port() const { return impl_->port_; }

void simulator::run() {
  if (impl_->own_io_) impl_->own_io_->run();
}

void simulator::stop() { impl_->stop(); }

void simulator::inject_reply(std::string source, std::string destination, std::string text) {
  impl_->inject_reply(std::move(source), std::move(destination), std::move(text));
}

result<simulator_settings, std::string> simulator_settings_from(std::string_view listen,
                                                                std::string system_id,
                                                                std::string password) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == listen.size()) {
    return fail("--listen must be HOST:PORT, for example 127.0.0.1:2775");
  }
  std::string host(listen.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto port_text = listen.substr(colon + 1);
  unsigned port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) return fail("--listen has an invalid port");
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return fail("--listen has an invalid port");
  if (system_id.empty() || system_id.size() > 15) {
    return fail("--system-id must be 1 to 15 characters");
  }
  if (password.size() > 8) return fail("--password must be at most 8 characters");
  simulator_settings s;
  s.host = std::move(host);
  s.port = static_cast<std::uint16_t>(port);
  s.system_id = std::move(system_id);
  s.password = std::move(password);
  return s;
}

}  // namespace mail2sms::smpp
