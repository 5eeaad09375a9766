// mail2sms serve: the SMTP listeners, the dispatcher and the connectors in one process.
// Order of start: config, database, migrations, connectors, dispatcher, listeners; stop is the
// reverse, on SIGINT or SIGTERM.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/allocator.hpp"
#include "cli/common.hpp"
#include "cli/connectors.hpp"
#include "core/acceptance.hpp"
#include "core/connectors/smpp/transport.hpp"
#include "core/dispatch/dispatcher.hpp"
#include "core/notify/notifier.hpp"
#include "core/notify/postmaster_forward.hpp"
#include "smtpd/listener.hpp"
#include "sql/account_changes.hpp"
#include "sql/group_commit.hpp"
#include "sql/migrate.hpp"
#include "sql/notifications.hpp"
#include "sql/postmaster.hpp"
#include "sql/retention.hpp"
#include "sql/store.hpp"

namespace mail2sms::cli {
namespace {

namespace asio = boost::asio;

smtpd::protocol_settings protocol_settings_of(const config::smtp_config& smtp) {
  smtpd::protocol_settings p;
  p.hostname = smtp.hostname;
  p.domains = smtp.domains;
  p.max_message_size = smtp.max_message_size;
  p.max_recipients = smtp.max_recipients;
  p.max_command_line = smtp.max_command_line;
  p.max_text_line = smtp.max_text_line;
  p.plaintext_auth = smtp.plaintext_auth;
  p.max_errors = static_cast<unsigned>(smtp.max_errors);
  p.postmaster = smtp.postmaster;
  return p;
}

// How long a stop may take: the sessions' grace ([smtp] shutdown_grace), a commit still in flight
// then ([database] answer_timeout), the dispatcher's messages in flight (up to 30 s, where it
// runs) and a delivery-status mail at the relay ([notifications] timeout, where they are on).
// Whatever is still busy after all of that waits on a database that hangs (a look-up the intake or
// a thread of serve's is blocked in): serve logs that it leaves it and exits 1 without waiting on.
// Nothing answered 250 is lost (it was committed first); what the abandoned connections had not
// committed rolls back with them.
class stop_deadline {
 public:
  void arm(std::chrono::seconds bound) {
    thread_ = std::jthread([bound](std::stop_token stop) {
      std::mutex mutex;
      std::condition_variable_any never;
      std::unique_lock lock(mutex);
      never.wait_for(lock, stop, bound, [] { return false; });
      if (stop.stop_requested()) return;
      spdlog::error(
          "stopping: work still waiting on the database {} s after the stop began; exiting "
          "without it (does PostgreSQL hang? see [database] answer_timeout)",
          bound.count());
      spdlog::default_logger()->flush();
      std::_Exit(exit_failure);
    });
  }
  // ~stop_deadline: the stop ended in time (or never began), the deadline is called off.

