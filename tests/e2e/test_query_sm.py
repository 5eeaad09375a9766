"""End to end: the SMPP sequence number per part and query_sm, with the real binary and smsc-sim.

An SMSC that never sends receipts (`smsc-sim --no-receipts`): with `query_after` set, serve asks
with query_sm and the messages end `delivered` from its answers. A SIGKILLed serve leaves
`unknown` rows, which `messages show` lists with the dispatcher session and the sequence number
each part went out with: the number the SMSC saw.
"""
import json
import signal
import subprocess
import unittest

from harness import BINARY
from test_dispatch import Gateway, numbers

LONG_TEXT = ("Disk 97% full on db1; rotate the logs and check the backup job. " * 5)[:300]  # 2 parts


class QuerySmTest(unittest.TestCase):
    def gateway(self, **kw):
        g = Gateway(**kw)
        self.addCleanup(g.stop)
        return g

    def test_messages_without_receipts_are_delivered_by_query_sm(self):
        g = self.gateway(sim_args=["--no-receipts"], connector_extra="query_after = 1")
        port = g.serve()
        to = numbers(3, base=27825550000)
        g.send(port, to[:2], "asked, not told")
        g.send(port, to[2:], LONG_TEXT)
        rows = g.wait_all(to, timeout=30)
        self.assertEqual({m["segments"] for m in rows.values()}, {1, 2})
        # Every part was asked about once, by the id the SMSC gave it, and the answers are kept
        # like receipts.
        ids = {l["message_id"] for l in g.sim.events("submit_sm")}
        asked = [l for l in g.sim.events("query_sm") if l["status"] == "ESME_ROK"]
        self.assertEqual({l["message_id"] for l in asked}, ids)
        self.assertEqual(len(ids), 4)
        self.assertEqual({l["source"] for l in asked}, {"Alerts"})
        self.assertEqual(g.sql("SELECT count(*) FROM delivery_reports WHERE state = 'DELIVRD'"
                               " AND message_id IS NOT NULL"), "4")
        self.assertEqual(g.sql("SELECT count(*) FROM message_parts WHERE query_at IS NOT NULL"), "0")
        g.logs[0].flush()
        with open(g.logs[0].name) as f:
            log = f.read()
        self.assertIn("query_sm: message", log)
        for number in to:
            self.assertNotIn(number, log)  # masked
            self.assertNotIn(number[1:], log)

    def test_a_killed_serve_leaves_unknown_rows_with_session_and_sequence(self):
        g = self.gateway(sim_args=["--never-respond"], connector_extra='unknown_policy = "hold"')
        port = g.serve()
        to = numbers(2, base=27825560000)
        g.send(port, to[:1], LONG_TEXT)
        g.send(port, to[1:], "in flight")
        g.sim.wait_for(lambda l: len(g.sim.events("submit_sm")) >= 3)  # every part is out
        g.procs[0].send_signal(signal.SIGKILL)
        g.procs[0].wait()
        g.serve()  # finds the dead process's `sending` rows: unknown, held
        rows = g.wait_all(to, status="unknown", timeout=30)
        seen = {}
        for l in g.sim.events("submit_sm"):
            seen.setdefault(l["destination"], []).append(l["sequence"])
        for number in to:
            shown = json.loads(g.cli("messages", "show", rows[number]["queue_id"], "--json"))
            self.assertEqual(shown["status"], "unknown")
            parts = shown["parts"]
            self.assertEqual(len(parts), rows[number]["segments"])
            self.assertEqual(len({p["dispatch_session"] for p in parts}), 1)
            self.assertEqual([p["smpp_sequence"] for p in parts], seen[number[1:]])
            self.assertEqual({p["smsc_message_id"] for p in parts}, {""})  # nothing for query_sm
            self.assertNotIn(number, json.dumps(shown))  # masked by default
            text = g.cli("messages", "show", rows[number]["queue_id"])
            self.assertIn("sequence %d" % parts[0]["smpp_sequence"], text)
            self.assertIn("dispatch session %d" % parts[0]["dispatch_session"], text)

    def test_show_says_what_to_do_for_an_unknown_message(self):
        g = self.gateway()
        r = subprocess.run(
            [BINARY, "messages", "show", "NOSUCH", "--config", g.config],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no message with queue id or id 'NOSUCH'", r.stderr)
        self.assertIn("messages list", r.stderr)


if __name__ == "__main__":
    unittest.main()
