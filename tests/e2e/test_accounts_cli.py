"""Account administration from the command line, against a real PostgreSQL and a running serve.

The README's "Accounts" walkthrough is run as written: its ```sh blocks, in order, with
`mail2sms` on the PATH and MAIL2SMS_CONFIG set, checking after each block what it should have
done. Then the mistakes an operator makes, with the exit codes and messages they get.
"""
import json
import os
import re
import shutil
import smtplib
import stat
import subprocess
import tempfile
import unittest

from harness import BINARY, DOMAIN, Bridge
from test_send import tls_context

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../README.md")
bridge = None


def setUpModule():
    global bridge
    bridge = Bridge()


def tearDownModule():
    if bridge is not None:
        bridge.stop()


def readme_blocks():
    """The ```sh blocks of the README's "## Accounts" section, in order."""
    with open(README) as f:
        text = f.read()
    section = text.split("\n## Accounts\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def cli_json(*args):
    return json.loads(bridge.cli(*args, "--json").stdout)


class ReadmeWalkthroughTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mail2sms-accounts-")
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        os.symlink(os.path.abspath(BINARY), os.path.join(bin_dir, "mail2sms"))
        self.env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"],
                        MAIL2SMS_CONFIG=bridge.config)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def sh(self, script):
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=300)

    def test_the_readme_commands_work_in_order(self):
        blocks = readme_blocks()
        checks = [self.created, self.access, self.contacts, self.settings, self.credit,
                  self.exported_and_deleted]
        self.assertEqual(len(blocks), len(checks), "the README's Accounts section changed: "
                         "give each ```sh block its check here")
        for block, check in zip(blocks, checks):
            r = self.sh(block)
            self.assertEqual(r.returncode, 0, "this README block failed:\n%s\n%s" % (block, r.stderr))
            check(r.stdout)

    def created(self, out):
        shown = cli_json("account", "show", "ops")
        self.assertEqual(shown["credit"], 1000)
        self.assertEqual(shown["settings"]["country"], "ZA")
        self.assertEqual(shown["counts"]["passwords"], 2)
        passwords = bridge.cli("account", "password", "list", "ops", "--json").stdout
        self.assertEqual([p["label"] for p in json.loads(passwords)], ["default", "laptop"])
        self.assertNotIn("argon2", passwords + out)
        # The app password is an SMTP AUTH password for the account, at once.
        with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
            client.starttls(context=tls_context())
            client.login("ops", "the laptop password")
            client.sendmail("ops@example.com", ["+27821234567@" + DOMAIN],
                            "From: ops@example.com\r\nSubject: hi\r\n\r\nSent with the laptop password\r\n")
        bridge.sim.wait_for(lambda l: l.get("event") == "message"
                            and l.get("text") == "Sent with the laptop password")

    def access(self, out):
        self.assertEqual(cli_json("account", "sender", "list", "ops"),
                         ["*@example.com", "nagios@monitor.example.net"])
        self.assertEqual(cli_json("account", "network", "list", "ops"), ["192.0.2.0/24"])
        certs = cli_json("account", "cert", "list", "ops")
        openssl = subprocess.run(["openssl", "x509", "-in", "pbx.crt", "-noout", "-fingerprint", "-sha256"],
                                 cwd=self.dir, capture_output=True, text=True, check=True).stdout
        expected = openssl.strip().split("=", 1)[1].replace(":", "").lower()
        self.assertEqual([(c["fingerprint"], c["subject"]) for c in certs],
                         [(expected, "CN=pbx.example.com")])

    def contacts(self, out):
        self.assertIn("oncall.csv: 2 rows; 2 new contacts, 0 updated; 2 groups created; "
                      "3 memberships added", out)
        contacts = cli_json("contacts", "list", "ops", "--full-numbers")
        self.assertEqual([(c["number"], c["name"], c["groups"]) for c in contacts],
                         [("+27821234567", "Anna Smith", ["night", "oncall"]),
                          ("+27821234568", "Ben Jones", ["managers", "oncall"]),
                          ("+27821234569", "", ["night"])])
        self.assertNotIn("27821234567", out)  # the plain listing masks numbers
        self.assertIn("+2782*****67", out)
        groups = cli_json("group", "list", "ops")
        self.assertEqual([(g["name"], g["members"]) for g in groups],
                         [("managers", 1), ("night", 2), ("oncall", 2)])

    def settings(self, out):
        s = cli_json("account", "show", "ops")["settings"]
        self.assertEqual(s["countries"], ["ZA", "NA", "BW"])
        self.assertEqual(s["number-types"], ["mobile"])
        self.assertEqual((s["messages-per-minute"], s["segments-per-day"], s["max-parts"]), (60, 5000, 3))
        self.assertEqual(s["sender-id"], "OpsAlerts")
        self.assertEqual((s["national-language"], s["concatenation-reference"]), ("turkish", 16))
        self.assertRegex(out, r"\n  concatenation-reference +16-bit\n")
        self.assertRegex(out, r"\n  max-parts +3\n")  # account show's listing

    def credit(self, out):
        # 1000 to start, 1 reserved by the mail the walkthrough sent, 5000 added.
        self.assertIn("ops: +5000, balance 5999", out)
        ledger = cli_json("account", "ledger", "ops")
        self.assertEqual((ledger[0]["delta"], ledger[0]["balance"], ledger[0]["reason"]),
                         (5000, 5999, "invoice 2024-117"))
        self.assertEqual((ledger[1]["delta"], ledger[1]["reason"]),
                         (-1, "reserved: 1 segment to 1 recipient"))
        self.assertEqual(ledger[-1]["reason"], "initial credit")

    def exported_and_deleted(self, out):
        path = os.path.join(self.dir, "ops-export.json")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            text = f.read()
        self.assertNotIn("argon2", text)
        doc = json.loads(text)
        self.assertEqual(list(doc)[:3], ["format", "exported_at", "account"])
        self.assertEqual(doc["account"]["name"], "ops")
        self.assertEqual([p["label"] for p in doc["passwords"]], ["default", "laptop"])
        self.assertEqual(len(doc["contacts"]), 3)
        self.assertEqual([g["name"] for g in doc["groups"]], ["managers", "night", "oncall"])
        self.assertEqual([m["body"] for m in doc["messages"]], ["Sent with the laptop password"])
        self.assertEqual(doc["messages"][0]["recipient"], "+27821234567")
        self.assertTrue(doc["messages"][0]["events"])
        self.assertEqual([l["balance"] for l in doc["credit_ledger"]], [1000, 999, 5999])
        self.assertEqual(doc["messages"][0]["cost"], 1)
        self.assertIn("account.credit", [a["action"] for a in doc["audit_log"]])

        gone = bridge.cli("account", "show", "ops", check=False)
        self.assertEqual(gone.returncode, 1)
        self.assertIn("no account named 'ops'", gone.stderr)
        audit = cli_json("audit", "list", "--limit", "1000")
        self.assertEqual((audit[0]["action"], audit[0]["account"]), ("account.delete", None))
        self.assertRegex(audit[0]["subject"], r"^account #\d+$")
        for row in audit:
            self.assertNotEqual(row["subject"], "ops", row)
            self.assertNotIn("ops", row["detail"].lower(), row)
            self.assertNotRegex(row["detail"], r"82123456\d", row)  # the walkthrough's numbers
        messages = bridge.cli("messages", "list", "--json", "--full-numbers").stdout
        self.assertNotIn("Sent with the laptop password", messages)
        self.assertNotIn('"account":"ops"', messages)
        # The account's mail is gone from the queue, and serve carries on.
        self.assertIsNone(bridge.proc.poll())


