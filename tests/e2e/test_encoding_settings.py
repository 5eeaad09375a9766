"""End to end: an account's national language table and concatenation reference width. Set with
`account set`, they shape the parts at acceptance; what reads the parts back (the SMPP simulator
through UDH or SAR concatenation, the file connector) gets exactly the text that was mailed."""
import base64
import json
import os
import subprocess
import time
import unittest
import uuid

from harness import BINARY, DOMAIN, Bridge, Simulator
from test_send import logged_in

SECRET = "s3cret horse staple"

# Turkish with s-cedilla, g-breve, dotless i and dotted capital I: UCS-2 in the default alphabet.
TURKISH = ("Şişli'de buluşalım, sağ ol. İstanbul'da yağmur var; "
           "Ağaçlı yolu kapalı, Işık Sokağı'ndan geçin. Görüşürüz!")

UDH_NUMBER = "+27821230001"   # through the smpp connector "sim" (concatenation in the UDH)
REF16_NUMBER = "+27821230002"  # the same connector
SAR_NUMBER = "+27841230001"   # through "sar", a second simulator (concatenation in SAR TLVs)
FILE_NUMBER = "+27831230001"  # through the file connector "outbox"


def mail(text, subject="alert"):
    """A UTF-8 mail, base64 so no transport can touch its bytes."""
    body = base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
    return ("From: ops@example.com\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s" % (subject, uuid.uuid4(), body))


def elements(udh_hex):
    """The information elements of a UDH (hex, UDHL first) as {IEI: value bytes}."""
    udh = bytes.fromhex(udh_hex)
    out, i = {}, 1
    while i + 2 <= len(udh):
        iei, length = udh[i], udh[i + 1]
        out[iei] = udh[i + 2:i + 2 + length]
        i += 2 + length
    return out


class EncodingSettingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sar_sim = Simulator()
        try:
            cls.bridge = Bridge(extra_config=f"""
[[connector]]
name = "sar"
type = "smpp"
host = "127.0.0.1"
port = {cls.sar_sim.port}
system_id = "mail2sms"
password = "simpw"
source = "Alerts"
concatenation = "sar"

[[connector]]
name = "outbox"
type = "file"
path = "outbox.jsonl"

[[route]]
prefix = "+2784"
connector = "sar"

[[route]]
prefix = "+2783"
connector = "outbox"
""")
        except BaseException:
            cls.sar_sim.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()
        cls.sar_sim.stop()

    def new_account(self, *settings):
        name = "enc-" + uuid.uuid4().hex[:10]
        self.bridge.cli("account", "add", name, "--password-stdin", "--country", "ZA",
                        "--credit", "1000", input=SECRET + "\n")
        for key, value in settings:
            self.bridge.cli("account", "set", name, key, value)
        return name

    def send(self, name, number, text):
        with logged_in(self.bridge.smtp_port, name, SECRET) as client:
            client.sendmail("ops@example.com", ["%s@%s" % (number, DOMAIN)], mail(text))

    def encode(self, text, *flags):
        # `sms encode` needs no database, so no --config.
        r = subprocess.run([BINARY, "sms", "encode", "--json", *flags], input=text,
                           capture_output=True, text=True, timeout=60, check=True)
        return json.loads(r.stdout)

    def submits_to(self, sim, number):
        return [e for e in sim.events("submit_sm") if e["destination"] == number.lstrip("+")]

    def test_settings_are_shown_validated_and_exported(self):
        name = self.new_account()
        shown = json.loads(self.bridge.cli("account", "show", name, "--json").stdout)["settings"]
        self.assertEqual((shown["national-language"], shown["concatenation-reference"]), ("none", 8))
        self.bridge.cli("account", "set", name, "national-language", "spanish")
        self.bridge.cli("account", "set", name, "concatenation-reference", "16")
        text = self.bridge.cli("account", "show", name).stdout
        self.assertRegex(text, r"\n  national-language +spanish\n")
        self.assertRegex(text, r"\n  concatenation-reference +16-bit\n")
        bad = self.bridge.cli("account", "set", name, "national-language", "greek", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("none, turkish, spanish or portuguese", bad.stderr)
        bad = self.bridge.cli("account", "set", name, "concatenation-reference", "12", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("8 or 16", bad.stderr)
        exported = json.loads(self.bridge.cli("account", "export", name).stdout)["account"]
        self.assertEqual((exported["national_language"], exported["concatenation_reference"]),
                         ("spanish", 16))

    def test_mail_render_uses_the_accounts_table_and_reference(self):
        name = self.new_account(("national-language", "turkish"), ("concatenation-reference", "16"))
        raw = mail(TURKISH * 3)
        rendered = json.loads(self.bridge.cli("mail", "render", "--account", name, "--json",
                                              input=raw).stdout)
        self.assertEqual(rendered["encoding"], "gsm7")
        self.assertEqual(rendered["national_language"], "turkish")
        self.assertEqual(rendered["concatenation_reference"], 16)
        self.assertNotEqual((rendered["locking_shift"], rendered["single_shift"]), ("none", "none"))
        self.assertGreater(len(rendered["parts"]), 1)
        for part in rendered["parts"]:
            self.assertIn(0x08, elements(part["udh"]), part["udh"])
        text = self.bridge.cli("mail", "render", "--account", name, input=raw).stdout
        self.assertIn("national: turkish (tables used:", text)
        self.assertIn("concat:   16-bit reference (IEI 0x08)", text)

    def test_turkish_account_sends_turkish_text_in_gsm_in_fewer_parts(self):
        ucs2 = self.encode(TURKISH)
        self.assertEqual(ucs2["encoding"], "ucs2")  # what an account without the setting sends
        expected = self.encode(TURKISH, "--national", "turkish")
        self.assertEqual(expected["encoding"], "gsm7")
        self.assertLess(expected["segments"], ucs2["segments"])

        name = self.new_account(("national-language", "turkish"))
        self.send(name, UDH_NUMBER, TURKISH)
        whole = self.bridge.sim.wait_for(
            lambda l: l.get("event") == "message" and l["destination"] == UDH_NUMBER[1:])
        self.assertEqual(whole["text"], TURKISH)
        self.assertEqual(whole["data_coding"], 0)
        self.assertEqual(whole["parts"], expected["segments"])
        for submit in self.submits_to(self.bridge.sim, UDH_NUMBER):
            self.assertEqual(submit["data_coding"], 0)
            self.assertTrue(submit["esm_class"] & 0x40)
            tables = elements(submit["udh"])
            # IEI 0x24 (single shift) and/or 0x25 (locking shift), language 1: Turkish.
            self.assertTrue({0x24, 0x25} & tables.keys(), submit["udh"])
            for iei in {0x24, 0x25} & tables.keys():
                self.assertEqual(tables[iei], b"\x01")

    def test_16_bit_reference_account_sends_three_parts_with_iei_8(self):
        text = " ".join("line %03d of the nightly backup report" % i for i in range(11))[:420]
        name = self.new_account(("concatenation-reference", "16"))
        self.send(name, REF16_NUMBER, text)
        number = REF16_NUMBER[1:]
        whole = self.bridge.sim.wait_for(
            lambda l: l.get("event") == "message" and l["destination"] == number)
        self.assertEqual(whole["text"], text)
        self.assertEqual(whole["parts"], 3)
        submits = [e for e in self.bridge.sim.events("submit_sm") if e["destination"] == number]
        self.assertEqual(len(submits), 3)
        references = set()
        for seq, submit in enumerate(submits, 1):
            concat = elements(submit["udh"])
            self.assertIn(0x08, concat, submit["udh"])
            self.assertNotIn(0x00, concat, submit["udh"])
            self.assertEqual(concat[0x08][2:], bytes([3, seq]))
            references.add(concat[0x08][:2])
        self.assertEqual(len(references), 1)

    def test_sar_mode_carries_the_reference_in_tlvs_and_the_tables_in_a_udh(self):
        text = TURKISH * 3
        expected = self.encode(text, "--national", "turkish", "--ref16")
        self.assertGreater(expected["segments"], 1)
        name = self.new_account(("national-language", "turkish"), ("concatenation-reference", "16"))
        self.send(name, SAR_NUMBER, text)
        whole = self.sar_sim.wait_for(
            lambda l: l.get("event") == "message" and l["destination"] == SAR_NUMBER[1:])
        self.assertEqual(whole["text"], text)
        self.assertEqual(whole["parts"], expected["segments"])
        for submit in self.submits_to(self.sar_sim, SAR_NUMBER):
            tables = elements(submit["udh"])
            self.assertTrue({0x24, 0x25} & tables.keys(), submit["udh"])
            self.assertFalse({0x00, 0x08} & tables.keys(), submit["udh"])  # the TLVs carry it

    def test_file_connector_writes_the_text_back_from_national_16_bit_parts(self):
        text = TURKISH * 2
        name = self.new_account(("national-language", "turkish"), ("concatenation-reference", "16"))
        self.send(name, FILE_NUMBER, text)
        path = os.path.join(self.bridge.dir, "outbox.jsonl")
        line = None
        deadline = time.monotonic() + 30
        while line is None and time.monotonic() < deadline:  # the dispatcher writes it soon
            if os.path.exists(path):
                with open(path) as f:
                    lines = [json.loads(l) for l in f if l.strip()]
                line = next((l for l in lines if l["recipient"] == FILE_NUMBER), None)
            if line is None:
                time.sleep(0.05)
        self.assertIsNotNone(line, "nothing written to %s" % path)
        self.assertEqual(line["encoding"], "gsm7")
        self.assertEqual(line["text"], text)
        self.assertGreater(len(line["parts"]), 1)
        self.assertEqual("".join(p["text"] for p in line["parts"]), text)
        for part in line["parts"]:
            udh = elements(part["udh"])
            self.assertIn(0x08, udh)
            self.assertTrue({0x24, 0x25} & udh.keys(), part["udh"])


if __name__ == "__main__":
    unittest.main()
