#!/usr/bin/env python3
"""SMTP load on a whole bridge: mail2sms serve + a private PostgreSQL + smsc-sim (tests/e2e/harness.py).

C sessions each connect to 127.0.0.1, EHLO, AUTH PLAIN once, then run MAIL/RCPT/DATA
transactions on that connection until N mails have been sent in all; with --rate, mail i is due at
start + i / rate (open loop) instead of as soon as the last was accepted. The sessions are
bench/smtp_bench's (C++, a thread each, MAIL/RCPT/DATA pipelined as RFC 2920 allows) unless
--client python, which runs them as Python threads with smtplib, one command at a time: on two
cores that client takes a fifth of the CPU and its GIL caps the rate of many sessions, so its
figures say as much about Python as about the bridge (the older tables in PERFORMANCE.md used it). A 250 to the final dot means the mail is committed (DESIGN.md, promise 1), so accepted
mails per second is the durable intake rate; its latency is from sending the final dot to the
reply. The simulator sends a delivery receipt for every part (receipts on).

Afterwards it waits until the simulator has received every accepted mail as an SMS, and then
until every message is `delivered` (its receipts stored, matched and settled), and reports:
end-to-end SMS/s and SMPP segments/s (at the SMSC, from the start to the last part received),
the latency from the final dot to the SMS's last part at the SMSC (p50/p99), and the rate of
messages delivered with their receipts recorded. Prints one markdown table row (--header for
the header too); the details go to stderr: phase times, CPU seconds of serve, PostgreSQL, the
simulator and this client, PostgreSQL's CPU by backend (named by the statement it runs most:
serve has one connection per thread), WAL bytes per mail, problems. Python standard library
only, plus psql for the counts.

The harness's bridge needs changes for this: AUTH without TLS and a per-address connection limit
above the session count (its extra_smtp), and an SMPP connector not held to the default 100
segments/s (a 1 KiB mail is 6 SMS parts). The harness takes no connector settings, so the
connector is tuned by editing its config file and restarting serve on the same ports.

    bench/smtp_load.py --sessions 10 --mails 2000 --body-size 1024 --window 100
    bench/smtp_load.py --sessions 50 --mails 10000 --body-size 256 --rate 700   # 1 part, paced
"""
import argparse
import base64
import collections
import glob
import json
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402  (after the path is set)

