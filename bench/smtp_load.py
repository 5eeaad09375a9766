#!/usr/bin/env python3
"""SMTP load on a whole bridge: mail2sms serve + a private PostgreSQL + smsc-sim (tests/e2e/harness.py).

C sessions (threads) each connect to 127.0.0.1, EHLO, AUTH PLAIN once, then run MAIL/RCPT/DATA
transactions on that connection until N mails have been sent in all or the time limit passes.
A 250 to the final dot means the mail is committed (DESIGN.md, promise 1), so accepted mails per
second is the durable intake rate; the latency is from sending the final dot to its reply.
Afterwards it waits until the simulator has received every accepted mail as an SMS and reports the
end-to-end rate. Prints one markdown table row (--header for the header too); problems go to
stderr. Python standard library only.

The harness's bridge needs two changes for this: AUTH without TLS (its extra_smtp) and an SMPP
connector not held to the default 100 segments/s (a 1 KiB mail is 6 SMS parts, so the default
would cap the end-to-end rate at ~16 mails/s). The harness takes no connector settings, so the
second is done by editing its config file and restarting serve on the same ports (--tps 0 skips it).

    bench/smtp_load.py --sessions 10 --mails 2000 --body-size 1024
"""
import argparse
import base64
import collections
import os
import re
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


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=10, help="concurrent SMTP sessions (default 10)")
    p.add_argument("--mails", type=int, default=2000, help="mails to send in all (default 2000)")
    p.add_argument("--body-size", type=int, default=1024,
                   help="octets per mail, headers included (default 1024)")
    p.add_argument("--time-limit", type=float, default=90.0,
                   help="seconds of sending at most; then the sessions QUIT (default 90)")
    p.add_argument("--drain-timeout", type=float, default=90.0,
                   help="seconds to wait for the simulator to receive the accepted mails (default 90)")
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
    p.add_argument("--header", action="store_true", help="print the table header first")
    a = p.parse_args()
    if a.sessions < 1 or a.mails < 1 or a.body_size < 256:
        p.error("--sessions and --mails must be at least 1, --body-size at least 256")
    return a


