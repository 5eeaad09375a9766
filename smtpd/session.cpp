// The Asio shell around smtpd::protocol. It never interprets SMTP itself: it reads, hands bytes
// to the protocol, and performs what the protocol asks, in order.
#include "smtpd/session.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <optional>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/phone/phone.hpp"
#include "core/policy/password.hpp"
#include "smtpd/client_key.hpp"
#include "smtpd/reply.hpp"
#include "smtpd/trace.hpp"

namespace mail2sms::smtpd {
namespace {

using asio::use_awaitable;

// Runs a copy of fn on `pool` and waits for it at most `limit`: its result, or nothing when the
// time is up (or fn threw). The copy lives as long as the job, which may end after the caller (a
// database that hangs keeps the pool thread); so fn must own what it uses, or refer to what
// outlives the pool's threads (the server's services). fn is taken by reference: a non-trivial
// temporary in a co_await expression is destroyed twice by GCC 12, and the caller's named fn is not
// one.
template <class F>
asio::awaitable<std::optional<std::invoke_result_t<F>>> on_pool_within(
    asio::thread_pool& pool, const F& fn, std::chrono::steady_clock::duration limit) {
  using R = std::invoke_result_t<F>;
  struct job_state {
    job_state(const F& f, const asio::any_io_executor& executor) : fn(f), done(executor) {}
    F fn;
    asio::steady_timer done;  // waited on by the caller, cancelled when the job ends
    std::mutex mutex;
    std::optional<R> result;
  };
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto state = std::make_shared<job_state>(fn, executor);
  state->done.expires_after(limit);
  asio::post(pool, [state] {
    // An exception would end the pool's thread: the caller hears nothing, as of a timeout.
    try {
      R r = state->fn();
      const std::lock_guard lock(state->mutex);
      state->result.emplace(std::move(r));
    } catch (const std::exception& e) {
      spdlog::error("a database job failed: {}", e.what());
    }
    // On the timer's own executor: the caller may be waiting on it there right now.
    asio::post(state->done.get_executor(), [state] { state->done.cancel(); });
  });
  boost::system::error_code ignored;
  co_await state->done.async_wait(asio::redirect_error(use_awaitable, ignored));
  const std::lock_guard lock(state->mutex);
  std::optional<R> out = std::move(state->result);
  state->result.reset();
  co_return out;
}

// Why a job on_pool_within gave up on is not waited for: for the log.
std::string no_answer_within(std::chrono::steady_clock::duration limit) {
  return "the database did not answer within " +
         std::to_string(std::chrono::ceil<std::chrono::seconds>(limit).count()) + " s";
}

// An account lookup (by client network or certificate) on the blocking pool: the account, or
// nothing, or why the store could not say, and whether asking again later may help (the
// database unreachable) or not (a value it refuses, such as an IPv6 address with a zone).
struct account_lookup {
  std::shared_ptr<const core::account> account;  // null: none
  std::string error;
  bool temporary = false;
};
// From the server's account cache when it knows key's account (no trip to the pool); else from
// the store, and an account found is remembered.
// lookup must own what it uses (on_pool_within). A database that does not answer within `limit`
// is a temporary failure, as one that cannot be reached is.
template <class F>
asio::awaitable<account_lookup> look_up_account(account_cache& cache, asio::thread_pool& pool,
                                                std::string key, const F& lookup,
                                                std::chrono::steady_clock::duration limit) {
  if (auto known = cache.find(key)) co_return account_lookup{std::move(known), {}, false};
  const auto asked = cache.generation();
  const auto job = [lookup] {
    auto r = lookup();
    account_lookup found;
    if (r) {
      if (*r) found.account = std::make_shared<const core::account>(std::move(**r));
    } else {
      found.error = r.error().message;
      found.temporary = r.error().kind != core::failure_kind::permanent;
    }
    return found;
  };
  auto out = co_await on_pool_within(pool, job, limit);
  if (!out) {
    account_lookup timed_out;
    timed_out.error = no_answer_within(limit);
    timed_out.temporary = true;
    co_return timed_out;
  }
  cache.remember(key, out->account, asked);
  co_return std::move(*out);
}

// Mails up to this size are converted on the I/O thread (tens of microseconds); larger ones on
// the conversion pool, so one big mail cannot stall every other session. So are mails with an
// HTML part, whatever their size: a few kilobytes of HTML can cost the parser a tenth of a
// second before its memory limit stops it (core/mail/html_text.cpp).
constexpr std::size_t inline_conversion_limit = 64 * 1024;

// Whether the mail names the type text/html anywhere (any case): a look at each '/'.
bool mentions_html(std::string_view mail) {
  auto lower_is = [](std::string_view text, std::string_view lower) {
    return std::equal(text.begin(), text.end(), lower.begin(), lower.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
  };
  for (auto slash = mail.find('/'); slash != std::string_view::npos;
       slash = mail.find('/', slash + 1)) {
    if (slash >= 4 && lower_is(mail.substr(slash - 4, 4), "text") &&
        lower_is(mail.substr(slash + 1, 4), "html"))
      return true;
  }
  return false;
}

std::string masked_recipients(const envelope& env) {
  std::string out;
  for (const auto& r : env.recipients) {
    if (!out.empty()) out += ',';
    out += phone::mask(r.e164);
  }
  return out;
}

// A refusal's or deferral's text as logged: it may quote the mail's From: address, which is the
// client's text (control characters, or a phone number as its local part): printable ASCII, with
// numbers masked.
std::string loggable(std::string_view verdict_text) {
  return phone::redact_numbers(reply_safe_text(verdict_text, "(no reason given)"));
}

// An address as networks and address literals write it: a dual-stack listener reports IPv4
// peers (and its own address to them) as ::ffff:a.b.c.d.
std::string plain(asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address.to_string();
}

// The settings with the server's address this client reached (protocol_settings::own_address).
protocol_settings reached(protocol_settings settings, const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.local_endpoint(ec);
  if (ec) return settings;
  settings.own_address = without_zone(plain(ep.address()));
  return settings;
}

}  // namespace

session::session(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                 protocol_settings settings, session_services& services)
    : tls_context_(std::move(tls)),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      deadline_(socket_.get_executor()),
      delay_(socket_.get_executor()),
      services_(services),
      protocol_(reached(settings, socket_), services.resolver),
      implicit_tls_(settings.tls_active),
      hostname_(settings.hostname) {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : plain(ep.address());
  client_key_ = smtpd::client_key(peer_);
}

void session::cut() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->cut_ = true;
    // Wake a pending read or write, or the pause before a failed AUTH's answer; the run loop
    // then says goodbye.
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
    self->delay_.cancel();
  });
}

