#!/usr/bin/env python3
"""SMTP intake side by side: mail2sms, Postfix's smtpd queuing to disk, and smtp-sink, in one run.

Three servers on loopback, each loaded the same way:
  - mail2sms serve (build/mail2sms) with a private PostgreSQL, accepting only
    ([dispatch] enabled = false): a 250 means the mail's rows are committed;
  - a private Postfix (its own config and queue in a temporary directory) whose smtpd puts every
    mail on the hold queue: a 250 means the queue file is written and fsynced, nothing delivered;
  - smtp-sink, which accepts and throws away: the ceiling for this machine and this client.

Accepted mails per second come from Postfix's smtp-source (-d: sessions stay connected) with 1,
10 and 100 sessions and 1 KiB mails; with --connection-per-mail, smtp-source's default instead:
each mail on a connection of its own (connect, greeting, HELO, the mail, QUIT), the way
sendmail(1), cron mailers and most alerting tools send. Issue #3's reference figures (smtp-sink
about 3,700/s with 1 session, 12,000/s with 20 and 9,000/s with 100, lower at 100 than at 20)
have that mode's shape; with -d smtp-sink rises all the way to 100 sessions on this VM. The
latency of the reply to the final dot, p50/p99, comes from bench/smtp_bench at half of each
server's peak rate (its sessions stay connected in either mode; all on one thread with epoll, as
smtp-source runs them, unless --client-engine threads). Then, on mail2sms only, 10,000
idle connections are opened and held: the server's resident memory before and with them; then
the 100-session rate of smtp_bench (a thread per session) without and with them open,
in the order without, with, with, without. Prints a markdown report.

With --rounds N the rates and latencies are measured N times over (the servers still take turns
within each round; mail2sms's tables keep growing from round to round), each round's table is
printed, and then the medians: each server's rate, and each ratio and p99 of mail2sms taken
round by round, with the number of rounds in which each of issue #3's targets held, and the
p50/p99 of every final-dot reply of all the rounds' latency runs together. On a VM whose speed
moves between runs, those are the figures to quote.

    bench/smtp_compare.py                      # the whole table (a few minutes)
    bench/smtp_compare.py --only mail2sms --sessions 100
    bench/smtp_compare.py --rounds 5 --no-idle          # medians of five side-by-side rounds
    bench/smtp_compare.py --connection-per-mail --no-idle --sessions 1 --sessions 20 --sessions 100
    bench/smtp_compare.py --rounds 3 --slow-fsync 180     # as if fdatasync took about 0.2 ms

--slow-fsync US preloads bench/slow_fsync.cpp's library into PostgreSQL and Postfix (not into
smtp-sink or the clients): each fsync and fdatasync then takes at least US microseconds. Issue
#3's targets were set where fdatasync took about 0.2 ms; on a machine whose disk flushes faster,
this measures under that condition. It is a what-if: quote it beside the plain run, never
instead of it.

Needs: scripts/setup (postfix, which brings smtp-source and smtp-sink) and scripts/build (which
builds bench/smtp_bench too); MAIL2SMS_BENCH_BUILD names another build directory.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..", "tests", "e2e")
sys.path.insert(0, E2E)
BUILD = os.environ.get("MAIL2SMS_BENCH_BUILD", os.path.join(HERE, "..", "build"))
os.environ.setdefault("MAIL2SMS_BIN", os.path.join(BUILD, "mail2sms"))
import harness  # noqa: E402  (after the path and MAIL2SMS_BIN are set)
from test_clients import PrivatePostfix  # noqa: E402
from smtp_load import percentile  # noqa: E402  (ranked as smtp_bench ranks its own)

HOST = "127.0.0.1"
RECIPIENT = "+27821234567@%s" % harness.DOMAIN
SENDER = "load@example.com"
IDLE = 10000


def mails_for(sessions, scale):
    return int({1: 3000, 10: 10000, 100: 20000}.get(sessions, 10000) * scale)


class HoldingPostfix(PrivatePostfix):
    """A private Postfix whose smtpd accepts mail for the SMS domain from loopback and holds it."""

    def __init__(self, port, preload=None):
        super().__init__(relay_port=port, user="unused", password="unused")
        self.port = port
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write("%s:%d inet n - n - - smtpd\n" % (HOST, port) + self.MASTER_CF)
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            f.write(self.instance_main_cf() + f"""\
myhostname = bench.example.com
mydestination =
local_recipient_maps =
relay_domains = {harness.DOMAIN}
mynetworks = 127.0.0.0/8
inet_interfaces = {HOST}
inet_protocols = ipv4
smtpd_client_restrictions = check_client_access static:HOLD
smtpd_recipient_restrictions = permit_mynetworks, reject
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
""")
            if preload:  # Postfix's programs keep only the environment this names
                f.write("import_environment = %s %s\n" % (
                    subprocess.run(["postconf", "-dh", "import_environment"], capture_output=True,
                                   text=True, check=True).stdout.strip(),
                    " ".join("%s=%s" % kv for kv in preload.items())))


class Sink:
    def __init__(self):
        self.port = harness.free_port()
        user = ["-u", "postfix"] if os.geteuid() == 0 else []  # it refuses to run as root
        self.proc = subprocess.Popen(["smtp-sink", *user, "-m", "2000", "%s:%d" % (HOST, self.port), "1024"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        harness.wait_for_port(self.port, proc=self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def smtp_source(port, sessions, mails, size, reuse=True):
    """Accepted mails per second as smtp-source sees it: mails / wall time of the whole run.
    reuse: sessions stay connected (-d); else a connection per mail."""
    started = time.monotonic()
    r = subprocess.run(["smtp-source", *(["-d"] if reuse else []), "-s", str(sessions), "-m", str(mails), "-l", str(size),
                        "-f", SENDER, "-t", RECIPIENT, "%s:%d" % (HOST, port)],
                       capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    if r.returncode != 0:
        raise RuntimeError("smtp-source against port %d failed (%d): %s" % (port, r.returncode, r.stderr.strip()))
    return mails / took


def smtp_bench(port, *args, engine, keep_latencies=False):
    """engine: smtp_bench's --engine. "events" runs every session on one thread with epoll, as
    smtp-source does; "threads" a thread each (the only client before session 29, 2026-12-01).
    A thread per session adds a wake-up of its own to each reply, and on 2 vCPUs the client's
    100 threads compete with the server for the CPUs (docs/PERFORMANCE.md, session 29).
    keep_latencies: the result also has "latencies_ms", every accepted mail's final-dot reply
    (from smtp_bench's --times file), for the percentiles over all rounds."""
    with tempfile.TemporaryDirectory(prefix="smtp-compare-") as tmp:
        times = os.path.join(tmp, "times.txt")
        r = subprocess.run([os.path.join(BUILD, "bench", "smtp_bench"), "--port", str(port),
                            "--from", SENDER, "--to", RECIPIENT, "--engine", engine,
                            *(["--times", times] if keep_latencies else []), *map(str, args)],
                           capture_output=True, text=True, timeout=900)
        if not r.stdout.strip():
            raise RuntimeError("smtp_bench %s printed no result (exit status %d): %s"
                               % (" ".join(map(str, args)), r.returncode, r.stderr.strip()))
        result = json.loads(r.stdout)
        if keep_latencies:
            # A line per accepted mail: index, when its final dot went, seconds until the reply.
            with open(times) as f:
                result["latencies_ms"] = [float(line.split()[2]) * 1000 for line in f]
    if r.returncode != 0:
        print("smtp_bench: %s" % result.get("first_failure"), file=sys.stderr)
    return result


def pooled(rounds, name):
    """Every final-dot reply of `name`'s latency runs over all the rounds, sorted: a p99 of one
    ten-second run moves with whatever else the machine did in those seconds, the p99 of all the
    runs' replies together is the server's over the whole measurement."""
    return sorted(x for _, lat in rounds for x in lat[name].get("latencies_ms", []))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def idle_memory(bridge):
    """mail2sms's resident memory before and while IDLE connections are held, and the rate of a
    100-session load run while they are."""
    pid = bridge.proc.pid
    before = rss_kib(pid)
    holder = subprocess.Popen([os.path.join(BUILD, "bench", "smtp_bench"), "--port", str(bridge.smtp_port),
                               "--idle", str(IDLE), "--hold", "600"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    opened = holder.stderr.readline()
    m = re.search(r"(\d+) idle connections open", opened)
    held = int(m.group(1)) if m else 0
    time.sleep(2)  # let the server settle every session
    with_idle = rss_kib(pid)
    holder.send_signal(signal.SIGTERM)
    holder.wait(30)
    return before, with_idle, held


def idle_then_load(bridge, scale, rounds=2):
    """The 100-session rate without and with IDLE silent connections open, from the same client
    (smtp_bench holds the idle ones itself): `rounds` runs of each, in the order without, with,
    with, without (and so on), which a steady drift of the machine or of the bridge cancels out
    of the means: a later run of the same load can be faster (page cache and WAL files in place)
    or slower (tables grown by a few hundred thousand mails). Returns (open idle connections,
    result) in the order run."""
    load = ["--sessions", 100, "--mails", mails_for(100, scale), "--size", 1024]
    runs = []
    for i in range(2 * rounds):
        idle = IDLE if i % 4 in (1, 2) else 0
        # A thread per session, as in every session before 29, so these rates compare with theirs.
        extra = ["--idle", idle] if idle else []
        runs.append((idle, smtp_bench(bridge.smtp_port, *extra, *load, engine="threads")))
    return runs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["mail2sms", "postfix", "smtp-sink"], action="append")
    p.add_argument("--sessions", type=int, action="append", help="default: 1, 10 and 100")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies the mail counts")
    p.add_argument("--no-idle", action="store_true", help="skip the 10,000 idle connections")
    p.add_argument("--group-commit", type=int, default=128, help="mail2sms [database] group_commit")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat the rates and latencies this many times, then print the medians")
    p.add_argument("--connection-per-mail", action="store_true",
                   help="smtp-source without -d: every mail on a new connection (the latency run "
                        "at half that peak still keeps its sessions connected)")
    p.add_argument("--slow-fsync", type=int, metavar="US",
                   help="make every fsync and fdatasync of PostgreSQL and Postfix take at least US "
                        "microseconds (bench/slow_fsync.cpp)")
    p.add_argument("--client-engine", choices=["events", "threads"], default="events",
                   help="the latency runs' client: smtp_bench's sessions on one epoll thread "
                        "(default) or a thread each")
    p.add_argument("--wal-reserve", type=int, metavar="MB",
                   help="mail2sms's [database] wal_reserve_mb (default: mail2sms's own; 0: none)")
    a = p.parse_args()
    if a.rounds < 1:
        sys.exit("bench/smtp_compare.py: --rounds needs a count of 1 or more")
    targets = a.only or ["mail2sms", "postfix", "smtp-sink"]
    session_counts = a.sessions or [1, 10, 100]
    for tool in ("smtp-source", "smtp-sink", "postfix"):
        if shutil.which(tool) is None:
            sys.exit("bench/smtp_compare.py: %s not found: run scripts/setup" % tool)
    if not os.path.exists(os.path.join(BUILD, "bench", "smtp_bench")):
        sys.exit("bench/smtp_compare.py: no %s/bench/smtp_bench: run scripts/build" % BUILD)
    preload = None
    if a.slow_fsync is not None:
        library = os.path.join(BUILD, "bench", "libslow_fsync.so")
        if not os.path.exists(library):
            sys.exit("bench/smtp_compare.py: no %s: run scripts/build" % library)
        preload = {"LD_PRELOAD": os.path.abspath(library), "SLOW_FSYNC_US": str(a.slow_fsync)}

    servers = {}
    stops = []
    try:
        # serve and the PostgreSQL it starts inherit the preload; the clients, started later, don't.
        os.environ.update(preload or {})
        if "mail2sms" in targets:
            bridge = harness.Bridge(
                extra_smtp="max_connections = %d\nmax_connections_per_ip = %d" % (IDLE + 1000, IDLE + 1000),
                extra_config="[dispatch]\nenabled = false\n", credit=10**12, wal_reserve_mb=a.wal_reserve)
            stops.append(bridge.stop)
            set_group_commit(bridge, a.group_commit)
            bridge.cli("account", "network", "add", harness.ACCOUNT, "127.0.0.1/32")
            servers["mail2sms"] = bridge.smtp_port
        if "postfix" in targets:
            postfix = HoldingPostfix(harness.free_port(), preload)
            stops.append(postfix.stop)
            postfix.start()
            harness.wait_for_port(postfix.port)
            servers["postfix"] = postfix.port
        if "smtp-sink" in targets:
            sink = Sink()
            stops.append(sink.stop)
            servers["smtp-sink"] = sink.port
        for name in preload or {}:
            del os.environ[name]
        if preload:
            print("fsync and fdatasync take at least %d µs in PostgreSQL and Postfix (%s)\n"
                  % (a.slow_fsync, ", ".join(preloaded(bridge if "mail2sms" in servers else None,
                                     postfix if "postfix" in servers else None))))

        print("smtp-source: %s\n" % ("a connection per mail" if a.connection_per_mail
                                      else "sessions stay connected (-d)"))
        print("smtp_bench, the latency runs: %s\n" % (
            "every session on one thread (epoll)" if a.client_engine == "events" else "a thread per session"))
        rounds = []
        for round_no in range(1, a.rounds + 1):
            if a.rounds > 1:
                print("%s## Round %d of %d\n" % ("" if round_no == 1 else "\n", round_no, a.rounds))
            rates, latency = measure(servers, session_counts, a.scale, not a.connection_per_mail,
                                     a.client_engine)
            print_round(servers, session_counts, rates, latency)
            rounds.append((rates, latency))
        if a.rounds > 1 and "mail2sms" in servers:
            print_medians(servers, session_counts, rounds)
        if "mail2sms" in servers:
            if not a.no_idle:
                before, with_idle, held = idle_memory(bridge)
                print("\nmail2sms resident memory: %d KiB before, %d KiB with %d idle connections: %.1f KiB each"
                      % (before, with_idle, held, (with_idle - before) / max(held, 1)))
                runs = idle_then_load(bridge, a.scale)
                for idle, r in runs:
                    if idle:
                        print("smtp_bench, 100 sessions: %.0f mails/s (p50 %.2f ms, p99 %.2f ms) with %d idle "
                              "connections open (still open at the end: %d, failures: %d)"
                              % (r["rate"], r["p50_ms"], r["p99_ms"], r["idle_open"],
                                 r["idle_still_open"], r["failed"]))
                    else:
                        print("smtp_bench, 100 sessions: %.0f mails/s (p50 %.2f ms, p99 %.2f ms) without idle "
                              "connections (failures: %d)" % (r["rate"], r["p50_ms"], r["p99_ms"], r["failed"]))
                mean = lambda runs: sum(r["rate"] for r in runs) / len(runs)
                without = [r for idle, r in runs if not idle]
                under_idle = [r for idle, r in runs if idle]
                print("mean: %.0f mails/s without, %.0f with the idle connections (%+.1f %%)"
                      % (mean(without), mean(under_idle), 100 * (mean(under_idle) / mean(without) - 1)))
            print("\n" + group_commit_line(bridge))
    finally:
        for stop in reversed(stops):
            try:
                stop()
            except Exception as e:  # keep stopping the others
                print("stopping: %s" % e, file=sys.stderr)


def measure(servers, session_counts, scale, reuse, engine):
    """One round: each server's rate at each session count (the servers taking turns), then
    each one's final-dot latency at half its peak, from smtp_bench's `engine`."""
    rates = {name: {} for name in servers}
    for sessions in session_counts:
        for name, port in servers.items():
            rates[name][sessions] = smtp_source(port, sessions, mails_for(sessions, scale), 1024, reuse)
            print("# %s, %d sessions: %.0f mails/s" % (name, sessions, rates[name][sessions]), file=sys.stderr)
    latency = {}
    for name, port in servers.items():
        best = max(rates[name], key=lambda s: rates[name][s])
        offered = rates[name][best] / 2
        latency[name] = smtp_bench(port, "--sessions", best, "--rate", "%.0f" % offered,
                                   "--mails", max(1000, int(offered * 10 * scale)), "--size", 1024,
                                   engine=engine, keep_latencies=True)
        latency[name]["at_sessions"] = best
    return rates, latency


def print_round(servers, session_counts, rates, latency):
    print("| server | " + " | ".join("%d session%s" % (s, "" if s == 1 else "s") for s in session_counts)
          + " | offered (half peak) | achieved | p50 final dot | p99 final dot |")
    print("|---|" + "---:|" * (len(session_counts) + 4))
    for name in servers:
        lat = latency[name]
        print("| %s | %s | %.0f/s (%d sessions) | %.0f/s | %.2f ms | %.2f ms |" % (
            name, " | ".join("%.0f/s" % rates[name][s] for s in session_counts),
            lat["offered_rate"], lat["at_sessions"], lat["rate"], lat["p50_ms"], lat["p99_ms"]))
    for name in servers:
        # The latency starts at the final dot: mails that waited for a free session, or failed,
        # are not in it, so say so wherever either happened.
        lat = latency[name]
        if lat.get("failed") or lat.get("late_p99_ms", 0) >= 1:
            print("\n%s's latency run: %d failed; p99 %.2f ms, at most %.2f ms between when a mail "
                  "was due and when a session was free to send it"
                  % (name, lat.get("failed", 0), lat.get("late_p99_ms", 0), lat.get("late_max_ms", 0)))
    if "mail2sms" in servers:
        for other in ("postfix", "smtp-sink"):
            if other in servers:
                print("\nmail2sms / %s: %s" % (other, ", ".join(
                    "%d sessions %.2fx" % (s, rates["mail2sms"][s] / rates[other][s]) for s in session_counts)))


def print_medians(servers, session_counts, rounds):
    """The medians over the rounds, and in how many rounds each of issue #3's targets held (the
    ratios are taken round by round: each against the other servers' rates of the same round)."""
    n = len(rounds)
    print("\n## Medians over %d rounds\n" % n)
    replies_of = {name: pooled(rounds, name) for name in servers}
    for name in servers:
        replies = replies_of[name]
        print("%s: %s; p99 final dot at half the peak %.2f ms (all %d replies of the %d latency "
              "runs together: p50 %.2f ms, p99 %.2f ms)" % (name, ", ".join(
                  "%d sessions %.0f/s" % (s, statistics.median(r[name][s] for r, _ in rounds))
                  for s in session_counts),
                  statistics.median(lat[name]["p99_ms"] for _, lat in rounds), len(replies), n,
                  percentile(replies, 50), percentile(replies, 99)))
    targets = {"postfix": 5.0, "smtp-sink": 0.40}
    for other, target in targets.items():
        if other not in servers:
            continue
        for s in session_counts:
            ratios = [r["mail2sms"][s] / r[other][s] for r, _ in rounds]
            line = "mail2sms / %s, %d sessions: median %.2fx (rounds: %s)" % (
                other, s, statistics.median(ratios), ", ".join("%.2fx" % x for x in ratios))
            if s == 100:
                line += "; at least %.2fx in %d of %d" % (target, sum(x >= target for x in ratios), n)
            print(line)
    p99 = [lat["mail2sms"]["p99_ms"] for _, lat in rounds]
    print("mail2sms p99 final dot at half the peak: %s; under 20 ms in %d of %d; over all %d rounds' "
          "replies together %.2f ms" % (", ".join("%.2f ms" % x for x in p99), sum(x < 20 for x in p99),
                                        n, n, percentile(replies_of["mail2sms"], 99)))


def preloaded(bridge, postfix):
    """Whether bench/slow_fsync.cpp's library is mapped into PostgreSQL's postmaster and Postfix's
    master (their children are forked or started with its environment)."""
    def has_it(pid):
        with open("/proc/%d/maps" % pid) as f:
            return "libslow_fsync.so" in f.read()
    found = []
    if bridge is not None:
        with open(os.path.join(bridge.dir, "pg", "data", "postmaster.pid")) as f:
            found.append("PostgreSQL %s" % ("preloaded" if has_it(int(f.readline())) else "NOT preloaded"))
    if postfix is not None:
        with open(os.path.join(postfix.queue_dir, "pid", "master.pid")) as f:
            found.append("Postfix %s" % ("preloaded" if has_it(int(f.read())) else "NOT preloaded"))
    return found


def set_group_commit(bridge, size):
    """Restart serve with [database] group_commit = size (the harness writes the default)."""
    if size == 128:
        return
    with open(bridge.config) as f:
        text = f.read()
    text = text.replace('embedded = "pg"', 'embedded = "pg"\ngroup_commit = %d' % size)
    with open(bridge.config, "w") as f:
        f.write(text)
    bridge.proc.send_signal(signal.SIGTERM)
    bridge.proc.wait(30)
    bridge.proc = subprocess.Popen([harness.BINARY, "serve", "--config", bridge.config],
                                   stdout=bridge.log, stderr=subprocess.STDOUT)
    harness.wait_for_port(bridge.smtp_port, proc=bridge.proc)


def group_commit_line(bridge):
    """serve logs its group-commit totals when it stops: stop it now to read them."""
    bridge.proc.send_signal(signal.SIGTERM)
    bridge.proc.wait(60)
    m = re.findall(r"group commit: .*", bridge.serve_log())
    return "mail2sms " + m[-1] if m else "mail2sms logged no group-commit totals"


if __name__ == "__main__":
    main()