HOST = "127.0.0.1"  # never anything but loopback
FIRST_NUMBER = 1000000  # mail i goes to +2782 followed by FIRST_NUMBER + i


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=10, help="concurrent SMTP sessions (default 10)")
    p.add_argument("--mails", type=int, default=2000, help="mails to send in all (default 2000)")
    p.add_argument("--body-size", type=int, default=1024,
                   help="octets per mail, headers included (default 1024)")
    p.add_argument("--rate", type=float, default=0.0,
                   help="mails per second offered in all, paced over the sessions (open loop); "
                        "0: each session sends its next mail as soon as the last was accepted")
    p.add_argument("--time-limit", type=float, default=90.0,
                   help="--client python: seconds of sending at most; then the sessions QUIT "
                        "(default 90)")
    p.add_argument("--client", choices=("native", "python"), default="native",
                   help="native: bench/smtp_bench sends (default); python: smtplib threads")
    p.add_argument("--smtp-bench", metavar="PATH",
                   help="the smtp_bench program (default: bench/smtp_bench beside --binary, "
                        "else build-bench/bench/smtp_bench)")
    p.add_argument("--drain-timeout", type=float, default=90.0,
                   help="seconds to wait for the simulator to receive the accepted mails, and again "
                        "for their receipts to be recorded (default 90)")
    p.add_argument("--dispatch-batch", type=int, default=0,
                   help="[dispatch] batch_size; 0 keeps the default")
    p.add_argument("--receipt-delay", type=int, default=0, metavar="MS",
                   help="smsc-sim waits this long after a submit_sm_resp before its receipt "
                        "(default 0: at once, before serve has recorded the submit as a rule)")
    p.add_argument("--accept-only", action="store_true",
                   help="[dispatch] enabled = false: measures the intake alone (nothing is sent)")
    p.add_argument("--tps", type=int, default=100000,
                   help="the SMPP connector's segments-per-second limit; 0 keeps the product default "
                        "(100), which caps the end-to-end rate (default 100000)")
    p.add_argument("--window", type=int, default=0,
                   help="the SMPP connector's outstanding submit_sm; 0 keeps the default (32)")
    p.add_argument("--no-fsync", action="store_true",
                   help="run the private PostgreSQL with fsync=off (MAIL2SMS_PG_UNSAFE_NO_FSYNC=1): "
                        "shows what durability costs; never a figure to quote as the intake rate")
    p.add_argument("--binary", default=os.environ.get(
        "MAIL2SMS_BIN", os.path.join(HERE, "..", "build-bench", "mail2sms")))
    p.add_argument("--pg-set", action="append", default=[], metavar="NAME=VALUE",
                   help="ALTER SYSTEM SET on the private cluster before the load (diagnostics, e.g. "
                        "log_min_duration_statement=0); repeatable")
    p.add_argument("--statements", type=int, default=0, metavar="N",
                   help="load pg_stat_statements (planning tracked) and print the N statements "
                        "that took PostgreSQL the most time while the mails were sent")
    p.add_argument("--perf", metavar="FILE",
                   help="perf record -g of serve and PostgreSQL while the mails are sent, into FILE")
    p.add_argument("--keep-logs", metavar="DIR",
                   help="copy serve's and PostgreSQL's logs into DIR before the bridge is removed")
    p.add_argument("--header", action="store_true", help="print the table header first")
    a = p.parse_args()
    if a.client == "native":
        candidates = [a.smtp_bench] if a.smtp_bench else [
            os.path.join(os.path.dirname(os.path.abspath(a.binary)), "bench", "smtp_bench"),
            os.path.join(HERE, "..", "build-bench", "bench", "smtp_bench")]
        found = [c for c in candidates if c and os.access(c, os.X_OK)]
        if not found:
            p.error("no smtp_bench at %s: build it (BUILD_DIR=build-bench scripts/build "
                    "-DMAIL2SMS_BENCH=ON) or pass --client python" % " or ".join(candidates))
        a.smtp_bench = os.path.abspath(found[0])
    if a.sessions < 1 or a.mails < 1 or a.body_size < 256:
        p.error("--sessions and --mails must be at least 1, --body-size at least 256")
    if a.mails > 9999999 - FIRST_NUMBER:
        p.error("--mails: at most %d (each mail has its own seven-digit number)"
                % (9999999 - FIRST_NUMBER))
    return a


def collect_stamped(sim):
    """Replaces harness.Simulator._collect: each line keeps the time it was read (`_at`), and
    submit_sm lines (one per part, the bulk of the output) are counted without being parsed."""
    for line in sim.proc.stdout:
        now = time.monotonic()
        if '"event":"submit_sm"' in line:
            parsed = {"event": "submit_sm"}
        else:
            line = line.strip()
            if not line:
                continue
            parsed = json.loads(line)
        parsed["_at"] = now
        with sim.cond:
            sim.lines.append(parsed)
            sim.cond.notify_all()


harness.Simulator._collect = collect_stamped


def make_mail(index, size):
    """A plain-text mail of `size` octets (CRLF endings) whose body is GSM 03.38 text."""
    head = ("From: Load <load@example.com>\r\n"
            f"To: {recipient(index)}\r\n"
            f"Subject: load {index}\r\n"
            f"Message-ID: <load.{index}@example.com>\r\n"
            "\r\n")
    line = f"Alert {index}: disk /var on app3 is 97% full, rotate the logs now. "
    body = ""
    while len(head) + len(body) + len(line) + 2 <= size:
        body += line + "\r\n"
    room = size - len(head) - len(body)
    if room > 0:  # the last line ends in CRLF too, or the final dot would not end the data
        body += "x" * max(1, room - 2) + "\r\n"
    return (head + body).encode("ascii")


def recipient(index):
    return f"+2782{FIRST_NUMBER + index}@{harness.DOMAIN}"


def index_of(destination):
    """The mail index a simulator destination ("27821000042" or "+27821000042") came from."""
    return int(destination.lstrip("+")[4:]) - FIRST_NUMBER


