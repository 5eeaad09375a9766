"""End to end against an SMSC nobody on this team wrote: mail2sms's SMPP client and the npm `smpp`
package as the server (npm_smsc.js). The octets the peer decoded are checked against GSM 03.38 and
UTF-16 encoded here, independently of mail2sms's own encoder."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
from email.message import EmailMessage

from harness import (ACCOUNT, BINARY, DOMAIN, PASSWORD, SMPP_PASSWORD, free_port, make_certificate,
                     wait_for_port)
from test_send import logged_in

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_SMSC = os.path.join(HERE, "npm_smsc.js")
NODE_MODULES = os.path.join(HERE, "..", "node_modules", "smpp")
SYSTEM_ID = "mail2sms"
SOURCE = "Alerts"

# GSM 03.38 default alphabet (index = septet) and its extension table (reached through 0x1B).
GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅå" "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ" " !\"#¤%&'()*+,-./" "0123456789:;<=>?"
             "¡ABCDEFGHIJKLMNO" "PQRSTUVWXYZÄÖÑÜ§" "¿abcdefghijklmno" "pqrstuvwxyzäöñüà")
GSM_EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D,
                 "]": 0x3E, "|": 0x40, "€": 0x65}
assert len(GSM_BASIC) == 128


def gsm7_unpacked(text):
    """text as GSM 03.38 septets, one per octet (data_coding 0 over SMPP)."""
    out = bytearray()
    for ch in text:
        if ch in GSM_EXTENSION:
            out += bytes([0x1B, GSM_EXTENSION[ch]])
        else:
            out.append(GSM_BASIC.index(ch))  # ValueError: not GSM, a mistake in the test's text
    return bytes(out)


def stop_process(proc, timeout=30):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class NpmSmsc:
    """npm_smsc.js under node on a free port; its JSON lines collected by a reader thread."""

    def __init__(self, system_id=SYSTEM_ID, password=SMPP_PASSWORD, options=()):
        if not os.path.isdir(NODE_MODULES):
            raise RuntimeError("the npm smpp package is not installed under tests/node_modules: "
                               "run scripts/setup (or: cd tests && npm install)")
        self.lines = []
        self.cond = threading.Condition()
        # stderr is inherited: a crash of the peer shows its stack in the test's output.
        self.proc = subprocess.Popen(["node", NPM_SMSC, "0", system_id, password, *options],
                                     stdout=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._collect, daemon=True)
        self.reader.start()
        self.port = self.wait_for(lambda l: l["event"] == "listening", timeout=30)[0]["port"]

    def _collect(self):
        for line in self.proc.stdout:
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError:
                    record = {"event": "unparsed", "line": line}
                with self.cond:
                    self.lines.append(record)
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()  # the peer is gone: waiters report instead of waiting out

    def wait_for(self, predicate, count=1, timeout=30.0):
        """The first count collected lines matching predicate, waiting up to timeout for them."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [l for l in self.lines if predicate(l)]
                if len(found) >= count:
                    return found[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError("%d of %d expected npm SMSC lines after %.0fs (peer exit %s); saw %r"
                                         % (len(found), count, timeout, self.proc.poll(), self.lines))
                self.cond.wait(min(remaining, 1.0))

    def events(self, name):
        with self.cond:
            return [l for l in self.lines if l["event"] == name]

    def stop(self):
        code = stop_process(self.proc, timeout=10)
        self.reader.join(10)
        self.proc.stdout.close()
        return code


class NpmBridge:
    """mail2sms serve with its embedded cluster, its one SMPP connector bound to an NpmSmsc.
    Every part started is registered with cleanup (LIFO) as soon as it runs, so a failed start
    still stops what did start."""

    def __init__(self, cleanup):
        self.dir = tempfile.mkdtemp(prefix="mail2sms-npm-")
        cleanup(shutil.rmtree, self.dir, ignore_errors=True)
        os.chmod(self.dir, 0o755)  # the embedded cluster runs as an unprivileged user
        make_certificate(self.dir)
        self.peer = NpmSmsc()
        cleanup(self.peer.stop)
        self.smtp_port = free_port()
        self.config = os.path.join(self.dir, "mail2sms.toml")
        with open(self.config, "w") as f:
            f.write(f"""
[smtp]
listen = ["127.0.0.1:{self.smtp_port}"]
domains = ["{DOMAIN}"]
tls_cert = "server.crt"
tls_key = "server.key"

[database]
embedded = "pg"
wal_reserve_mb = 0

[[connector]]
name = "npm"
type = "smpp"
host = "127.0.0.1"
port = {self.peer.port}
system_id = "{SYSTEM_ID}"
password = "{SMPP_PASSWORD}"
source = "{SOURCE}"
enquire_link_interval = 1

[[route]]
prefix = "+"
connector = "npm"
""")
        self.cli("migrate")
        self.cli("account", "add", ACCOUNT, "--password-stdin", "--country", "ZA", "--credit", "1000000",
                 input=PASSWORD + "\n")
        self.log = open(os.path.join(self.dir, "serve.log"), "w+")
        cleanup(self.log.close)
        self.proc = subprocess.Popen([BINARY, "serve", "--config", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        cleanup(self.stop_serve)
        wait_for_port(self.smtp_port, proc=self.proc)

    def cli(self, *args, input=None):
        r = subprocess.run([BINARY, *args, "--config", self.config], input=input,
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError("mail2sms %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return r

    def serve_log(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop_serve(self):
        """SIGTERM: serve unbinds, stops its embedded cluster and exits; kill only as a fallback."""
        if self.proc.poll() is not None and self.proc.returncode != 0:
            print("mail2sms serve exited with %s; its log:\n%s" % (self.proc.returncode, self.serve_log()))
        return stop_process(self.proc)

    def send(self, number, text):
        """Mails text to number over STARTTLS + AUTH LOGIN, as UTF-8 quoted-printable unless ASCII."""
        message = EmailMessage()
        message["From"] = "ops@example.com"
        message["To"] = "%s@%s" % (number, DOMAIN)
        message["Subject"] = "npm peer"
        if text.isascii():
            message.set_content(text, cte="7bit")
        else:
            message.set_content(text, charset="utf-8", cte="quoted-printable")
        with logged_in(self.smtp_port) as client:
            refused = client.send_message(message)
        if refused:
            raise AssertionError("recipients refused: %r" % refused)

    def submits_to(self, destination, count=1):
        return self.peer.wait_for(lambda l: l["event"] == "submit_sm"
                                  and l["destination_addr"] == destination, count=count)


class NpmPeerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = NpmBridge(cls.addClassCleanup)

    def assertSingleSegment(self, sm):
        self.assertFalse(sm["esm_class"] & 0x40, sm)  # no UDH
        self.assertIsNone(sm["message_payload"], sm)

    def test_short_gsm_text_is_one_submit_sm_of_unpacked_septets(self):
        text = "Hello @ {x}"
        self.bridge.send("+27821234567", text)
        [sm] = self.bridge.submits_to("27821234567")
        self.assertEqual((sm["dest_addr_ton"], sm["dest_addr_npi"]), (1, 1), sm)
        self.assertEqual(sm["data_coding"], 0, sm)
        self.assertSingleSegment(sm)
        self.assertEqual(sm["registered_delivery"] & 0x03, 1, sm)  # asks for a delivery receipt
        octets = bytes.fromhex(sm["short_message"])
        self.assertEqual(octets, gsm7_unpacked(text))
        self.assertEqual(octets[6], 0x00)  # '@' is septet 0, not ASCII 0x40
        self.assertEqual(octets[8:10], b"\x1b\x28")  # '{' through the extension table

    def test_three_part_gsm_text_is_concatenated_with_one_reference(self):
        # 152 septets, then '{' (an escape pair) exactly where a naive 153-septet split would
        # separate 0x1B from its character; 387 septets in all: three parts.
        head = " ".join("alarm%03d" % i for i in range(16)) + " warning!"
        self.assertEqual(len(gsm7_unpacked(head)), 152)
        text = head + "{rack 7} " + " ".join("disk%03d [~]" % i for i in range(15))
        self.assertEqual(len(gsm7_unpacked(text)), 387)
        parts = self.sent_parts("+27821234568", text, parts_expected=3)
        udhs = [p[:6] for p in parts]
        reference = udhs[0][3]
        self.assertEqual(udhs, [bytes([0x05, 0x00, 0x03, reference, 3, seq]) for seq in (1, 2, 3)])
        payloads = [p[6:] for p in parts]
        for payload in payloads:
            self.assertLessEqual(len(payload), 153)
            self.assertNotEqual(payload[-1:], b"\x1b", "an escape split from its character")
        self.assertEqual(b"".join(payloads), gsm7_unpacked(text))

    def sent_parts(self, number, text, parts_expected):
        self.bridge.send(number, text)
        sms = self.bridge.submits_to(number.lstrip("+"), count=parts_expected)
        for sm in sms:
            self.assertEqual(sm["data_coding"], 0, sm)
            self.assertTrue(sm["esm_class"] & 0x40, sm)  # UDHI
        # The peer prints them in arrival order; the UDH says which part each one is.
        return sorted((bytes.fromhex(sm["short_message"]) for sm in sms), key=lambda p: p[5])

    def test_ucs2_text_is_utf16be_with_a_surrogate_pair(self):
        text = "Привет, дежурный! 🚨"
        self.bridge.send("+27821234569", text)
        [sm] = self.bridge.submits_to("27821234569")
        self.assertEqual(sm["data_coding"], 8, sm)
        self.assertSingleSegment(sm)
        octets = bytes.fromhex(sm["short_message"])
        self.assertEqual(octets, text.encode("utf-16-be"))
        self.assertEqual(octets[-4:], b"\xd8\x3d\xde\xa8")  # U+1F6A8 as a surrogate pair

    def test_connector_source_is_alphanumeric_sender(self):
        self.bridge.send("+27821234570", "Source check")
        [sm] = self.bridge.submits_to("27821234570")
        self.assertEqual(sm["source_addr"], SOURCE, sm)
        self.assertEqual((sm["source_addr_ton"], sm["source_addr_npi"]), (5, 0), sm)

    def test_link_is_bound_once_and_kept_alive_with_enquire_link(self):
        binds = self.bridge.peer.wait_for(lambda l: l["event"] == "bind")
        self.assertEqual(binds[0]["system_id"], SYSTEM_ID)
        self.assertTrue(binds[0]["accepted"], binds)
        # enquire_link_interval = 1: an idle link is probed, and the answer keeps it bound.
        self.bridge.peer.wait_for(lambda l: l["event"] == "enquire_link", count=2)
        self.bridge.send("+27821234571", "Still bound")
        self.bridge.submits_to("27821234571")
        self.assertEqual(len(self.bridge.peer.events("bind")), 1, self.bridge.peer.lines)
        self.assertEqual(self.bridge.peer.events("close"), [])


class NpmPeerStopTest(unittest.TestCase):
    def test_serve_stop_unbinds_before_exiting(self):
        bridge = NpmBridge(self.addCleanup)
        bridge.peer.wait_for(lambda l: l["event"] == "bind" and l["accepted"])
        self.assertEqual(bridge.stop_serve(), 0, bridge.serve_log())
        bridge.peer.wait_for(lambda l: l["event"] == "unbind", timeout=5)


if __name__ == "__main__":
    unittest.main()