def make_mail(index, size):
    """A plain-text mail of `size` octets (CRLF endings) whose body is GSM 03.38 text."""
    head = ("From: Load <load@example.com>\r\n"
            f"To: +2782{1000000 + index % 9000000}@{harness.DOMAIN}\r\n"
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
    return f"+2782{1000000 + index % 9000000}@{harness.DOMAIN}"


class Tally:
    """What every session saw, under one lock."""

    def __init__(self, total):
        self.lock = threading.Lock()
        self.next_index = 0
        self.total = total
        self.latencies = []             # seconds, final dot -> 250
        self.accepted = 0
        self.replies = collections.Counter()   # non-250 replies to any step: "STEP code text"
        self.errors = collections.Counter()    # exceptions: "type: text"

    def take(self):
        with self.lock:
            if self.next_index >= self.total:
                return None
            self.next_index += 1
            return self.next_index - 1

    def record(self, latency):
        with self.lock:
            self.accepted += 1
            self.latencies.append(latency)

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


def session(tally, args, ready, start, deadline_box):
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
    sent = time.perf_counter()
    c.send(message)
    code, text = c.getreply()
    latency = time.perf_counter() - sent
    if code == 250:
        tally.record(latency)
        return True
    # Other replies keep their text, queue ids masked so the counter groups them.
    tally.problem("end of DATA %d %s" % (code, re.sub(r"[0-9A-F]{12}", "<id>", text.decode(errors="replace"))))
    return code != 421


def set_connector_limits(bridge, tps, window):
    """The harness's config with the connector's limits changed, serve restarted on the same ports."""
    extra = ""
    if tps:
        extra += "tps = %d\n" % tps
    if window:
        extra += "window = %d\n" % window
    if not extra:
        return
    with open(bridge.config) as f:
        text = f.read()
    marker = 'type = "smpp"\n'
    if marker not in text:
        raise RuntimeError("the harness config has no SMPP connector to tune")
    with open(bridge.config, "w") as f:
        f.write(text.replace(marker, marker + extra, 1))
    bridge.proc.send_signal(signal.SIGTERM)
    bridge.proc.wait(30)
    bridge.proc = subprocess.Popen([harness.BINARY, "serve", "--config", bridge.config],
                                   stdout=bridge.log, stderr=subprocess.STDOUT)
    harness.wait_for_port(bridge.smtp_port, proc=bridge.proc)


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


def cpu_snapshot(bridge):
    """CPU seconds so far of serve, the cluster, the simulator and this load client."""
    mine = os.times()
    return {"serve": process_cpu(bridge.proc.pid),
            "postgres": sum(process_cpu(p) for p in postgres_pids(bridge)),
            "smsc-sim": process_cpu(bridge.sim.proc.pid),
            "load client": mine.user + mine.system}


def cpu_used(before, after):
    return ", ".join("%s %.1f" % (k, after[k] - before[k]) for k in before)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))]


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

    bridge = harness.Bridge(extra_smtp="plaintext_auth = true", credit=10**12)
    try:
        set_connector_limits(bridge, args.tps, args.window)
        args.port = bridge.smtp_port
        # The simulator's bind line is in by now; count only what the load produces.
        tally = Tally(args.mails)
        ready = threading.Barrier(args.sessions + 1)
        start = threading.Event()
        deadline_box = [float("inf")]
        threads = [threading.Thread(target=session, args=(tally, args, ready, start, deadline_box))
                   for _ in range(args.sessions)]
        t_login = time.monotonic()
        for t in threads:
            t.start()
        ready.wait()  # every session connected and authenticated
        login_seconds = time.monotonic() - t_login
        seen, counts = count_events(bridge.sim, 0, collections.Counter()), collections.Counter()
        cpu_start = cpu_snapshot(bridge)
        t0 = time.monotonic()
        deadline_box[0] = t0 + args.time_limit
        start.set()
        for t in threads:
            t.join()
        t_sent = time.monotonic()
        cpu_sent = cpu_snapshot(bridge)

        drain_deadline = time.monotonic() + args.drain_timeout
        while counts["message"] < tally.accepted and time.monotonic() < drain_deadline:
            time.sleep(0.02)
            seen = count_events(bridge.sim, seen, counts)
        t_drained = time.monotonic()
        seen = count_events(bridge.sim, seen, counts)
        cpu_drained = cpu_snapshot(bridge)

        send_s = t_sent - t0
        e2e_s = t_drained - t0
        lat = sorted(tally.latencies)
        complete = counts["message"] >= tally.accepted
        if args.header:
            print("| sessions | mails sent | body octets | accepted (250) | accepted mails/s "
                  "| p50 ms | p99 ms | max ms | SMS received | end-to-end SMS/s | SMPP segments/s |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("| %d | %d | %d | %d | %.0f | %.1f | %.1f | %.1f | %d%s | %.0f | %.0f |" % (
            args.sessions, tally.next_index, args.body_size, tally.accepted,
            tally.accepted / send_s if send_s > 0 else 0,
            percentile(lat, 50) * 1000, percentile(lat, 99) * 1000, (lat[-1] if lat else 0) * 1000,
            counts["message"], "" if complete else " (incomplete)",
            counts["message"] / e2e_s if e2e_s > 0 else 0,
            counts["submit_sm"] / e2e_s if e2e_s > 0 else 0))
        sys.stdout.flush()

        err = sys.stderr
        print("sending %.2f s, end-to-end %.2f s, login of %d sessions %.2f s; connector tps=%s window=%s; "
              "PostgreSQL fsync %s" % (send_s, e2e_s, args.sessions, login_seconds,
                                       args.tps or "default", args.window or "default",
                                       "OFF" if args.no_fsync else "on"), file=err)
        print("CPU seconds while sending (%.1f s x %d cores): %s" % (
            send_s, os.cpu_count(), cpu_used(cpu_start, cpu_sent)), file=err)
        print("CPU seconds while draining (%.1f s): %s" % (
            t_drained - t_sent, cpu_used(cpu_sent, cpu_drained)), file=err)
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
        status = bridge.cli("messages", "list", "--limit", "100000", "--json", check=False)
        if status.returncode == 0:
            states = collections.Counter(re.findall(r'"status"\s*:\s*"(\w+)"', status.stdout))
            print("messages table by status: %s" % dict(states), file=err)
        return 0 if complete and not tally.replies and not tally.errors else 1
    finally:
        bridge.stop()


if __name__ == "__main__":
    sys.exit(main())
