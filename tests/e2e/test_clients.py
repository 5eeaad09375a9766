"""End to end: the mail clients people and legacy systems really use -- curl, msmtp, nodemailer,
and a private Postfix relaying a local `sendmail` -- each deliver a mail through mail2sms that
arrives at the SMPP simulator as an SMS to the right number with the right text."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import ACCOUNT, DOMAIN, PASSWORD, Bridge

HERE = os.path.dirname(os.path.abspath(__file__))
NODEMAILER_SEND = os.path.join(HERE, "clients", "nodemailer_send.js")
NODEMAILER = os.path.join(HERE, "..", "node_modules", "nodemailer")
CLIENT_TIMEOUT = 60  # seconds one client run may take before the test fails
SMS_TIMEOUT = 20  # seconds from the client's success to the SMS at the simulator


def require_program(name):
    path = shutil.which(name)
    if path is None:
        raise RuntimeError("%s is not installed: run scripts/setup" % name)
    return path


def rfc5322(to, subject, text):
    return ("From: ops@example.com\r\nTo: %s\r\nSubject: %s\r\n"
            "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <%s@client.example>\r\n"
            "\r\n%s\r\n" % (to, subject, subject.replace(" ", "."), text))


def run(argv, input=None):
    """A client run to completion (bounded); its CompletedProcess."""
    return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)


class PrivatePostfix:
    """A Postfix instance of its own (config, queue and data directories under one temporary
    directory) that relays everything to mail2sms with STARTTLS and SASL, the way a legacy host's
    local MTA would. It has no SMTP listener: mail enters only through its sendmail command."""

    # Only what pickup -> cleanup -> qmgr -> smtp needs (and bounce/defer for a failed attempt,
    # postlogd for maillog_file). No chroot: the queue directory is a temporary one.
    MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
smtp      unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

    def __init__(self, relay_port, user, password):
        self.postfix = require_program("postfix")
        self.sendmail_path = require_program("sendmail")
        self.dir = tempfile.mkdtemp(prefix="mail2sms-postfix-")
        os.chmod(self.dir, 0o755)  # the postfix user must reach its queue and data directories
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "queue")
        self.maillog = os.path.join(self.dir, "maillog")
        os.mkdir(self.config_dir, 0o755)
        os.mkdir(self.queue_dir, 0o755)  # root-owned; `postfix check` creates what is inside
        passwords = os.path.join(self.config_dir, "sasl_passwd")
        with open(os.open(passwords, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("[127.0.0.1]:%d %s:%s\n" % (relay_port, user, password))
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(self.MASTER_CF)
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            f.write(self.instance_main_cf() + f"""\
myhostname = legacy.example.com
mydomain = example.com
myorigin = $mydomain
mydestination =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
relayhost = [127.0.0.1]:{relay_port}
default_transport = smtp
relay_transport = smtp
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = texthash:{passwords}
smtp_sasl_security_options = noanonymous
smtp_sasl_tls_security_options = noanonymous
smtp_tls_security_level = encrypt
smtp_tls_loglevel = 1
""")
        self.master_pid = None

    def instance_main_cf(self):
        """The main.cf lines that make this a private instance: its own queue, data and log."""
        return f"""\
