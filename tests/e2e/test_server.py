"""End to end: the server's limits and lifecycle — connections per client, the session deadline,
AUTH brute-force budgets, a graceful stop that lets a transaction in flight finish, a database
that hangs (451, and a stop that still ends), and a certificate reload on SIGHUP."""
import base64
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import unittest

from harness import ACCOUNT, DOMAIN, PASSWORD, Bridge, free_port, make_certificate, wait_for_port
from test_send import logged_in, mail_without_auth, tls_context, until, wait_for_log


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    return s, s.makefile("rb")


def read_reply(f):
    """One whole (possibly multi-line) reply, as text."""
    lines = []
    while True:
        line = f.readline().decode()
        if not line:
            break
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            break
    return "".join(lines)


class BridgeTest(unittest.TestCase):
    extra_smtp = ""

    @classmethod
    def setUpClass(cls):
        cls.bridge = Bridge(extra_smtp=cls.extra_smtp)

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def open_session(self):
        """A connection that got its 220, retrying while earlier ones are still being closed."""
        deadline = time.monotonic() + 20
        while True:
            s, f = connect(self.bridge.smtp_port)
            reply = read_reply(f)
            if reply.startswith("220 "):
                return s, f
            f.close()
            s.close()
            self.assertLess(time.monotonic(), deadline, reply)
            time.sleep(0.05)


class ConnectionLimitTest(BridgeTest):
    extra_smtp = "max_connections_per_ip = 2"

    def test_connections_per_client_address_are_limited(self):
        first, f1 = self.open_session()
        second, f2 = self.open_session()
        try:
            third, f3 = connect(self.bridge.smtp_port)
            self.assertTrue(read_reply(f3).startswith("421 4.7.0 "))
            self.assertEqual(f3.read(), b"")  # and closed
            f3.close()
            third.close()
        finally:
            for f, sock in ((f1, first), (f2, second)):
                f.close()
                sock.close()
        # The slots are given back when sessions end.
        s, f = self.open_session()
        f.close()
        s.close()


    def test_over_the_limit_on_the_implicit_tls_port_the_421_comes_inside_tls(self):
        # As Postfix's smtpd in wrapper mode: the handshake, then the reply, then close_notify.
        first, f1 = self.open_session()
        second, f2 = self.open_session()
        try:
            raw = socket.create_connection(("127.0.0.1", self.bridge.smtps_port), timeout=20)
            # A ragged EOF raises: the close must come after TLS's close_notify.
            with tls_context().wrap_socket(raw, suppress_ragged_eofs=False) as tls:
                f = tls.makefile("rb")
                self.assertTrue(read_reply(f).startswith("421 4.7.0 "))
                self.assertEqual(f.read(), b"")  # and closed
                f.close()
        finally:
            for f, sock in ((f1, first), (f2, second)):
                f.close()
                sock.close()


class TlsRefusalBoundTest(BridgeTest):
    """Connections over the limit on the implicit-TLS port wait on their handshakes for the 421
    a few seconds at most, at most 4 per client and 64 in all: past that, a close at once."""
    extra_smtp = "max_connections = 2"

    def silent(self, source):
        """A connection to the TLS port from `source` (an address on the loopback net) that
        never starts its handshake."""
        return socket.create_connection(("127.0.0.1", self.bridge.smtps_port), timeout=30,
                                        source_address=(source, 0))

    def closed_at_once(self, source):
        started = time.monotonic()
        with self.silent(source) as s:
            self.assertEqual(s.recv(1), b"")
        return time.monotonic() - started < 5

    def test_refusals_waiting_on_a_handshake_are_bounded_per_client_and_in_all(self):
        sessions = [self.open_session() for _ in range(2)]  # the whole server's limit, taken
        waiting = []
        refused = lambda: self.bridge.serve_log().count("Too many connections, try again later")
        try:
            before = refused()
            waiting += [self.silent("127.0.0.1") for _ in range(4)]
            self.assertTrue(until(lambda: refused() - before >= 4, True, 20), self.bridge.serve_log())
            self.assertTrue(self.closed_at_once("127.0.0.1"))  # a fifth from the same client
            # Other clients have slots of their own, up to 64 in all.
            for n in range(2, 17):
                waiting += [self.silent("127.0.0.%d" % n) for _ in range(4)]
            self.assertTrue(until(lambda: refused() - before >= 65, True, 20), self.bridge.serve_log())
            started = time.monotonic()
            self.assertTrue(self.closed_at_once("127.0.0.17"))
            for s in waiting:  # each closed when its 10 s for the handshake are over
                self.assertEqual(s.recv(1), b"")
            self.assertLess(time.monotonic() - started, 25)
            # The slots are given back: a client that does its handshake hears why.
            with tls_context().wrap_socket(self.silent("127.0.0.18"), suppress_ragged_eofs=False) as tls:
                f = tls.makefile("rb")
                self.assertTrue(read_reply(f).startswith("421 4.7.0 "))
                self.assertEqual(f.read(), b"")  # then close_notify
                f.close()
        finally:
            for s in waiting:
                s.close()
            for s, f in sessions:
                f.close()
                s.close()


