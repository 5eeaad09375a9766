"""End to end: what a user sees when something is wrong — a bad configuration stops the server
before it listens, and a database that is down gets 451 at the final dot, never 250."""
import glob
import os
import pwd
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import ACCOUNT, BINARY, DOMAIN, Bridge, free_port, minimal_config
from test_send import logged_in, wait_for_log


def pg_ctl(data, *args):
    """pg_ctl on the cluster in data, as the user that owns it."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    owner = pwd.getpwuid(os.stat(data).st_uid).pw_name
    cmd = [os.path.join(bindir, "pg_ctl"), "-D", data, *args]
    if os.geteuid() == 0 and owner != "root":
        cmd = ["runuser", "-u", owner, "--"] + cmd
    subprocess.run(cmd, check=True, capture_output=True)


def stop_cluster(directory):
    """Stops the embedded PostgreSQL under directory behind mail2sms's back; returns its data
    directory."""
    pidfiles = glob.glob(os.path.join(directory, "pg", "**", "postmaster.pid"), recursive=True)
    assert pidfiles, "no running cluster under %s" % directory
    data = os.path.dirname(pidfiles[0])
    pg_ctl(data, "-m", "immediate", "-w", "stop")
    return data


def start_cluster_again(data):
    """Starts a cluster stop_cluster stopped, with the options serve started it with (pg_ctl
    restart reads them from postmaster.opts, and starts a server that is not running)."""
    pg_ctl(data, "-l", os.path.join(data, "..", "restarted.log"), "-w", "-t", "30", "restart")


class DatabaseDownTest(unittest.TestCase):
    def test_database_down_gives_451_and_nothing_is_sent(self):
        bridge = Bridge()
        try:
            client = logged_in(bridge.smtp_port)
            stop_cluster(bridge.dir)
            client.mail("ops@example.com")
            client.rcpt("+27821234567@%s" % DOMAIN)
            code, text = client.data(b"Subject: x\r\n\r\nWhile the database is down\r\n")
            self.assertEqual(code, 451, text)
            self.assertTrue(text.decode().startswith("4.3.0"), text)
            client.quit()
            self.assertEqual(bridge.sim.messages(), [])
        finally:
            bridge.stop()


    def test_database_down_defers_a_trusted_network_client_with_421(self):
        """A legacy system trusted by its network, connecting while the database is down: its
        MAIL ends the session with 421 4.3.0 (it keeps the mail and comes back), never the 530
        that would bounce it."""
        bridge = Bridge()
        try:
            bridge.cli("account", "network", "add", ACCOUNT, "127.0.0.1/32")
            stop_cluster(bridge.dir)
            client = smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30)
            client.ehlo("pbx.example")
            code, text = client.docmd("MAIL", "FROM:<pbx@example.com>")
            self.assertEqual(code, 421, text)
            self.assertIn(b"4.3.0", text)
            self.assertIn(b"Temporary lookup failure", text)
            self.assertEqual(bridge.sim.messages(), [])
        finally:
            bridge.stop()


class DatabaseBackTest(unittest.TestCase):
    def test_an_outage_is_logged_once_per_listener_and_the_database_used_again(self):
        """serve's LISTEN connections (the queue's, the account watcher's) and the dispatcher's
        claims log a database that is gone once, not ten times a second (or every idle wait)
        each, and say when it is back; mail then flows without restarting serve."""
        bridge = Bridge()
        recovered = ("queue listener: connected again after",
                     "account change listener: connected again after",
                     "dispatcher: claiming messages again after")
        try:
            data = stop_cluster(bridge.dir)
            time.sleep(5)  # fifty of each listener's 100 ms waits, two of the dispatcher's 2 s
            log = bridge.serve_log()
            for listener in ("queue listener", "account change listener"):
                self.assertEqual(log.count("warning %s: " % listener), 1, log)
            self.assertEqual(log.count("error dispatcher: cannot claim messages"), 1, log)
            start_cluster_again(data)
            for line in recovered:
                wait_for_log(bridge, line)
            deadline = time.monotonic() + 20
            # The first command on a connection that broke while idle may be answered 4xx (the
            # client tries again, as it would after any 4xx); within seconds a mail goes through.
            code, text = 0, b""
            while time.monotonic() < deadline and code != 250:
                try:
                    with logged_in(bridge.smtp_port) as client:
                        client.mail("ops@example.com")
                        client.rcpt("+27821234567@%s" % DOMAIN)
                        code, text = client.data(b"Subject: x\r\n\r\nThe database is back\r\n")
                except smtplib.SMTPException as e:
                    code, text = 0, str(e).encode()
                if code != 250:
                    time.sleep(0.2)
            self.assertEqual(code, 250, text)
            bridge.sim.wait_for(lambda l: l.get("event") == "message"
                                and l.get("text") == "The database is back")
        finally:
            bridge.stop()


class ConfigurationErrorTest(unittest.TestCase):
    def run_serve(self, toml):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.toml")
            with open(path, "w") as f:
                f.write(toml)
            return path, subprocess.run([BINARY, "serve", "--config", path], capture_output=True,
                                        text=True, timeout=60)

    def test_unknown_key_exits_2_naming_file_line_and_key(self):
        port = free_port()
        path, r = self.run_serve(f"""[smtp]
listen = ["127.0.0.1:{port}"]
domains = ["{DOMAIN}"]
max_recipeints = 5

[database]
url = "host=/nonexistent"

[[connector]]
name = "f"
type = "file"
path = "out.jsonl"

[[route]]
prefix = "+"
connector = "f"
""")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(path + ":4", r.stderr)
        self.assertIn("max_recipeints", r.stderr)

    def test_wrong_type_exits_2(self):
        path, r = self.run_serve('[smtp]\nlisten = "127.0.0.1:25"\n')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(path + ":2", r.stderr)
        self.assertIn("smtp.listen", r.stderr)

    def test_missing_file_exits_2(self):
        r = subprocess.run([BINARY, "serve", "--config", "/nonexistent/mail2sms.toml"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/mail2sms.toml", r.stderr)


class UnansweringDatabaseTest(unittest.TestCase):
    """A database server that accepts connections and never answers (a hung host, a proxy in
    front of a dead one): serve gives up on it after connect_timeout (10 s, mail2sms's default
    for a URL that does not set it) and says so, instead of waiting for ever."""

    def test_serve_gives_up_on_a_silent_database_and_says_why(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        held = []
        stop = threading.Event()

        def accept():
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(listener.accept()[0])  # never read, never answered
                except socket.timeout:
                    pass

        thread = threading.Thread(target=accept)
        thread.start()
        try:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "silent.toml")
                with open(path, "w") as f:
                    f.write(minimal_config(
                        "postgresql://mail2sms@127.0.0.1:%d/mail2sms?sslmode=disable"
                        % listener.getsockname()[1],
                        'type = "file"\npath = "%s"' % os.path.join(d, "out.jsonl")))
                started = time.monotonic()
                r = subprocess.run([BINARY, "serve", "--config", path], capture_output=True,
                                   text=True, timeout=90)
                elapsed = time.monotonic() - started
        finally:
            stop.set()
            thread.join()
            for c in held:
                c.close()
            listener.close()
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertIn("timeout", r.stderr)
        self.assertTrue(held, "serve never connected to the listener")
        self.assertLess(elapsed, 40, "serve waited %.0f s" % elapsed)


if __name__ == "__main__":
    unittest.main()
