#!/usr/bin/env python3
"""The intake's peak with the same load sent as one account or spread over several.

Each account's transactions lock its row (credit, quotas, dedup), so one account's commits run
one after another, while two accounts' can run at once on the group commit's writers. This
loads one bridge (mail2sms serve with a private PostgreSQL, accepting only: [dispatch] enabled
= false) with bench/smtp_bench, pipelined, plaintext AUTH, the sessions split evenly over the
accounts, and prints the rate of each run, in the order given (alternate them: the machine's
speed moves between runs).

    python3 bench/accounts_load.py                 # 1, 2, 4, 4, 2, 1 accounts
    python3 bench/accounts_load.py --accounts 1 4 1 4 --mails 80000
    python3 bench/accounts_load.py --writers 4     # [database] commit_writers

Needs: scripts/setup and scripts/build (build/mail2sms, build/bench/smtp_bench).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402

BUILD = os.environ.get("MAIL2SMS_BENCH_BUILD", os.path.join(HERE, "..", "build"))
SMTP_BENCH = os.path.join(BUILD, "bench", "smtp_bench")
NAMES = [harness.ACCOUNT] + ["load%d" % i for i in range(2, 65)]


def run(bridge, accounts, sessions, mails):
    """One run: every account's smtp_bench connects and authenticates, then all start at once.
    Returns the mails accepted per second in all, and each account's own rate and p99."""
    procs = []
    try:
        for name in NAMES[:accounts]:
            procs.append(subprocess.Popen(
                [SMTP_BENCH, "--port", str(bridge.smtp_port), "--sessions", str(sessions // accounts),
                 "--mails", str(mails // accounts), "--size", "1024", "--from", "load@example.com",
                 "--to", "+27821234567@" + harness.DOMAIN,
                 "--auth", "%s:%s" % (name, harness.PASSWORD), "--go-on-stdin"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for p in procs:  # each prints "ready" once its sessions have said EHLO and AUTH
            line = p.stderr.readline().strip()
            if line != "ready":
                sys.exit("smtp_bench did not get ready: %s %s" % (line, p.stderr.read().strip()))
        started = time.monotonic()
        for p in procs:
            p.stdin.write("\n")
            p.stdin.flush()
        results = [json.loads(p.communicate(timeout=900)[0]) for p in procs]
        took = time.monotonic() - started
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    failed = sum(r["failed"] for r in results)
    if failed:
        sys.exit("%d mails were not accepted: %s" % (failed, results[0].get("first_failure")))
    return (sum(r["ok"] for r in results) / took, [round(r["rate"]) for r in results],
            max(r["p99_ms"] for r in results))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--accounts", type=int, nargs="+", default=[1, 2, 4, 4, 2, 1],
                   help="accounts per run, in order (at most %d)" % len(NAMES))
    p.add_argument("--sessions", type=int, default=100, help="in all, split over the accounts")
    p.add_argument("--mails", type=int, default=30000, help="per run, in all")
    p.add_argument("--writers", type=int, help="[database] commit_writers (default: serve's)")
    a = p.parse_args()
    if max(a.accounts) > len(NAMES) or min(a.accounts) < 1:
        p.error("--accounts: 1 to %d" % len(NAMES))
    if not os.path.exists(SMTP_BENCH):
        sys.exit("bench/accounts_load.py: no %s: run scripts/build" % SMTP_BENCH)
    bridge = harness.Bridge(
        extra_smtp="plaintext_auth = true\nmax_connections_per_ip = %d" % (a.sessions + 10),
        extra_config="[dispatch]\nenabled = false\n", credit=10**12,
        extra_database="" if a.writers is None else "commit_writers = %d" % a.writers,
        wal_reserve_mb=None)
    try:
        for name in NAMES[1:max(a.accounts)]:
            bridge.cli("account", "add", name, "--password-stdin", "--country", "ZA",
                       "--credit", str(10**12), input=harness.PASSWORD + "\n")
        print("accounts, mails/s in all, each account's mails/s, worst p99 of the final dot (ms)")
        for accounts in a.accounts:
            rate, each, p99 = run(bridge, accounts, a.sessions, a.mails)
            print("%d, %.0f, %s, %.1f" % (accounts, rate, " ".join(map(str, each)), p99), flush=True)
    finally:
        bridge.stop()


if __name__ == "__main__":
    main()
