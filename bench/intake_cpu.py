#!/usr/bin/env python3
"""CPU per accepted mail on the SMTP intake: serve, PostgreSQL and the client, run after run.

One bridge (mail2sms serve with a private PostgreSQL, accepting only: [dispatch] enabled =
false, so a 250 means the mail's rows are committed) is loaded several times in a row by
Postfix's smtp-source (100 sessions by default, 1 KiB mails, as bench/smtp_compare.py does).
Each run prints its rate and, per mail, the CPU time of serve, of PostgreSQL's processes and of
smtp-source, how many of the two cores were busy, and how many mails each commit held.

smtp-source does the same work per mail whatever the server, so its CPU per mail is a gauge of
how fast the machine is during the run (on these shared VMs it moved by 40 % within minutes):
compare the server's figures between builds as ratios to it ("pg/src"), not as microseconds.

    MAIL2SMS_BIN=$PWD/build/mail2sms python3 bench/intake_cpu.py --runs 2
    python3 bench/intake_cpu.py --connection-per-mail --mails 20000   # smtp-source without -d
    MAIL2SMS_MIGRATIONS_DIR=/tmp/old-migrations python3 bench/intake_cpu.py   # another schema

Needs: scripts/setup (postfix brings smtp-source) and a build of mail2sms.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402
from smtp_load import backend_cpu, process_cpu  # noqa: E402  (the cluster's processes, /proc)


def used_since(before, after):
    """CPU seconds between two {pid: seconds} snapshots; a process that started in between
    counts whole (the group commit's connections open on the first mail)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def commits(bridge):
    return int(bridge.sql("SELECT xact_commit FROM pg_stat_database WHERE datname = 'mail2sms'"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--mails", type=int, default=30000, help="per run")
    p.add_argument("--sessions", type=int, default=100)
    p.add_argument("--size", type=int, default=1024, help="smtp-source -l")
    p.add_argument("--writers", type=int, help="[database] commit_writers (default: serve's)")
    p.add_argument("--connection-per-mail", action="store_true",
                   help="smtp-source without -d: every mail on a connection of its own")
    a = p.parse_args()
    bridge = harness.Bridge(extra_smtp="max_connections_per_ip = %d" % (a.sessions + 10),
                            extra_config="[dispatch]\nenabled = false\n", credit=10**12,
                            extra_database="" if a.writers is None else
                            "commit_writers = %d" % a.writers, wal_reserve_mb=None)
    try:
        bridge.cli("account", "network", "add", harness.ACCOUNT, "127.0.0.1/32")
        recipient = "+27821234567@%s" % harness.DOMAIN
        print("run, mails/s, CPU us per mail: serve, postgres, smtp-source; pg/src, serve/src; "
              "busy cores; mails per commit")
        for run in range(1, a.runs + 1):
            commits_before = commits(bridge)
            pg_before = backend_cpu(bridge)
            serve_before = process_cpu(bridge.proc.pid)
            started = time.monotonic()
            with tempfile.TemporaryFile("w+") as errors:
                reuse = [] if a.connection_per_mail else ["-d"]
                source = subprocess.Popen(["smtp-source", *reuse, "-s", str(a.sessions), "-m", str(a.mails),
                                           "-l", str(a.size), "-f", "load@example.com", "-t", recipient,
                                           "127.0.0.1:%d" % bridge.smtp_port],
                                          stdout=subprocess.DEVNULL, stderr=errors)
                _, status, usage = os.wait4(source.pid, 0)  # its own CPU time, nobody else's
                took = time.monotonic() - started
                if os.waitstatus_to_exitcode(status) != 0:
                    errors.seek(0)
                    sys.exit("smtp-source failed (%d): %s" % (os.waitstatus_to_exitcode(status),
                                                              errors.read().strip()))
            pg_used = used_since(pg_before, backend_cpu(bridge))
            serve_used = process_cpu(bridge.proc.pid) - serve_before
            source_used = usage.ru_utime + usage.ru_stime
            transactions = commits(bridge) - commits_before - 1  # the look-up's own
            per = 1e6 / a.mails
            print("%d, %.0f, %.0f, %.0f, %.0f; %.2f, %.2f; %.2f; %.1f" % (
                run, a.mails / took, serve_used * per, pg_used * per, source_used * per,
                pg_used / source_used, serve_used / source_used,
                (pg_used + serve_used + source_used) / took, a.mails / max(transactions, 1)),
                flush=True)
    finally:
        bridge.stop()


if __name__ == "__main__":
    main()
