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

    def test_unknown_subcommand_is_a_usage_error(self):
        r = run("sned")
        self.assertEqual(r.returncode, 2)

    def test_account_add_without_password_stdin_says_what_to_do(self):
        r = run("account", "add", "x", "--config", "/nonexistent.toml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--password-stdin", r.stderr)


if __name__ == "__main__":
    unittest.main()
