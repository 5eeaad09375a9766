"""End to end through a real Kannel: a mail accepted by `mail2sms serve` leaves through its http
connector to smsbox's sendsms interface (Debian's kannel), bearerbox forwards it over SMPP to
`mail2sms smsc-sim`, and the SMS arriving there proves the whole path: text, destination,
sender, UCS-2 and concatenation, in both multipart modes of the connector."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import ACCOUNT, BINARY, DOMAIN, PASSWORD, Simulator, free_port, make_certificate, wait_for_port
from test_npm_peer import NpmBridge, stop_process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "kannel"))
import kannel  # noqa: E402

KANNEL_SMPP_USER = "kannel"
KANNEL_SMPP_PASSWORD = "kpw123"
WHOLE = "+27821234567"     # routed (+27) to the connector sending one request per message
SEGMENTS = "+447946000123"  # routed (+44) to the connector sending one request per part, with UDH
REFUSED = "+4915112345678"  # routed (+49) to a connector with the wrong sendsms password


class KannelBridge:
    """smsc-sim <- Kannel (bearerbox + smsbox) <- mail2sms serve (http connectors), each a child
    of the test, registered with cleanup as soon as it runs."""

    def __init__(self, cleanup):
        self.dir = tempfile.mkdtemp(prefix="mail2sms-kannel-e2e-")
        cleanup(shutil.rmtree, self.dir, ignore_errors=True)
        os.chmod(self.dir, 0o755)  # the embedded cluster runs as an unprivileged user
        make_certificate(self.dir)
        self.sim = Simulator(system_id=KANNEL_SMPP_USER, password=KANNEL_SMPP_PASSWORD)
        cleanup(self.sim.stop)
        self.kannel = kannel.Kannel(self.sim.port, KANNEL_SMPP_USER, KANNEL_SMPP_PASSWORD)
        cleanup(self.kannel.stop)
        self.sim.wait_for(lambda l: l.get("event") == "bind" and l.get("status") == "ESME_ROK")
        self.smtp_port = free_port()
        self.config = os.path.join(self.dir, "mail2sms.toml")
        url = self.kannel.sendsms_url()
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
name = "kannel"
type = "http"
method = "GET"
url = "{url}"
coding_values = ["0", "2"]
success_status = [202]
success_pattern = "^(0: Accepted|3: Queued)"
source = "Alerts"
timeout = 10

[[connector]]
name = "kannel-parts"
type = "http"
method = "GET"
url = "{url}&udh={{udh}}"
multipart = "segments"
coding_values = ["0", "2"]
success_pattern = "^0: Accepted"
source = "Parts"

[[connector]]
name = "kannel-wrong-password"
type = "http"
method = "GET"
url = "{url.replace(kannel.SENDSMS_PASSWORD, "wrong-password")}"

[[route]]
prefix = "+49"
connector = "kannel-wrong-password"

[[route]]
prefix = "+27"
connector = "kannel"

[[route]]
prefix = "+44"
connector = "kannel-parts"
""")
        self.cli("migrate")
        self.cli("account", "add", ACCOUNT, "--password-stdin", "--country", "ZA", "--credit", "1000000",
                 input=PASSWORD + "\n")
        self.cli("account", "set", ACCOUNT, "countries", "ZA,DE,GB")  # the routes' destinations
        self.log = open(os.path.join(self.dir, "serve.log"), "w+")
        cleanup(self.log.close)
        self.proc = subprocess.Popen([BINARY, "serve", "--config", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        cleanup(stop_process, self.proc)
        wait_for_port(self.smtp_port, proc=self.proc)

    # The same mail2sms serve around another peer: the npm test's helpers fit as they are.
    cli = NpmBridge.cli
    serve_log = NpmBridge.serve_log
    send = NpmBridge.send

    def arrived(self, destination, text, timeout=60):
        return self.sim.wait_for(lambda l: l.get("event") == "message"
                                 and l.get("destination") == destination and l.get("text") == text,
                                 timeout=timeout)


class HttpKannelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = KannelBridge(cls.addClassCleanup)

    def arrived(self, destination, text):
        try:
            return self.bridge.arrived(destination, text)
        except AssertionError:
            listing = self.bridge.cli("messages", "list", "--full-numbers").stdout
            print("queue:\n%s\nserve log:\n%s\n%s" % (listing, self.bridge.serve_log()[-5000:],
                                                        self.bridge.kannel.logs()[-5000:]))
            raise

    def test_gsm_text_arrives_with_destination_and_sender(self):
        self.bridge.send(WHOLE, "db1 at 95% & rising: see https://status/?a=1")
        msg = self.arrived("27821234567", "db1 at 95% & rising: see https://status/?a=1")
        self.assertEqual(msg["source"], "Alerts")
        self.assertEqual(msg["data_coding"], 0)
        self.assertEqual(msg["parts"], 1)

    def test_ucs2_text_arrives_as_ucs2(self):
        self.bridge.send(WHOLE, "Сервер недоступен")
        msg = self.arrived("27821234567", "Сервер недоступен")
        self.assertEqual(msg["data_coding"], 8)

    def test_long_text_is_split_by_kannel_in_whole_mode(self):
        text = "whole " + "0123456789" * 25
        self.bridge.send(WHOLE, text)
        msg = self.arrived("27821234567", text)
        self.assertEqual(msg["parts"], 2)

    def test_segments_mode_sends_mail2sms_parts_with_their_udh(self):
        text = "parts " + "abcdefghij" * 25
        self.bridge.send(SEGMENTS, text)
        msg = self.arrived("447946000123", text)
        self.assertEqual(msg["parts"], 2)
        self.assertEqual(msg["source"], "Parts")
        submits = [l for l in self.bridge.sim.lines
                   if l.get("event") == "submit_sm" and l.get("message_id") in msg["message_ids"]]
        self.assertEqual(len(submits), 2)
        # mail2sms's own concatenation UDH (8-bit reference, 2 parts), passed through by Kannel
        self.assertTrue(all(s["udh"].startswith("050003") for s in submits), submits)
        self.assertEqual(sorted(s["udh"][-4:] for s in submits), ["0201", "0202"])

    def test_a_refusal_by_kannel_fails_the_message_with_the_status(self):
        self.bridge.send(REFUSED, "never sent")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listing = self.bridge.cli("messages", "list", "--status", "failed").stdout
            if "HTTP 403" in listing:
                break
            time.sleep(0.2)
        self.assertIn("HTTP 403", listing)
        self.assertNotIn("wrong-password", listing)
        self.assertFalse([l for l in self.bridge.sim.lines if l.get("text") == "never sent"])

    def test_queue_shows_submitted_and_the_secret_is_not_logged(self):
        self.bridge.send(WHOLE, "queue check")
        self.arrived("27821234567", "queue check")
        listing = self.bridge.cli("messages", "list", "--json").stdout
        self.assertIn("submitted", listing)
        log = self.bridge.serve_log()
        self.assertNotIn(kannel.SENDSMS_PASSWORD, log)
        self.assertNotIn("queue check", log)


if __name__ == "__main__":
    unittest.main()
