"""End to end: the attacks that hit real mail servers, each sent raw over a socket to the real
`mail2sms serve`, with the answer asserted — and, for the smuggling variants, proof at the SMSC
that no second message got through.

  - plaintext pipelined after STARTTLS (CVE-2011-0411 class): 421 and the connection closed;
  - bare LF / bare CR in a command, and every SMTP-smuggling end-of-data variant
    (CVE-2023-51764 class): `<LF>.<LF>`, `<LF>.<CR><LF>`, `<CR>.<CR>`, `<CR><CR><LF>.`;
  - over-long command lines, over-long AUTH lines, SIZE enforced while streaming, recipients
    beyond the limit, non-ASCII addresses without SMTPUTF8, AUTH before TLS, AUTH cancelled,
    twice and inside a transaction, and the error budget.
"""
import base64
import os
import select
import smtplib
import socket
import ssl
import subprocess
import time
import unittest

from harness import ACCOUNT, DOMAIN, PASSWORD, Bridge
from test_send import tls_context


def read_reply(sock):
    """One whole (possibly multi-line) reply, read byte by byte so nothing after it is consumed."""
    data = b""
    while True:
        chunk = sock.recv(1)
        if not chunk:
            return data.decode()
        data += chunk
        if data.endswith(b"\r\n"):
            last = data[:-2].split(b"\r\n")[-1]
            if len(last) < 4 or last[3:4] != b"-":
                return data.decode()


