// smtp_bench: an SMTP load client for what Postfix's smtp-source does not measure — the latency
// of the reply to the final dot, at a fixed offered rate — and for holding thousands of idle
// connections open while another load runs. It speaks to any SMTP server (mail2sms, Postfix's
// smtpd, smtp-sink) the same way: EHLO once, then per mail MAIL, RCPT and DATA pipelined
// (RFC 2920) when the server offers PIPELINING, the message, and the dot. One thread per
// session by default; --engine events runs them all on one thread with epoll, as smtp-source
// does (and then needs PIPELINING).
// AUTH PLAIN once per session with --auth (over plaintext: the server must allow it, as
// bench/smtp_load.py's bridge does); without it the server must admit 127.0.0.1 by network.
// Loopback only.
//
//   smtp_bench --port 2525 --sessions 10 --mails 5000 --size 1024 [--rate 800]
//   smtp_bench --port 2525 --idle 10000 --hold 60     # open, hold, report, close
//   smtp_bench --port 2525 --sessions 50 --mails 10000 --auth bench:secret
//              --to '+2782{i}@sms.example.com' --to-first 1000000 --times t.txt --go-on-stdin
//
// Every session connects, says EHLO (and AUTH) before the clock starts; the run starts when all
// have, or with --go-on-stdin when a line comes on stdin after "ready" was printed on stderr
// (bench/smtp_load.py takes its CPU snapshots in between). `{i}` in --to becomes
// --to-first + the mail's index, so each mail has its own recipient. --times writes a line per
// accepted mail: index, when its final dot was sent (CLOCK_MONOTONIC seconds, Python's
// time.monotonic()), and the seconds until the reply.
//
// Prints one JSON object: mails, ok, failed, seconds, rate (accepted per second), p50_ms,
// p99_ms, max_ms, late_p99_ms and late_max_ms (with --rate: how long after it was due a mail's
// MAIL went out because no session was free; the latency above starts at the final dot, so a
// server that falls behind shows here), start (CLOCK_MONOTONIC seconds), login_seconds,
// first_failure; with --idle, how many idle connections were held.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <latch>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "smtpd/sasl.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string host = "127.0.0.1";
  int port = 25;
  int sessions = 1;
  long mails = 1000;
  std::size_t size = 1024;  // the whole message, headers included
  double rate = 0;          // mails per second offered in all; 0: as fast as the server answers
  std::string from = "load@example.com";
  std::string to = "+27821234567@sms.example.com";  // `{i}`: to_first + the mail's index
  long to_first = 0;
  std::string auth;        // USER:PASSWORD for AUTH PLAIN; empty: no AUTH
  std::string times;       // file for a line per accepted mail; empty: none
  bool go_on_stdin = false;
  long idle = 0;     // connections opened first and held, silent, for the whole run
  double hold = 0;   // with --idle and no --mails: seconds to hold them
  bool events = false;  // --engine events: all sessions on one epoll thread (event_run)
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "smtp_bench: %s\nusage: smtp_bench --port N [--host 127.0.0.1] [--sessions N] "
               "[--mails N] [--size OCTETS] [--rate MAILS_PER_S] [--from ADDR] [--to ADDR] "
               "[--to-first N] [--auth USER:PASSWORD] [--times FILE] [--go-on-stdin] "
               "[--idle N [--hold SECONDS]] [--engine threads|events]\n",
               problem.c_str());
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  bool mails_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    try {
      if (arg == "--host") o.host = value();
      else if (arg == "--port") o.port = std::stoi(value());
      else if (arg == "--sessions") o.sessions = std::stoi(value());
      else if (arg == "--mails") { o.mails = std::stol(value()); mails_given = true; }
      else if (arg == "--size") o.size = std::stoul(value());
      else if (arg == "--rate") o.rate = std::stod(value());
      else if (arg == "--from") o.from = value();
      else if (arg == "--to") o.to = value();
      else if (arg == "--to-first") o.to_first = std::stol(value());
      else if (arg == "--auth") o.auth = value();
      else if (arg == "--times") o.times = value();
      else if (arg == "--go-on-stdin") o.go_on_stdin = true;
      else if (arg == "--idle") o.idle = std::stol(value());
      else if (arg == "--hold") o.hold = std::stod(value());
      else if (arg == "--engine") {
        const std::string engine = value();
        if (engine != "threads" && engine != "events") usage("--engine is threads or events");
        o.events = engine == "events";
      } else
        usage("unknown option " + arg);
    } catch (const std::logic_error&) {
      usage("bad number for " + arg);
    }
  }
  if (o.port <= 0 || o.port > 65535) usage("--port is required (1-65535)");
  if (o.sessions < 1 || o.mails < 0 || o.size < 256) usage("need --sessions >= 1, --size >= 256");
  if (o.idle > 0 && !mails_given) o.mails = 0;
  if (!o.auth.empty() && o.auth.find(':') == std::string::npos)
    usage("--auth takes USER:PASSWORD");
  return o;
}

