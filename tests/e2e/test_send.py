"""End to end: mail sent by real clients (swaks, Python's smtplib) becomes an SMS at the SMPP
simulator; refusals come with the reply codes a client can act on."""
import base64
import os
import smtplib
import ssl
import subprocess
import time
import unittest

from harness import ACCOUNT, DOMAIN, PASSWORD, Bridge

NUMBER = "+27821234567"
SMPP_DEST = "27821234567"  # international number, TON 1, without the '+'


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
    return ctx


def logged_in(port, user=ACCOUNT, password=PASSWORD, helo="client.example"):
    """An smtplib session on the plain listener after STARTTLS and AUTH (as the harness account
    unless told): the way a mail client sends. The caller closes it (or uses it in a with
    block)."""
    client = smtplib.SMTP("127.0.0.1", port, timeout=30)
    client.ehlo(helo)
    client.starttls(context=tls_context())
    client.ehlo(helo)
    client.login(user, password)
    return client


def until(what, value, timeout=10, key=lambda got: got):
    """what() once key(what()) is value, polled every 50 ms; its last answer when that does not
    happen within timeout. For what reaches serve a moment after the command that caused it: a
    change to an account comes as a NOTIFY sent at the commit, milliseconds after the CLI
    returns."""
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if key(got) == value or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def mail_without_auth(port):
    """(code, reply) of the first refusal of MAIL FROM and a RCPT TO a number on a new session
    that has not authenticated (what a legacy system on a client network sends), or RCPT's 250.
    MAIL itself is taken from anyone: a client without an account may still write to the
    postmaster (RFC 5321 4.5.1)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("pbx.example")
        code, reply = client.mail("pbx@example.com")
        if code != 250:
            return code, reply
        return client.rcpt("+27821234567@%s" % DOMAIN)


def wait_for_log(bridge, text, timeout=20.0):
    """Returns once serve has logged text; fails the test with the log if it has not within
    timeout."""
    if not until(lambda: text in bridge.serve_log(), True, timeout):
        raise AssertionError("%r not in the serve log after %.0fs:\n%s"
                             % (text, timeout, bridge.serve_log()))


def swaks(*args):
    # Perl's Getopt::Long reads a leading '+' as an option prefix unless POSIXLY_CORRECT is set,
    # so "--to +27...@domain" needs it.
    env = dict(os.environ, POSIXLY_CORRECT="1")
    return subprocess.run(["swaks", "--silent", "1", *args], capture_output=True, text=True,
                          timeout=60, env=env)


class SendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = Bridge()

    @classmethod
    def tearDownClass(cls):
        if cls.bridge.proc.poll() is not None:
            print("mail2sms serve exited with %s; its log:\n%s" % (cls.bridge.proc.returncode, cls.bridge.serve_log()))
        cls.bridge.stop()

    def smtp(self):
        client = smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30)
        client.ehlo("client.example")
        return client

    def authenticated(self):
        return logged_in(self.bridge.smtp_port)

    def test_swaks_starttls_auth_plain_arrives_as_submit_sm(self):
        r = swaks("--server", "127.0.0.1:%d" % self.bridge.smtp_port, "--tls", "--auth", "PLAIN",
                  "--auth-user", ACCOUNT, "--auth-password", PASSWORD,
                  "--from", "ops@example.com", "--to", "%s@%s" % (NUMBER, DOMAIN),
                  "--header", "Subject: swaks", "--body", "Disk full on db1 (swaks plain)")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        msg = self.bridge.sim.wait_for(lambda l: l.get("event") == "message"
                                       and l.get("text") == "Disk full on db1 (swaks plain)")
        self.assertEqual(msg["destination"], SMPP_DEST)
        self.assertEqual(msg["source"], "Alerts")  # the connector's source: no account sender ID
        self.assertEqual(msg["data_coding"], 0)
        self.assertEqual(msg["parts"], 1)

    def test_swaks_implicit_tls_auth_login(self):
        r = swaks("--server", "127.0.0.1:%d" % self.bridge.smtps_port, "--tls-on-connect",
                  "--auth", "LOGIN", "--auth-user", ACCOUNT, "--auth-password", PASSWORD,
                  "--from", "ops@example.com", "--to", "%s@%s" % (NUMBER, DOMAIN),
                  "--body", "Implicit TLS with LOGIN")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        msg = self.bridge.sim.wait_for(lambda l: l.get("event") == "message"
                                       and l.get("text") == "Implicit TLS with LOGIN")
        self.assertEqual(msg["destination"], SMPP_DEST)

    def test_smtplib_national_number_uses_account_country(self):
        with self.authenticated() as client:
            client.sendmail("ops@example.com", ["0821234568@%s" % DOMAIN],
                            "From: ops@example.com\r\nSubject: x\r\n\r\nNational number\r\n")
        msg = self.bridge.sim.wait_for(lambda l: l.get("event") == "message"
                                       and l.get("text") == "National number")
        self.assertEqual(msg["destination"], "27821234568")

    def test_long_text_arrives_as_concatenated_parts(self):
        text = " ".join("word%03d" % i for i in range(50))  # 399 GSM characters: 3 parts
        with self.authenticated() as client:
            client.sendmail("ops@example.com", ["%s@%s" % (NUMBER, DOMAIN)],
                            "Subject: long\r\n\r\n" + text + "\r\n")
        msg = self.bridge.sim.wait_for(lambda l: l.get("event") == "message" and l.get("text") == text)
        self.assertEqual(msg["parts"], 3)
        parts = [l for l in self.bridge.sim.lines
                 if l.get("event") == "submit_sm" and l.get("message_id") in msg["message_ids"]]
        self.assertEqual(len(parts), 3)
        for p in parts:
            self.assertTrue(p["esm_class"] & 0x40, p)  # UDHI
            self.assertTrue(p["udh"].startswith("050003"), p)

    def test_unicode_quoted_printable_becomes_ucs2(self):
        body = "Привет, дежурный! 🚨"
        qp = "=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82, =D0=B4=D0=B5=D0=B6=D1=83=D1=80=D0=BD=D1=8B=D0=B9! =F0=9F=9A=A8"
        mail = ("Subject: ucs2\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp + "\r\n")
        with self.authenticated() as client:
            client.sendmail("ops@example.com", ["%s@%s" % (NUMBER, DOMAIN)], mail)
        msg = self.bridge.sim.wait_for(lambda l: l.get("event") == "message" and l.get("text") == body)
        self.assertEqual(msg["data_coding"], 8)

    def test_base64_body_is_decoded(self):
        encoded = base64.b64encode("Base64 body works".encode()).decode()
        mail = ("Subject: b64\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "\r\n")
        with self.authenticated() as client:
            client.sendmail("ops@example.com", ["%s@%s" % (NUMBER, DOMAIN)], mail)
        self.bridge.sim.wait_for(lambda l: l.get("event") == "message" and l.get("text") == "Base64 body works")

    def test_two_recipients_get_one_sms_each(self):
        with self.authenticated() as client:
            client.sendmail("ops@example.com", ["+27821230001@%s" % DOMAIN, "+27821230002@%s" % DOMAIN],
                            "Subject: two\r\n\r\nTwo recipients\r\n")
        for dest in ("27821230001", "27821230002"):
            self.bridge.sim.wait_for(lambda l, d=dest: l.get("event") == "message"
                                     and l.get("destination") == d and l.get("text") == "Two recipients")

    def test_reply_to_final_dot_names_the_queue_id(self):
        with self.authenticated() as client:
            client.mail("ops@example.com")
            client.rcpt("%s@%s" % (NUMBER, DOMAIN))
            code, text = client.data(b"Subject: q\r\n\r\nQueue id check\r\n")
        self.assertEqual(code, 250)
        self.assertRegex(text.decode(), r"^2\.0\.0 Ok: queued as [0-9A-HJKMNP-TV-Z]{16}$")
        queue_id = text.decode().rsplit(" ", 1)[1]
        self.bridge.sim.wait_for(lambda l: l.get("event") == "message" and l.get("text") == "Queue id check")
        listed = self.bridge.cli("messages", "list", "--json").stdout
        self.assertIn(queue_id, listed)
        self.assertNotIn(NUMBER, listed)  # numbers are masked unless --full-numbers

    def test_foreign_domain_is_refused_no_relay(self):
        with self.authenticated() as client:
            client.mail("ops@example.com")
            code, text = client.rcpt("someone@gmail.com")
        self.assertEqual(code, 550)
        self.assertTrue(text.decode().startswith("5.7.1"), text)

    def test_invalid_number_is_refused(self):
        with self.authenticated() as client:
            client.mail("ops@example.com")
            code, text = client.rcpt("+2782@%s" % DOMAIN)
            self.assertEqual(code, 550)
            self.assertTrue(text.decode().startswith("5.1.1"), text)
            code, text = client.rcpt("not-a-number@%s" % DOMAIN)
            self.assertEqual(code, 550)
            self.assertTrue(text.decode().startswith("5.1.1"), text)

    def test_mail_without_auth_is_refused(self):
        with self.smtp() as client:
            client.starttls(context=tls_context())
            client.ehlo("client.example")
            self.assertEqual(client.mail("ops@example.com")[0], 250)  # the postmaster's way
            code, text = client.rcpt("+27821234567@%s" % DOMAIN)
        self.assertEqual(code, 530)
        self.assertTrue(text.decode().startswith("5.7.0"), text)

    def test_wrong_password_is_refused(self):
        with self.smtp() as client:
            client.starttls(context=tls_context())
            client.ehlo("client.example")
            with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
                client.login(ACCOUNT, "wrong password")
        self.assertEqual(caught.exception.smtp_code, 535)
        self.assertTrue(caught.exception.smtp_error.decode().startswith("5.7.8"))

    def test_auth_before_starttls_is_refused(self):
        with self.smtp() as client:
            self.assertNotIn("auth", client.esmtp_features)
            self.assertIn("starttls", client.esmtp_features)
            token = base64.b64encode(("\0%s\0%s" % (ACCOUNT, PASSWORD)).encode()).decode()
            code, text = client.docmd("AUTH", "PLAIN " + token)
        self.assertEqual(code, 538)
        self.assertTrue(text.decode().startswith("5.7.11"), text)

    def test_passwords_and_bodies_stay_out_of_the_log(self):
        with self.authenticated() as client:
            client.sendmail("ops@example.com", ["%s@%s" % (NUMBER, DOMAIN)],
                            "Subject: secret\r\n\r\nTop secret body text\r\n")
        self.bridge.sim.wait_for(lambda l: l.get("event") == "message" and l.get("text") == "Top secret body text")
        log = self.bridge.serve_log()
        self.assertIn("queued", log)
        self.assertNotIn(PASSWORD, log)
        self.assertNotIn("Top secret body text", log)
        self.assertNotIn(NUMBER, log)


if __name__ == "__main__":
    unittest.main()
