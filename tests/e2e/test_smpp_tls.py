"""End to end: mail -> SMS to an SMSC over TLS, with the real binary and `smsc-sim --tls-cert`.

A certificate the connector can verify (its CA file, the name in tls_server_name) carries mail to
`delivered` with receipts over TLS, and the session ends with close_notify after unbind. A
certificate it cannot verify (another CA) means no bind, the reason in the log, and the message
kept queued, not failed, until the configuration is fixed. tls_verify = false connects to a
self-signed certificate without a CA file. Configuration mistakes exit 2 naming file, line, key.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import BINARY, SMPP_PASSWORD, Simulator, free_port, make_certificate, minimal_config
from test_dispatch import Gateway


def wait_until(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("no %s after %.0fs" % (what, timeout))
        time.sleep(0.2)


class SmppTlsTest(unittest.TestCase):
    def setUp(self):
        # Two unrelated self-signed certificates for CN=localhost: each is its own CA.
        self.certs = tempfile.mkdtemp(prefix="mail2sms-smpp-tls-")
        self.addCleanup(shutil.rmtree, self.certs, True)
        os.makedirs(os.path.join(self.certs, "other"))
        self.cert, self.key = make_certificate(self.certs)
        self.other_cert, _ = make_certificate(os.path.join(self.certs, "other"))

    def gateway(self, connector_extra):
        sim = Simulator(extra_args=["--tls-cert", self.cert, "--tls-key", self.key])
        try:
            g = Gateway(smsc=sim, connector_extra=connector_extra)
        except BaseException:
            sim.stop()
            raise
        self.addCleanup(g.stop)
        return g

    def verified(self, ca_file):
        return 'tls = true\ntls_ca_file = "%s"\ntls_server_name = "localhost"' % ca_file

    def log(self, g):
        for log in g.logs:
            log.flush()
        out = ""
        for log in g.logs:
            with open(log.name) as f:
                out += f.read()
        return out

    def stop_serving(self, g):
        for proc in g.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)

    def test_mail_is_delivered_over_verified_tls_with_receipts(self):
        g = self.gateway(self.verified(self.cert))
        port = g.serve()
        to = ["+27821000001", "+27821000002"]
        g.send(port, to, "Backup finished over TLS")
        rows = g.wait_all(to)  # delivered: every part's receipt came back over the TLS session
        self.assertTrue(all(m["status"] == "delivered" for m in rows.values()))
        tls = g.sim.wait_for(lambda l: l.get("event") == "tls")
        self.assertEqual(tls["server_name"], "localhost")  # tls_server_name, sent as SNI
        self.assertIn(tls["protocol"], ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(len(g.sim.events("bind")), 1)
        self.assertEqual(sorted(m["destination"] for m in g.sim.messages()), sorted(t[1:] for t in to))
        self.assertIn("TLS to 127.0.0.1:%d" % g.sim.port, self.log(g))
        self.stop_serving(g)  # unbind, then close_notify both ways
        closed = g.sim.wait_for(lambda l: l.get("event") == "tls_closed", timeout=10)
        self.assertTrue(closed["close_notify"], closed)

    def test_certificate_from_another_ca_keeps_the_message_queued_until_fixed(self):
        g = self.gateway(self.verified(self.other_cert))
        port = g.serve()
        to = ["+27821000003"]
        g.send(port, to, "Must not be lost")
        wait_until(lambda: "certificate verify failed" in self.log(g), what="verification failure in the log")
        # The reason is in the message's last_error; it waits for (or is in) another attempt.
        row = wait_until(lambda: [r for r in [g.statuses().get(to[0], {})] if r.get("last_error")],
                         what="a recorded attempt")[0]
        self.assertIn(row["status"], ("queued", "sending"), row)
        self.assertIn("certificate verify failed", row["last_error"])
        log = self.log(g)
        self.assertIn("TLS handshake with 127.0.0.1:%d (as localhost) failed" % g.sim.port, log)
        self.assertNotIn(SMPP_PASSWORD, log)
        self.assertEqual(g.sim.events("bind"), [])
        self.assertEqual(g.sim.events("submit_sm"), [])
        self.assertTrue(g.sim.events("tls_failed"))  # the connector refused the certificate

        # Fixed: the right CA file. The same message goes out, once.
        self.stop_serving(g)
        self.assertNotIn(g.statuses()[to[0]]["status"], ("failed", "submitted", "delivered"))
        g.connector_extra = self.verified(self.cert)
        port = g.serve()
        g.wait_all(to)
        self.assertEqual(g.submits_per_destination()[to[0][1:]], 1)

    def test_tls_verify_false_connects_to_a_self_signed_certificate_without_ca(self):
        g = self.gateway("tls = true\ntls_verify = false")
        port = g.serve()
        to = ["+27821000004"]
        g.send(port, to, "Unverified but encrypted")
        g.wait_all(to)
        tls = g.sim.wait_for(lambda l: l.get("event") == "tls")
        self.assertEqual(tls["server_name"], "")  # host is 127.0.0.1: no SNI for an address
        self.assertIn("certificate not verified: tls_verify = false", self.log(g))

    def test_plain_connector_does_not_bind_to_a_tls_smsc(self):
        g = self.gateway("")
        g.serve()
        wait_until(lambda: "during bind" in self.log(g), what="bind failure in the log")
        self.assertEqual(g.sim.events("bind"), [])


class SmppTlsConfigurationTest(unittest.TestCase):
    def run_serve(self, connector_extra):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.toml")
            with open(path, "w") as f:
                f.write(minimal_config("host=/nonexistent",
                                       'type = "smpp"\nsystem_id = "mail2sms"\n' + connector_extra))
            return path, subprocess.run([BINARY, "serve", "--config", path], capture_output=True,
                                        text=True, timeout=60)

    def test_unreadable_ca_file_exits_2_naming_file_line_and_key(self):
        path, r = self.run_serve('tls = true\ntls_ca_file = "missing.pem"')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(path + ":13: connector[0].tls_ca_file: cannot read", r.stderr)

    def test_ca_file_without_tls_exits_2(self):
        path, r = self.run_serve('tls_server_name = "smsc.example.net"')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(path + ":12: connector[0].tls_server_name: has no effect without tls = true", r.stderr)

    def test_simulator_needs_both_tls_files(self):
        r = subprocess.run([BINARY, "smsc-sim", "--listen", "127.0.0.1:%d" % free_port(), "--system-id", "x",
                            "--password", "y", "--tls-cert", "/nonexistent.crt"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--tls-cert and --tls-key go together", r.stderr)
        r = subprocess.run([BINARY, "smsc-sim", "--listen", "127.0.0.1:%d" % free_port(), "--system-id", "x",
                            "--password", "y", "--tls-cert", "/nonexistent.crt", "--tls-key", "/nonexistent.key"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("/nonexistent.crt", r.stderr)


if __name__ == "__main__":
    unittest.main()