class DescriptorExhaustionTest(BridgeTest):
    """Out of file descriptors, serve pauses accepting (the connections wait in the backlog)
    instead of retrying in a busy loop, and takes them once descriptors are free again."""

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.bridge.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def test_accepts_pause_while_descriptors_run_out_and_resume_after(self):
        pid = self.bridge.proc.pid
        with open("/proc/%d/limits" % pid) as f:
            soft, hard = next(l for l in f if l.startswith("Max open files")).split()[3:5]
        open_now = len(os.listdir("/proc/%d/fd" % pid))
        limit = open_now + 3
        # The soft limit only: raising a hard limit again needs a capability a container may lack.
        subprocess.run(["prlimit", "--pid", str(pid), "--nofile=%d:%s" % (limit, hard)], check=True)
        clients = []
        try:
            for _ in range(10):  # three are taken; the rest wait in the backlog
                clients.append(socket.create_connection(("127.0.0.1", self.bridge.smtp_port), timeout=20))
            wait_for_log(self.bridge, "pausing new connections until it works again")
            before, started = self.cpu_ticks(), time.monotonic()
            time.sleep(2)
            used = (self.cpu_ticks() - before) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - started)
            self.assertLess(used, 0.2, "serve used %.0f %% of a core while it could not accept" % (used * 100))
            # Once per run of failures, not once per attempt (that was 600,000 lines a second).
            self.assertLess(self.bridge.serve_log().count("accept failed"), 5, self.bridge.serve_log())
        finally:
            for c in clients:
                c.close()
            subprocess.run(["prlimit", "--pid", str(pid), "--nofile=%s:%s" % (soft, hard)], check=True)
        wait_for_log(self.bridge, "accepting again after")
        s, f = connect(self.bridge.smtp_port)
        with s:
            self.assertTrue(read_reply(f).startswith("220 "))


class DefaultSettingsTest(BridgeTest):
    """What serve does with the default settings."""

    def test_serve_runs_on_jemalloc_and_says_so(self):
        # The build links jemalloc (cli/CMakeLists.txt); serve asks the allocator that answers
        # its mallocs which it is, so a link that left the C library's malloc in charge fails.
        # A sanitizer build (ctest sets MAIL2SMS_SANITIZE) links no jemalloc, and says so.
        wait_for_log(self.bridge, "mail2sms: serving")
        if os.environ.get("MAIL2SMS_SANITIZE") == "1":
            expected = r"memory allocator: the C library's malloc \(a sanitizer build"
        else:
            expected = r"memory allocator: jemalloc \d+\.\d+"
        self.assertRegex(self.bridge.serve_log(), expected)

    def test_the_server_ends_a_tls_session_with_close_notify(self):
        raw = socket.create_connection(("127.0.0.1", self.bridge.smtps_port), timeout=20)
        s = tls_context().wrap_socket(raw, suppress_ragged_eofs=False)
        with s:
            f = s.makefile("rb")
            self.assertTrue(read_reply(f).startswith("220 "))
            s.sendall(b"QUIT\r\n")
            self.assertTrue(read_reply(f).startswith("221 "))
            # A TCP close without close_notify raises SSLEOFError here (a truncation, to TLS).
            self.assertEqual(s.recv(1), b"")


