"""End to end: durable dispatch and delivery receipts with the real binary against smsc-sim.

Every accepted message must end `delivered` (the simulator's receipts matched to each part),
through multipart by UDH and by SAR, throttling, an SMSC restarted mid-stream, a mail2sms
SIGKILLed and restarted mid-stream, and two `serve` processes sharing one database; none lost, and
duplicates only where docs/OPERATIONS.md says they can happen (a crash between submit_sm and
the recorded outcome, with unknown_policy = "resend").
"""
import collections
import json
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest
from email.message import EmailMessage

from harness import ACCOUNT, BINARY, DOMAIN, PASSWORD, SMPP_PASSWORD, Simulator, free_port, wait_for_port

LONG_TEXT = ("Disk 97% full on db1; rotate the logs and check the backup job. " * 5)[:300]  # 2 parts


class Gateway:
    """One database (an embedded cluster), a simulator, and any number of `serve` processes."""

    def __init__(self, sim_args=(), connector_extra="", dispatch_extra="", smsc=None):
        """smsc: another SMSC (with .port and .stop()) instead of a smsc-sim with sim_args."""
        self.dir = tempfile.mkdtemp(prefix="mail2sms-dispatch-")
        os.chmod(self.dir, 0o755)
        self.sim_args = list(sim_args)
        self.sim = smsc or Simulator(extra_args=self.sim_args)
        self.procs = []
        self.logs = []
        self.config = os.path.join(self.dir, "mail2sms.toml")
        self.connector_extra = connector_extra
        self.dispatch_extra = dispatch_extra
        self.write_config(free_port())
        self.cli("migrate")
        self.cli("account", "add", ACCOUNT, "--password-stdin", "--country", "ZA", "--credit", "1000000",
                 input=PASSWORD + "\n")

    def write_config(self, smtp_port, path=None):
        with open(path or self.config, "w") as f:
            f.write(f"""
[smtp]
listen = ["127.0.0.1:{smtp_port}"]
domains = ["{DOMAIN}"]
plaintext_auth = true
max_recipients = 1000

[database]
embedded = "{os.path.join(self.dir, 'pg')}"
wal_reserve_mb = 0

[dispatch]
retry_base = 1
retry_max = 2
{self.dispatch_extra}

[[connector]]
name = "sim"
type = "smpp"
host = "127.0.0.1"
port = {self.sim.port}
system_id = "mail2sms"
password = "{SMPP_PASSWORD}"
source = "Alerts"
window = 50
response_timeout = 3
{self.connector_extra}

[[route]]
prefix = "+"
connector = "sim"
""")

    def cli(self, *args, input=None):
        r = subprocess.run([BINARY, *args, "--config", self.config], input=input,
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError("mail2sms %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def serve(self):
        """Starts another `serve` process on the same database; returns its SMTP port."""
        port = free_port()
        config = os.path.join(self.dir, "serve-%d.toml" % len(self.procs))
        self.write_config(port, config)
        log = open(os.path.join(self.dir, "serve-%d.log" % len(self.procs)), "w+")
        proc = subprocess.Popen([BINARY, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.logs.append(log)
        wait_for_port(port, proc=proc)
        return port

    def send(self, port, recipients, text):
        msg = EmailMessage()
        msg["From"] = "ops@example.com"
        msg["To"] = "ops@example.com"
        msg["Subject"] = "alert"
        msg.set_content(text)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.login(ACCOUNT, PASSWORD)
            client.send_message(msg, to_addrs=["%s@%s" % (r, DOMAIN) for r in recipients])

    def statuses(self):
        out = self.cli("messages", "list", "--json", "--full-numbers", "--limit", "100000")
        return {m["recipient"]: m for m in map(json.loads, out.splitlines())}

    def wait_all(self, recipients, status="delivered", timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            rows = self.statuses()
            if all(rows.get(r, {}).get("status") == status for r in recipients):
                return rows
            if time.monotonic() > deadline:
                counts = collections.Counter(m["status"] for m in rows.values())
                raise AssertionError("not all %s after %.0fs: %s\n%s" % (status, timeout, dict(counts), self.log_tail()))
            time.sleep(0.2)

    def sql(self, query):
        conn = "host=%s port=5432 dbname=mail2sms user=mail2sms" % os.path.join(self.dir, "pg", "socket")
        r = subprocess.run(["psql", conn, "-AtXc", query], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        return r.stdout.strip()

    def log_tail(self):
        out = ""
        for log in self.logs:
            log.flush()
            with open(log.name) as f:
                out += "".join(f.readlines()[-30:])
        return out

    def submits_per_destination(self):
        return collections.Counter(l["destination"] for l in self.sim.events("submit_sm"))

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for log in self.logs:
            log.close()
        self.sim.stop()
        # A SIGKILLed serve leaves the cluster it started running: stop it.
        pg = os.path.join(self.dir, "pg")
        if os.path.exists(os.path.join(pg, "postmaster.pid")):
            bindir = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
            ctl = ["/usr/lib/postgresql/%s/bin/pg_ctl" % bindir, "-D", pg, "stop", "-m", "immediate"]
            if os.geteuid() == 0:
                ctl = ["runuser", "-u", "postgres", "--"] + ctl
            subprocess.run(ctl, capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def numbers(n, base=27820000000):
    return ["+%d" % (base + i) for i in range(n)]


class DispatchTest(unittest.TestCase):
    def gateway(self, **kw):
        g = Gateway(**kw)
        self.addCleanup(g.stop)
        return g

    def test_multipart_by_udh_is_delivered_when_every_part_has_its_receipt(self):
        g = self.gateway(sim_args=["--receipt-delay", "200"])
        port = g.serve()
        to = numbers(20)
        g.send(port, to, LONG_TEXT)
        rows = g.wait_all(to)
        self.assertTrue(all(m["segments"] == 2 for m in rows.values()))
        udh = [l for l in g.sim.events("submit_sm") if l["udh"]]
        self.assertEqual(len(udh), 40)
        self.assertEqual(int(g.sql("SELECT count(*) FROM delivery_reports WHERE message_id IS NOT NULL")), 40)
        self.assertEqual(max(g.submits_per_destination().values()), 2)  # nothing sent twice

    def test_a_transmitter_receiver_pair_with_two_transmitters(self):
        g = self.gateway(connector_extra='bind = "pair"\nbinds = 2')
        port = g.serve()
        g.sim.wait_for(lambda l: l.get("command") == "bind_receiver" and l["status"] == "ESME_ROK")
        to = numbers(10)
        g.send(port, to, LONG_TEXT)
        g.wait_all(to)
        binds = [l for l in g.sim.events("bind") if l["status"] == "ESME_ROK"]
        self.assertEqual(sorted(l["command"] for l in binds),
                         ["bind_receiver", "bind_transmitter", "bind_transmitter"])
        tx = {l["session"] for l in binds if l["command"] == "bind_transmitter"}
        rx = {l["session"] for l in binds if l["command"] == "bind_receiver"}
        # Both parts of a message on one transmitter; every receipt over the receiver.
        sessions = collections.defaultdict(set)
        for l in g.sim.events("submit_sm"):
            sessions[l["destination"]].add(l["session"])
        self.assertEqual(len(sessions), 10)
        self.assertTrue(all(len(s) == 1 and s <= tx for s in sessions.values()), sessions)
        routed = g.sim.events("receipt_routed")
        self.assertEqual(len(routed), 20)
        self.assertTrue(all(l["session"] in rx for l in routed), routed)
        self.assertEqual(max(g.submits_per_destination().values()), 2)  # nothing sent twice
        with open(g.logs[0].name) as f:
            log = f.read()
        for label in ("sim#1 tx", "sim#2 tx", "sim#1 rx"):
            self.assertIn("smpp %s: bound to" % label, log)

    def test_multipart_by_sar_tlvs(self):
        g = self.gateway(connector_extra='concatenation = "sar"')
        port = g.serve()
        to = numbers(5)
        g.send(port, to, LONG_TEXT)
        g.wait_all(to)
        submits = g.sim.events("submit_sm")
        self.assertEqual(len(submits), 10)
        self.assertTrue(all(l["udh"] == "" and l["esm_class"] == 0 for l in submits))
        whole = g.sim.events("message")
        self.assertEqual(len(whole), 5)  # the simulator put each back together from the TLVs
        self.assertTrue(all(m["parts"] == 2 and m["text"] == LONG_TEXT.strip() for m in whole), whole)

    def test_a_final_failure_receipt_fails_the_message_with_the_smsc_state(self):
        g = self.gateway(sim_args=["--receipt-state", "UNDELIV"])
        port = g.serve()
        g.send(port, ["+27821111111"], "short")
        rows = g.wait_all(["+27821111111"], status="undeliverable")
        self.assertIn("UNDELIV", rows["+27821111111"]["last_error"])

    def test_throttling_and_a_full_queue_pause_the_bind_and_every_message_gets_through(self):
        g = self.gateway(sim_args=["--throttle-every", "7", "--queue-full-every", "11"])
        port = g.serve()
        to = numbers(60)
        g.send(port, to, "throttle me")
        g.wait_all(to)
        self.assertGreater(len(g.sim.events("submit_sm_refused")), 5)
        self.assertEqual(set(g.submits_per_destination().values()), {1})

    def test_replies_are_stored_with_the_number_they_came_from_and_whole(self):
        g = self.gateway()
        g.serve()
        g.sim.wait_for(lambda l: l.get("event") == "bind")
        long_gsm = ("Server db3 is back. " * 20).strip()  # 399 septets: 3 parts
        long_ucs2 = ("Понял, выезжаю 🚗 " * 6).strip()      # 2 UCS-2 parts
        g.sim.inject_reply("+27825550000", "Alerts", "ACK, on my way")
        g.sim.inject_reply("+27825550001", "Alerts", long_gsm)
        g.sim.inject_reply("+27825550002", "Alerts", long_ucs2)
        deadline = time.monotonic() + 15
        while g.sql("SELECT count(*) FROM inbound_messages") != "3":
            self.assertLess(time.monotonic(), deadline, g.log_tail())
            time.sleep(0.2)
        rows = g.sql("SELECT source || '|' || destination || '|' || parts || '|' || body "
                     "FROM inbound_messages ORDER BY source").split("\n")
        self.assertEqual(rows, ["27825550000|Alerts|1|ACK, on my way",
                                f"27825550001|Alerts|3|{long_gsm}",
                                f"27825550002|Alerts|2|{long_ucs2}"])
        self.assertEqual(g.sql("SELECT count(*) FROM inbound_parts WHERE NOT done"), "0")

    def test_an_smsc_dropping_the_connection_mid_stream_loses_nothing(self):
        g = self.gateway(sim_args=["--drop-after", "25"])
        port = g.serve()
        to = numbers(80)
        g.send(port, to, "reconnect through this")
        g.wait_all(to, timeout=45)
        self.assertGreaterEqual(len(g.sim.events("dropped_connection")), 2)

    def test_an_smsc_restarted_mid_stream_loses_nothing(self):
        g = self.gateway(sim_args=["--response-delay", "20"])
        port = g.serve()
        to = numbers(100)
        g.send(port, to, "the SMSC restarts")
        g.sim.wait_for(lambda l: l.get("event") == "submit_sm")
        first = g.sim
        first.stop()  # mid-stream: some submitted, some in flight, some queued
        g.sim = Simulator(extra_args=g.sim_args, port=first.port)
        rows = g.wait_all(to, timeout=45)
        seen = collections.Counter(l["destination"] for l in first.events("submit_sm") + g.sim.events("submit_sm"))
        self.assertEqual(set(seen), {n[1:] for n in to})
        # A submit the first SMSC took but never answered is sent again: the documented duplicate.
        self.assertTrue(all(m["status"] == "delivered" for m in rows.values()))

    def test_mail2sms_killed_mid_stream_and_restarted_loses_nothing(self):
        g = self.gateway(sim_args=["--response-delay", "30"])
        port = g.serve()
        to = numbers(150)
        g.send(port, to, "crash in the middle")
        g.sim.wait_for(lambda l: l.get("event") == "submit_sm")
        g.procs[0].send_signal(signal.SIGKILL)
        g.procs[0].wait()
        g.serve()  # rows the dead process left `sending` become unknown, then are sent again
        rows = g.wait_all(to, timeout=45)
        self.assertEqual(len(rows), 150)
        resent = set(g.sql("SELECT m.recipient FROM messages m JOIN message_events e ON e.message_id = m.id "
                           "WHERE e.status = 'unknown'").split())
        self.assertGreater(len(resent), 0)  # the crash did catch messages in flight
        for number, count in g.submits_per_destination().items():
            if count > 1:  # duplicates only for messages that were in flight at the crash
                self.assertIn("+" + number, resent)

    def test_two_serve_processes_share_the_queue_and_send_nothing_twice(self):
        g = self.gateway()
        ports = [g.serve(), g.serve()]
        to = numbers(200)
        g.send(ports[0], to[:100], "shared queue")
        g.send(ports[1], to[100:], "shared queue")
        g.wait_all(to)
        self.assertEqual(set(g.submits_per_destination().values()), {1})
        self.assertEqual(len(g.submits_per_destination()), 200)


if __name__ == "__main__":
    unittest.main()