class Tally:
    """What every session saw, under one lock."""

    def __init__(self, total):
        self.lock = threading.Lock()
        self.next_index = 0
        self.total = total
        self.latencies = []             # seconds, final dot -> 250
        self.dot_sent = {}              # index -> monotonic time the final dot was sent
        self.accepted = 0
        self.replies = collections.Counter()   # non-250 replies to any step: "STEP code text"
        self.errors = collections.Counter()    # exceptions: "type: text"

    def take(self):
        with self.lock:
            if self.next_index >= self.total:
                return None
            self.next_index += 1
            return self.next_index - 1

    def record(self, index, sent, latency):
        with self.lock:
            self.accepted += 1
            self.latencies.append(latency)
            self.dot_sent[index] = sent

    def problem(self, what):
        with self.lock:
            self.replies[what] += 1

    def error(self, what):
        with self.lock:
            self.errors[what] += 1


def login(port):
    """A connection that has said EHLO and authenticated; raises on any other reply."""
    c = smtplib.SMTP(HOST, port, local_hostname="load.example.com", timeout=60)
    code, text = c.ehlo()
    if code != 250:
        raise RuntimeError("EHLO: %d %s" % (code, text.decode(errors="replace")))
    token = base64.b64encode(b"\0" + harness.ACCOUNT.encode() + b"\0" + harness.PASSWORD.encode())
    code, text = c.docmd("AUTH", "PLAIN " + token.decode())
    if code != 235:
        raise RuntimeError("AUTH: %d %s" % (code, text.decode(errors="replace")))
    return c


MAX_RECONNECTS = 5


def session(tally, args, ready, start, deadline_box, t0_box):
    """One SMTP connection: login, wait for the others, then transactions until no mail is left.

    A connection the server closes (421) or that fails is reported, then replaced, at most
    MAX_RECONNECTS times per session."""
    c = None
    try:
        c = login(args.port)
    except Exception as e:  # noqa: BLE001 — every failure is reported, none ends the run
        tally.error("login: %s: %s" % (type(e).__name__, e))
    ready.wait()
    if c is None:
        return
    start.wait()
    reconnects = 0
    while time.monotonic() < deadline_box[0]:
        index = tally.take()
        if index is None:
            break
        if args.rate > 0:  # open loop: mail i is due at t0 + i / rate, whatever came before
            delay = t0_box[0] + index / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        try:
            if transaction(c, index, args.body_size, tally):
                continue
        except Exception as e:  # noqa: BLE001
            tally.error("mail: %s: %s" % (type(e).__name__, e))
        try:
            c.close()
        except Exception:  # noqa: BLE001 — already broken
            pass
        reconnects += 1
        if reconnects > MAX_RECONNECTS:
            tally.error("session gave up after %d reconnects" % MAX_RECONNECTS)
            return
        try:
            c = login(args.port)
        except Exception as e:  # noqa: BLE001
            tally.error("login: %s: %s" % (type(e).__name__, e))
            return
    try:
        c.quit()
    except Exception as e:  # noqa: BLE001
        tally.error("QUIT: %s: %s" % (type(e).__name__, e))


def transaction(c, index, size, tally):
    """One mail on an authenticated connection. False when the server closed the connection."""
    code, text = c.mail("load@example.com")
    if code != 250:
        tally.problem("MAIL %d %s" % (code, text.decode(errors="replace")))
        return code != 421
    code, text = c.rcpt(recipient(index))
    if code != 250:
        tally.problem("RCPT %d %s" % (code, text.decode(errors="replace")))
        c.rset()
        return code != 421
    c.putcmd("data")
    code, text = c.getreply()
    if code != 354:
        tally.problem("DATA %d %s" % (code, text.decode(errors="replace")))
        return code != 421
    message = make_mail(index, size) + b".\r\n"  # no line starts with a dot: no stuffing needed
    sent = time.monotonic()
    c.send(message)
    code, text = c.getreply()
    latency = time.monotonic() - sent
    if code == 250:
        tally.record(index, sent, latency)
        return True
    # Other replies keep their text, queue ids masked so the counter groups them.
    tally.problem("end of DATA %d %s" % (code, re.sub(r"[0-9A-HJKMNP-TV-Z]{16}", "<id>", text.decode(errors="replace"))))
    return code != 421