class SessionDeadlineTest(BridgeTest):
    extra_smtp = "session_timeout = 3"

    def test_a_session_ends_at_its_deadline_however_busy(self):
        s, f = connect(self.bridge.smtp_port)
        try:
            self.assertTrue(read_reply(f).startswith("220 "))
            started = time.monotonic()
            reply = ""
            while time.monotonic() - started < 20:  # keep it busy: NOOP every 0.2 s
                s.sendall(b"NOOP\r\n")
                reply = read_reply(f)
                if not reply.startswith("250"):
                    break
                time.sleep(0.2)
            self.assertTrue(reply.startswith("421 4.4.2 "), reply)
        finally:
            f.close()
            s.close()


class CommandTimeoutTest(BridgeTest):
    """RFC 5321 4.5.3.2: each wait for the client is bounded (command_timeout, data_timeout), a
    session as a whole only by session_timeout."""
    extra_smtp = "command_timeout = 2\ndata_timeout = 3\nplaintext_auth = true"

    def test_a_client_silent_past_the_command_timeout_gets_421(self):
        s, f = connect(self.bridge.smtp_port)
        try:
            self.assertTrue(read_reply(f).startswith("220 "))
            s.sendall(b"EHLO client.example\r\n")
            self.assertTrue(read_reply(f).startswith("250"))
            self.assertTrue(read_reply(f).startswith("421 4.4.2 "))  # then nothing more
            self.assertEqual(f.readline(), b"")
        finally:
            f.close()
            s.close()

    def test_a_client_that_keeps_talking_is_not_timed_out(self):
        s, f = connect(self.bridge.smtp_port)
        try:
            self.assertTrue(read_reply(f).startswith("220 "))
            started = time.monotonic()
            while time.monotonic() - started < 5:  # 2.5 command timeouts, a command every 0.5 s
                s.sendall(b"NOOP\r\n")
                self.assertTrue(read_reply(f).startswith("250"))
                time.sleep(0.5)
            # A pause longer than the last gaps, shorter than the timeout, is still fine.
            time.sleep(1.2)
            s.sendall(b"NOOP\r\n")
            self.assertTrue(read_reply(f).startswith("250"))
        finally:
            f.close()
            s.close()

    def test_a_client_silent_in_data_past_the_data_timeout_gets_421(self):
        s, f = connect(self.bridge.smtp_port)
        try:
            self.assertTrue(read_reply(f).startswith("220 "))
            plain = base64.b64encode(("\0%s\0%s" % (ACCOUNT, PASSWORD)).encode())
            for command in (b"EHLO client.example", b"AUTH PLAIN " + plain,
                            b"MAIL FROM:<a@example.com>",
                            b"RCPT TO:<+27821234567@" + DOMAIN.encode() + b">", b"DATA"):
                s.sendall(command + b"\r\n")
                self.assertTrue(read_reply(f)[:1] in ("2", "3"), command)
            s.sendall(b"Subject: half a mail\r\n\r\nand then silence")
            started = time.monotonic()
            self.assertTrue(read_reply(f).startswith("421 4.4.2 "))
            # The data timeout (3 s) applies inside DATA, not the command timeout (2 s).
            self.assertGreater(time.monotonic() - started, 2.5)
        finally:
            f.close()
            s.close()


class PlaintextAuthListenerTest(unittest.TestCase):
    """AUTH before TLS only on the listener marked for it (listen_plaintext_auth), not on the
    ordinary plain listener beside it."""

    def test_only_the_marked_listener_offers_auth_before_tls(self):
        trusted = free_port()
        bridge = Bridge(extra_smtp='listen_plaintext_auth = ["127.0.0.1:%d"]' % trusted)
        try:
            wait_for_port(trusted)
            with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
                client.ehlo("client.example")
                self.assertFalse(client.has_extn("auth"))
                self.assertTrue(client.has_extn("starttls"))
                code, text = client.docmd("AUTH", "PLAIN " + base64.b64encode(
                    ("\0%s\0%s" % (ACCOUNT, PASSWORD)).encode()).decode())
                self.assertEqual(code, 538, text)
            with smtplib.SMTP("127.0.0.1", trusted, timeout=30) as client:
                client.ehlo("legacy.example")
                self.assertIn("PLAIN", client.esmtp_features.get("auth", ""))
                self.assertTrue(client.has_extn("starttls"))
                client.login(ACCOUNT, PASSWORD)
                client.sendmail("legacy@example.com", ["+27821234567@%s" % DOMAIN],
                                "Subject: x\r\n\r\nSent on the trusted port\r\n")
            bridge.sim.wait_for(lambda l: l.get("event") == "message"
                                and l.get("text") == "Sent on the trusted port")
            self.assertIn("127.0.0.1:%d (AUTH without TLS: trusted networks only)" % trusted,
                          bridge.serve_log())
        finally:
            bridge.stop()