def closed(sock, timeout=10):
    """True when the server has closed the connection (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class AttackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = Bridge(extra_smtp="max_message_size = 4096\nmax_recipients = 3\nmax_errors = 5\n"
                                        "max_command_line = 1024\nmax_text_line = 2000")
        # Loopback may send without AUTH (a client network), so the raw transactions below need
        # no SASL; the AUTH tests use the implicit-TLS listener and the password.
        cls.bridge.cli("account", "network", "add", ACCOUNT, "127.0.0.1")

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def session(self, ehlo=True):
        s = socket.create_connection(("127.0.0.1", self.bridge.smtp_port), timeout=20)
        self.addCleanup(s.close)
        self.assertTrue(read_reply(s).startswith("220 "))
        if ehlo:
            s.sendall(b"EHLO attacker.example\r\n")
            self.ehlo_reply = read_reply(s)
            self.assertTrue(self.ehlo_reply.startswith("250"), self.ehlo_reply)
        return s

    def tls_session(self):
        raw = socket.create_connection(("127.0.0.1", self.bridge.smtps_port), timeout=20)
        s = tls_context().wrap_socket(raw)
        self.addCleanup(s.close)
        self.assertTrue(read_reply(s).startswith("220 "))
        s.sendall(b"EHLO attacker.example\r\n")
        self.assertTrue(read_reply(s).startswith("250"))
        return s

    def ask(self, sock, line):
        sock.sendall(line)
        return read_reply(sock)

    def control_mail(self, text):
        """A well-formed mail after an attack: it arriving proves everything before it was handled
        (the dispatcher sends in queue order)."""
        s = self.session()
        self.assertTrue(self.ask(s, b"MAIL FROM:<ops@example.com>\r\n").startswith("250"))
        self.assertTrue(self.ask(s, b"RCPT TO:<+27821230000@%s>\r\n" % DOMAIN.encode()).startswith("250"))
        self.assertTrue(self.ask(s, b"DATA\r\n").startswith("354"))
        reply = self.ask(s, b"Subject: c\r\n\r\n" + text.encode() + b"\r\n.\r\n")
        self.assertTrue(reply.startswith("250 "), reply)
        self.bridge.sim.wait_for(lambda l: l.get("event") == "message" and l.get("text") == text)

    # --- STARTTLS ---

    def test_plaintext_pipelined_after_starttls_is_never_run(self):
        s = self.session()
        self.assertIn("STARTTLS", self.ehlo_reply)
        reply = self.ask(s, b"STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n")
        self.assertTrue(reply.startswith("421 4.7.0"), reply)
        self.assertIn("pipelined after STARTTLS", reply)
        self.assertTrue(closed(s))

    def test_after_starttls_the_session_starts_over(self):
        s = self.session()
        self.assertTrue(self.ask(s, b"STARTTLS\r\n").startswith("220 "))
        t = tls_context().wrap_socket(s)
        self.addCleanup(t.close)
        reply = self.ask(t, b"MAIL FROM:<ops@example.com>\r\n")
        self.assertTrue(reply.startswith("503 5.5.1"), reply)  # EHLO again first

    def test_a_client_cannot_renegotiate_tls(self):
        """Client-initiated renegotiation (CVE-2011-1473: a key exchange's cost on the server,
        asked again and again on one connection) gets the no_renegotiation alert, and the
        session does not go on. openssl s_client renegotiates on a line "R" (TLS 1.2; TLS 1.3
        has no renegotiation)."""
        client = subprocess.Popen(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.bridge.smtps_port,
             "-tls1_2", "-crlf"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(client.wait)
        self.addCleanup(client.kill)
        seen = b""

        def wait_for(needle, timeout=20):
            nonlocal seen
            deadline = time.monotonic() + timeout
            while needle not in seen and time.monotonic() < deadline:
                ready, _, _ = select.select([client.stdout], [], [], 0.2)
                if ready:
                    chunk = os.read(client.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    seen += chunk
            return needle in seen

        def send(line):
            client.stdin.write(line)
            client.stdin.flush()

        self.assertTrue(wait_for(b"220 "), seen[-500:])
        send(b"EHLO attacker.example\n")
        self.assertTrue(wait_for(b"250 HELP"), seen[-500:])
        send(b"R\n")  # s_client's command: renegotiate
        self.assertTrue(wait_for(b"RENEGOTIATING"), seen[-500:])
        self.assertTrue(wait_for(b"no renegotiation"), seen[-500:])
        try:
            send(b"NOOP\n")
        except BrokenPipeError:
            pass  # s_client has already given up on the connection
        wait_for(b"250 2.0.0", timeout=3)
        self.assertNotIn(b"250 2.0.0", seen)

    # --- line endings and smuggling ---

    def test_bare_lf_or_cr_in_a_command_is_refused(self):
        s = self.session()
        self.assertTrue(self.ask(s, b"NOOP\nNOOP\r\n").startswith("500 5.5.2 Bare LF/CR"))
        self.assertTrue(self.ask(s, b"NOOP\rNOOP\r\n").startswith("500 5.5.2 Bare LF/CR"))
        self.assertTrue(self.ask(s, b"NOOP\r\n").startswith("250"))

    def test_no_end_of_data_variant_ends_the_data_or_smuggles_a_second_message(self):
        smuggled = (b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<+27821239999@" + DOMAIN.encode()
                    + b">\r\nDATA\r\nSubject: smuggled\r\n\r\nSMUGGLED %d\r\n.\r\n")
        variants = [b"\n.\n", b"\n.\r\n", b"\r.\r", b"\r\r\n.\r\r\n", b"\r\n.\n", b"\r\n.\r"]
        for n, variant in enumerate(variants):
            with self.subTest(variant=variant):
                s = self.session()
                self.assertTrue(self.ask(s, b"MAIL FROM:<ops@example.com>\r\n").startswith("250"))
                self.assertTrue(self.ask(s, b"RCPT TO:<+27821231111@%s>\r\n" % DOMAIN.encode()).startswith("250"))
                self.assertTrue(self.ask(s, b"DATA\r\n").startswith("354"))
                # The only real end of data is the smuggled message's own CRLF.CRLF: the whole
                # thing is one message, refused for its bare line endings, with one reply ...
                reply = self.ask(s, b"Subject: first\r\n\r\nfirst" + variant + smuggled % n)
                self.assertTrue(reply.startswith("554 5.6.0 Message contains bare CR or LF"), reply)
                # ... and no replies to smuggled MAIL/RCPT/DATA waiting behind it.
                reply = self.ask(s, b"NOOP\r\n")
                self.assertTrue(reply.startswith("250 2.0.0 Ok"), reply)
        self.control_mail("control after smuggling attempts")
        texts = [l.get("text", "") for l in self.bridge.sim.messages()]
        self.assertFalse([t for t in texts if "SMUGGLED" in t or t.startswith("first")], texts)
        self.assertFalse(self.bridge.sim.messages("27821239999"))

    # --- limits ---

    def test_an_over_long_command_line_is_refused_and_the_session_goes_on(self):
        s = self.session()
        # max_command_line = 1024 here: 1024 octets with the CRLF is taken, 1025 is not.
        self.assertTrue(self.ask(s, b"NOOP " + b"a" * 1017 + b"\r\n").startswith("250"))
        reply = self.ask(s, b"NOOP " + b"a" * 1018 + b"\r\n")
        self.assertTrue(reply.startswith("500 5.5.2 Line too long"), reply)
        self.assertTrue(self.ask(s, b"NOOP\r\n").startswith("250"))

    def test_an_over_long_text_line_refuses_the_mail_at_the_end_of_the_data(self):
        s = self.session()
        # max_text_line = 2000: a header line of 1998 octets and the CRLF is taken, 1999 is not.
        for length, expected in ((1998, "250 "), (1999, "554 5.6.0")):
            self.assertTrue(self.ask(s, b"MAIL FROM:<ops@example.com>\r\n").startswith("250"))
            self.assertTrue(self.ask(s, b"RCPT TO:<+27821232223@%s>\r\n" % DOMAIN.encode()).startswith("250"))
            self.assertTrue(self.ask(s, b"DATA\r\n").startswith("354"))
            header = b"X-Long: " + b"y" * (length - 8)
            reply = self.ask(s, b"Subject: long\r\n" + header + b"\r\n\r\nshort text\r\n.\r\n")
            self.assertTrue(reply.startswith(expected), (length, reply))

    def test_size_is_advertised_and_enforced_while_streaming(self):
        s = self.session()
        self.assertIn("SIZE 4096", self.ehlo_reply)
        reply = self.ask(s, b"MAIL FROM:<ops@example.com> SIZE=10000\r\n")
        self.assertTrue(reply.startswith("552 5.3.4"), reply)
        self.assertTrue(self.ask(s, b"MAIL FROM:<ops@example.com>\r\n").startswith("250"))
        self.assertTrue(self.ask(s, b"RCPT TO:<+27821232222@%s>\r\n" % DOMAIN.encode()).startswith("250"))
        self.assertTrue(self.ask(s, b"DATA\r\n").startswith("354"))
        body = b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 200  # ~14 KB, past 4096
        reply = self.ask(s, body + b".\r\n")
        self.assertTrue(reply.startswith("552 5.3.4"), reply)
        self.assertTrue(self.ask(s, b"NOOP\r\n").startswith("250"))  # read to the end, in sync

    def test_recipients_beyond_the_limit_get_452(self):
        s = self.session()
        self.assertTrue(self.ask(s, b"MAIL FROM:<ops@example.com>\r\n").startswith("250"))
        for n in range(3):
            self.assertTrue(self.ask(s, b"RCPT TO:<+2782123330%d@%s>\r\n" % (n, DOMAIN.encode())).startswith("250"))
        reply = self.ask(s, b"RCPT TO:<+27821233309@%s>\r\n" % DOMAIN.encode())
        self.assertTrue(reply.startswith("452 4.5.3"), reply)

    def test_non_ascii_addresses_without_smtputf8_get_553(self):
        s = self.session()
        self.assertNotIn("SMTPUTF8", self.ehlo_reply)
        self.assertNotIn("CHUNKING", self.ehlo_reply)
        reply = self.ask(s, "MAIL FROM:<jürgen@example.com>\r\n".encode())
        self.assertTrue(reply.startswith("553 5.6.7"), reply)
        self.assertTrue(self.ask(s, b"MAIL FROM:<ops@example.com>\r\n").startswith("250"))
        reply = self.ask(s, "RCPT TO:<+27821234444@smś.example.com>\r\n".encode())
        self.assertTrue(reply.startswith("553 5.6.7"), reply)

    def test_the_error_budget_ends_the_session(self):
        s = self.session()
        for _ in range(4):
            self.assertTrue(self.ask(s, b"BOGUS\r\n").startswith("500 5.5.2"))
        self.assertTrue(self.ask(s, b"BOGUS\r\n").startswith("500 5.5.2"))  # the fifth ...
        reply = read_reply(s)  # ... and the end of the session
        self.assertTrue(reply.startswith("421 4.7.0"), reply)
        self.assertIn("too many errors", reply)
        self.assertTrue(closed(s))

    def test_an_http_request_is_not_mistaken_for_smtp(self):
        s = self.session(ehlo=False)
        reply = self.ask(s, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(reply.startswith("421 4.7.0"), reply)
        self.assertTrue(closed(s))

    # --- AUTH ---

    def test_auth_is_neither_offered_nor_accepted_before_tls(self):
        s = self.session()
        self.assertNotIn("AUTH", self.ehlo_reply)
        token = base64.b64encode(b"\0" + ACCOUNT.encode() + b"\0" + PASSWORD.encode())
        reply = self.ask(s, b"AUTH PLAIN " + token + b"\r\n")
        self.assertTrue(reply.startswith("538 5.7.11"), reply)

    def test_auth_cancelled_twice_and_inside_a_transaction(self):
        s = self.tls_session()
        self.assertTrue(self.ask(s, b"AUTH LOGIN\r\n").startswith("334 "))
        reply = self.ask(s, b"*\r\n")
        self.assertTrue(reply.startswith("501"), reply)
        # Over the command line's limit with its initial response: an AUTH line too long.
        reply = self.ask(s, b"AUTH PLAIN " + b"A" * 20000 + b"\r\n")
        self.assertTrue(reply.startswith("500 5.5.6"), reply)
        self.assertTrue(self.ask(s, b"AUTH PLAIN\r\n").startswith("334"))
        reply = self.ask(s, b"A" * 20000 + b"\r\n")
        self.assertTrue(reply.startswith("500 5.5.6"), reply)
        token = base64.b64encode(b"\0" + ACCOUNT.encode() + b"\0" + PASSWORD.encode())
        self.assertTrue(self.ask(s, b"AUTH PLAIN " + token + b"\r\n").startswith("235"))
        reply = self.ask(s, b"AUTH PLAIN " + token + b"\r\n")
        self.assertTrue(reply.startswith("503 5.5.1"), reply)

    def test_auth_inside_a_transaction_is_refused(self):
        s = self.tls_session()
        # Loopback is a client network: MAIL works without AUTH, then AUTH is out of order.
        self.assertTrue(self.ask(s, b"MAIL FROM:<ops@example.com>\r\n").startswith("250"))
        token = base64.b64encode(b"\0" + ACCOUNT.encode() + b"\0" + PASSWORD.encode())
        reply = self.ask(s, b"AUTH PLAIN " + token + b"\r\n")
        self.assertTrue(reply.startswith("503 5.5.1"), reply)


class HtmlBombTest(unittest.TestCase):
    """A small HTML part whose tree would be huge: 1,000 open formatting elements with distinct
    attributes, then 1,000 paragraphs, each of which gets a copy of all of them (a million
    elements, about 0.4 GB in the parser, from 14 KB of mail)."""

    def test_a_formatting_bomb_is_refused_and_the_server_goes_on(self):
        bridge = Bridge()
        try:
            bridge.cli("account", "network", "add", ACCOUNT, "127.0.0.1")
            html = "\r\n".join(["<html><body><p>"] + ["<b id=%d>" % i for i in range(1000)]
                               + ["<p>x"] * 1000 + ["</body></html>"])
            bomb = ("Subject: bomb\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n")
            with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=60) as client:
                client.ehlo("attacker.example")
                with self.assertRaises(smtplib.SMTPDataError) as refused:
                    client.sendmail("ops@example.com", ["+27821234567@%s" % DOMAIN], bomb)
                self.assertEqual(refused.exception.smtp_code, 554)
                self.assertIn(b"send it as plain text", refused.exception.smtp_error)
                client.sendmail("ops@example.com", ["+27821234567@%s" % DOMAIN],
                                "Subject: after\r\n\r\nStill serving\r\n")
            bridge.sim.wait_for(lambda l: l.get("event") == "message"
                                and l.get("text") == "Still serving")
        finally:
            bridge.stop()


if __name__ == "__main__":
    unittest.main()
