// The SMTP conversation of a delivery-status mail (see smtp_client.hpp). Plain reads and writes
// go to the socket; after STARTTLS an ssl::stream borrows the socket and everything goes through
// it. A deadline timer closes the socket when the conversation takes longer than the timeout; a
// stop request does the same at once.
#include "core/notify/smtp_client.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "core/connectors/smpp/transport.hpp"
#include "core/notify/smtp_reply.hpp"

namespace mail2sms::notify {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using kind = send_outcome::kind;

constexpr std::size_t max_reply_line = 4096;

class conversation {
 public:
  conversation(asio::io_context& io, const relay_settings& relay)
      : relay_(relay), socket_(io), deadline_(io) {}

  asio::awaitable<send_outcome> run(const std::string& rcpt_to, const std::string& message) {
    deadline_.expires_after(relay_.timeout);
    deadline_.async_wait([this](error_code ec) {
      if (ec) return;
      timed_out_ = true;
      error_code ignored;
      socket_.close(ignored);
    });
    auto outcome = co_await talk(rcpt_to, message);
    deadline_.cancel();
    error_code ignored;
    socket_.close(ignored);
    co_return outcome;
  }

  // From the io_context's thread: what is pending fails, and failed() says why.
  void stop() {
    stopped_ = true;
    deadline_.cancel();
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  send_outcome failed(kind what, std::string detail) const {
    if (stopped_) return {kind::transient, "stopped: serve is shutting down"};
    if (timed_out_)
      return {kind::transient, "no answer within " + std::to_string(relay_.timeout.count()) + " s"};
    return {what, std::move(detail)};
  }

  asio::awaitable<std::optional<smtp_reply>> read_reply(error_code& ec, std::string& why) {
    reply_parser parser;
    for (;;) {
      std::size_t n = 0;
      if (tls_) {
        n = co_await asio::async_read_until(*tls_, buffer_, "\r\n",
                                            asio::redirect_error(asio::use_awaitable, ec));
      } else {
        n = co_await asio::async_read_until(socket_, buffer_, "\r\n",
                                            asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) {
        why = "reading the reply: " + ec.message();
        co_return std::nullopt;
      }
      std::string line(asio::buffers_begin(buffer_.data()),
                       asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(n - 2));
      buffer_.consume(n);
      if (line.size() > max_reply_line) line.resize(max_reply_line);
      const auto state = parser.feed(line);
      if (state == reply_parser::state::done) co_return parser.reply();
      if (state == reply_parser::state::bad) {
        why = parser.error();
        co_return std::nullopt;
      }
    }
  }

  // Sends line (CRLF added unless it is the DATA payload) and reads the reply.
  asio::awaitable<std::optional<smtp_reply>> command(const std::string& text, std::string& why) {
    error_code ec;
    if (tls_) {
      co_await asio::async_write(*tls_, asio::buffer(text),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(socket_, asio::buffer(text),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      why = "sending: " + ec.message();
      co_return std::nullopt;
    }
    auto reply = co_await read_reply(ec, why);
    co_return reply;
  }

  // A reply that is not the positive one expected ends the conversation with its class.
  send_outcome refused(const std::string& step, const smtp_reply& r) const {
    return failed(r.transient() || r.positive() ? kind::transient : kind::permanent,
                  step + ": " + r.text());
  }

  asio::awaitable<std::optional<send_outcome>> start_tls(const std::string& name) {
    std::string why;
    const std::string starttls_line = "STARTTLS\r\n";
    auto r = co_await command(starttls_line, why);
    if (!r) co_return failed(kind::transient, "STARTTLS: " + why);
    if (r->code != 220) co_return refused("STARTTLS", *r);
    buffer_.consume(buffer_.size());  // nothing read in plaintext survives the handshake
    tls_.emplace(socket_, *relay_.tls);
    smpp::expect_server(*tls_, name, relay_.tls_verify);
    error_code ec;
    co_await tls_->async_handshake(asio::ssl::stream_base::client,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      co_return failed(kind::transient, "TLS handshake: " + smpp::describe_tls_failure(ec, *tls_));
    co_return std::nullopt;
  }

  asio::awaitable<send_outcome> talk(const std::string& rcpt_to, const std::string& message) {
    error_code ec;
    tcp::resolver resolver(socket_.get_executor());
    auto endpoints = co_await resolver.async_resolve(relay_.host, std::to_string(relay_.port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed(kind::transient, "resolving " + relay_.host + ": " + ec.message());
    // The deadline may have passed while resolving: it closed a socket not yet open, and the
    // connect would open it again with nothing left to bound the conversation.
    if (timed_out_ || stopped_)
      co_return failed(kind::transient, "resolving " + relay_.host + ": timed out");
    co_await asio::async_connect(socket_, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed(kind::transient, "connecting: " + ec.message());
    std::string why;
    auto greeting = co_await read_reply(ec, why);
    if (!greeting) co_return failed(kind::transient, "greeting: " + why);
    if (greeting->code != 220) co_return refused("greeting", *greeting);

    const std::string ehlo_line = "EHLO " + relay_.helo_name + "\r\n";
    auto ehlo = co_await command(ehlo_line, why);
    if (!ehlo) co_return failed(kind::transient, "EHLO: " + why);
    if (ehlo->code != 250) co_return refused("EHLO", *ehlo);
    auto caps = capabilities_of(*ehlo);
    if (relay_.starttls == "required" && (!caps.starttls || !relay_.tls))
      co_return failed(kind::transient, "the relay does not offer STARTTLS (starttls = required)");
    if (relay_.starttls != "off" && caps.starttls && relay_.tls) {
      const std::string name = relay_.server_name.empty() ? relay_.host : relay_.server_name;
      if (auto failure = co_await start_tls(name)) co_return *failure;
      ehlo = co_await command(ehlo_line, why);  // RFC 3207 4.2: forget what was said before
      if (!ehlo) co_return failed(kind::transient, "EHLO after STARTTLS: " + why);
      if (ehlo->code != 250) co_return refused("EHLO after STARTTLS", *ehlo);
      caps = capabilities_of(*ehlo);
    }
    if (!relay_.auth_user.empty()) {
      if (!tls_) co_return failed(kind::transient, "not sending AUTH without TLS");
      if (!caps.auth_plain)
        co_return failed(kind::transient, "the relay does not offer AUTH PLAIN");
      const std::string auth_line =
          "AUTH PLAIN " + auth_plain_response(relay_.auth_user, relay_.auth_password) + "\r\n";
      auto auth = co_await command(auth_line, why);
      if (!auth) co_return failed(kind::transient, "AUTH: " + why);
      if (auth->code != 235) co_return refused("AUTH", *auth);
    }
    co_return co_await envelope(rcpt_to, message);
  }

  asio::awaitable<send_outcome> envelope(const std::string& rcpt_to, const std::string& message) {
    std::string why;
    const std::string mail_line = "MAIL FROM:<>\r\n";
    auto mail = co_await command(mail_line, why);
    if (!mail) co_return failed(kind::transient, "MAIL: " + why);
    if (mail->code != 250) co_return refused("MAIL FROM", *mail);
    const std::string rcpt_line = "RCPT TO:<" + rcpt_to + ">\r\n";
    auto rcpt = co_await command(rcpt_line, why);
    if (!rcpt) co_return failed(kind::transient, "RCPT: " + why);
    if (rcpt->code != 250 && rcpt->code != 251) co_return refused("RCPT TO", *rcpt);
    const std::string data_line = "DATA\r\n";
    auto data = co_await command(data_line, why);
    if (!data) co_return failed(kind::transient, "DATA: " + why);
    if (data->code != 354) co_return refused("DATA", *data);
    const std::string payload = dot_stuffed(message);
    auto accepted = co_await command(payload, why);
    if (!accepted) co_return failed(kind::transient, "end of data: " + why);
    if (accepted->code != 250) co_return refused("end of data", *accepted);
    const std::string quit_line = "QUIT\r\n";
    co_await command(quit_line, why);  // the mail is taken whatever QUIT gets
    co_return send_outcome{kind::sent, accepted->text()};
  }

  const relay_settings& relay_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  asio::streambuf buffer_{64 * 1024};               // a reply line longer than this fails the read
  std::optional<smpp::transport::tls_stream> tls_;  // after socket_: destroyed first
  bool timed_out_ = false;
  bool stopped_ = false;
};

}  // namespace

send_outcome send_mail(const relay_settings& relay, const std::string& rcpt_to,
                       const std::string& message, std::stop_token stop) {
  asio::io_context io(1);
  conversation talk(io, relay);
  // Runs on the thread that asks (or here, if it was asked already); destroyed before `talk`,
  // waiting for a callback that is running. A handler still queued when run() returns is
  // destroyed with `io` without being called.
  const std::stop_callback on_stop(stop,
                                   [&io, &talk] { asio::post(io, [&talk] { talk.stop(); }); });
  send_outcome outcome{kind::transient, "the conversation did not finish"};
  asio::co_spawn(io, talk.run(rcpt_to, message), [&outcome](std::exception_ptr e, send_outcome o) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        outcome = {kind::transient, std::string("SMTP client: ") + x.what()};
      }
      return;
    }
    outcome = std::move(o);
  });
  io.run();
  return outcome;
}

}  // namespace mail2sms::notify
