"""End to end: delivery-status mails. An account with notify = failures sends to a number the
SMSC (smsc-sim --receipt-state UNDELIV) reports undeliverable; an RFC 3464 DSN arrives at a real
SMTP server acting as the relay (Python's smtpd), from the null sender, in reply to the mail. A
relay that answers 451 first gets it once, after the retry; a mail from <> gets none."""
import asyncore
import base64
import email
import os
import signal
import subprocess
import email.policy
import socket
import ssl
import threading
import time
import unittest
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import smtpd

from harness import ACCOUNT, BINARY, DOMAIN, Bridge, wait_for_port
from test_send import logged_in


class Relay(smtpd.SMTPServer):
    """Python's SMTP server on a free loopback port: keeps what it accepts; answers the end of
    DATA with 451 for the first `refuse` mails to an address in refuse_for."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), None, decode_data=False)
        self.port = self.socket.getsockname()[1]
        self.accepted = []   # (mail_from, rcpt_tos, bytes)
        self.refused = []    # rcpt_tos answered 451
        self.refuse_for = {}  # address -> how many more times to answer 451
        self.cond = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while self.running:
            asyncore.loop(timeout=0.05, count=1)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        with self.cond:
            for address in rcpttos:
                if self.refuse_for.get(address, 0) > 0:
                    self.refuse_for[address] -= 1
                    self.refused.append(rcpttos)
                    self.cond.notify_all()
                    return "451 4.3.0 try again later"
            self.accepted.append((mailfrom, rcpttos, data))
            self.cond.notify_all()
        return None

    def wait_for(self, rcpt, timeout=60.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [m for m in self.accepted if rcpt in m[1]]
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no mail to %s in %.0fs; accepted %r" %
                                         (rcpt, timeout, [m[1] for m in self.accepted]))
                self.cond.wait(remaining)

    def stop(self):
        self.running = False
        self.thread.join(10)
        self.close()


class TlsRelay:
    """A relay written for this test on a free loopback port: offers STARTTLS, then AUTH PLAIN
    (only over TLS), and keeps each mail's raw DATA with whether it came over TLS and AUTH."""

    def __init__(self, cert, key, user, password):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.credentials = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mails = []  # dicts: tls, authenticated, mail_from, rcpt, data (bytes as received)
        self.cond = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        state = {"tls": False, "authenticated": False, "mail_from": None, "rcpt": []}
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"220 relay.test ESMTP\r\n")
            while True:
                line = reader.readline()
                if not line:
                    return
                verb = line.strip().split(b" ")[0].upper()
                if verb == b"EHLO":
                    last = b"AUTH PLAIN" if state["tls"] else b"STARTTLS"
                    conn.sendall(b"250-relay.test\r\n250-SIZE 1000000\r\n250 " + last + b"\r\n")
                elif verb == b"STARTTLS":
                    conn.sendall(b"220 go ahead\r\n")
                    conn = self.context.wrap_socket(conn, server_side=True)
                    reader = conn.makefile("rb")
                    state["tls"] = True
                elif verb == b"AUTH":
                    ok = state["tls"] and line.split()[2:] == [self.credentials]
                    state["authenticated"] = ok
                    conn.sendall(b"235 2.7.0 ok\r\n" if ok else b"535 5.7.8 no\r\n")
                elif verb == b"MAIL":
                    if not state["authenticated"]:
                        conn.sendall(b"530 5.7.0 authenticate first\r\n")
                        continue
                    state["mail_from"] = line[len(b"MAIL FROM:"):].strip()
                    conn.sendall(b"250 ok\r\n")
                elif verb == b"RCPT":
                    state["rcpt"].append(line[len(b"RCPT TO:"):].strip())
                    conn.sendall(b"250 ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    data = b""
                    while True:
                        chunk = reader.readline()
                        if chunk in (b".\r\n", b""):
                            break
                        data += chunk
                    with self.cond:
                        self.mails.append(dict(state, data=data))
                        self.cond.notify_all()
                    conn.sendall(b"250 2.0.0 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 5.5.2 unknown\r\n")
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def wait_for_mail(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.mails:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no mail at the TLS relay in %.0fs" % timeout)
                self.cond.wait(remaining)
            return self.mails[0]

    def stop(self):
        self.listener.close()


def send(bridge, mail_from, number, message_id, text="Server disk full on db1"):
    client = logged_in(bridge.smtp_port)
    try:
        message = ("From: ops@example.org\r\nTo: %s@%s\r\nSubject: disk alert\r\n"
                   "Message-ID: %s\r\n\r\n%s\r\n" % (number, DOMAIN, message_id, text))
        client.sendmail(mail_from, ["%s@%s" % (number, DOMAIN)], message.encode())
    finally:
        client.quit()


class NotificationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay()
        try:
            cls.bridge = Bridge(sim_args=("--receipt-state", "UNDELIV"), extra_config=f"""
[notifications]
relay = "127.0.0.1:{cls.relay.port}"
from = "sms-gateway@example.com"
hostname = "gw.example.com"
starttls = "off"
retry_base = 1
retry_max = 1
""")
        except BaseException:
            cls.relay.stop()
            raise
        cls.bridge.cli("account", "set", ACCOUNT, "notify", "failures")

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.relay.stop()

    def wait_for_status(self, number, wanted, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.bridge.sql("SELECT status FROM messages WHERE recipient = '%s'" % number)
            if status == wanted:
                return
            time.sleep(0.1)
        self.fail("message to %s is %r, not %s" % (number, status, wanted))

    def test_a_failed_sms_gives_an_rfc3464_dsn_at_the_relay(self):
        send(self.bridge, "alice@example.org", "+27821230001", "<alert-1@client.example.org>",
             text="Secret body text 7f3a")
        mails = self.relay.wait_for("alice@example.org")
        self.assertEqual(len(mails), 1)
        mail_from, rcpt_tos, data = mails[0]
        self.assertEqual(mail_from, "<>")  # the null sender, as smtpd reports it
        self.assertEqual(rcpt_tos, ["alice@example.org"])
        # (smtpd hands over the lines joined by LF: CRLF on the wire is a unit test's matter)
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        self.assertEqual(msg["In-Reply-To"], "<alert-1@client.example.org>")
        self.assertEqual(msg["References"], "<alert-1@client.example.org>")
        self.assertEqual(msg["From"], "sms-gateway@example.com")
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status"])
        queue_id = self.bridge.sql("SELECT queue_id FROM messages WHERE recipient = '+27821230001'")
        human = parts[0].get_content()
        self.assertIn(queue_id, human)
        self.assertIn("+27821230001", human)
        self.assertIn("undeliverable", human)
        self.assertIn("UNDELIV", human)  # the SMSC's words
        self.assertNotIn(b"Secret body text", data)
        # message/delivery-status: per-message fields, then one block per recipient.
        blocks = parts[1].get_payload()
        self.assertEqual(len(blocks), 2)
        self.assertEqual(blocks[0]["Reporting-MTA"], "dns; gw.example.com")
        self.assertEqual(blocks[1]["Final-Recipient"], "rfc822; +27821230001@" + DOMAIN)
        self.assertEqual(blocks[1]["Action"], "failed")
        self.assertEqual(blocks[1]["Status"], "5.1.1")
        self.assertTrue(blocks[1]["Diagnostic-Code"].startswith("X-SMSC;"))
        # The row says so, and the log names neither the address nor the whole number.
        self.wait_for_notification_state("+27821230001", "sent")
        log = self.bridge.serve_log()
        self.assertIn("sent", log)
        self.assertNotIn("+27821230001", log)
        self.assertNotIn("alice@example.org", log)

    def wait_for_notification_state(self, number, state, timeout=30.0):
        deadline = time.monotonic() + timeout
        query = ("SELECT n.state FROM notifications n JOIN messages m ON m.id = n.message_id "
                 "WHERE m.recipient = '%s'" % number)
        while time.monotonic() < deadline:
            if self.bridge.sql(query) == state:
                return
            time.sleep(0.1)
        self.fail("notification for %s is %r, not %s" % (number, self.bridge.sql(query), state))

    def test_a_relay_answering_451_first_gets_the_dsn_once(self):
        with self.relay.cond:
            self.relay.refuse_for["bob@example.org"] = 1
        send(self.bridge, "bob@example.org", "+27821230002", "<alert-2@client.example.org>")
        mails = self.relay.wait_for("bob@example.org")
        self.wait_for_notification_state("+27821230002", "sent")
        self.assertEqual(len(self.relay.refused), 1)
        self.assertEqual(len(mails), 1)
        self.assertEqual(self.bridge.sql(
            "SELECT n.attempts FROM notifications n JOIN messages m ON m.id = n.message_id "
            "WHERE m.recipient = '+27821230002'"), "2")
        self.assertEqual(len([m for m in self.relay.accepted if "bob@example.org" in m[1]]), 1)

    def test_a_reply_is_mailed_to_the_sender_of_the_sms_it_answers(self):
        send(self.bridge, "carol@example.org", "+27821230004", "<alert-4@client.example.org>")
        self.bridge.sim.wait_for(lambda l: l.get("event") == "message")
        self.wait_for_status("+27821230004", "undeliverable")
        self.bridge.sim.inject_reply("27821230004", "Alerts", "Ack \u2713 on my way")
        deadline = time.monotonic() + 60
        while True:
            with self.relay.cond:
                replies = [m for m in self.relay.accepted if m[1] == ["carol@example.org"]
                           and b"Subject: SMS reply from" in m[2]]
            if replies or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(len(replies), 1, "no reply mail at the relay")
        msg = email.message_from_bytes(replies[0][2], policy=email.policy.default)
        self.assertEqual(msg["In-Reply-To"], "<alert-4@client.example.org>")
        self.assertEqual(msg.get_content_type(), "text/plain")
        self.assertIn("Ack \u2713 on my way", msg.get_content())
        self.assertIn("+27821230004", msg.get_content())
        self.assertNotIn("on my way", self.bridge.serve_log())

    def restart_serve(self, config):
        self.bridge.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.bridge.proc.wait(30), 0)
        self.bridge.proc = subprocess.Popen([BINARY, "serve", "--config", config],
                                            stdout=self.bridge.log, stderr=subprocess.STDOUT)
        wait_for_port(self.bridge.smtp_port, proc=self.bridge.proc)

    def test_serve_without_the_section_warns_about_accounts_that_ask(self):
        with open(self.bridge.config) as f:
            text = f.read()
        without = os.path.join(self.bridge.dir, "without-relay.toml")
        with open(without, "w") as f:
            f.write(text[:text.index("[notifications]")])
        try:
            self.restart_serve(without)
            self.assertIn("accounts %s ask for delivery-status mails (notify) but %s has no "
                          "[notifications] section: none are sent" % (ACCOUNT, without),
                          self.bridge.serve_log())
        finally:
            self.restart_serve(self.bridge.config)

    def test_starttls_verified_and_auth_plain_to_a_relay_that_requires_them(self):
        relay = TlsRelay(self.bridge.cert, self.bridge.key, "gw", "relay secret")
        with open(os.path.join(self.bridge.dir, "relay.pw"), "w") as f:
            f.write("relay secret\n")
        with open(self.bridge.config) as f:
            text = f.read()
        tls_config = os.path.join(self.bridge.dir, "tls-relay.toml")
        with open(tls_config, "w") as f:
            f.write(text[:text.index("[notifications]")] + f"""
[notifications]
relay = "127.0.0.1:{relay.port}"
from = "sms-gateway@example.com"
starttls = "required"
tls_ca_file = "server.crt"
tls_server_name = "localhost"
auth_user = "gw"
auth_password_file = "relay.pw"
""")
        try:
            self.restart_serve(tls_config)
            send(self.bridge, "erin@example.org", "+27821230005", "<alert-5@client.example.org>")
            mail = relay.wait_for_mail()
        finally:
            relay.stop()
            self.restart_serve(self.bridge.config)
        self.assertTrue(mail["tls"])
        self.assertTrue(mail["authenticated"])
        self.assertEqual(mail["mail_from"], b"<>")
        self.assertEqual(mail["rcpt"], [b"<erin@example.org>"])
        data = mail["data"]
        self.assertNotIn(b"\n", data.replace(b"\r\n", b""))  # CRLF only on the wire
        self.assertTrue(all(len(l) <= 78 for l in data.split(b"\r\n")[:12]))  # folded headers
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(msg["In-Reply-To"], "<alert-5@client.example.org>")
        self.assertNotIn("relay secret", self.bridge.serve_log())

    def test_no_dsn_for_a_mail_from_the_null_sender(self):
        send(self.bridge, "", "+27821230003", "<alert-3@client.example.org>")
        self.wait_for_status("+27821230003", "undeliverable")
        self.assertEqual(self.bridge.sql(
            "SELECT count(*) FROM notifications n JOIN messages m ON m.id = n.message_id "
            "WHERE m.recipient = '+27821230003'"), "0")


if __name__ == "__main__":
    unittest.main()
