"""End to end: mail to the postmaster (RFC 5321 4.5.1). Any client, also one without an account,
may write to <Postmaster> or postmaster@ a domain of ours; the mail is kept whole in the database
for `mail2sms postmaster list | show | delete`, never sent as an SMS, refused with 451 4.2.2 once
the mailbox holds postmaster_mailbox_size octets, and deleted by the retention purge and with
the account that wrote it."""
import json
import smtplib
import subprocess
import time
import unittest

from harness import BINARY, DOMAIN, PASSWORD, Bridge
from test_send import logged_in, swaks


def report(subject, size=0):
    return ("From: abuse@isp.example\r\nTo: postmaster@%s\r\nSubject: %s\r\n\r\n"
            "Your server sent us this.\r\n%s" % (DOMAIN, subject, ("x" * 98 + "\r\n") * (size // 100)))


class PostmasterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = Bridge(extra_smtp="postmaster_mailbox_size = 20000")

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def setUp(self):
        self.bridge.sql("DELETE FROM postmaster_mail")

    def mailbox(self):
        return json.loads(self.bridge.cli("postmaster", "list", "--json").stdout)

    def send_unauthenticated(self, rcpt, message):
        """(code, reply) of the final dot, from a client that has no account."""
        with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30) as c:
            c.ehlo("mx.isp.example")
            self.assertEqual(c.mail("abuse@isp.example")[0], 250)
            code, reply = c.rcpt(rcpt)
            self.assertEqual(code, 250, reply)
            return c.data(message)

    def test_a_client_without_an_account_reaches_the_postmaster(self):
        messages_before = self.bridge.sql("SELECT count(*) FROM messages")
        code, reply = self.send_unauthenticated("Postmaster", report("=?utf-8?q?caf=C3=A9?= spam"))
        self.assertEqual(code, 250, reply)
        self.assertRegex(reply.decode(), r"^2\.0\.0 Ok: queued as postmaster #\d+$")
        [entry] = self.mailbox()
        self.assertEqual(reply.decode().split("#")[1], str(entry["id"]))
        self.assertEqual(entry["recipient"], "Postmaster")
        self.assertEqual(entry["mail_from"], "abuse@isp.example")
        self.assertEqual(entry["client"], "127.0.0.1")
        self.assertEqual(entry["helo"], "mx.isp.example")
        self.assertIsNone(entry["account"])
        self.assertFalse(entry["tls"])
        self.assertEqual(entry["subject"], "café spam")
        # Kept as it came, byte for byte, under the trace fields of its delivery here (RFC 5321
        # 4.4): who sent it, from where, how, and when.
        shown = subprocess.run(
            [BINARY, "postmaster", "show", str(entry["id"]), "--config", self.bridge.config],
            capture_output=True, check=True).stdout
        original = report("=?utf-8?q?caf=C3=A9?= spam").encode()
        self.assertTrue(shown.endswith(original), shown)
        self.assertRegex(shown[:-len(original)].decode(),
                         r"\AReturn-Path: <abuse@isp\.example>\r\n"
                         r"Received: from mx\.isp\.example \(\[127\.0\.0\.1\]\)\r\n"
                         r"\tby \S+ \(mail2sms\) with ESMTP\r\n"
                         r"\tfor <Postmaster>; \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n\Z")
        self.assertEqual(entry["size"], len(shown))
        # Never an SMS, and the log says who wrote and how much, not what.
        self.assertEqual(self.bridge.sql("SELECT count(*) FROM messages"), messages_before)
        log = self.bridge.serve_log()
        self.assertIn("stored mail for the postmaster as #%d" % entry["id"], log)
        self.assertNotIn("Your server sent us this", log)
        # Gone when deleted, and the deletion is audited.
        self.bridge.cli("postmaster", "delete", str(entry["id"]))
        self.assertEqual(self.mailbox(), [])
        self.assertEqual(self.bridge.sql(
            "SELECT count(*) FROM audit_log WHERE action = 'postmaster.delete' "
            "AND detail = '#%d'" % entry["id"]), "1")
        missing = self.bridge.cli("postmaster", "show", str(entry["id"]), check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("has no mail #%d" % entry["id"], missing.stderr)
        bad = self.bridge.cli("postmaster", "delete", "#1", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("not a mail number", bad.stderr)

    def test_swaks_writes_to_postmaster_at_our_domain(self):
        r = swaks("--server", "127.0.0.1:%d" % self.bridge.smtp_port,
                  "--from", "noc@isp.example", "--to", "POSTMASTER@%s" % DOMAIN,
                  "--header", "Subject: blocklisted", "--body", "Your IP is on our list.")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        [entry] = self.mailbox()
        self.assertEqual(entry["recipient"], "POSTMASTER@%s" % DOMAIN)
        self.assertEqual(entry["subject"], "blocklisted")

    def test_swaks_writes_to_postmaster_at_the_address_it_reached(self):
        # RFC 5321 4.1.3: this host by its address literal (as Postfix takes its own addresses);
        # a number there is still relaying.
        r = swaks("--server", "127.0.0.1:%d" % self.bridge.smtp_port,
                  "--from", "noc@isp.example", "--to", "postmaster@[127.0.0.1]",
                  "--header", "Subject: by address", "--body", "Which name do you have?")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        [entry] = self.mailbox()
        self.assertEqual(entry["recipient"], "postmaster@[127.0.0.1]")
        self.assertEqual(entry["subject"], "by address")
        with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30) as c:
            c.ehlo("mx.isp.example")
            self.assertEqual(c.mail("abuse@isp.example")[0], 250)
            self.assertEqual(c.rcpt("postmaster@[127.0.0.2]")[0], 550)
            self.assertEqual(c.rcpt("+27821234567@[127.0.0.1]")[0], 550)

    def test_an_account_writing_to_the_postmaster_is_named_and_its_mail_goes_with_it(self):
        name = "pm-writer"
        self.bridge.cli("account", "add", name, "--password-stdin", "--country", "ZA",
                        input=PASSWORD + "\n")
        with logged_in(self.bridge.smtp_port, user=name) as c:
            c.mail("ops@example.com")
            self.assertEqual(c.rcpt("postmaster@%s" % DOMAIN)[0], 250)
            # Not in the same transaction as a number: the client sends that one again later.
            code, reply = c.rcpt("+27821239999@%s" % DOMAIN)
            self.assertEqual(code, 452, reply)
            self.assertEqual(c.data(report("from an account"))[0], 250)
        [entry] = self.mailbox()
        self.assertEqual(entry["account"], name)
        self.assertTrue(entry["tls"])
        self.bridge.cli("account", "delete", name, "--yes")
        self.assertEqual(self.mailbox(), [])

    def test_a_full_mailbox_refuses_more_and_the_purge_empties_it(self):
        code, _ = self.send_unauthenticated("<postmaster>", report("first", 15000))
        self.assertEqual(code, 250)
        # Each mail counts its size and 1 KiB for its row: empty mails fill the mailbox too.
        self.assertEqual(self.bridge.sql("SELECT used FROM postmaster_mailbox"),
                         self.bridge.sql("SELECT sum(size) + 1024 FROM postmaster_mail"))
        code, reply = self.send_unauthenticated("<postmaster>", report("second", 15000))
        self.assertEqual(code, 451, reply)
        self.assertEqual(reply.decode(), "4.2.2 The postmaster's mailbox is full, try again later")
        self.assertEqual([e["subject"] for e in self.mailbox()], ["first"])
        # Older than [retention] body_days (30 by default): purged.
        self.bridge.sql("UPDATE postmaster_mail SET received_at = now() - interval '31 days'")
        purged = json.loads(self.bridge.cli("purge", "--json").stdout)
        self.assertEqual(purged["postmaster"], 1)
        self.assertEqual(self.mailbox(), [])
        code, _ = self.send_unauthenticated("<postmaster>", report("second", 15000))
        self.assertEqual(code, 250)


class ForwardTest(unittest.TestCase):
    """[notifications] postmaster_to: each mail to the postmaster is also forwarded, attached
    to a note, through the notifications relay (here Python's smtpd)."""

    @classmethod
    def setUpClass(cls):
        from test_notifications import Relay
        cls.relay = Relay()
        cls.bridge = Bridge(extra_config=(
            "[notifications]\nrelay = \"127.0.0.1:%d\"\nfrom = \"gw@example.com\"\n"
            "starttls = \"off\"\nretry_base = 1\npostmaster_to = \"ops@example.org\"\n"
            % cls.relay.port))

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.relay.stop()

    def test_a_mail_to_the_postmaster_is_forwarded_through_the_relay(self):
        with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30) as c:
            c.ehlo("mx.isp.example")
            c.mail("abuse@isp.example")
            c.rcpt("Postmaster")
            code, reply = c.data(report("blocklisted"))
        self.assertEqual(code, 250, reply)
        number = int(reply.decode().split("#")[1])
        [(mail_from, rcpts, data)] = self.relay.wait_for("ops@example.org")
        self.assertEqual(mail_from, "<>")  # the null sender (as smtpd says): nothing answers it
        self.assertEqual(rcpts, ["ops@example.org"])
        forward = data.decode("ascii")
        self.assertIn("Subject: Mail to the postmaster (#%d) from abuse@isp.example" % number,
                      forward)
        self.assertIn("Auto-Submitted: auto-forwarded", forward)
        self.assertIn("client:    127.0.0.1 (HELO mx.isp.example)", forward)
        self.assertIn("Content-Type: message/rfc822", forward)
        self.assertIn("Return-Path: <abuse@isp.example>", forward)
        self.assertIn("Received: from mx.isp.example ([127.0.0.1])", forward)
        self.assertIn(report("blocklisted").replace("\r\n", "\n"), forward.replace("\r\n", "\n"))

        def forwarded():
            [entry] = [e for e in json.loads(self.bridge.cli("postmaster", "list", "--json").stdout)
                       if e["id"] == number]
            return entry["forward"]
        deadline = time.monotonic() + 20
        while forwarded()["forwarded_at"] is None and time.monotonic() < deadline:
            time.sleep(0.1)
        state = forwarded()
        self.assertEqual(state["to"], "ops@example.org")
        self.assertIsNotNone(state["forwarded_at"])
        self.assertFalse(state["pending"])
        self.assertIn("postmaster mail #%d forwarded" % number, self.bridge.serve_log())
        self.assertNotIn("ops@example.org", self.bridge.serve_log())


class PerClientBudgetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = Bridge(extra_smtp="postmaster_per_client = 2")

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def test_one_address_sends_the_postmaster_so_many_mails_an_hour(self):
        def send():
            with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30) as c:
                c.ehlo("mx.isp.example")
                c.mail("")
                c.rcpt("Postmaster")
                return c.data("")
        self.assertEqual(send()[0], 250)
        self.assertEqual(send()[0], 250)
        code, reply = send()
        self.assertEqual(code, 451, reply)
        self.assertEqual(reply.decode(), "4.7.1 Too many mails to the postmaster from this "
                         "address this hour, try again later")
        self.assertEqual(self.bridge.sql("SELECT count(*) FROM postmaster_mail"), "2")


class WithoutPostmasterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = Bridge(extra_smtp="postmaster = false")

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def test_mail_needs_an_account_and_postmaster_is_not_a_recipient(self):
        with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=30) as c:
            c.ehlo("mx.isp.example")
            self.assertEqual(c.mail("abuse@isp.example")[0], 530)
        with logged_in(self.bridge.smtp_port) as c:
            c.mail("ops@example.com")
            self.assertEqual(c.rcpt("Postmaster")[0], 501)


if __name__ == "__main__":
    unittest.main()
