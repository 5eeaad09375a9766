"""End to end: mail to the postmaster (RFC 5321 4.5.1). Any client, also one without an account,
may write to <Postmaster> or postmaster@ a domain of ours; the mail is kept whole in the database
for `mail2sms postmaster list | show | delete`, never sent as an SMS, refused with 451 4.2.2 once
the mailbox holds postmaster_mailbox_size octets, and deleted by the retention purge and with
the account that wrote it."""
import json
import smtplib
import subprocess
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
        # Kept as it came, byte for byte.
        shown = subprocess.run(
            [BINARY, "postmaster", "show", str(entry["id"]), "--config", self.bridge.config],
            capture_output=True, check=True).stdout
        self.assertEqual(shown, report("=?utf-8?q?caf=C3=A9?= spam").encode())
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