class UnreadRepliesTest(BridgeTest):
    extra_smtp = "command_timeout = 2\nmax_connections_per_ip = 1"

    def test_a_client_that_never_reads_its_replies_loses_its_connection(self):
        # A small receive buffer, NOOPs sent without reading a reply: the server's replies
        # back up until its writes block. It closes the connection after command_timeout
        # (2 s), and the address's one connection slot is free again.
        def flooder_connected():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(10)
            s.connect(("127.0.0.1", self.bridge.smtp_port))
            if s.recv(512).startswith(b"220"):
                return s
            s.close()  # the slot was still the harness's start-up probe's
            return None
        flooder = until(flooder_connected, True, timeout=10, key=lambda s: s is not None)
        self.assertIsNotNone(flooder)
        flooder.setblocking(False)
        try:
            blocked_since = None
            started = time.monotonic()
            while time.monotonic() - started < 20:
                try:
                    flooder.send(b"NOOP\r\n" * 500)
                    blocked_since = None
                except BlockingIOError:
                    blocked_since = blocked_since or time.monotonic()
                    if time.monotonic() - blocked_since > 0.5:
                        break  # the server has stopped reading: its writes are blocked
                    time.sleep(0.05)
                except OSError:
                    break  # closed already
            self.assertIsNotNone(blocked_since, "the server never stopped reading")

            def greeting():
                s, f = connect(self.bridge.smtp_port)
                try:
                    return read_reply(f)[:3]
                finally:
                    f.close()
                    s.close()
            # Without the limit on writes, the slot stayed taken until the client closed.
            self.assertEqual(until(greeting, "220", timeout=15), "220")
            wait_for_log(self.bridge, "did not read its replies in time; closing", timeout=5)
        finally:
            flooder.close()


class AuthBudgetTest(BridgeTest):
    extra_smtp = "auth_failures_per_ip = 2\nplaintext_auth = true"

    def test_repeated_auth_failures_end_in_421(self):
        def plain(user, password):
            return "PLAIN " + base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()

        with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30) as client:
            client.ehlo("client.example")
            for _ in range(2):
                code, text = client.docmd("AUTH", plain("nobody-%d" % os.getpid(), "wrong"))
                self.assertEqual(code, 535, text)
            code, text = client.docmd("AUTH", plain(ACCOUNT, PASSWORD))
        # Even the right password is refused once the address used its budget.
        self.assertEqual(code, 421, text)
        self.assertTrue(text.decode().startswith("4.7.0"), text)
        log = self.bridge.serve_log()
        self.assertIn("AUTH PLAIN failed (answering in", log)
        # The user name is the client's text: not in the log (a number, a misplaced password,
        # or forged log lines could be in it).
        self.assertNotIn("nobody-%d" % os.getpid(), log)


class ConcurrentAuthBudgetTest(BridgeTest):
    extra_smtp = "auth_failures_per_ip = 3\nplaintext_auth = true"

    def test_attempts_sent_at_once_cannot_overrun_the_budget(self):
        # Ten connections from one address send a wrong password at the same moment: the
        # attempts being verified count against the budget, so three are tried while seven wait,
        # and the seven are refused once the three have failed.
        answers = auth_at_once(self.bridge.smtp_port, b"\0nobody\0wrong", 10)
        self.assertEqual(sorted(answers), ["421"] * 7 + ["535"] * 3)


class ConcurrentLoginTest(BridgeTest):
    # A bridge of its own: the failures above count against the address for the whole window.
    extra_smtp = "auth_failures_per_ip = 3\nplaintext_auth = true"

    def test_logins_at_once_with_the_right_password_all_get_in(self):
        # Twelve connections of one client (a mail queue flushing, an alerting pool) log in at
        # the same moment, more than the budget of three: they are verified three at a time and
        # none is refused.
        right = ("\0%s\0%s" % (ACCOUNT, PASSWORD)).encode()
        self.assertEqual(auth_at_once(self.bridge.smtp_port, right, 12), ["235"] * 12)