class OperatorMistakesTest(unittest.TestCase):
    """What an operator gets wrong, and what they are told."""

    @classmethod
    def setUpClass(cls):
        bridge.cli("account", "add", "errs", "--password-stdin", "--country", "ZA", "--credit", "10",
                   input="errs password\n")
        cls.dir = tempfile.mkdtemp(prefix="mail2sms-accounts-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def fails(self, code, *args, input=None):
        r = bridge.cli(*args, input=input, check=False)
        self.assertEqual(r.returncode, code, "%s: %s" % (args, r.stderr))
        return r.stderr

    def test_bad_setting_keys_and_values_are_usage_errors_that_say_what_is_valid(self):
        err = self.fails(2, "account", "set", "errs", "max_parts", "5")
        self.assertIn("did you mean 'max-parts'?", err)
        self.assertIn("the settings are sender-id, country, max-parts", err)
        err = self.fails(2, "account", "set", "errs", "max-parts", "500")
        self.assertIn("write a whole number from 1 to 255", err)
        err = self.fails(2, "account", "set", "errs", "timezone", "Mars/Base")
        self.assertIn("a time zone name PostgreSQL knows", err)
        err = self.fails(2, "account", "set", "errs", "countries", "ZA,XX")
        self.assertIn("'XX' is not a country code", err)
        self.assertEqual(cli_json("account", "show", "errs")["settings"]["max-parts"], 10)

    def test_credit_never_goes_negative_and_needs_a_sign(self):
        err = self.fails(1, "account", "credit", "errs", "-11")
        self.assertIn("has a balance of 10", err)
        err = self.fails(2, "account", "credit", "errs", "5")
        self.assertIn("write +N to add N segments or -N", err)
        out = bridge.cli("account", "credit", "errs", "-10").stdout
        self.assertIn("balance 0", out)
        bridge.cli("account", "credit", "errs", "+10")

    def test_a_bad_csv_row_imports_nothing_and_names_file_and_line(self):
        path = os.path.join(self.dir, "bad.csv")
        with open(path, "w") as f:
            f.write("number,name\n0821234567,Anna\n0821,Ben\n")
        err = self.fails(1, "contacts", "import", "errs", path)
        self.assertIn(path + ":3: '0821' is too short", err)
        self.assertEqual(cli_json("contacts", "list", "errs"), [])

    def test_delete_wants_yes(self):
        err = self.fails(2, "account", "delete", "errs")
        self.assertIn("add --yes", err)
        self.assertEqual(cli_json("account", "show", "errs")["name"], "errs")

    def test_a_certificate_identifies_one_account(self):
        fingerprint = "ab" * 32
        bridge.cli("account", "cert", "add", "errs", "--fingerprint", fingerprint)
        err = self.fails(1, "account", "cert", "add", "acme", "--fingerprint", fingerprint.upper())
        self.assertIn("is registered to account 'errs'", err)
        bridge.cli("account", "cert", "remove", "errs", fingerprint)

    def test_a_revoked_password_no_longer_authenticates(self):
        bridge.cli("account", "password", "add", "errs", "pager", "--password-stdin",
                   input="pager password\n")
        self.fails(1, "account", "password", "add", "errs", "pager", "--password-stdin",
                   input="another password\n")
        bridge.cli("account", "password", "revoke", "errs", "pager")
        with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
            client.starttls(context=tls_context())
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                client.login("errs", "pager password")

    def test_an_export_replaces_what_was_at_its_path_with_a_file_of_mode_600(self):
        folder = tempfile.mkdtemp(dir=self.dir)  # its own: the class's is shared
        earlier = os.path.join(folder, "earlier.json")  # an export someone made readable
        with open(earlier, "w") as f:
            f.write("old\n")
        os.chmod(earlier, 0o644)
        elsewhere = os.path.join(folder, "elsewhere")  # a symlink is not written through
        with open(elsewhere, "w") as f:
            f.write("keep\n")
        link = os.path.join(folder, "link.json")
        os.symlink(elsewhere, link)
        for path in (earlier, link):
            bridge.cli("account", "export", "errs", "--output", path)
            self.assertFalse(os.path.islink(path))
            self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o600)
            with open(path) as f:
                self.assertEqual(json.load(f)["account"]["name"], "errs")
        with open(elsewhere) as f:
            self.assertEqual(f.read(), "keep\n")
        self.assertEqual(sorted(os.listdir(folder)), ["earlier.json", "elsewhere", "link.json"])
        err = self.fails(1, "account", "export", "errs", "--output",
                         os.path.join(folder, "no-such-dir", "x.json"))
        self.assertIn("cannot create a file in %s" % os.path.join(folder, "no-such-dir"), err)
        # A pipe (`--output >(gpg ...)`) is written to, not replaced.
        read_end, write_end = os.pipe()
        try:
            r = subprocess.run([BINARY, "account", "export", "errs", "--config", bridge.config,
                                "--output", "/dev/fd/%d" % write_end], pass_fds=(write_end,),
                               capture_output=True, text=True, timeout=120)
            os.close(write_end)
            write_end = None
            self.assertEqual(r.returncode, 0, r.stderr)
            with os.fdopen(read_end) as f:
                read_end = None
                self.assertEqual(json.load(f)["account"]["name"], "errs")
        finally:
            for fd in (read_end, write_end):
                if fd is not None:
                    os.close(fd)

    def test_unknown_account_is_a_failure_naming_it(self):
        err = self.fails(1, "account", "sender", "add", "nobody", "ops@example.com")
        self.assertIn("no account named 'nobody'", err)

    def test_purge_runs_and_counts(self):
        out = cli_json("purge")
        self.assertEqual(out["body_days"], 30)
        self.assertEqual(set(out), {"body_days", "messages", "parts", "replies", "notifications",
                                    "postmaster"})


if __name__ == "__main__":
    unittest.main()
