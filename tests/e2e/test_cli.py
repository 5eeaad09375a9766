"""The offline subcommands a user runs to see what a text or a mail becomes."""
import json
import subprocess
import unittest

from harness import BINARY


def run(*args, input=""):
    return subprocess.run([BINARY, *args], input=input, capture_output=True, text=True, timeout=60)


class SmsEncodeTest(unittest.TestCase):
    def test_gsm_single_part_json(self):
        r = run("sms", "encode", "--json", input="Hello {world}\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["encoding"], "gsm7")
        self.assertEqual(out["units"], 15)  # { and } are escape pairs: 2 septets each
        self.assertEqual(out["segments"], 1)
        self.assertEqual(out["parts"][0]["text"], "Hello {world}")

    def test_ucs2_multipart_text(self):
        r = run("sms", "encode", input="Ж" * 71)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("encoding: ucs2", r.stdout)
        self.assertIn("segments: 2", r.stdout)

    def test_mail_render(self):
        mail = "Subject: Alert\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCPU at 99%\r\n"
        r = run("mail", "render", "--json", input=mail)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["text"], "CPU at 99%")

    def test_mail_render_explains_what_forced_ucs2(self):
        mail = ("Subject: Alert\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + "Disk full on web1. " * 7 + "\U0001F6A8\r\n\r\nSent from my iPhone\r\n")
        r = run("mail", "render", "--json", input=mail)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["text"], ("Disk full on web1. " * 7).strip() + " \U0001F6A8")
        self.assertEqual(out["encoding"], "ucs2")
        self.assertEqual(out["segments"], 3)
        self.assertEqual([c["code_point"] for c in out["forcing_ucs2"]], ["U+1F6A8"])
        self.assertEqual(out["segments_if_replaced"], 1)
        self.assertEqual(out["source"], "text/plain")
        r = run("mail", "render", input=mail)
        self.assertIn("UCS-2 because of", r.stdout)
        self.assertIn("replacing them: 1 segment(s) instead of 3", r.stdout)

    def test_mail_render_account_text_options(self):
        mail = ("Subject: Alarm\r\n\r\nPump 3 failed\r\n##\r\nticket notes\r\n"
                "This e-mail is confidential.\r\n")
        r = run("mail", "render", "--json", "--end-marker", "##", "--subject-policy",
                "subject-and-body", input=mail)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["text"], "Alarm\nPump 3 failed")
        r = run("mail", "render", "--json", "--disclaimer", "is confidential", input=mail)
        self.assertEqual(json.loads(r.stdout)["text"], "Pump 3 failed\n##\nticket notes")
        r = run("mail", "render", "--disclaimer", "(unclosed", input=mail)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a regular expression", r.stderr)

    def test_sms_encode_smart_gsm_and_no_smart(self):
        r = run("sms", "encode", "--json", input="It\u2019s done\n")
        out = json.loads(r.stdout)
        self.assertEqual((out["encoding"], out["text"]), ("gsm7", "It's done"))
        self.assertEqual(out["replaced"][0]["code_point"], "U+2019")
        r = run("sms", "encode", "--json", "--no-smart", input="It\u2019s done\n")
        self.assertEqual(json.loads(r.stdout)["encoding"], "ucs2")

    def test_unknown_subcommand_is_a_usage_error(self):
        r = run("sned")
        self.assertEqual(r.returncode, 2)

    def test_account_add_without_password_stdin_says_what_to_do(self):
        r = run("account", "add", "x", "--config", "/nonexistent.toml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--password-stdin", r.stderr)


if __name__ == "__main__":
    unittest.main()
