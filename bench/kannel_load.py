#!/usr/bin/env python3
"""Kannel as the peer (issue #6, Performance): HTTP sendsms -> smsbox -> bearerbox -> SMPP ->
`mail2sms smsc-sim`, all on loopback, Kannel from Debian's package (tests/e2e/kannel/kannel.py
starts it as this script's children with a generated kannel.conf).

For each number of HTTP clients (ab, keep-alive) and with receipts off and on, a fresh smsc-sim
and Kannel are started, N sendsms requests are made, and the rate is measured where it counts:
submit_sm arriving at the SMSC, (count - 1) / (time of the last - time of the first), timed by
this script as it reads smsc-sim's JSON lines. With receipts on, each request asks for delivery
reports (dlr-mask=3) with a dlr-url on a small counting HTTP server here; smsc-sim sends a
receipt for every submit_sm and the script waits for all of them to come back through smsbox.
Prints a markdown table. Bounded: every wait has a deadline; everything started is stopped.

    bench/kannel_load.py --messages 20000 --clients 1 10 50
    bench/kannel_load.py --smsc npm --receipts off     # the npm smpp package as the SMSC instead
"""
import argparse
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "kannel"))
import harness  # noqa: E402
import kannel  # noqa: E402
from test_npm_peer import stop_process  # noqa: E402

NPM_SMSC = os.path.join(HERE, "..", "tests", "e2e", "npm_smsc.js")
SMPP_USER = "kannel"
SMPP_PASSWORD = "kpw123"


class SubmitCounter:
    """smsc-sim on a free port; counts submit_sm lines and notes when the first and last came."""

    def __init__(self, receipts, npm=False):
        self.count = 0
        self.first = self.last = None
        self.bound = threading.Event()
        self.lock = threading.Lock()
        if npm:  # the npm `smpp` package as the SMSC (tests/e2e/npm_smsc.js): no receipts
            self.proc = subprocess.Popen(["node", NPM_SMSC, "0", SMPP_USER, SMPP_PASSWORD],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self.port = json.loads(self.proc.stdout.readline())["port"]
        else:
            self.port = harness.free_port()
            args = [harness.BINARY, "smsc-sim", "--listen", "127.0.0.1:%d" % self.port,
                    "--system-id", SMPP_USER, "--password", SMPP_PASSWORD]
            if not receipts:
                args.append("--no-receipts")
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()
        harness.wait_for_port(self.port, proc=self.proc)

    def _read(self):
        for line in self.proc.stdout:
            if b'"event":"bind"' in line and b'"accepted":true' in line:
                self.bound.set()
            elif b'"event":"submit_sm"' in line:
                now = time.monotonic()
                with self.lock:
                    self.count += 1
                    self.first = self.first or now
                    self.last = now
            elif b'"event":"bind"' in line and b"ESME_ROK" in line:
                self.bound.set()

    def wait_for(self, n, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.count >= n:
                    return True
            time.sleep(0.05)
        return False

    def rate(self):
        with self.lock:
            if self.count < 2:
                return 0.0
            return (self.count - 1) / (self.last - self.first)

    def stop(self):
        stop_process(self.proc, timeout=10)


class ReceiptCounter(http.server.ThreadingHTTPServer):
    """The dlr-url smsbox calls for every delivery report."""
    daemon_threads = True

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(handler):
                with self.lock:
                    self.count += 1
                handler.send_response(200)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def run(clients, receipts, messages, window, timeout, npm):
    sim = SubmitCounter(receipts, npm)
    k = None
    dlr = None
    try:
        k = kannel.Kannel(sim.port, SMPP_USER, SMPP_PASSWORD, window=window, log_level=4)
        if not sim.bound.wait(30):
            raise RuntimeError("Kannel did not bind to smsc-sim")
        query = {"username": kannel.SENDSMS_USER, "password": kannel.SENDSMS_PASSWORD,
                 "to": "+27821234567", "from": "Bench", "text": "Kannel benchmark message"}
        if receipts:
            dlr = ReceiptCounter()
            query["dlr-mask"] = "3"
            query["dlr-url"] = "http://127.0.0.1:%d/dlr?id=%%I&s=%%d" % dlr.server_address[1]
        url = "http://127.0.0.1:%d/cgi-bin/sendsms?%s" % (k.sendsms_port, urllib.parse.urlencode(query))
        started = time.monotonic()
        ab = subprocess.run(["ab", "-q", "-k", "-c", str(clients), "-n", str(messages), url],
                            capture_output=True, text=True, timeout=timeout)
        http_elapsed = time.monotonic() - started
        if ab.returncode != 0:
            raise RuntimeError("ab failed: %s" % ab.stderr.strip())
        failed = re.search(r"Failed requests:\s+(\d+)", ab.stdout)
        non2xx = re.search(r"Non-2xx responses:\s+(\d+)", ab.stdout)
        if not sim.wait_for(messages, timeout):
            raise RuntimeError("only %d of %d submit_sm arrived in %ds" % (sim.count, messages, timeout))
        receipts_back = None
        if receipts:
            deadline = time.monotonic() + timeout
            while dlr.count < messages and time.monotonic() < deadline:
                time.sleep(0.05)
            receipts_back = dlr.count
            done = time.monotonic() - started
        else:
            done = sim.last - started
        return {
            "clients": clients, "receipts": receipts, "messages": messages,
            "http_rate": messages / http_elapsed,
            "smsc_rate": sim.rate(),
            "overall": messages / done,
            "receipts_back": receipts_back,
            "http_failed": int(failed.group(1)) if failed else 0,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
        }
    finally:
        if k is not None:
            k.stop()
        if dlr is not None:
            dlr.shutdown()
        sim.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20000, help="sendsms requests per run")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--receipts", choices=["off", "on", "both"], default="both")
    parser.add_argument("--window", type=int, default=10,
                        help="Kannel's max-pending-submits (its default is 10)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a run may take")
    parser.add_argument("--smsc", choices=["smsc-sim", "npm"], default="smsc-sim",
                        help="the SMPP peer: mail2sms smsc-sim, or the npm smpp package (no receipts)")
    args = parser.parse_args()
    if not kannel.available():
        sys.exit("Kannel is not installed: run scripts/setup")
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.receipts]
    if args.smsc == "npm" and True in modes:
        sys.exit("the npm SMSC sends no delivery receipts: use --receipts off with --smsc npm")
    print("| HTTP clients | receipts | messages | sendsms accepted/s | submit_sm/s at the SMSC | "
          "end to end msg/s | receipts back | HTTP errors |")
    print("|---|---|---|---|---|---|---|---|")
    for receipts in modes:
        for clients in args.clients:
            r = run(clients, receipts, args.messages, args.window, args.timeout, args.smsc == "npm")
            print("| %d | %s | %d | %.0f | %.0f | %.0f | %s | %d |" % (
                r["clients"], "on" if receipts else "off", r["messages"], r["http_rate"],
                r["smsc_rate"], r["overall"],
                "-" if r["receipts_back"] is None else r["receipts_back"],
                r["http_failed"] + r["non2xx"]), flush=True)


if __name__ == "__main__":
    main()
