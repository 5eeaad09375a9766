"""The real mail2sms binary with a private PostgreSQL and the SMPP simulator, for e2e tests.

A Bridge starts `mail2sms smsc-sim` and `mail2sms serve` on free loopback ports with its own
embedded cluster in a temporary directory, creates an account, and collects every JSON line the
simulator prints so tests can wait for the SMS that a mail became.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

BINARY = os.environ.get("MAIL2SMS_BIN", os.path.join(os.path.dirname(__file__), "../../build/mail2sms"))
DOMAIN = "sms.example.com"
ACCOUNT = "acme"
PASSWORD = "correct horse battery"
SMPP_PASSWORD = "simpw"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def minimal_config(database_url, connector):
    """A serve configuration: SMTP on a free loopback port for DOMAIN, the database at
    database_url, one [[connector]] named "out" (`connector`: its type and other keys) and a
    route of every number to it. For tests of what serve does with a configuration or a
    database before it listens."""
    return f"""[smtp]
listen = ["127.0.0.1:{free_port()}"]
domains = ["{DOMAIN}"]

[database]
url = "{database_url}"

[[connector]]
name = "out"
{connector}

[[route]]
prefix = "+"
connector = "out"
"""


def wait_for_port(port, timeout=30.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s before listening on %d" % (proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("nothing listening on port %d after %.0fs" % (port, timeout))


def make_certificate(directory):
    cert = os.path.join(directory, "server.crt")
    key = os.path.join(directory, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class Simulator:
    """`mail2sms smsc-sim` on a free port; its JSON lines collected in the background."""

    def __init__(self, system_id="mail2sms", password=SMPP_PASSWORD, extra_args=(), port=None):
        self.port = port or free_port()
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            [BINARY, "smsc-sim", "--listen", "127.0.0.1:%d" % self.port,
             "--system-id", system_id, "--password", password, "--control-stdin", *extra_args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._collect, daemon=True).start()
        try:
            wait_for_port(self.port, proc=self.proc)
        except BaseException:
            self.stop()
            raise

    def _collect(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            with self.cond:
                self.lines.append(json.loads(line))
                self.cond.notify_all()

    def wait_for(self, predicate, timeout=30.0):
        """The first collected line for which predicate(line) is true, waiting up to timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no matching simulator line in %.0fs; saw %r" % (timeout, self.lines))
                self.cond.wait(remaining)

    def inject_reply(self, source, destination, text):
        """Has the simulator send a reply (deliver_sm) to one bound receiver or transceiver."""
        self.proc.stdin.write(json.dumps({"reply": {"from": source, "to": destination, "text": text}}) + "\n")
        self.proc.stdin.flush()

    def events(self, kind):
        with self.cond:
            return [l for l in self.lines if l.get("event") == kind]

    def messages(self, destination=None):
        with self.cond:
            return [l for l in self.lines if l.get("event") == "message"
                    and (destination is None or l.get("destination") == destination)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        if self.proc.stdin:
            self.proc.stdin.close()


class Bridge:
    """mail2sms serve + smsc-sim + a private PostgreSQL, all in one temporary directory."""

    def __init__(self, extra_smtp="", country="ZA", extra_config="", credit=1000000, sim_args=(),
                 extra_database="", wal_reserve_mb=0):
        """wal_reserve_mb: [database] wal_reserve_mb; 0 (none) spares each test's new cluster
        writing the default 1 GiB of WAL ahead; None leaves mail2sms's default, as the
        benchmarks under bench/ do."""
        self.proc = None
        self.sim = None
        self.log = None
        self.dir = tempfile.mkdtemp(prefix="mail2sms-e2e-")
        try:
            if wal_reserve_mb is not None:
                extra_database = "wal_reserve_mb = %d\n%s" % (wal_reserve_mb, extra_database)
            self._start(extra_smtp, country, extra_config, credit, sim_args, extra_database)
        except BaseException:
            self.stop()  # nothing is left running when start-up fails
            raise

    def _start(self, extra_smtp, country, extra_config, credit, sim_args, extra_database):
        os.chmod(self.dir, 0o755)  # the embedded cluster runs as an unprivileged user
        self.cert, self.key = make_certificate(self.dir)
        self.sim = Simulator(extra_args=sim_args)
        self.smtp_port = free_port()
        self.smtps_port = free_port()
        self.config = os.path.join(self.dir, "mail2sms.toml")
        with open(self.config, "w") as f:
            f.write(f"""
[smtp]
listen = ["127.0.0.1:{self.smtp_port}"]
listen_tls = ["127.0.0.1:{self.smtps_port}"]
domains = ["{DOMAIN}"]
tls_cert = "server.crt"
tls_key = "server.key"
{extra_smtp}

[database]
embedded = "pg"
{extra_database}

[[connector]]
name = "sim"
type = "smpp"
host = "127.0.0.1"
port = {self.sim.port}
system_id = "mail2sms"
password = "{SMPP_PASSWORD}"
source = "Alerts"

[[route]]
prefix = "+"
connector = "sim"
{extra_config}
""")
        self.cli("migrate")
        self.cli("account", "add", ACCOUNT, "--password-stdin", "--country", country,
                 "--credit", str(credit), input=PASSWORD + "\n")
        self.log = open(os.path.join(self.dir, "serve.log"), "w+")
        self.proc = subprocess.Popen([BINARY, "serve", "--config", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.smtp_port, proc=self.proc)
            wait_for_port(self.smtps_port, proc=self.proc)
        except (RuntimeError, TimeoutError) as e:  # say why: serve's last lines
            raise RuntimeError("%s; serve's log ends:\n%s" % (e, self.serve_log()[-2000:])) from e

    def cli(self, *args, input=None, check=True):
        result = subprocess.run([BINARY, *args, "--config", self.config], input=input,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError("mail2sms %s failed (%d): %s" % (" ".join(args), result.returncode, result.stderr))
        return result

    def sql(self, query):
        """One value (or rows joined by newlines) from the bridge's private database."""
        conn = "host=%s port=5432 dbname=mail2sms user=mail2sms" % os.path.join(self.dir, "pg", "socket")
        r = subprocess.run(["psql", conn, "-AtXc", query], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("psql failed: " + r.stderr)
        return r.stdout.strip()

    def serve_log(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.sim is not None:
            self.sim.stop()
        if self.log is not None:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