class NativeClient:
    """bench/smtp_bench as the sessions: started (and logged in) by start(), sent off by go(),
    its per-mail times read into the tally by finish()."""

    def __init__(self, args, tally, times_file):
        self.args, self.tally, self.times_file = args, tally, times_file
        self.proc = None
        self.result = {}
        self.final_cpu = None  # its CPU seconds once it has exited

    def start(self):
        cmd = [self.args.smtp_bench, "--port", str(self.args.port), "--sessions",
               str(self.args.sessions), "--mails", str(self.args.mails), "--size",
               str(self.args.body_size), "--from", "load@example.com",
               "--to", "+2782{i}@" + harness.DOMAIN, "--to-first", str(FIRST_NUMBER),
               "--auth", "%s:%s" % (harness.ACCOUNT, harness.PASSWORD),
               "--times", self.times_file, "--go-on-stdin"]
        if self.args.rate > 0:
            cmd += ["--rate", str(self.args.rate)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()  # "ready" once every session has logged in
        if line.strip() != "ready":
            self.proc.kill()
            raise RuntimeError("smtp_bench did not get ready: %s%s"
                               % (line, self.proc.stderr.read()))

    def go(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def wait_exited(self):
        """Waits for the exit without reaping, so /proc still has its CPU seconds."""
        os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT)
        self.final_cpu = process_cpu(self.proc.pid)

    def cpu(self):
        """Its CPU seconds so far (all of them once it has exited)."""
        return self.final_cpu if self.final_cpu is not None else process_cpu(self.proc.pid)

    def finish(self):
        out, err = self.proc.communicate(timeout=60)
        try:
            self.result = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise RuntimeError("smtp_bench printed no result: %s %s" % (out, err))
        with open(self.times_file) as f:
            for line in f:
                index, sent, seconds = line.split()
                self.tally.record(int(index), float(sent), float(seconds))
        self.tally.next_index = self.args.mails
        if self.result.get("failed"):
            self.tally.error("smtp_bench: %d failed, the first: %s"
                             % (self.result["failed"], self.result.get("first_failure")))
        return self.result


def set_connector_limits(bridge, tps, window, dispatch_batch, accept_only=False):
    """The harness's config with the connector's limits changed, serve restarted on the same ports."""
    extra = ""
    if tps:
        extra += "tps = %d\n" % tps
    if window:
        extra += "window = %d\n" % window
    if not extra and not dispatch_batch and not accept_only:
        return
    with open(bridge.config) as f:
        text = f.read()
    marker = 'type = "smpp"\n'
    if marker not in text:
        raise RuntimeError("the harness config has no SMPP connector to tune")
    text = text.replace(marker, marker + extra, 1)
    if dispatch_batch or accept_only:
        text += "\n[dispatch]\n"
        if dispatch_batch:
            text += "batch_size = %d\n" % dispatch_batch
        if accept_only:
            text += "enabled = false\n"
    with open(bridge.config, "w") as f:
        f.write(text)
    bridge.proc.send_signal(signal.SIGTERM)
    bridge.proc.wait(30)
    bridge.proc = subprocess.Popen([harness.BINARY, "serve", "--config", bridge.config],
                                   stdout=bridge.log, stderr=subprocess.STDOUT)
    harness.wait_for_port(bridge.smtp_port, proc=bridge.proc)


def psql_binary():
    """PostgreSQL's own psql: Debian's `psql` is pg_wrapper, a Perl script that costs ~57 ms of
    CPU a call before psql starts, and the sampler below calls psql while the mails are sent."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return found[-1] if found else "psql"


PSQL = psql_binary()


def psql(bridge, sql, database="mail2sms"):
    """One statement (or a list, run one after the other in one session) through psql on the private cluster (its socket and port from postmaster.pid)."""
    with open(os.path.join(bridge.dir, "pg", "data", "postmaster.pid")) as f:
        lines = f.read().splitlines()
    statements = [sql] if isinstance(sql, str) else sql
    out = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-h", lines[4], "-p", lines[3], "-U",
                          "mail2sms", "-d", database] + [a for st in statements for a in ("-c", st)],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("psql: %s" % out.stderr.strip())
    return out.stdout.strip()


def apply_pg_settings(bridge, settings):
    for setting in settings:
        name, _, value = setting.partition("=")
        statement = "ALTER SYSTEM SET %s = '%s'" % (name, value.replace("'", "''"))
        if "." in name:  # a module's setting (auto_explain.*): known once the module is loaded
            psql(bridge, ["LOAD '%s'" % name.split(".")[0], statement], "postgres")
        else:
            psql(bridge, statement, "postgres")
    if settings:
        psql(bridge, "SELECT pg_reload_conf()", "postgres")


def top_statements(bridge, n):
    """The n statements with the most planning + execution time since the reset, a line each."""
    rows = psql(bridge, "SELECT calls || '|' || rows || '|' || "
                        "round((total_plan_time / calls)::numeric, 3) || '|' || "
                        "round((total_exec_time / calls)::numeric, 3) || '|' || "
                        "round((total_plan_time + total_exec_time)::numeric) || '|' || "
                        "regexp_replace(left(query, 70), '\\s+', ' ', 'g') "
                        "FROM pg_stat_statements WHERE calls > 0 "
                        "ORDER BY total_plan_time + total_exec_time DESC LIMIT %d" % n)
    lines = ["calls, rows, plan ms/call, execution ms/call, total ms, statement"]
    for line in rows.splitlines():
        lines.append("  " + ", ".join(line.split("|", 5)))
    return "\n".join(lines)


def wait_for_receipts(bridge, accepted, deadline):
    """Polls until `accepted` messages are `delivered` (their receipts recorded and settled) or the
    deadline passes; returns the time it saw them all, or None."""
    while time.monotonic() < deadline:
        # message_events gets one `delivered` row per message; far cheaper to count than messages
        # (whose rows hold the text and have been rewritten two or three times by now)
        if int(psql(bridge, "SELECT count(*) FROM message_events WHERE status = 'delivered'")) >= accepted:
            return time.monotonic()
        time.sleep(0.2)
    return None


def count_events(sim, seen, counts):
    """Counts simulator lines past `seen` by event; returns the new `seen`."""
    with sim.cond:
        new = sim.lines[seen:]
    for line in new:
        counts[line.get("event")] += 1
    return seen + len(new)


def process_cpu(pid):
    """User + system CPU seconds of one process, 0 when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def postgres_pids(bridge):
    """The private cluster's postmaster and its children (backends, WAL writer, checkpointer...)."""
    try:
        with open(os.path.join(bridge.dir, "pg", "data", "postmaster.pid")) as f:
            postmaster = int(f.readline())
    except (OSError, ValueError):
        return []
    pids = [postmaster]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == postmaster:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def cpu_snapshot(bridge, native=None):
    """CPU seconds so far of serve, the cluster, the simulator and the load client (this
    process, plus smtp_bench's when `native` runs it)."""
    mine = os.times()
    return {"serve": process_cpu(bridge.proc.pid),
            "postgres": sum(process_cpu(p) for p in postgres_pids(bridge)),
            "smsc-sim": process_cpu(bridge.sim.proc.pid),
            "load client": mine.user + mine.system + (native.cpu() if native else 0.0)}


def backend_cpu(bridge):
    """CPU seconds so far of each PostgreSQL backend, by pid."""
    return {p: process_cpu(p) for p in postgres_pids(bridge)}


def sample_queries(bridge, what, stop):
    """Until `stop` is set, notes each backend's statements (BEGIN and COMMIT aside) every 2 s
    (each look is a psql process and a backend: a few tens of ms of CPU taken from the load):
    serve has one connection per thread, so they say which thread (group commit writer,
    dispatcher, receipt recorder) a backend serves."""
    while not stop.wait(2.0):
        try:
            rows = psql(bridge, "SELECT pid || '|' || backend_type || '|' || regexp_replace("
                                "left(query, 40), '\\s+', ' ', 'g') FROM pg_stat_activity")
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            continue
        for line in rows.splitlines():
            pid, kind, query = line.split("|", 2)
            if kind != "client backend":
                what.setdefault(int(pid), collections.Counter())[kind] += 1
            elif query and query.split()[0] not in ("BEGIN", "COMMIT"):
                what.setdefault(int(pid), collections.Counter())[query] += 1


def backend_report(bridge, before, after, what):
    """Each backend's CPU between two backend_cpu() snapshots, with its most seen statement."""
    what = {p: c.most_common(1)[0][0] for p, c in what.items()}
    used = sorted(((after.get(p, 0) - before.get(p, 0), p) for p in after), reverse=True)
    return "; ".join("%.2f s [%d] %s" % (cpu, p, what.get(p, "(gone)")) for cpu, p in used[:8] if cpu >= 0.05)


def cpu_used(before, after):
    return ", ".join("%s %.1f" % (k, after[k] - before[k]) for k in before)


def stages(bridge, tally, arrivals):
    """Where the final dot -> SMSC time went, p50/p99 per stage, from each message's row:
    created_at is the start of the transaction that accepted it (group commit), sent_at the
    start of the claim that took it. PostgreSQL's clock is the wall clock; the load's is
    CLOCK_MONOTONIC: their difference is read once (it drifts by microseconds in a run)."""
    wall_minus_mono = time.time() - time.monotonic()
    rows = psql(bridge, "SELECT recipient || ' ' || extract(epoch FROM created_at) || ' ' || "
                        "extract(epoch FROM sent_at) FROM messages WHERE sent_at IS NOT NULL")
    stamps = {}
    for line in rows.splitlines():
        number, created, sent = line.split()
        stamps[index_of(number)] = (float(created) - wall_minus_mono, float(sent) - wall_minus_mono)
    spans = {"dot -> accepting transaction": [], "accepting transaction -> claim": [],
             "claim -> at the SMSC": []}
    for arrival in arrivals:
        index = index_of(arrival["destination"])
        if index not in stamps or index not in tally.dot_sent:
            continue
        created, sent = stamps[index]
        spans["dot -> accepting transaction"].append(created - tally.dot_sent[index])
        spans["accepting transaction -> claim"].append(sent - created)
        spans["claim -> at the SMSC"].append(arrival["_at"] - sent)
    return "; ".join("%s %.1f/%.1f" % (name, percentile(sorted(v), 50) * 1000,
                                       percentile(sorted(v), 99) * 1000)
                     for name, v in spans.items())


def percentile(sorted_values, p):
    """The value at p percent of sorted_values, ranked as bench/smtp_bench ranks its own (the
    nearest rank, halves rounded up); NaN when there are none."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100.0 * (len(sorted_values) - 1) + 0.5))]


def log_problems(text):
    """Warning, error and critical lines of the serve log, grouped with numbers masked."""
    groups = collections.Counter()
    for line in text.splitlines():
        m = re.match(r"\S+ (warning|error|critical) (.*)", line)  # "TIME LEVEL text"
        if m:
            groups[m.group(1) + " " + re.sub(r"\d+", "N", m.group(2))] += 1
    return groups


def main():
    args = parse_args()
    harness.BINARY = os.path.abspath(args.binary)
    if args.no_fsync:
        os.environ["MAIL2SMS_PG_UNSAFE_NO_FSYNC"] = "1"
    elif os.environ.get("MAIL2SMS_PG_UNSAFE_NO_FSYNC", "0") not in ("", "0"):
        sys.exit("MAIL2SMS_PG_UNSAFE_NO_FSYNC is set: unset it, or pass --no-fsync to mean it")

    # Every session comes from 127.0.0.1: the per-address limit (default 20) would refuse most.
    bridge = harness.Bridge(extra_smtp="plaintext_auth = true\nmax_connections_per_ip = %d"
                            % max(20, args.sessions + 10), credit=10**12,
                            sim_args=("--receipt-delay", str(args.receipt_delay)),
                            # the reserve's WAL sizes are on the server's command line, which
                            # would override a --pg-set of either
                            wal_reserve_mb=0 if any(s.split("=")[0].strip() in ("min_wal_size", "max_wal_size")
                                                    for s in args.pg_set) else None)
    try:
        if args.statements:  # takes effect when serve restarts (and with it the cluster), below
            with open(os.path.join(bridge.dir, "pg", "data", "postgresql.conf"), "a") as f:
                f.write("shared_preload_libraries = 'pg_stat_statements'\n"
                        "pg_stat_statements.track_planning = on\n")
        apply_pg_settings(bridge, args.pg_set)  # before serve restarts: its new connections get them
        set_connector_limits(bridge, args.tps, args.window, args.dispatch_batch, args.accept_only)
        if args.statements:
            psql(bridge, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        args.port = bridge.smtp_port
        # The simulator's bind line is in by now; count only what the load produces.
        tally = Tally(args.mails)
        native = None
        t_login = time.monotonic()
        if args.client == "native":
            native = NativeClient(args, tally, os.path.join(bridge.dir, "smtp_bench.times"))
            native.start()  # returns once every session has connected and authenticated
        else:
            ready = threading.Barrier(args.sessions + 1)
            start = threading.Event()
            deadline_box = [float("inf")]
            t0_box = [0.0]
            threads = [threading.Thread(target=session,
                                        args=(tally, args, ready, start, deadline_box, t0_box))
                       for _ in range(args.sessions)]
            for t in threads:
                t.start()
            ready.wait()  # every session connected and authenticated
        login_seconds = time.monotonic() - t_login
        first_line = count_events(bridge.sim, 0, collections.Counter())
        seen, counts = first_line, collections.Counter()
        perf = None
        if args.perf:
            pids = [bridge.proc.pid] + postgres_pids(bridge)
            perf = subprocess.Popen(["perf", "record", "-g", "-o", args.perf, "-p",
                                     ",".join(str(p) for p in pids)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # perf attaches
        if args.statements:
            psql(bridge, "SELECT pg_stat_statements_reset()")
        cpu_start = cpu_snapshot(bridge, native)
        backends_start = backend_cpu(bridge)
        wal_start = psql(bridge, "SELECT pg_current_wal_lsn()")
        seen_queries, stop_sampling = {}, threading.Event()
        sampler = threading.Thread(target=sample_queries, args=(bridge, seen_queries, stop_sampling))
        sampler.start()
        t0 = time.monotonic()
        if native:
            native.go()
            native.wait_exited()
        else:
            t0_box[0] = t0
            deadline_box[0] = t0 + args.time_limit
            start.set()
            for t in threads:
                t.join()
        t_sent = time.monotonic()
        cpu_sent = cpu_snapshot(bridge, native)
        backends_sent = backend_cpu(bridge)
        wal_sent = psql(bridge, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '%s')" % wal_start)
        stop_sampling.set()
        sampler.join()
        statements = top_statements(bridge, args.statements) if args.statements else None
        if native:
            result = native.finish()
            t0 = result["start"]  # the clock smtp_bench started (time.monotonic()'s clock)
            t_sent = t0 + result["seconds"]
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)

        drain_deadline = time.monotonic() + (0 if args.accept_only else args.drain_timeout)
        while counts["message"] < tally.accepted and time.monotonic() < drain_deadline:
            time.sleep(0.02)
            seen = count_events(bridge.sim, seen, counts)
        seen = count_events(bridge.sim, seen, counts)
        cpu_drained = cpu_snapshot(bridge, native)
        with bridge.sim.cond:
            lines = bridge.sim.lines[first_line:seen]
        arrivals = [l for l in lines if l.get("event") == "message"]
        t_drained = max([l["_at"] for l in lines] + [t0])  # the last SMS or part that came
        # Final dot sent -> the last part of the SMS at the SMSC, per mail.
        e2e = sorted(l["_at"] - tally.dot_sent[index_of(l["destination"])] for l in arrivals
                     if index_of(l["destination"]) in tally.dot_sent)
        complete = counts["message"] >= tally.accepted
        t_settled = wait_for_receipts(bridge, tally.accepted, time.monotonic() + args.drain_timeout) \
            if complete and not args.accept_only else None
        cpu_settled = cpu_snapshot(bridge, native)

        send_s = t_sent - t0
        e2e_s = t_drained - t0
        lat = sorted(tally.latencies)
        if args.header:
            print("| sessions | offered mails/s | accepted (250) | accepted mails/s | 250 p50 ms "
                  "| 250 p99 ms | SMS at the SMSC | end-to-end SMS/s | SMPP segments/s "
                  "| dot to SMSC p50 ms | dot to SMSC p99 ms | delivered (receipts recorded)/s |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("| %d | %s | %d | %.0f | %.1f | %.1f | %d%s | %.0f | %.0f | %.0f | %.0f | %s |" % (
            args.sessions, "%.0f" % args.rate if args.rate else "max", tally.accepted,
            tally.accepted / send_s if send_s > 0 else 0,
            percentile(lat, 50) * 1000, percentile(lat, 99) * 1000,
            counts["message"], "" if complete else " (incomplete)",
            counts["message"] / e2e_s if e2e_s > 0 else 0,
            counts["submit_sm"] / e2e_s if e2e_s > 0 else 0,
            percentile(e2e, 50) * 1000, percentile(e2e, 99) * 1000,
            "%.0f" % (tally.accepted / (t_settled - t0)) if t_settled else "not all"))
        sys.stdout.flush()

        err = sys.stderr
        print("%d mails of %d octets; sending %.2f s, at the SMSC %.2f s, receipts recorded %s; "
              "login of %d sessions %.2f s; 250 max %.1f ms, dot to SMSC max %.1f ms; "
              "connector tps=%s window=%s; receipts %d ms after the submit; client %s; "
              "PostgreSQL fsync %s" % (
                  tally.next_index, args.body_size, send_s, e2e_s,
                  "%.2f s" % (t_settled - t0) if t_settled else "not all",
                  args.sessions, login_seconds, (lat[-1] if lat else 0) * 1000,
                  (e2e[-1] if e2e else 0) * 1000, args.tps or "default",
                  args.window or "default", args.receipt_delay, args.client,
                  "OFF" if args.no_fsync else "on"), file=err)
        print("CPU seconds while sending (%.1f s x %d cores): %s" % (
            send_s, os.cpu_count(), cpu_used(cpu_start, cpu_sent)), file=err)
        print("WAL written while sending: %.1f MB, %.0f bytes per accepted mail" % (
            float(wal_sent) / 1e6, float(wal_sent) / max(1, tally.accepted)), file=err)
        print("PostgreSQL CPU seconds while sending, by backend: %s"
              % backend_report(bridge, backends_start, backends_sent, seen_queries), file=err)
        print("CPU seconds while draining (%.1f s): %s" % (
            max(0.0, e2e_s - send_s), cpu_used(cpu_sent, cpu_drained)), file=err)
        print("CPU seconds until the receipts were recorded: %s" % cpu_used(cpu_drained, cpu_settled),
              file=err)
        if statements:
            print("PostgreSQL's statements while sending, by time:\n" + statements, file=err)
        if arrivals:
            print("final dot -> SMSC by stage, p50/p99 ms: %s" % stages(bridge, tally, arrivals),
                  file=err)
        for what, n in tally.replies.most_common():
            print("non-250 reply x%d: %s" % (n, what), file=err)
        for what, n in tally.errors.most_common():
            print("client error x%d: %s" % (n, what), file=err)
        other = {k: v for k, v in counts.items() if k not in ("message", "submit_sm")}
        if other:
            print("other simulator events: %r" % other, file=err)
        if not complete:
            print("the simulator received %d of %d accepted mails within %.0f s"
                  % (counts["message"], tally.accepted, args.drain_timeout), file=err)
        if bridge.proc.poll() is not None:
            print("mail2sms serve EXITED with status %s during the run" % bridge.proc.returncode, file=err)
        for what, n in log_problems(bridge.serve_log()).most_common(10):
            print("serve log x%d: %s" % (n, what), file=err)
        print("messages table by status: %s" % psql(
            bridge, "SELECT string_agg(status || ' ' || n, ', ') FROM "
                    "(SELECT status, count(*) AS n FROM messages GROUP BY status) s"), file=err)
        # Every UPDATE that is not HOT writes a new entry into each of the table's indexes.
        time.sleep(1.5)  # backends report their table counters when idle, at most once a second
        print("updates (HOT of all): %s" % psql(
            bridge, "SELECT string_agg(relname || ' ' || n_tup_hot_upd || ' of ' || n_tup_upd, ', ' "
                    "ORDER BY relname) FROM pg_stat_user_tables WHERE n_tup_upd > 0"), file=err)
        return 0 if complete and t_settled and not tally.replies and not tally.errors else 1
    finally:
        if args.keep_logs:
            os.makedirs(args.keep_logs, exist_ok=True)
            for name in ("serve.log", os.path.join("pg", "postgresql.log")):
                if os.path.exists(os.path.join(bridge.dir, name)):
                    shutil.copy(os.path.join(bridge.dir, name), args.keep_logs)
        bridge.stop()


if __name__ == "__main__":
    sys.exit(main())