void session::refuse(const std::string& reply) {
  boost::system::error_code ignored;
  if (implicit_tls_) {
    // No reply without a handshake: an implicit-TLS client cannot read plaintext.
    socket_.close(ignored);
    return;
  }
  asio::write(socket_, asio::buffer(reply), ignored);
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<void> session::refuse_over_tls(std::string reply, std::chrono::seconds timeout) {
  auto self = shared_from_this();
  std::exception_ptr failure;  // as in run(): the timer and the socket are let go whatever ends it
  try {
    const bool secured = co_await tls_handshake(timeout);
    if (secured && !cut_) {
      // The reply and TLS's close_notify: a second each at most (see write()).
      deadline_passed_ = true;
      actions goodbye;
      goodbye.emplace_back(send_reply{std::move(reply)});
      goodbye.emplace_back(close_connection{});
      co_await perform(std::move(goodbye));
    }
  } catch (...) {
    failure = std::current_exception();
  }
  let_go();
  if (failure) std::rethrow_exception(failure);
}

void session::let_go() {
  deadline_.cancel();
  timer_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void session::shutdown() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->shutdown_requested_ = true;
    // Wake a pending read; the run loop then tells the protocol.
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
  });
}

asio::awaitable<void> session::run() {
  auto self = shared_from_this();
  spdlog::info("smtp {}: connected{}", peer_, implicit_tls_ ? " (implicit TLS)" : "");
  deadline_.expires_after(services_.session_timeout);
  deadline_.async_wait([this, self](boost::system::error_code ec) {
    if (ec) return;
    deadline_passed_ = true;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  });
  // Whatever ends the conversation, an exception included (nothing a client sends is known to
  // throw; an allocation failure would), the timers and the socket are let go here: the
  // deadline's handler holds the session, and would keep its socket open, uncounted by any limit,
  // until the session timeout (review, session 27).
  std::exception_ptr failure;
  try {
    co_await converse();
  } catch (...) {
    failure = std::current_exception();
  }
  let_go();
  spdlog::info("smtp {}: disconnected", peer_);
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> session::converse() {
  co_await trust_client_network();
  if (!implicit_tls_ || co_await handshake()) {
    co_await perform(protocol_.on_connect());
    while (!protocol_.closed() && socket_.is_open()) {
      if (cut_) {
        // One try at the 421: a client that is not reading is not waited for.
        deadline_passed_ = true;
        co_await perform(protocol_.on_cut());
        break;
      }
      if (shutdown_requested_ && !shutdown_told_) {
        co_await perform(stopping_news());
        continue;
      }
      const std::string_view input = co_await read_input();
      if (cut_) continue;
      if (timed_out_ || deadline_passed_) {
        co_await perform(protocol_.on_timeout());
        break;
      }
      if (input.empty() && shutdown_requested_ && !shutdown_told_) continue;  // the read was woken
      if (input.empty()) break;  // EOF, reset, or closed by the server
      co_await perform(protocol_.on_input(input));
    }
  }
}

// A SIGTERM that came while the session waited (for input, a commit, a password check) is told
// to the protocol before it reads on, once: so a MAIL the client pipelined after the final dot
// (or after AUTH) starts no new transaction.
actions session::stopping_news() {
  if (!shutdown_requested_ || shutdown_told_) return {};
  shutdown_told_ = true;
  return protocol_.on_shutdown();
}

asio::awaitable<void> session::perform(actions todo) {
  // A queue over the vector itself: the steps run in order and what a step leads to is appended
  // (a std::deque here allocated its map and first block on every input, four times a mail).
  auto then = [&todo](actions more) {
    for (auto& a : more) todo.push_back(std::move(a));
  };
  for (std::size_t i = 0; i < todo.size(); ++i) {
    action next = std::move(todo[i]);
    if (auto* reply = std::get_if<send_reply>(&next)) {
      if (!co_await write(reply->text)) co_return;
    } else if (std::holds_alternative<start_tls>(next)) {
      if (!co_await handshake()) co_return;
      then(protocol_.on_tls_started());
    } else if (auto* creds = std::get_if<verify_credentials>(&next)) {
      auto verified = co_await verify(*creds);
      then(stopping_news());
      then(protocol_.on_auth_result(verified));
    } else if (auto* message = std::get_if<store_message>(&next)) {
      auto stored = co_await store(*message);
      then(stopping_news());
      then(protocol_.on_store_result(stored));
    } else if (std::holds_alternative<close_connection>(next)) {
      boost::system::error_code ignored;
      if (tls_) {
        // TLS's close_notify (RFC 8446 6.1), as Postfix sends it: the client can tell the end
        // of the session from a truncation. Its own close_notify is waited for a second at most
        // (one that just closes the connection ends the wait at once).
        start_wait(std::chrono::seconds(1));
        co_await tls_->async_shutdown(asio::redirect_error(use_awaitable, ignored));
        end_wait();
      }
      socket_.close(ignored);
      co_return;
    }
  }
}

// A client that does not read its replies is given as long as one that sends nothing
// (command_timeout), and nothing past the session's deadline: then the connection is closed
// without a 421, which it would not read either. A write the watchdog or the deadline cancelled
// would otherwise be followed by the 421 of the timeout, blocked the same way with nothing left
// to end it, and the connection would hold its place in the limits for as long as the client
// liked.
asio::awaitable<bool> session::write(const std::string& text) {
  boost::system::error_code ec;
  if (tls_) {
    // Past the deadline (or cut), a second at most: the watchdog cannot wait on a client that
    // does not read for a whole command_timeout.
    start_wait(deadline_passed_ ? std::chrono::seconds(1) : services_.command_timeout);
    co_await asio::async_write(*tls_, asio::buffer(text), asio::redirect_error(use_awaitable, ec));
    end_wait();
  } else {
    // A reply is small and the socket nearly always takes it whole at once: try that first,
    // without the trip through the scheduler an asynchronous write takes; what is left (the
    // client is not reading) is written asynchronously.
    std::size_t written = 0;
    if (!socket_.non_blocking()) socket_.non_blocking(true, ec);
    if (!ec) written = socket_.write_some(asio::buffer(text), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
    if (!ec && written < text.size()) {
      if (deadline_passed_) {
        ec = asio::error::timed_out;
      } else {
        start_wait(services_.command_timeout);
        co_await asio::async_write(socket_, asio::buffer(text) + written,
                                   asio::redirect_error(use_awaitable, ec));
        end_wait();
      }
    }
  }
  if (ec && (timed_out_ || deadline_passed_)) {
    spdlog::info("smtp {}: the client did not read its replies in time; closing", peer_);
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  co_return !ec;
}

void session::start_wait(std::chrono::seconds timeout) {
  timed_out_ = false;
  waiting_ = true;
  wait_until_ = std::chrono::steady_clock::now() + timeout;
  // An armed watchdog wakes at the latest when this wait may time out: nothing to do then.
  if (!watching_ || wait_until_ < timer_.expiry()) watch();
}

// Arms the watchdog for wait_until_. It cancels the socket if a wait is pending past its limit;
// if the wait ended (or a later one has a later limit) it sleeps again or stops. The generation
// makes a handler that had already fired when the timer was moved harmless.
void session::watch() {
  const auto generation = ++watch_generation_;
  watching_ = true;
  timer_.expires_at(wait_until_);
  timer_.async_wait([this, self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != watch_generation_) return;
    watching_ = false;
    if (!waiting_) return;  // the next wait arms it again
    if (std::chrono::steady_clock::now() < wait_until_) {
      watch();
      return;
    }
    timed_out_ = true;
    if (!socket_.is_open()) return;  // the session is over
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    // A cancel reaches only the operations pending at this moment. Inside a composed one (a
    // TLS handshake writes, then reads) the part that starts next would wait on: until the
    // wait ends (or the socket is closed), cancel again each second.
    wait_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    watch();
  });
}

// Plaintext: wait until the socket is readable, then read into the I/O thread's buffer, so an
// idle connection holds no read buffer at all (what lets 10,000 of them fit in a few KiB each).
// The bytes are handed to the protocol before the session suspends again, so the buffer can be
// shared by every session on the thread. TLS reads go through the session's own buffer.
asio::awaitable<std::string_view> session::read_input() {
  if (deadline_passed_ || cut_ || shutdown_requested_ != shutdown_told_)
    co_return std::string_view();
  start_wait(protocol_.in_data() ? services_.data_timeout : services_.command_timeout);
  boost::system::error_code ec;
  std::string_view input;
  if (tls_) {
    const auto n = co_await tls_->async_read_some(asio::buffer(tls_input_),
                                                  asio::redirect_error(use_awaitable, ec));
    if (!ec) input = std::string_view(tls_input_.data(), n);
  } else {
    thread_local std::array<char, 16384> shared_input;
    for (;;) {
      co_await socket_.async_wait(asio::ip::tcp::socket::wait_read,
                                  asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      if (!socket_.non_blocking()) socket_.non_blocking(true, ec);
      const auto n = socket_.read_some(asio::buffer(shared_input), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (!ec) input = std::string_view(shared_input.data(), n);
      break;
    }
  }
  end_wait();
  co_return input;
}

asio::awaitable<bool> session::handshake() {
  // The result in a variable first: written as `if (!co_await tls_handshake(...)) co_return
  // false;`, GCC 12 built this coroutine so that resuming it after a failed handshake executed
  // its unreachable trap (serve died of SIGILL when a client closed before its handshake).
  const bool secured = co_await tls_handshake(services_.command_timeout);
  if (secured) co_await trust_client_certificate();
  co_return secured;
}

asio::awaitable<bool> session::tls_handshake(std::chrono::seconds timeout) {
  start_wait(timeout);
  boost::system::error_code ec;
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  tls_input_.resize(16384);
  co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(use_awaitable, ec));
  end_wait();
  if (ec) {
    spdlog::info("smtp {}: TLS handshake failed: {}", peer_, timed_out_ ? "timeout" : ec.message());
    boost::system::error_code ignored;
    socket_.close(ignored);
    co_return false;
  }
  co_return true;
}

namespace {

// SHA-256 of the client certificate's DER, lower-case hex; empty when the client sent none.
std::string peer_certificate_fingerprint(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const bool ok = X509_digest(cert, EVP_sha256(), digest, &length) == 1;
  X509_free(cert);
  if (!ok) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

// A client certificate registered to an account identifies the sender as that account, as a
// client network does (and before it: the certificate names one appliance).
asio::awaitable<void> session::trust_client_certificate() {
  const std::string fingerprint = peer_certificate_fingerprint(tls_->native_handle());
  if (fingerprint.empty()) co_return;
  auto& accounts = services_.accounts;
  const auto lookup = [&accounts, fingerprint] { return accounts.by_certificate(fingerprint); };
  auto found =
      co_await look_up_account(services_.known_accounts, services_.blocking,
                               account_cache::certificate_key(fingerprint), lookup, lookup_limit());
  if (!found.error.empty()) {
    spdlog::warn("smtp {}: client certificates unavailable: {}", peer_, found.error);
    if (found.temporary) protocol_.identity_unavailable();
  } else if (found.account) {
    account_ = std::move(found.account);
    protocol_.trust_network(identity());
    spdlog::info("smtp {}: identified as '{}' by client certificate {}...", peer_, account_->name,
                 fingerprint.substr(0, 16));
  } else {
    spdlog::info("smtp {}: client certificate {}... is not registered to an account", peer_,
                 fingerprint.substr(0, 16));
  }
}

authenticated_account session::identity() const {
  return {account_->id, account_->name, account_->country, account_};
}

// A client inside one of an account's networks may send as that account without AUTH.
asio::awaitable<void> session::trust_client_network() {
  if (peer_ == "unknown") co_return;
  auto& accounts = services_.accounts;
  const auto lookup = [&accounts, address = peer_] { return accounts.by_network(address); };
  auto found = co_await look_up_account(services_.known_accounts, services_.blocking,
                                        account_cache::network_key(peer_), lookup, lookup_limit());
  if (!found.error.empty() && found.temporary) {
    spdlog::warn("smtp {}: client networks unavailable, MAIL without AUTH gets 421: {}", peer_,
                 found.error);
    protocol_.identity_unavailable();
  } else if (!found.error.empty()) {
    spdlog::warn("smtp {}: no client network can hold this address, AUTH required: {}", peer_,
                 found.error);
  } else if (found.account) {
    account_ = std::move(found.account);
    protocol_.trust_network(identity());
    spdlog::info("smtp {}: trusted as '{}' by client network", peer_, account_->name);
  }
}

asio::awaitable<void> session::pause(std::chrono::milliseconds delay) {
  delay_.expires_after(delay);
  boost::system::error_code ignored;
  co_await delay_.async_wait(asio::redirect_error(use_awaitable, ignored));
}

asio::awaitable<auth_result> session::verify(const verify_credentials& request) {
  auth_result result;
  auto& limiter = services_.auth_failures;
  // The user name is the client's text: it is not logged (it may be a phone number, a password
  // typed in the wrong field, or lines forged for the log). The audit log keeps it, masked.
  // While the budget left is held by attempts being verified, ask again shortly: they end
  // within an argon2id verification each (or the account store's timeout). The pause doubles
  // from 10 ms to 160 ms, so a crowd of waiters costs little; the wait ends after 30 s (the
  // hashing pool is that far behind: 454, try again) or with the session.
  constexpr auto longest_wait = std::chrono::seconds(30);
  // A name that cannot be an account's is counted against the address's budget only (as the
  // empty name): it never succeeds, a client making up long names by the thousand would grow
  // the limiter by each, and one budget shared by all such names would let any client's
  // mistakes get the others 421 (review, session 27).
  static const std::string no_account;
  const std::string& user =
      policy::is_account_name(request.username) ? request.username : no_account;
  const auto give_up_at = std::chrono::steady_clock::now() + longest_wait;
  for (auto pause_for = std::chrono::milliseconds(10);;
       pause_for = std::min(pause_for * 2, std::chrono::milliseconds(160))) {
    const auto attempt = limiter.take_attempt(peer_, user);
    if (attempt == auth_limiter::attempt::taken) break;
    if (attempt == auth_limiter::attempt::refused) {
      spdlog::warn(
          "smtp {}: AUTH {} refused: too many recent failures from this address or for "
          "this user name",
          peer_, request.mechanism);
      result.state = auth_result::status::blocked;
      co_return result;
    }
    if (shutdown_requested_ || deadline_passed_ || !socket_.is_open()) {
      result.state = auth_result::status::temporary_failure;
      co_return result;
    }
    if (std::chrono::steady_clock::now() >= give_up_at) {
      spdlog::warn("smtp {}: AUTH {}: other attempts being verified held the budget for {} s",
                   peer_, request.mechanism, longest_wait.count());
      result.state = auth_result::status::temporary_failure;
      co_return result;
    }
    co_await pause(pause_for);
  }
  auto& accounts = services_.accounts;
  // Its own copies of the name and password: it may outlive this session (on_pool_within).
  const auto job = [&accounts, username = request.username, password = request.password] {
    auto r = accounts.authenticate(username, password);
    std::pair<std::optional<core::account>, bool> out{std::nullopt, r.has_value()};
    if (r) out.first = *r;
    return out;
  };
  // The hashing pool's queue and the database: a database that hangs gets 454, not a session
  // that waits for ever.
  auto answered = co_await on_pool_within(services_.hashing, job, services_.database_timeout);
  if (!answered) {
    limiter.released(peer_, user);
    spdlog::warn("smtp {}: AUTH {}: no answer from the account store within {} s", peer_,
                 request.mechanism, services_.database_timeout.count());
    result.state = auth_result::status::temporary_failure;
    co_return result;
  }
  auto& found = *answered;
  if (!found.second) {
    limiter.released(peer_, user);
    spdlog::warn("smtp {}: AUTH {}: account store unavailable", peer_, request.mechanism);
    result.state = auth_result::status::temporary_failure;
  } else if (!found.first) {
    const auto delay = limiter.failed(peer_, user);
    spdlog::warn("smtp {}: AUTH {} failed (answering in {} ms)", peer_, request.mechanism,
                 delay.count());
    const auto audit = [&accounts, client = peer_, username = request.username,
                        mechanism = request.mechanism] {
      accounts.record_auth_failure(client, username, mechanism);
      return true;
    };
    co_await on_pool_within(services_.blocking, audit, services_.database_timeout);
    co_await pause(delay);
    result.state = auth_result::status::invalid;
  } else {
    limiter.succeeded(peer_, user);
    account_ = std::make_shared<const core::account>(std::move(*found.first));
    result.state = auth_result::status::ok;
    result.account = identity();
    spdlog::info("smtp {}: authenticated as '{}'", peer_, account_->name);
  }
  co_return result;
}

// The end of DATA without blocking a thread: the mail is converted, handed to the store (the
// group committer), and this coroutine resumes on its own executor once the commit that holds
// the mail is done. The executor is kept busy meanwhile, so the server cannot think itself idle
// and stop before the reply is written.
asio::awaitable<core::acceptance_verdict> session::accept(const core::acceptance_request& req) {
  auto& acceptance = services_.acceptance;
  auto& pool = services_.converting;
  const bool large = req.data.size() > inline_conversion_limit || mentions_html(req.data);
  auto initiate = [&acceptance, &pool, &req, large](auto handler) {
    auto resume = std::make_shared<decltype(handler)>(std::move(handler));
    auto busy = asio::prefer(asio::get_associated_executor(*resume),
                             asio::execution::outstanding_work.tracked);
    auto done = [resume, busy](core::acceptance_verdict verdict) {
      asio::post(busy, [resume, verdict = std::move(verdict)]() mutable {
        (*resume)(std::move(verdict));
      });
    };
    if (large) {
      asio::post(pool, [&acceptance, &req, done] { acceptance.accept_async(req, done); });
    } else {
      acceptance.accept_async(req, done);
    }
  };
  co_return co_await asio::async_initiate<decltype(use_awaitable), void(core::acceptance_verdict)>(
      initiate, use_awaitable);
}

asio::awaitable<store_result> session::store(const store_message& request) {
  if (request.to_postmaster) co_return co_await store_for_postmaster(request);
  store_result result;
  const auto& sender = request.env.account.profile;
  if (!sender) {
    // The protocol only stores for an identified session; anything else is a bug.
    spdlog::error("smtp {}: store requested without an identified account", peer_);
    result.state = store_result::status::deferred;
    result.enhanced_code = "4.3.0";
    result.text = "Internal error, try again later";
    co_return result;
  }
  core::acceptance_request req;
  req.sender = sender;
  req.mail_from = request.env.mail_from;
  for (const auto& r : request.env.recipients) req.recipients.push_back(r.e164);
  req.data = request.data;
  const core::acceptance_verdict verdict = co_await accept(req);
  switch (verdict.state) {
    case core::acceptance_verdict::status::accepted:
      result.state = store_result::status::accepted;
      result.queue_id = verdict.queue_id;
      result.duplicates = verdict.duplicates;
      result.truncated = verdict.truncated;
      spdlog::info("smtp {}: queued {} for '{}' to {} ({} x {} {}, {} credits{}{})", peer_,
                   verdict.queue_id, sender->name, masked_recipients(request.env),
                   request.env.recipients.size(), verdict.segments, sms::to_string(verdict.coding),
                   verdict.cost, verdict.truncated ? ", truncated" : "",
                   verdict.duplicates > 0 ? ", " + std::to_string(verdict.duplicates) + " duplicates"
                                          : std::string());
      break;
    case core::acceptance_verdict::status::rejected:
      result.state = store_result::status::rejected;
      spdlog::info("smtp {}: refused a mail from '{}': {}", peer_, sender->name,
                   loggable(verdict.text));
      break;
    case core::acceptance_verdict::status::deferred:
      result.state = store_result::status::deferred;
      spdlog::warn("smtp {}: deferred a mail from '{}': {}", peer_, sender->name,
                   loggable(verdict.text));
      break;
  }
  result.enhanced_code = verdict.enhanced_code;
  result.text = verdict.text;
  co_return result;
}

// Mail to the postmaster: committed on the blocking pool before the 250, like any mail. The log
// says who wrote and how much, never what.
asio::awaitable<store_result> session::store_for_postmaster(const store_message& request) {
  store_result result;
  result.state = store_result::status::deferred;
  result.enhanced_code = "4.3.0";
  result.text = "The postmaster's mailbox is not available, try again later";
  core::postmaster_mailbox* mailbox = services_.postmaster;
  if (mailbox == nullptr) {  // the protocol only takes such mail when serve gave a mailbox
    spdlog::error("smtp {}: mail for the postmaster without a mailbox", peer_);
    co_return result;
  }
  if (services_.postmaster_limit != nullptr && !services_.postmaster_limit->take(peer_)) {
    spdlog::warn("smtp {}: mail for the postmaster refused: this client's hourly budget is used",
                 peer_);
    result.enhanced_code = "4.7.1";
    result.text = "Too many mails to the postmaster from this address this hour, try again later";
    co_return result;
  }
  core::postmaster_mail mail;
  mail.client = peer_;
  mail.helo = request.env.helo;
  mail.mail_from = request.env.mail_from;
  mail.recipient =
      request.env.recipients.empty() ? "postmaster" : request.env.recipients[0].address;
  if (request.env.account.id != 0) mail.account_id = request.env.account.id;
  mail.tls = request.env.tls;
  // Delivered here, so traced here (RFC 5321 4.4): the operator's copy, and the one forwarded to
  // postmaster_to, say how it came. Counted in the mailbox's size like the rest.
  mail.message = trace_headers({.return_path = request.env.mail_from,
                                .helo = request.env.helo,
                                .client = peer_,
                                .by = hostname_,
                                .with = request.received_with,
                                .recipient = mail.recipient,
                                .at = std::time(nullptr)});
  mail.message += request.data;
  struct delivery {
    std::optional<std::int64_t> id;
    std::optional<std::string> error;
  };
  const auto deliver = [mailbox, mail] {
    auto stored = mailbox->deliver(mail);
    if (!stored) return delivery{std::nullopt, stored.error().message};
    return delivery{*stored, std::nullopt};
  };
  auto answered = co_await on_pool_within(services_.blocking, deliver, services_.database_timeout);
  if (!answered) {  // in doubt: the client's retry may store it twice
    answered.emplace();
    answered->error = no_answer_within(services_.database_timeout);
  }
  const delivery& done = *answered;
  if (!done.id && services_.postmaster_limit != nullptr)
    services_.postmaster_limit->give_back(peer_);
  if (done.error) {
    spdlog::warn("smtp {}: mail for the postmaster not stored: {}", peer_, *done.error);
  } else if (!done.id) {
    spdlog::warn("smtp {}: mail for the postmaster refused: its mailbox is full", peer_);
    result.enhanced_code = "4.2.2";
    result.text = "The postmaster's mailbox is full, try again later";
  } else {
    result.state = store_result::status::accepted;
    result.queue_id = "postmaster #" + std::to_string(*done.id);
    spdlog::info("smtp {}: stored mail for the postmaster as #{} ({} octets{})", peer_, *done.id,
                 mail.message.size(),
                 mail.account_id ? ", from account #" + std::to_string(*mail.account_id) : "");
  }
  co_return result;
}

}  // namespace mail2sms::smtpd
