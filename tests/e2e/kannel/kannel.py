"""A real Kannel (Debian's `kannel` package) for e2e tests and the benchmark: bearerbox with one
SMPP SMSC and smsbox's HTTP sendsms interface, as this process's foreground children with a
kannel.conf generated from kannel.conf.in in a temporary directory, on free loopback ports."""
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import free_port, wait_for_port  # noqa: E402
from test_npm_peer import stop_process  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
SENDSMS_USER = "mail2sms"
SENDSMS_PASSWORD = "kannel-s3cret"


def available():
    return os.access(BEARERBOX, os.X_OK) and os.access(SMSBOX, os.X_OK)


class Kannel:
    """bearerbox + smsbox bound (SMPP transceiver) to an SMSC on 127.0.0.1:smpp_port."""

    def __init__(self, smpp_port, smpp_user, smpp_password, window=10, log_level=1):
        if not available():
            raise RuntimeError("Kannel is not installed: run scripts/setup (Debian package kannel)")
        self.dir = tempfile.mkdtemp(prefix="mail2sms-kannel-")
        self.bearerbox = None
        self.smsbox = None
        self.admin_password = "admin-" + os.urandom(6).hex()
        self.sendsms_port = free_port()
        self.admin_port = free_port()
        values = {
            "DIR": self.dir, "ADMIN_PORT": self.admin_port, "ADMIN_PASSWORD": self.admin_password,
            "SMSBOX_PORT": free_port(), "SENDSMS_PORT": self.sendsms_port, "SMPP_PORT": smpp_port,
            "SMPP_USER": smpp_user, "SMPP_PASSWORD": smpp_password, "WINDOW": window,
            "SENDSMS_USER": SENDSMS_USER, "SENDSMS_PASSWORD": SENDSMS_PASSWORD,
            "LOG_LEVEL": log_level,
        }
        with open(os.path.join(HERE, "kannel.conf.in")) as f:
            text = f.read()
        for name, value in values.items():
            text = text.replace("@%s@" % name, str(value))
        self.config = os.path.join(self.dir, "kannel.conf")
        with open(self.config, "w") as f:
            f.write(text)
        try:
            # Foreground children (no -d): they die with SIGTERM from stop(), and never outlive it.
            self.bearerbox = subprocess.Popen([BEARERBOX, self.config], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, cwd=self.dir)
            wait_for_port(values["SMSBOX_PORT"], proc=self.bearerbox)
            self.smsbox = subprocess.Popen([SMSBOX, self.config], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL, cwd=self.dir)
            wait_for_port(self.sendsms_port, proc=self.smsbox)
        except BaseException:
            self.stop()
            raise

    def sendsms_url(self):
        """The URL template for mail2sms's http connector (placeholders filled per message)."""
        return ("http://127.0.0.1:%d/cgi-bin/sendsms?username=%s&password=%s"
                "&to={to}&from={from}&text={text}&coding={coding}&charset=UTF-8"
                % (self.sendsms_port, SENDSMS_USER, SENDSMS_PASSWORD))

    def status(self):
        """bearerbox's status page (plain text): SMSC state and queue counters."""
        query = urllib.parse.urlencode({"password": self.admin_password})
        with urllib.request.urlopen("http://127.0.0.1:%d/status.txt?%s" % (self.admin_port, query),
                                    timeout=10) as r:
            return r.read().decode("utf-8", "replace")

    def logs(self):
        out = []
        for name in ("bearerbox.log", "smsbox.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append("--- %s ---\n%s" % (name, f.read()[-20000:]))
        return "\n".join(out)

    def stop(self):
        for proc in (self.smsbox, self.bearerbox):
            if proc is not None:
                stop_process(proc, timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)
