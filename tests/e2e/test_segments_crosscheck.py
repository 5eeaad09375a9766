"""Cross-check of `mail2sms sms encode` against an implementation nobody here wrote: the npm
package sms-segments-calculator 1.3.0 (Twilio's). It too keeps grapheme clusters whole (it splits
with grapheme-splitter), so encoding and segment count agree for every text here, with one listed
exception (DIFFERENCES): a single grapheme longer than a whole part, which the calculator counts
as one overfull segment and mail2sms cuts between code points so every part fits 140 octets.
docs/SMS.md lists the differences and why.
"""
import json
import os
import subprocess
import unittest

from harness import BINARY

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(HERE, "..", "node_modules")

ZHE = "\u0416"
FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # 8 UTF-16 units, one grapheme
FLAG = "\U0001F1FF\U0001F1E6"                          # 4 units
THUMB = "\U0001F44D\U0001F3FF"                         # 4 units

TEXTS = [
    "",
    "Hello",
    "a" * 160,
    "a" * 161,
    "a" * 306,
    "a" * 307,
    "a" * 459,
    "a" * 460,
    "{" * 80,
    "{" * 81,
    "a" * 152 + "{",
    "a" * 153 + "{" + "b" * 10,
    "Price 10\u20ac, [ok] ~ | ^ \\ \f",
    "Server db1 is DOWN\nsince 03:12 (load 12.5)",
    "\u00e9\u00e8\u00f9\u00ec\u00f2\u00c7\u00d8\u00f8\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9",
    ZHE * 70,
    ZHE * 71,
    ZHE * 134,
    ZHE * 135,
    "\U0001F600" * 35,
    "\U0001F600" * 36,
    ZHE * 66 + "\U0001F600" + ZHE * 10,
    "Caf\u00e9 \u00e7a va",
    "\u4f60\u597d\uff0c\u4e16\u754c" * 20,
    "\u0645\u0631\u062d\u0628\u0627 " * 30,
    # Grapheme clusters that straddle a part boundary:
    ZHE * 65 + FAMILY + "x" * 10,
    ZHE * 66 + FLAG + ZHE * 60,
    ZHE * 65 + THUMB + ZHE * 5,
    FAMILY * 20,
    "e\u0301" * 100,
    "a" * 152 + "\r\n" + "b" * 10,
    # One grapheme of 201 UTF-16 units: no part can hold it.
    "a" + "\u0301" * 200,
]

# Text index -> (mail2sms's segments, the calculator's segments) where they legitimately differ.
DIFFERENCES = {
    # The calculator puts the whole cluster in one segment of 201 units (402 octets); mail2sms
    # cuts it between code points into 67 + 67 + 67 units.
    TEXTS.index("a" + "\u0301" * 200): (3, 2),
}


def mail2sms(text, *flags):
    r = subprocess.run([BINARY, "sms", "encode", "--json", *flags], input=text.encode("utf-8"),
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(r.stderr.decode())
    out = json.loads(r.stdout)
    return {"encoding": out["encoding"], "segments": out["segments"]}


def calculator(texts, smart=False):
    r = subprocess.run(["node", os.path.join(HERE, "segments_calculator.js")] + (["smart"] if smart else []),
                       input=json.dumps(texts).encode(), capture_output=True, timeout=60,
                       env=dict(os.environ, NODE_PATH=NODE_MODULES))
    if r.returncode != 0:
        raise AssertionError(r.stderr.decode())
    return json.loads(r.stdout)


class SegmentsCrossCheckTest(unittest.TestCase):
    def test_same_encoding_and_segments_without_smart_gsm(self):
        theirs = calculator(TEXTS)
        for i, text in enumerate(TEXTS):
            ours = mail2sms(text, "--no-smart")
            with self.subTest(i=i, text=text[:40]):
                self.assertEqual(ours["encoding"], theirs[i]["encoding"])
                if i in DIFFERENCES:
                    self.assertEqual((ours["segments"], theirs[i]["segments"]), DIFFERENCES[i])
                else:
                    self.assertEqual(ours["segments"], theirs[i]["segments"])

    def test_smart_gsm_agrees_where_both_replace_the_same_characters(self):
        texts = [
            "It\u2019s \u201cdone\u201d \u2013 ok",
            "a" * 150 + "\u2019",
            "Price\u00a010\u20ac \u2014 now",
            "wait\u2026",
            "tab\there",
            "a\u00a0b",
        ]
        theirs = calculator(texts, smart=True)
        for i, text in enumerate(texts):
            with self.subTest(text=text[:40]):
                self.assertEqual(mail2sms(text), theirs[i])


if __name__ == "__main__":
    unittest.main()