def auth_at_once(port, credentials, n):
    """The reply codes to AUTH PLAIN sent on n connections at the same moment."""
    plain = base64.b64encode(credentials)
    barrier = threading.Barrier(n)
    answers = []

    def attempt():
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            f = s.makefile("rb")
            read_reply(f)
            s.sendall(b"EHLO client.example\r\n")
            read_reply(f)
            barrier.wait()
            s.sendall(b"AUTH PLAIN " + plain + b"\r\n")
            answers.append(read_reply(f)[:3])

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


class ClientNetworkTest(BridgeTest):
    # Remembered for ten minutes: only the database's notification can make serve forget it.
    extra_smtp = "account_cache = 600"

    def test_a_legacy_system_on_an_allowed_network_sends_without_auth(self):
        r = self.bridge.cli("account", "network", "add", ACCOUNT, "127.0.0.1")
        self.assertIn("added 127.0.0.1", r.stdout)
        listed = self.bridge.cli("account", "network", "list", ACCOUNT, "--json").stdout
        self.assertIn("127.0.0.1/32", listed)
        try:
            with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30) as client:
                client.ehlo("pbx.example")  # plaintext, no AUTH: what an old PBX does
                client.sendmail("pbx@example.com", ["+27821234567@%s" % DOMAIN],
                                "Subject: pbx\r\n\r\nMissed call from reception\r\n")
            self.bridge.sim.wait_for(lambda l: l.get("event") == "message"
                                     and l.get("text") == "Missed call from reception")
            self.assertIn("trusted as '%s' by client network" % ACCOUNT, self.bridge.serve_log())
        finally:
            self.bridge.cli("account", "network", "remove", ACCOUNT, "127.0.0.1/32")

        # The removal reaches serve as a NOTIFY sent at its commit: milliseconds after the CLI
        # returns (a connection made in between may still be trusted), not the ten minutes.
        code, text = until(lambda: mail_without_auth(self.bridge.smtp_port), 530, timeout=5,
                           key=lambda r: r[0])
        self.assertEqual(code, 530, text)

    def test_a_malformed_network_is_a_usage_error(self):
        r = self.bridge.cli("account", "network", "add", ACCOUNT, "10.0.0.300/8", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("is not a network", r.stderr)


class GracefulStopTest(unittest.TestCase):
    def test_sigterm_lets_the_transaction_in_flight_finish(self):
        bridge = Bridge(extra_smtp="shutdown_grace = 30")
        try:
            idle = smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30)
            idle.ehlo("idle.example")
            busy = logged_in(bridge.smtp_port, helo="busy.example")
            busy.mail("ops@example.com")
            busy.rcpt("+27821234567@%s" % DOMAIN)
            code, _ = busy.docmd("DATA")
            self.assertEqual(code, 354)
            busy.send(b"Subject: stop\r\n\r\nSent while stopping\r\n")

            bridge.proc.send_signal(signal.SIGTERM)
            code, text = idle.getreply()
            self.assertEqual(code, 421, text)
            self.assertTrue(text.decode().startswith("4.3.2"), text)

            busy.send(b".\r\n")
            code, text = busy.getreply()
            self.assertEqual(code, 250, text)
            code, text = busy.getreply()
            self.assertEqual(code, 421, text)
            self.assertEqual(bridge.proc.wait(30), 0)
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", bridge.smtp_port), timeout=5)
        finally:
            bridge.stop()