int connect_to(const options& o) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("not an IPv4 address: " + o.host);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("connect: " + why);
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One SMTP connection: writes, and whole (multi-line) replies read through a buffer.
class connection {
 public:
  explicit connection(int fd) : fd_(fd) {}
  ~connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void send(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const auto n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
  }

  // The socket, handed over (and no longer closed here); only between replies, with nothing
  // read ahead.
  int release() {
    if (start_ != buffer_.size()) throw std::runtime_error("the server said more than asked");
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

  // The whole reply; its last line's code is reply.substr(0, 3).
  std::string reply() {
    std::string all;
    for (;;) {
      const std::string line = read_line();
      all += line;
      all += '\n';
      if (line.size() < 4 || line[3] != '-') return all;
    }
  }

 private:
  std::string read_line() {
    for (;;) {
      const auto eol = buffer_.find("\r\n", start_);
      if (eol != std::string::npos) {
        std::string line = buffer_.substr(start_, eol - start_);
        start_ = eol + 2;
        return line;
      }
      buffer_.erase(0, start_);
      start_ = 0;
      char chunk[4096];
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) throw std::runtime_error(n == 0 ? "connection closed by the server" : std::strerror(errno));
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_;
  std::string buffer_;
  std::size_t start_ = 0;
};

// The recipient of mail `index`: --to with `{i}` replaced by --to-first + index.
std::string recipient_of(const options& o, long index) {
  std::string to = o.to;
  if (const auto at = to.find("{i}"); at != std::string::npos)
    to.replace(at, 3, std::to_string(o.to_first + index));
  return to;
}

// A Message-ID of its own for every mail of every run: the server deduplicates by Message-ID
// and recipient (mail2sms: a day by default), and a second run with the ids of the first would
// be answered 250 for mails it stores nothing of.
const std::string& run_token() {
  static const std::string token =
      std::to_string(::getpid()) + "." +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  return token;
}

std::string message_of(const options& o, long index) {
  std::string m = "From: <" + o.from + ">\r\nTo: <" + recipient_of(o, index) + ">\r\nSubject: load " +
                  std::to_string(index) + "\r\nMessage-ID: <" + std::to_string(index) + "." +
                  run_token() + ".smtp-bench@example.com>\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  static constexpr std::string_view line =
      "Load test text for an SMS: disk 97% full on db1, check it please. ";
  while (m.size() + line.size() + 2 < o.size) {
    m += line;
    m += "\r\n";
  }
  m.append(o.size > m.size() + 2 ? o.size - m.size() - 2 : 0, 'x');
  m += "\r\n.\r\n";
  return m;
}

bool positive(const std::string& reply) { return !reply.empty() && reply[0] == '2'; }

// With --rate: when mail `index` is due, counted from the run's start (both engines).
clock_type::time_point due_time(clock_type::time_point start, long index, double rate) {
  return start + std::chrono::duration_cast<clock_type::duration>(
                     std::chrono::duration<double>(static_cast<double>(index) / rate));
}

double monotonic_seconds(clock_type::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// One accepted mail, for --times.
struct accepted_mail {
  long index;
  double sent;     // CLOCK_MONOTONIC seconds when the final dot was sent
  double seconds;  // until the reply
  double late;     // with --rate: seconds its MAIL was sent after it was due (no session free)
};

struct totals {
  std::mutex mutex;
  std::vector<accepted_mail> accepted;
  long failed = 0;
  std::string first_failure;

  void failure(const std::string& what) {
    const std::lock_guard lock(mutex);
    ++failed;
    if (first_failure.empty()) first_failure = what;
  }
};

// The run's start, given to every session once all have logged in (or failed to).
struct starting_gate {
  explicit starting_gate(int sessions) : logged_in(sessions), start(go.get_future().share()) {}
  std::latch logged_in;
  std::promise<clock_type::time_point> go;
  std::shared_future<clock_type::time_point> start;
};

// Connected, greeted, EHLO said (and AUTH PLAIN done with --auth); whether PIPELINING is offered.
bool log_in(const options& o, connection& c) {
  if (!positive(c.reply())) throw std::runtime_error("no 220 greeting");
  c.send("EHLO smtp-bench.example.com\r\n");
  const std::string ehlo = c.reply();
  if (!positive(ehlo)) throw std::runtime_error("EHLO: " + ehlo);
  if (!o.auth.empty()) {
    const auto colon = o.auth.find(':');
    const std::string plain = std::string(1, '\0') + o.auth.substr(0, colon) + '\0' +
                              o.auth.substr(colon + 1);
    c.send("AUTH PLAIN " + mail2sms::smtpd::sasl::base64_encode(plain) + "\r\n");
    const std::string answer = c.reply();
    if (answer.rfind("235", 0) != 0) throw std::runtime_error("AUTH: " + answer);
  }
  return ehlo.find("PIPELINING") != std::string::npos;
}

void run_session(const options& o, std::atomic<long>& next, starting_gate& gate, totals& t) {
  std::optional<connection> c;
  bool pipelining = false;
  try {
    c.emplace(connect_to(o));
    pipelining = log_in(o, *c);
  } catch (const std::exception& e) {
    t.failure(std::string("login: ") + e.what());
    c.reset();
  }
  gate.logged_in.count_down();
  const auto start = gate.start.get();
  if (!c) return;
  std::vector<accepted_mail> mine;
  try {
    for (;;) {
      const long index = next.fetch_add(1);
      if (index >= o.mails) break;
      double late = 0;
      if (o.rate > 0) {
        const auto due = due_time(start, index, o.rate);
        std::this_thread::sleep_until(due);
        late = std::chrono::duration<double>(clock_type::now() - due).count();
      }
      const std::string mail = "MAIL FROM:<" + o.from + ">\r\n";
      const std::string rcpt = "RCPT TO:<" + recipient_of(o, index) + ">\r\n";
      std::string r1, r2, r3;
      if (pipelining) {
        c->send(mail + rcpt + "DATA\r\n");
        r1 = c->reply();
        r2 = c->reply();
        r3 = c->reply();
      } else {
        c->send(mail);
        r1 = c->reply();
        c->send(rcpt);
        r2 = c->reply();
        c->send("DATA\r\n");
        r3 = c->reply();
      }
      if (!positive(r1) || !positive(r2) || r3.rfind("354", 0) != 0) {
        t.failure("envelope: " + r1 + r2 + r3);
        if (r3.rfind("354", 0) == 0) {
          c->send(".\r\n");
          c->reply();
        }
        c->send("RSET\r\n");
        c->reply();
        continue;
      }
      const std::string message = message_of(o, index);
      const auto sent = clock_type::now();
      c->send(message);
      const std::string final_reply = c->reply();
      const std::chrono::duration<double> took = clock_type::now() - sent;
      if (positive(final_reply)) {
        mine.push_back({index, monotonic_seconds(sent), took.count(), late});
      } else {
        t.failure("final dot: " + final_reply);
      }
    }
    c->send("QUIT\r\n");
    c->reply();
  } catch (const std::exception& e) {
    t.failure(std::string("session: ") + e.what());
  }
  const std::lock_guard lock(t.mutex);
  t.accepted.insert(t.accepted.end(), mine.begin(), mine.end());
}

// --engine events: every session on one thread, non-blocking, with epoll, the way smtp-source
// works. A thread per session costs the client a wake-up and a context switch per reply, and on
// a 2-vCPU machine the client's threads compete with the server for the CPUs it measures.
// Needs PIPELINING (MAIL, RCPT and DATA sent together). Mail `index` is due at
// start + index / rate (with --rate) and goes to a session that has nothing in flight.
class event_run {
 public:
  event_run(const options& o, totals& t) : o_(o), t_(t), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  }
  ~event_run() {
    for (auto& s : sessions_)
      if (s.fd >= 0) ::close(s.fd);
    ::close(epoll_);
  }
  event_run(const event_run&) = delete;
  event_run& operator=(const event_run&) = delete;

  // Connects and logs every session in, one after the other.
  void log_in_all() {
    sessions_.resize(static_cast<std::size_t>(o_.sessions));
    for (auto& s : sessions_) {
      try {
        connection c(connect_to(o_));
        if (!log_in(o_, c)) throw std::runtime_error("--engine events needs PIPELINING");
        s.fd = c.release();
      } catch (const std::exception& e) {
        t_.failure(std::string("login: ") + e.what());
        continue;
      }
      const int flags = ::fcntl(s.fd, F_GETFL);
      ::fcntl(s.fd, F_SETFL, flags | O_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &s;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev) != 0)
        throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
      idle_.push_back(&s);
      ++open_;
    }
  }

  void run(clock_type::time_point start) {
    start_ = start;
    std::vector<epoll_event> events(256);
    while (open_ > 0) {
      const auto now = clock_type::now();
      while (next_ < o_.mails && !idle_.empty() && (o_.rate <= 0 || due(next_) <= now)) {
        session& s = *idle_.front();
        idle_.pop_front();
        begin_mail(s, next_++, now);
      }
      if (next_ >= o_.mails) {
        while (!idle_.empty()) {
          session& s = *idle_.front();
          idle_.pop_front();
          s.state = phase::quit;
          send(s, "QUIT\r\n");
        }
      }
      timespec wait{};
      const timespec* timeout = nullptr;  // until a reply comes
      if (o_.rate > 0 && next_ < o_.mails && !idle_.empty()) {
        const auto ns = std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::nanoseconds>(due(next_) - now).count());
        wait.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        wait.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        timeout = &wait;
      }
      const int n =
          ::epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()), timeout, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("epoll_pwait2: ") + std::strerror(errno));
      }
      for (int i = 0; i < n; ++i) {
        session& s = *static_cast<session*>(events[static_cast<std::size_t>(i)].data.ptr);
        if (s.fd < 0) continue;
        if (events[static_cast<std::size_t>(i)].events & EPOLLOUT) flush(s);
        if (s.fd >= 0 &&
            (events[static_cast<std::size_t>(i)].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
          receive(s);
      }
    }
  }

  std::vector<accepted_mail>& accepted() { return accepted_; }

 private:
  enum class phase { idle, envelope, message, failed_dot, rset, quit };
  struct session {
    int fd = -1;
    phase state = phase::idle;
    std::string in;
    std::size_t in_start = 0;
    std::string out;
    std::size_t out_start = 0;
    bool writable_wanted = false;      // EPOLLOUT asked for: a send would have blocked
    std::vector<std::string> replies;  // of the envelope so far
    long index = 0;
    double late = 0;  // accepted_mail::late
    clock_type::time_point sent{};
  };

  clock_type::time_point due(long index) const { return due_time(start_, index, o_.rate); }

  void begin_mail(session& s, long index, clock_type::time_point now) {
    s.index = index;
    s.late = o_.rate > 0 ? std::chrono::duration<double>(now - due(index)).count() : 0;
    s.state = phase::envelope;
    s.replies.clear();
    send(s, "MAIL FROM:<" + o_.from + ">\r\nRCPT TO:<" + recipient_of(o_, index) + ">\r\nDATA\r\n");
  }

  void send(session& s, const std::string& data) {
    s.out.append(data);
    flush(s);
  }

  void flush(session& s) {
    while (s.out_start < s.out.size()) {
      const auto n =
          ::send(s.fd, s.out.data() + s.out_start, s.out.size() - s.out_start, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!s.writable_wanted) watch(s, EPOLLIN | EPOLLOUT);
        s.writable_wanted = true;
        return;
      }
      if (n <= 0) return drop(s, std::string("send: ") + std::strerror(errno));
      s.out_start += static_cast<std::size_t>(n);
    }
    if (s.writable_wanted) watch(s, EPOLLIN);
    s.writable_wanted = false;
    s.out.clear();
    s.out_start = 0;
  }

  void watch(session& s, std::uint32_t what) {
    epoll_event ev{};
    ev.events = what;
    ev.data.ptr = &s;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
  }

  void receive(session& s) {
    char chunk[16384];
    std::string closed;  // why the connection ended, after what it said before
    for (;;) {
      const auto n = ::recv(s.fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        s.in.append(chunk, static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < sizeof chunk) break;  // level-triggered: more wakes us
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      closed = n == 0 ? "connection closed by the server" : std::strerror(errno);
      break;
    }
    const auto now = clock_type::now();
    // Whole replies: lines up to one whose fourth octet is not '-'.
    for (;;) {
      std::size_t at = s.in_start;
      std::size_t end = std::string::npos;
      for (;;) {
        const auto eol = s.in.find("\r\n", at);
        if (eol == std::string::npos) break;
        if (eol - at < 4 || s.in[at + 3] != '-') {
          end = eol + 2;
          break;
        }
        at = eol + 2;
      }
      if (end == std::string::npos) break;
      std::string reply(s.in, s.in_start, end - s.in_start);
      s.in_start = end;
      on_reply(s, reply, now);
      if (s.fd < 0) return;
    }
    s.in.erase(0, s.in_start);
    s.in_start = 0;
    if (!closed.empty()) drop(s, closed);
  }

  void on_reply(session& s, const std::string& reply, clock_type::time_point now) {
    switch (s.state) {
      case phase::envelope: {
        s.replies.push_back(reply);
        if (s.replies.size() < 3) return;
        const auto& r = s.replies;
        if (positive(r[0]) && positive(r[1]) && r[2].rfind("354", 0) == 0) {
          s.state = phase::message;
          const std::string message = message_of(o_, s.index);
          s.sent = clock_type::now();
          return send(s, message);
        }
        t_.failure("envelope: " + r[0] + r[1] + r[2]);
        if (r[2].rfind("354", 0) == 0) {
          s.state = phase::failed_dot;
          return send(s, ".\r\n");
        }
        s.state = phase::rset;
        return send(s, "RSET\r\n");
      }
      case phase::message: {
        const std::chrono::duration<double> took = now - s.sent;
        if (positive(reply))
          accepted_.push_back({s.index, monotonic_seconds(s.sent), took.count(), s.late});
        else
          t_.failure("final dot: " + reply);
        s.state = phase::idle;
        idle_.push_back(&s);
        return;
      }
      case phase::failed_dot:
        s.state = phase::rset;
        return send(s, "RSET\r\n");
      case phase::rset:
        s.state = phase::idle;
        idle_.push_back(&s);
        return;
      case phase::quit:
        return close(s);
      case phase::idle:
        return drop(s, "a reply nothing asked for: " + reply);
    }
  }

  void drop(session& s, const std::string& why) {
    t_.failure("session: " + why);
    close(s);
  }

  void close(session& s) {
    if (s.fd < 0) return;
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);
    ::close(s.fd);
    s.fd = -1;
    --open_;
    std::erase(idle_, &s);
  }

  const options& o_;
  totals& t_;
  int epoll_;
  std::vector<session> sessions_;  // never resized after log_in_all: the pointers stay valid
  // Logged in, nothing in flight; the one idle longest takes the next mail, so every session
  // takes its turn, as the threads do.
  std::deque<session*> idle_;
  int open_ = 0;
  long next_ = 0;
  clock_type::time_point start_{};
  std::vector<accepted_mail> accepted_;
};

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", ch);
      out += esc;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + '"';
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  // Idle connections: connected and greeted, then silent until the end.
  std::vector<std::unique_ptr<connection>> idle;
  std::string idle_failure;
  for (long i = 0; i < o.idle; ++i) {
    try {
      auto c = std::make_unique<connection>(connect_to(o));
      const std::string greeting = c->reply();
      if (!positive(greeting)) throw std::runtime_error("greeting: " + greeting);
      idle.push_back(std::move(c));
    } catch (const std::exception& e) {
      idle_failure = "idle connection " + std::to_string(i + 1) + ": " + e.what();
      break;
    }
  }
  if (o.idle > 0) {
    std::fprintf(stderr, "smtp_bench: %zu idle connections open%s%s\n", idle.size(),
                 idle_failure.empty() ? "" : "; ", idle_failure.c_str());
  }

  totals t;
  double seconds = 0;
  double start_at = 0;
  double login_seconds = 0;
  auto wait_for_go = [&o] {
    if (!o.go_on_stdin) return;
    std::fprintf(stderr, "ready\n");
    std::fflush(stderr);
    for (int ch = std::getchar(); ch != EOF && ch != '\n'; ch = std::getchar()) {
    }
  };
  if (o.mails > 0 && o.events) {
    try {
      event_run run(o, t);
      const auto login_start = clock_type::now();
      run.log_in_all();
      login_seconds = std::chrono::duration<double>(clock_type::now() - login_start).count();
      wait_for_go();
      const auto start = clock_type::now();
      run.run(start);
      seconds = std::chrono::duration<double>(clock_type::now() - start).count();
      start_at = monotonic_seconds(start);
      t.accepted = std::move(run.accepted());
    } catch (const std::exception& e) {  // epoll itself failed: the run is void
      t.failure(std::string("client: ") + e.what());
    }
  } else if (o.mails > 0) {
    std::atomic<long> next{0};
    starting_gate gate(o.sessions);
    const auto login_start = clock_type::now();
    std::vector<std::jthread> threads;
    for (int s = 0; s < o.sessions; ++s)
      threads.emplace_back([&] { run_session(o, next, gate, t); });
    gate.logged_in.wait();
    login_seconds = std::chrono::duration<double>(clock_type::now() - login_start).count();
    wait_for_go();
    const auto start = clock_type::now();
    gate.go.set_value(start);
    threads.clear();
    seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    start_at = monotonic_seconds(start);
  } else if (o.hold > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.hold));
  }

  if (!o.times.empty()) {
    std::FILE* f = std::fopen(o.times.c_str(), "w");
    if (f == nullptr) {
      std::fprintf(stderr, "smtp_bench: cannot write %s: %s\n", o.times.c_str(), std::strerror(errno));
      return 2;
    }
    for (const auto& m : t.accepted) std::fprintf(f, "%ld %.6f %.6f\n", m.index, m.sent, m.seconds);
    std::fclose(f);
  }

  // Still open? An idle connection the server dropped reads as closed.
  std::size_t still_open = 0;
  for (auto& c : idle) {
    try {
      c->send("NOOP\r\n");
      if (positive(c->reply())) ++still_open;
    } catch (const std::exception&) {
    }
  }

  std::vector<double> latencies_ms;
  latencies_ms.reserve(t.accepted.size());
  for (const auto& m : t.accepted) latencies_ms.push_back(m.seconds * 1000);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::vector<double> late_ms;
  late_ms.reserve(t.accepted.size());
  for (const auto& m : t.accepted) late_ms.push_back(m.late * 1000);
  std::sort(late_ms.begin(), late_ms.end());
  const auto ok = static_cast<long>(t.accepted.size());
  std::printf(
      "{\"sessions\":%d,\"mails\":%ld,\"size\":%zu,\"offered_rate\":%.0f,\"ok\":%ld,\"failed\":%ld,"
      "\"seconds\":%.3f,\"rate\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
      "\"late_p99_ms\":%.2f,\"late_max_ms\":%.2f,\"start\":%.6f,\"login_seconds\":%.3f,"
      "\"idle_requested\":%ld,\"idle_open\":%zu,\"idle_still_open\":%zu,\"first_failure\":%s}\n",
      o.sessions, o.mails, o.size, o.rate, ok, t.failed, seconds,
      seconds > 0 ? static_cast<double>(ok) / seconds : 0.0, percentile(latencies_ms, 0.50),
      percentile(latencies_ms, 0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back(),
      percentile(late_ms, 0.99), late_ms.empty() ? 0.0 : late_ms.back(), start_at, login_seconds,
      o.idle, idle.size(), still_open,
      json_string(!t.first_failure.empty() ? t.first_failure : idle_failure).c_str());
  return t.failed == 0 && idle_failure.empty() ? 0 : 1;
}