compatibility_level = 3.6
queue_directory = {self.queue_dir}
data_directory = {self.dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {self.maillog}
maillog_file_prefixes = {self.dir}
"""

    def postfix_command(self, *args):
        return run([self.postfix, "-c", self.config_dir, *args])

    def start(self):
        # `postfix start` first runs the checks of `postfix check` (creating the queue's
        # subdirectories with the owners and modes set-permissions would give), then `master -w`,
        # which returns once the master is up and has written its pid file.
        r = self.postfix_command("start")
        if r.returncode != 0:
            raise RuntimeError("postfix start failed (%d): %s%s\n%s" % (r.returncode, r.stdout, r.stderr, self.log()))
        with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
            self.master_pid = int(f.read().split()[0])

    def sendmail(self, sender, recipient, message):
        return run([self.sendmail_path, "-C", self.config_dir, "-f", sender, recipient], input=message)

    def log(self):
        try:
            with open(self.maillog) as f:
                return f.read()
        except OSError:
            return "(no maillog)"

    def wait_for_log(self, pattern, timeout=SMS_TIMEOUT):
        """The maillog once a line matches pattern, polling it up to timeout."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if re.search(pattern, log):
                return log
            if time.monotonic() > deadline:
                raise AssertionError("no maillog line matches %r in %.0fs:\n%s" % (pattern, timeout, log))
            time.sleep(0.05)

    def master_running(self):
        if self.master_pid is None:
            return False
        try:
            with open("/proc/%d/stat" % self.master_pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"  # a zombie waits for its (re)parent to reap it; it runs no more

    def stop(self):
        """Stops the master (and so its services), by force after a bounded wait, and removes
        the instance's directory."""
        try:
            if self.master_running():
                self.postfix_command("stop")  # SIGTERM, then waits up to 5 s itself
                deadline = time.monotonic() + 10
                while self.master_running() and time.monotonic() < deadline:
                    time.sleep(0.05)
                if self.master_running():
                    os.kill(self.master_pid, signal.SIGKILL)
                    raise AssertionError("the private Postfix master did not stop; killed it\n" + self.log())
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class ClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = Bridge()

    @classmethod
    def tearDownClass(cls):
        if cls.bridge.proc.poll() is not None:
            print("mail2sms serve exited with %s; its log:\n%s" % (cls.bridge.proc.returncode, cls.bridge.serve_log()))
        cls.bridge.stop()

    def tmpdir(self):
        path = tempfile.mkdtemp(prefix="mail2sms-client-")
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def assert_sms(self, number, text, context=lambda: ""):
        """The SMS a mail became: wait for its text at the simulator, check where it went.
        context() says more on a timeout (read then, not before the wait)."""
        try:
            msg = self.bridge.sim.wait_for(lambda l: l.get("event") == "message" and l.get("text") == text,
                                           timeout=SMS_TIMEOUT)
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, context())) from None
        self.assertEqual(msg["destination"], number.lstrip("+"))  # international: TON 1, no '+'
        self.assertEqual(msg["parts"], 1)
        return msg

    # curl

    def curl(self, url, number, text, *extra):
        mail = os.path.join(self.tmpdir(), "mail.eml")
        with open(mail, "w", newline="") as f:
            f.write(rfc5322("%s@%s" % (number, DOMAIN), "curl", text))
        r = run([require_program("curl"), "--silent", "--show-error", "--max-time", "30", "-k", *extra,
                 "--user", "%s:%s" % (ACCOUNT, PASSWORD), "--mail-from", "ops@example.com",
                 "--mail-rcpt", "%s@%s" % (number, DOMAIN), "--upload-file", mail, url])
        self.assertEqual(r.returncode, 0, "curl: " + r.stdout + r.stderr)

    def test_curl_starttls(self):
        self.curl("smtp://127.0.0.1:%d" % self.bridge.smtp_port, "+27821240001",
                  "curl over STARTTLS", "--ssl-reqd")
        self.assert_sms("+27821240001", "curl over STARTTLS")

    def test_curl_implicit_tls(self):
        self.curl("smtps://127.0.0.1:%d" % self.bridge.smtps_port, "+27821240002", "curl over implicit TLS")
        self.assert_sms("+27821240002", "curl over implicit TLS")

    # msmtp

    def msmtp(self, port, starttls, number, text):
        directory = self.tmpdir()
        config = os.path.join(directory, "msmtprc")
        log = os.path.join(directory, "msmtp.log")
        # msmtp refuses a configuration with a password that others can read.
        with open(os.open(config, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(f"""\
account default
host 127.0.0.1
port {port}
from ops@example.com
tls on
tls_starttls {"on" if starttls else "off"}
tls_certcheck off
auth on
user {ACCOUNT}
password {PASSWORD}
timeout 30
logfile {log}
""")
        r = run([require_program("msmtp"), "-C", config, "%s@%s" % (number, DOMAIN)],
                input="From: ops@example.com\nSubject: msmtp\n\n%s\n" % text)
        self.assertEqual(r.returncode, 0, "msmtp: " + r.stdout + r.stderr)
        with open(log) as f:
            self.assertIn("smtpstatus=250", f.read())

    def test_msmtp_starttls(self):
        self.msmtp(self.bridge.smtp_port, True, "+27821240003", "msmtp over STARTTLS")
        self.assert_sms("+27821240003", "msmtp over STARTTLS")

    def test_msmtp_implicit_tls(self):
        self.msmtp(self.bridge.smtps_port, False, "+27821240004", "msmtp over implicit TLS")
        self.assert_sms("+27821240004", "msmtp over implicit TLS")

    # nodemailer

    def nodemailer(self, port, secure, number, text, *auth_method):
        if not os.path.isdir(NODEMAILER):
            raise RuntimeError("the npm nodemailer package is not installed under tests/node_modules: "
                               "run scripts/setup (or: cd tests && npm install)")
        r = run([require_program("node"), NODEMAILER_SEND, str(port), "true" if secure else "false",
                 ACCOUNT, PASSWORD, "%s@%s" % (number, DOMAIN), text, *auth_method])
        self.assertEqual(r.returncode, 0, "nodemailer: " + r.stdout + r.stderr)
        result = json.loads(r.stdout)
        self.assertEqual(result["accepted"], ["%s@%s" % (number, DOMAIN)])
        self.assertRegex(result["response"], r"^250 2\.0\.0 ")
        return result["commands"]

    def test_nodemailer_starttls_required(self):
        commands = self.nodemailer(self.bridge.smtp_port, False, "+27821240005", "nodemailer over STARTTLS")
        self.assertIn("STARTTLS", commands)
        self.assertLess(commands.index("STARTTLS"),
                        next(i for i, c in enumerate(commands) if c.startswith("AUTH")))
        self.assert_sms("+27821240005", "nodemailer over STARTTLS")

    def test_nodemailer_implicit_tls_auth_login(self):
        commands = self.nodemailer(self.bridge.smtps_port, True, "+27821240006",
                                   "nodemailer over implicit TLS with LOGIN", "LOGIN")
        self.assertIn("AUTH LOGIN", commands)
        self.assertNotIn("STARTTLS", commands)
        self.assert_sms("+27821240006", "nodemailer over implicit TLS with LOGIN")

    # Postfix: a legacy system's `sendmail` through a local MTA that relays with STARTTLS + SASL

    def test_postfix_relays_sendmail_with_starttls_and_sasl(self):
        postfix = PrivatePostfix(self.bridge.smtp_port, ACCOUNT, PASSWORD)
        self.addCleanup(postfix.stop)
        postfix.start()
        # As a cron job or a PBX would call it: the leading '+' of the recipient needs no '--'
        # (Postfix's sendmail only takes '-' options).
        r = postfix.sendmail("ops@example.com", "+27821240007@%s" % DOMAIN,
                             "Subject: relayed\n\nRelayed by Postfix for a legacy host\n")
        self.assertEqual(r.returncode, 0, "sendmail: " + r.stdout + r.stderr)
        self.assert_sms("+27821240007", "Relayed by Postfix for a legacy host", context=postfix.log)
        # Postfix logs its delivery after mail2sms's 250, which may come after the SMS.
        relay = r"127\.0\.0\.1\[127\.0\.0\.1\]:%d" % self.bridge.smtp_port
        log = postfix.wait_for_log(r"to=<\+27821240007@%s>, relay=%s, .*status=sent \(250 2\.0\.0 Ok: queued as "
                                   % (re.escape(DOMAIN), relay))
        self.assertRegex(log, r"TLS connection established to " + relay)


if __name__ == "__main__":
    unittest.main()