class GraceEndTest(unittest.TestCase):
    def test_sessions_still_in_a_transaction_when_the_grace_ends_get_421(self):
        bridge = Bridge(extra_smtp="shutdown_grace = 1")
        try:
            after_mail = logged_in(bridge.smtp_port, helo="mail.example")
            after_mail.mail("ops@example.com")
            in_data = logged_in(bridge.smtp_port, helo="data.example")
            in_data.mail("ops@example.com")
            in_data.rcpt("+27821234567@%s" % DOMAIN)
            code, _ = in_data.docmd("DATA")
            self.assertEqual(code, 354)
            in_data.send(b"Subject: cut\r\n\r\nNever finished\r\n")

            bridge.proc.send_signal(signal.SIGTERM)
            for client in (after_mail, in_data):
                code, text = client.getreply()
                self.assertEqual(code, 421, text)
                self.assertTrue(text.decode().startswith("4.3.2"), text)
                with self.assertRaises(smtplib.SMTPServerDisconnected):
                    client.getreply()
            self.assertEqual(bridge.proc.wait(30), 0)
            self.assertIn("closing 2 session(s) still open", bridge.serve_log())
        finally:
            bridge.stop()

    def test_a_mail_pipelined_after_the_dot_while_stopping_starts_no_transaction(self):
        bridge = Bridge(extra_smtp="shutdown_grace = 30")
        holder = None
        try:
            # The account's row held by another transaction keeps the commit in flight until the
            # SIGTERM has come.
            conn = "host=%s port=5432 dbname=mail2sms user=mail2sms" % os.path.join(bridge.dir, "pg", "socket")
            holder = subprocess.Popen(["psql", conn, "-AtXq"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
            holder.stdin.write("BEGIN;\nSELECT 'held' FROM accounts WHERE name = '%s' FOR UPDATE;\n" % ACCOUNT)
            holder.stdin.flush()
            self.assertEqual(holder.stdout.readline().strip(), "held")

            client = logged_in(bridge.smtp_port, helo="pipelining.example")
            client.mail("ops@example.com")
            client.rcpt("+27821234567@%s" % DOMAIN)
            code, _ = client.docmd("DATA")
            self.assertEqual(code, 354)
            client.send(b"Subject: first\r\n\r\nThe one in flight\r\n.\r\nMAIL FROM:<ops@example.com>\r\n")
            waiting = until(lambda: bridge.sql("SELECT count(*) FROM pg_locks WHERE NOT granted"),
                            True, key=lambda n: n != "0")
            self.assertNotEqual(waiting, "0", "the commit never waited for the held row")
            bridge.proc.send_signal(signal.SIGTERM)
            wait_for_log(bridge, "waiting up to 30 s for transactions in flight")
            holder.stdin.write("COMMIT;\n")
            holder.stdin.flush()

            code, text = client.getreply()
            self.assertEqual(code, 250, text)
            code, text = client.getreply()  # the pipelined MAIL
            self.assertEqual(code, 421, text)
            self.assertEqual(bridge.proc.wait(30), 0)
        finally:
            if holder is not None:
                holder.stdin.close()
                holder.wait(30)
            bridge.stop()


def process_state(pid):
    """(state, parent pid) of a process, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def running(pid):
    """Whether pid is a process that has not ended (a zombie has)."""
    state = process_state(pid)
    return state is not None and state[0] != "Z"


def stop_cluster(bridge):
    """SIGSTOPs the bridge's PostgreSQL: the postmaster first, once it is stopped (it forks no
    more backends) each of its children. The pids, the postmaster first."""
    with open(os.path.join(bridge.dir, "pg", "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    os.kill(postmaster, signal.SIGSTOP)
    until(lambda: process_state(postmaster)[0], "T")
    children = [int(e) for e in os.listdir("/proc")
                if e.isdigit() and (process_state(int(e)) or ("", 0))[1] == postmaster]
    for pid in children:
        os.kill(pid, signal.SIGSTOP)
    return [postmaster] + children


class HungDatabaseTest(unittest.TestCase):
    """PostgreSQL stopped with SIGSTOP, every process of it: a server that hangs (a disk that
    does not return) while its kernel still takes connections and what is sent on them."""

    def test_a_mail_gets_451_when_the_database_hangs_and_serve_still_stops(self):
        # One database thread for look-ups: the session below warms its connection, so the
        # look-up of the client that connects later waits on the hung server, not on a connect.
        bridge = Bridge(extra_smtp="shutdown_grace = 1",
                        extra_database="lock_timeout = 1\nanswer_timeout = 3\npool_size = 1\n")
        pids = []
        client = None
        try:
            client = logged_in(bridge.smtp_port, helo="hung.example")
            pids = stop_cluster(bridge)
            client.mail("ops@example.com")
            client.rcpt("+27821234567@%s" % DOMAIN)
            started = time.monotonic()
            code, text = client.data(b"Subject: hung\r\n\r\nThe database hangs\r\n")
            self.assertEqual(code, 451, text)
            self.assertTrue(text.startswith(b"4.3.0"), text)
            self.assertGreaterEqual(time.monotonic() - started, 3)
            wait_for_log(bridge, "answer_timeout")
            # Mail for the postmaster is stored by a pool thread: 451 too, after answer_timeout.
            client.mail("ops@example.com")
            client.rcpt("postmaster@%s" % DOMAIN)
            code, text = client.data(b"Subject: hung\r\n\r\nFor the postmaster\r\n")
            self.assertEqual(code, 451, text)
            wait_for_log(bridge, "mail for the postmaster not stored: the database did not answer "
                                 "within 3 s")

            # A client that connects now: the look-up of its client network waits at most
            # answer_timeout (3 s here), then the greeting comes, and MAIL without AUTH gets 421.
            fresh = smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=20)
            fresh.ehlo("fresh.example")
            code, text = fresh.docmd("MAIL FROM:<ops@example.com>")
            self.assertEqual(code, 421, text)
            self.assertTrue(text.startswith(b"4.3.0"), text)
            fresh.close()
            # AUTH: 454 once the account store has not answered within answer_timeout.
            login = smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=20)
            login.ehlo("login.example")
            login.starttls(context=tls_context())
            login.ehlo("login.example")
            with self.assertRaises(smtplib.SMTPAuthenticationError) as refused:
                login.login(ACCOUNT, PASSWORD)
            self.assertEqual(refused.exception.smtp_code, 454, refused.exception)
            login.close()
            wait_for_log(bridge, "no answer from the account store within 3 s")
            # The CLI opens the embedded cluster too: its connect is bounded.
            listed = bridge.cli("account", "list", check=False)
            self.assertEqual(listed.returncode, 1, listed.stderr)
            self.assertIn("timeout expired", listed.stderr)

            # The dispatcher waits on the database too: the stop gives it the grace, the answer
            # timeout and the dispatcher's 30 s, then serve leaves it and says so.
            bridge.proc.send_signal(signal.SIGTERM)
            self.assertEqual(bridge.proc.wait(90), 1)
            self.assertIn("work still waiting on the database 34 s after the stop began",
                          bridge.serve_log())
        finally:
            if client is not None:
                client.close()
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
            if pids:  # serve did not stop its cluster: an immediate shutdown
                os.kill(pids[0], signal.SIGQUIT)
                until(lambda: running(pids[0]), False, timeout=30)
            bridge.stop()


class CertificateReloadTest(unittest.TestCase):
    def peer_certificate(self, port):
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.ehlo("client.example")
            client.starttls(context=tls_context())
            return client.sock.getpeercert(binary_form=True)

    def test_sighup_loads_a_renewed_certificate_for_new_sessions(self):
        bridge = Bridge()
        try:
            before = self.peer_certificate(bridge.smtp_port)
            new_dir = os.path.join(bridge.dir, "renewed")
            os.mkdir(new_dir)
            cert, key = make_certificate(new_dir)
            os.replace(cert, bridge.cert)
            os.replace(key, bridge.key)
            bridge.proc.send_signal(signal.SIGHUP)
            wait_for_log(bridge, "TLS certificate reloaded")
            after = self.peer_certificate(bridge.smtp_port)
            self.assertNotEqual(before, after)
            with open(bridge.cert) as f:
                self.assertEqual(after, ssl.PEM_cert_to_DER_cert(f.read()))
            self.assertIsNone(bridge.proc.poll())
        finally:
            bridge.stop()

    def test_a_key_of_another_type_than_the_certificate_is_refused_and_the_old_one_kept(self):
        bridge = Bridge()
        try:
            before = self.peer_certificate(bridge.smtp_port)
            ec_key = os.path.join(bridge.dir, "ec.key")
            subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-out", ec_key],
                           check=True, capture_output=True)
            os.replace(ec_key, bridge.key)  # the RSA certificate stays
            bridge.proc.send_signal(signal.SIGHUP)
            wait_for_log(bridge, "keeping the current certificate: the TLS key")
            self.assertEqual(self.peer_certificate(bridge.smtp_port), before)
            with socket.create_connection(("127.0.0.1", bridge.smtps_port), timeout=20) as raw:
                with tls_context().wrap_socket(raw) as s:  # implicit TLS still handshakes
                    self.assertTrue(s.recv(512).startswith(b"220 "))
            self.assertIsNone(bridge.proc.poll())
        finally:
            bridge.stop()


if __name__ == "__main__":
    unittest.main()