 private:
  std::jthread thread_;
};

// Every connection is a descriptor: raise the soft limit to the hard one (as MTAs do) and say so
// when even that cannot hold max_connections, which would otherwise fail as "accept: too many
// open files" under load.
void raise_descriptor_limit(std::size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  // Database, SMSC binds, logs, listeners; and refused implicit-TLS connections waiting on
  // their handshakes.
  constexpr std::size_t reserve = 64 + smtpd::server::max_tls_refusals;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < max_connections + reserve) {
    spdlog::warn("smtp.max_connections is {} but only {} file descriptors are allowed "
                 "(ulimit -n); connections beyond that fail to be accepted",
                 max_connections, static_cast<std::uint64_t>(limit.rlim_cur));
  }
}

core::dispatch_settings dispatch_settings_of(const config::dispatch_config& d) {
  core::dispatch_settings s;
  s.batch_size = d.batch_size;
  s.max_attempts = d.max_attempts;
  s.retry_base = d.retry_base;
  s.retry_max = d.retry_max;
  s.validity = d.validity;
  s.max_in_flight = d.max_in_flight;
  s.claim_interval = std::chrono::milliseconds(d.claim_interval_ms);
  return s;
}

std::string machine_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

notify::notifier_settings notifier_settings_of(const config::config& cfg) {
  const auto& n = cfg.notifications;
  notify::notifier_settings s;
  s.hostname = n.hostname.empty() ? machine_name() : n.hostname;
  s.relay = notify::relay_settings{.host = n.relay.host,
                                   .port = n.relay.port,
                                   .helo_name = s.hostname,
                                   .starttls = n.starttls,
                                   .tls = nullptr,
                                   .server_name = n.tls_server_name,
                                   .tls_verify = n.tls_verify,
                                   .auth_user = n.auth_user,
                                   .auth_password = n.auth_password,
                                   .timeout = n.timeout};
  if (n.starttls != "off") {
    try {
      s.relay.tls = smpp::client_tls_context(n.tls_ca_file, n.tls_verify);
    } catch (const std::exception& e) {
      throw exit_error{exit_usage, cfg.source + ": notifications.tls_ca_file: " + e.what()};
    }
  }
  s.from = n.from;
  s.recipient_domain = cfg.smtp.domains.empty() ? s.hostname : cfg.smtp.domains.front();
  s.retry_base = n.retry_base;
  s.retry_max = n.retry_max;
  s.give_up_after = n.give_up_after;
  return s;
}

void serve(const std::string& config_path) {
  const auto cfg = load_config(config_path);
  spdlog::set_level(spdlog::level::from_str(cfg.log.level));

  std::shared_ptr<asio::ssl::context> tls;
  if (!cfg.smtp.tls_cert.empty()) {
    try {
      tls = smtpd::make_tls_context(cfg.smtp.tls_cert, cfg.smtp.tls_key);
    } catch (const std::exception& e) {
      throw exit_error{exit_usage, cfg.source + ": smtp.tls_cert: " + e.what()};
    }
  }

  raise_descriptor_limit(cfg.smtp.max_connections);
  database db(cfg.database);
  // Called off when it goes out of scope, after everything below and before the embedded
  // cluster stops (that stop is pg_ctl's, bounded by pg_ctl).
  stop_deadline stop_limit;
  auto migrated = sql::migrate(db.connection_string());
  if (!migrated) throw exit_error{exit_failure, "migrations: " + migrated.error()};
  for (const auto& name : migrated->applied) spdlog::info("database: applied migration {}", name);

  sql::store store(db.connection_string());
  sql::group_committer committer(
      db.connection_string(),
      {.max_batch = static_cast<std::size_t>(cfg.database.group_commit),
       .writers = static_cast<std::size_t>(cfg.database.commit_writers),
       .lock_timeout = std::chrono::seconds(cfg.database.lock_timeout),
       .answer_timeout = std::chrono::seconds(cfg.database.answer_timeout)});
  core::price_table prices;
  prices.default_price = cfg.pricing.default_price;
  for (const auto& [country, price] : cfg.pricing.by_country) prices.by_country.emplace(country, price);
  core::acceptance acceptance(committer, prices);
  core::receipt_recorder receipts(store, cfg.dispatch.reply_parts_wait);
  // Connectors bind only in a process that sends; an accept-only process leaves that to others.
  std::optional<connector_set> connectors;
  std::optional<core::dispatcher> dispatcher;
  std::optional<core::part_queries> queries;  // query_sm for parts without a final receipt
  // Declared after the connectors: it stops (recording and acknowledging what it holds) before
  // they do.
  std::jthread receipt_thread;
  if (cfg.dispatch.enabled) {
    connectors.emplace(cfg, &receipts);
    receipt_thread = std::jthread([&receipts](std::stop_token stop) { receipts.run(stop); });
    auto dispatch = dispatch_settings_of(cfg.dispatch);
    dispatch.hold_unknown = connectors->hold_unknown();
    dispatcher.emplace(store, connectors->routes(), dispatch);
    std::map<std::string, std::chrono::seconds, std::less<>> query_after;
    for (const auto& t : connectors->query_targets())
      query_after[t.connector->name()] = t.query_after;
    store.set_query_after(std::move(query_after));
    if (!connectors->query_targets().empty())
      queries.emplace(store, store, connectors->query_targets(), cfg.dispatch.validity);
  } else {
    spdlog::info("dispatch disabled: this process accepts mail only");
  }

  // Delivery-status mails: their own thread and database connections; without [notifications]
  // the outbox only fills, and the accounts that asked are named.
  sql::notification_store outbox(db.connection_string());
  std::optional<notify::notifier> notifier;
  if (cfg.notifications.enabled) {
    notifier.emplace(outbox, notifier_settings_of(cfg));
  } else if (auto wanting = outbox.accounts_wanting_notifications(); wanting && !wanting->empty()) {
    std::string names;
    for (const auto& name : *wanting) names += (names.empty() ? "" : ", ") + name;
    spdlog::warn("accounts {} ask for delivery-status mails (notify) but {} has no [notifications] "
                 "section: none are sent",
                 names, cfg.source);
  }

  asio::io_context io(1);
  asio::thread_pool blocking(static_cast<std::size_t>(cfg.database.pool_size));
  asio::thread_pool hashing(2);
  asio::thread_pool converting(2);
  smtpd::account_resolver resolver;
  smtpd::auth_limiter auth_failures(smtpd::auth_limits{.per_ip = cfg.smtp.auth_failures_per_ip,
                                                       .per_user = cfg.smtp.auth_failures_per_user,
                                                       .window = cfg.smtp.auth_failure_window});
  smtpd::account_cache known_accounts({.ttl = cfg.smtp.account_cache, .capacity = 10000});
  // What the sessions remember of accounts goes as soon as the database says they changed
  // (the CLI, another host); joined before known_accounts goes.
  std::optional<std::jthread> account_watch;
  if (cfg.smtp.account_cache.count() > 0) {
    account_watch.emplace(
        [&known_accounts, conninfo = db.connection_string()](std::stop_token stop) {
          sql::watch_account_changes(conninfo, stop, [&known_accounts] {
            known_accounts.clear();
            spdlog::info(
                "accounts changed in the database: what was remembered of client networks and "
                "certificates is forgotten");
          });
        });
  }
  smtpd::session_services services{store,
                                   known_accounts,
                                   acceptance,
                                   resolver,
                                   blocking,
                                   hashing,
                                   converting,
                                   auth_failures,
                                   cfg.smtp.command_timeout,
                                   cfg.smtp.data_timeout,
                                   cfg.smtp.session_timeout};
  // Mail to the postmaster, kept; and forwarded where [notifications] postmaster_to says, by a
  // thread of its own (started below) on the notifications relay.
  const bool forward_postmaster =
      cfg.notifications.enabled && !cfg.notifications.postmaster_to.empty();
  sql::postmaster_box postmaster(db.connection_string(),
                                 static_cast<std::int64_t>(cfg.smtp.postmaster_mailbox_size),
                                 forward_postmaster ? cfg.notifications.postmaster_to : "");
  services.postmaster = &postmaster;
  services.database_timeout = std::chrono::seconds(cfg.database.answer_timeout);
  smtpd::postmaster_budget postmaster_limit(cfg.smtp.postmaster_per_client);
  services.postmaster_limit = &postmaster_limit;
  smtpd::server server(io, protocol_settings_of(cfg.smtp), tls,
                       {.total = cfg.smtp.max_connections, .per_ip = cfg.smtp.max_connections_per_ip},
                       services);
  // SIGHUP: forget the accounts client networks and certificates identified (an operator's
  // changes reach the next connection), and load the certificate and key again (renewed
  // certificates); sessions already open keep the one they started with. A file that does not
  // load leaves the old one in use.
  asio::signal_set reload_signal(io, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload_signal.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      known_accounts.clear();
      spdlog::info("SIGHUP: client networks and certificates will be looked up again");
      if (!cfg.smtp.tls_cert.empty()) {
        try {
          server.replace_tls(smtpd::make_tls_context(cfg.smtp.tls_cert, cfg.smtp.tls_key));
          spdlog::info("SIGHUP: TLS certificate reloaded from {}", cfg.smtp.tls_cert);
        } catch (const std::exception& e) {
          spdlog::error("SIGHUP: keeping the current certificate: {}", e.what());
        }
      }
      await_reload();
    });
  };
  await_reload();

  // SIGINT/SIGTERM: stop (see server::shutdown). Both signal sets are in place before the
  // listeners open: a client (or a test, or systemd) that sees the port open may signal at once,
  // and a signal without a handler would kill the process instead of stopping it.
  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: stopping", signo);
    stop_limit.arm(
        cfg.smtp.shutdown_grace + std::chrono::seconds(cfg.database.answer_timeout) +
        (dispatcher ? std::chrono::seconds(30) : std::chrono::seconds(0)) +
        (cfg.notifications.enabled ? cfg.notifications.timeout : std::chrono::seconds(0)));
    reload_signal.cancel();
    server.shutdown(cfg.smtp.shutdown_grace);
  });

  try {
    for (const auto& ep : cfg.smtp.listen) server.listen(ep.host, ep.port, false);
    for (const auto& ep : cfg.smtp.listen_tls) server.listen(ep.host, ep.port, true);
    for (const auto& ep : cfg.smtp.listen_plaintext_auth)
      server.listen(ep.host, ep.port, false, true);
  } catch (const std::exception& e) {
    throw exit_error{exit_failure, std::string("cannot listen: ") + e.what()};
  }

  // Housekeeping, now and every hour: message texts past the retention period, and rate-limit
  // windows nobody reads any more.
  std::jthread housekeeping([&store, &db, days = cfg.retention.body_days](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any wake;
    do {
      if (auto purged = sql::purge_bodies(db.connection_string(), days)) {
        if (purged->messages + purged->replies + purged->notifications + purged->postmaster > 0) {
          spdlog::info(
              "retention: erased the texts of {} messages and {} replies, {} "
              "notifications and {} mails to the postmaster older than {} days",
              purged->messages, purged->replies, purged->notifications, purged->postmaster, days);
        }
      } else {
        spdlog::warn("retention: purge failed, trying again in an hour: {}", purged.error().message);
      }
      if (auto expired = store.expire_usage_counters(); !expired) {
        spdlog::warn("rate-limit windows not expired: {}", expired.error().message);
      }
      std::unique_lock lock(m);
      wake.wait_for(lock, stop, std::chrono::hours(1), [] { return false; });
    } while (!stop.stop_requested());
  });

  std::jthread notify_thread;
  if (notifier) {
    notify_thread = std::jthread([&notifier](std::stop_token stop) { notifier->run(stop); });
  }

  std::optional<notify::postmaster_forwarder> forwarder;
  std::jthread forward_thread;
  if (forward_postmaster) {
    auto settings = notifier_settings_of(cfg);
    settings.idle_wait = std::chrono::seconds(2);  // polled: mail to the postmaster is rare
    forwarder.emplace(postmaster, std::move(settings));
    forward_thread = std::jthread([&forwarder](std::stop_token stop) { forwarder->run(stop); });
  }

  std::jthread dispatch_thread;
  if (dispatcher) {
    dispatch_thread = std::jthread([&dispatcher](std::stop_token stop) { dispatcher->run(stop); });
  }
  std::jthread query_thread;
  if (queries) {
    query_thread = std::jthread([&queries](std::stop_token stop) { queries->run(stop); });
  }

  spdlog::info("memory allocator: {}", allocator_description());
  spdlog::info("mail2sms: serving");
  io.run();

  if (query_thread.joinable()) {
    query_thread.request_stop();
    query_thread.join();
  }
  // A mail being handed to the relay finishes first (at most [notifications] timeout); the
  // forwarder starts no other.
  if (notify_thread.joinable()) notify_thread.request_stop();
  if (forward_thread.joinable()) forward_thread.request_stop();
  if (dispatch_thread.joinable()) {
    dispatch_thread.request_stop();
    dispatch_thread.join();
  }
  // Record and acknowledge the receipts still queued while the connectors are bound; the
  // connectors stop after (receipts arriving in between are not acknowledged: the SMSC resends).
  if (receipt_thread.joinable()) {
    receipt_thread.request_stop();
    receipt_thread.join();
  }
  if (notify_thread.joinable()) notify_thread.join();
  if (forward_thread.joinable()) forward_thread.join();
  blocking.join();
  hashing.join();
  converting.join();
  account_watch.reset();  // stops and joins the account change listener
  spdlog::info("mail2sms: stopped");
}

}  // namespace

void add_serve_command(CLI::App& app) {
  static std::string config_path;
  auto* cmd = app.add_subcommand("serve", "run the SMTP listeners, the dispatcher and the connectors");
  add_config_option(*cmd, config_path);
  cmd->callback([] { serve(config_path); });
}

}  // namespace mail2sms::cli
