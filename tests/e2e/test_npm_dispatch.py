"""End to end against the npm `smpp` package as the SMSC (npm_smsc.js): delivery receipts for
multipart messages by UDH and by SAR TLVs (receipts in TLVs, and in text only with the ids in
decimal where submit_sm_resp gave hex), a transmitter + receiver pair, and throttling. Every
message must end `delivered`."""
import unittest

from test_dispatch import LONG_TEXT, Gateway, numbers
from test_npm_peer import NpmSmsc


class NpmDispatchTest(unittest.TestCase):
    def gateway(self, options, connector_extra=""):
        g = Gateway(smsc=NpmSmsc(options=options), connector_extra=connector_extra)
        self.addCleanup(g.stop)
        return g

    def per_destination(self, g):
        counts = {}
        for l in g.sim.events("submit_sm"):
            counts[l["destination_addr"]] = counts.get(l["destination_addr"], 0) + 1
        return counts

    def test_udh_multipart_with_tlv_receipts_is_delivered(self):
        g = self.gateway(["--receipts", "tlv"])
        port = g.serve()
        to = numbers(10)
        g.send(port, to, LONG_TEXT)
        g.wait_all(to)
        submits = g.sim.events("submit_sm")
        self.assertEqual(len(submits), 20)
        self.assertTrue(all(l["esm_class"] & 0x40 for l in submits))  # UDHI
        self.assertEqual(set(self.per_destination(g).values()), {2})
        acks = g.sim.events("deliver_sm_resp")
        self.assertEqual(len(acks), 20)
        self.assertTrue(all(a["command_status"] == 0 for a in acks))  # acknowledged once stored

    def test_sar_multipart_with_text_receipts_in_decimal_ids_is_delivered(self):
        g = self.gateway(["--receipts", "decimal-text"],
                         'concatenation = "sar"\nsubmit_id_format = "hex"\nreceipt_id_format = "decimal"')
        port = g.serve()
        to = numbers(10)
        g.send(port, to, LONG_TEXT)
        g.wait_all(to)
        submits = g.sim.events("submit_sm")
        self.assertEqual(len(submits), 20)
        for l in submits:
            self.assertEqual(l["esm_class"], 0)
            self.assertEqual(l["sar_total_segments"], 2)
            self.assertIn(l["sar_segment_seqnum"], (1, 2))
        refs = {(l["destination_addr"], l["sar_msg_ref_num"]) for l in submits}
        self.assertEqual(len(refs), 10)  # both parts of a message share its reference

    def test_a_transmitter_pair_and_a_receiver_get_every_receipt_over_the_receiver(self):
        g = self.gateway(["--receipts", "tlv"], 'bind = "pair"\nbinds = 2')
        port = g.serve()
        to = numbers(10)
        g.send(port, to, LONG_TEXT)
        g.wait_all(to)
        binds = [l for l in g.sim.events("bind") if l["accepted"]]
        self.assertEqual(sorted(l["command"] for l in binds),
                         ["bind_receiver", "bind_transmitter", "bind_transmitter"])
        receiver = {l["peer"] for l in binds if l["command"] == "bind_receiver"}
        acks = g.sim.events("deliver_sm_resp")
        self.assertEqual(len(acks), 20)
        self.assertTrue(all(a["peer"] in receiver and a["command_status"] == 0 for a in acks), acks)
        self.assertEqual(set(self.per_destination(g).values()), {2})

    def test_throttling_by_the_npm_smsc_delays_but_delivers_everything(self):
        g = self.gateway(["--receipts", "tlv", "--throttle-every", "6"])
        port = g.serve()
        to = numbers(40)
        g.send(port, to, "throttled by npm")
        g.wait_all(to)
        self.assertGreater(len(g.sim.events("throttled")), 3)
        self.assertEqual(set(self.per_destination(g).values()), {1})


if __name__ == "__main__":
    unittest.main()
