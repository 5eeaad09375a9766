"""The load tools behind issue #3's figures (docs/PERFORMANCE.md), checked against a real bridge:
bench/smtp_bench's two engines (a thread per session, and every session on one epoll thread)
each deliver what they say they delivered, count refusals as failures and carry on after them;
and every script under bench/ at least compiles and answers --help."""
import contextlib
import glob
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from harness import ACCOUNT, DOMAIN, Bridge

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "bench")
SMTP_BENCH = os.path.join(os.path.dirname(os.path.abspath(os.environ.get(
    "MAIL2SMS_BIN", os.path.join(HERE, "..", "..", "build", "mail2sms")))), "bench", "smtp_bench")
ENGINES = ("threads", "events")


def smtp_bench(port, *args):
    """smtp_bench run to completion: (its JSON result, its exit status)."""
    r = subprocess.run([SMTP_BENCH, "--port", str(port), *map(str, args)],
                       capture_output=True, text=True, timeout=120)
    if not r.stdout.strip():
        raise AssertionError("smtp_bench printed nothing (%d): %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout), r.returncode


class SmtpBench(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SMTP_BENCH):
            raise RuntimeError("no %s: build with -DMAIL2SMS_BENCH=ON (scripts/build does)" % SMTP_BENCH)
        # Nothing dispatched: each accepted mail stays a queued row to count. The error budget
        # raised: a session of the refusal test makes two mistakes a mail, and a session closed
        # for them would leave its share of the mails to the others in a varying count.
        cls.bridge = Bridge(extra_smtp="max_errors = 1000",
                            extra_config="[dispatch]\nenabled = false\n")
        try:
            cls.bridge.cli("account", "network", "add", ACCOUNT, "127.0.0.1/32")
        except BaseException:
            cls.bridge.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def messages(self):
        return int(self.bridge.sql("SELECT count(*) FROM messages"))

    def test_each_engine_delivers_what_it_counts_at_a_paced_rate(self):
        for n, engine in enumerate(ENGINES):
            with self.subTest(engine=engine), tempfile.TemporaryDirectory() as tmp:
                times = os.path.join(tmp, "times.txt")
                before = self.messages()
                result, status = smtp_bench(
                    self.bridge.smtp_port, "--engine", engine, "--sessions", 4, "--mails", 40,
                    "--rate", 400, "--size", 1024, "--to", "+2782{i}@%s" % DOMAIN,
                    "--to-first", 1000000 + 1000 * n, "--times", times)
                self.assertEqual(status, 0, result)
                self.assertEqual((result["ok"], result["failed"]), (40, 0), result)
                self.assertEqual(self.messages() - before, 40)
                self.assertGreater(result["p99_ms"], 0)
                self.assertGreaterEqual(result["late_max_ms"], 0)
                # 40 mails offered at 400/s take about 0.1 s; without the pacing they would not.
                self.assertGreater(result["seconds"], 0.09, result)
                with open(times) as f:
                    lines = [line.split() for line in f]
                self.assertEqual(sorted(int(line[0]) for line in lines), list(range(40)))
                self.assertTrue(all(len(line) == 3 and float(line[2]) > 0 for line in lines))

    def test_each_engine_reports_mails_that_waited_for_a_free_session(self):
        # One session offered 100 mails at 100,000/s: the last is due 1 ms after the start, and
        # no server that commits each answers 99 in 1 ms, so the late ones must show as late.
        for engine in ENGINES:
            with self.subTest(engine=engine):
                result, status = smtp_bench(
                    self.bridge.smtp_port, "--engine", engine, "--sessions", 1, "--mails", 100,
                    "--rate", 100000, "--to", "+2782{i}@%s" % DOMAIN,
                    "--to-first", 3000000 + 1000 * ENGINES.index(engine))
                self.assertEqual((status, result["ok"]), (0, 100), result)
                self.assertGreater(result["late_max_ms"], 1, result)
                self.assertGreaterEqual(result["late_max_ms"], result["late_p99_ms"], result)

    def test_each_engine_counts_refusals_as_failures_and_goes_on(self):
        for engine in ENGINES:
            with self.subTest(engine=engine):
                before = self.messages()
                result, status = smtp_bench(
                    self.bridge.smtp_port, "--engine", engine, "--sessions", 3, "--mails", 12,
                    "--to", "+27821234567@not-ours.example")
                self.assertEqual(status, 1, result)
                self.assertEqual((result["ok"], result["failed"]), (0, 12), result)
                self.assertTrue(result["first_failure"].startswith("envelope: "), result)
                self.assertEqual(self.messages(), before)

    def test_a_failed_login_still_prints_the_result(self):
        # A port with nothing listening: the login fails for every session, and the JSON says so.
        result, status = smtp_bench(1, "--engine", "events", "--sessions", 2, "--mails", 4)
        self.assertEqual(status, 1)
        self.assertEqual((result["ok"], result["failed"]), (0, 2), result)
        self.assertIn("login: connect", result["first_failure"])

    def test_unknown_engine_is_a_usage_error(self):
        r = subprocess.run([SMTP_BENCH, "--port", "25", "--engine", "fibres"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--engine is threads or events", r.stderr)


def smtp_compare_module():
    """bench/smtp_compare.py imported, for its report functions."""
    if BENCH not in sys.path:
        sys.path.insert(0, BENCH)
    import smtp_compare
    return smtp_compare


def latency(p99, replies, late_p99=0.0, failed=0):
    """A latency run's result as smtp_compare keeps it."""
    return {"offered_rate": 100, "at_sessions": 1, "rate": 100, "p50_ms": 1.0, "p99_ms": p99,
            "late_p99_ms": late_p99, "late_max_ms": late_p99, "failed": failed,
            "latencies_ms": replies}


class CompareReport(unittest.TestCase):
    """What bench/smtp_compare.py prints from its measurements, on measurements made up here."""

    def report(self, function, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            function(*args)
        return out.getvalue()

    def test_percentile_ranks_as_smtp_bench_does(self):
        m = smtp_compare_module()
        values = [float(x) for x in range(1, 101)]
        self.assertEqual(m.percentile(values, 99), 99.0)  # rank 0.99 * 99 + 0.5 = 98
        self.assertEqual(m.percentile(values, 50), 51.0)  # rank 50 (49.5 rounds up)
        self.assertEqual(m.percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 50), 4.0)  # rank 2.5 -> 3, not 2
        self.assertEqual(m.percentile([7.0], 99), 7.0)
        self.assertTrue(m.percentile([], 99) != m.percentile([], 99))  # NaN

    def test_the_rounds_replies_are_pooled_for_one_p99(self):
        m = smtp_compare_module()
        # Four quiet rounds and one with a stall: that round's own p99 is 40 ms, the pooled
        # replies' p99 is what all five rounds' mails saw.
        quiet = [1.0] * 99 + [5.0]
        stalled = [1.0] * 90 + [40.0] * 10
        rounds = [({"mail2sms": {1: 100.0}}, {"mail2sms": latency(5.0, quiet)}) for _ in range(4)]
        rounds.append(({"mail2sms": {1: 90.0}}, {"mail2sms": latency(40.0, stalled)}))
        self.assertEqual(len(m.pooled(rounds, "mail2sms")), 500)
        text = self.report(m.print_medians, ["mail2sms"], [1], rounds)
        self.assertIn("all 500 replies of the 5 latency runs together: p50 1.00 ms, p99 40.00 ms", text)
        self.assertIn("under 20 ms in 4 of 5; over all 5 rounds' replies together 40.00 ms", text)
        # 10 slow mails of 500 are 2 %: the pooled p99 is slow. With 4 of 500 it is the quiet
        # rounds' slowest (5 ms, one in each).
        rounds[-1][1]["mail2sms"]["latencies_ms"] = [1.0] * 96 + [40.0] * 4
        text = self.report(m.print_medians, ["mail2sms"], [1], rounds)
        self.assertIn("over all 5 rounds' replies together 5.00 ms", text)

    def test_a_round_says_when_mails_waited_or_failed(self):
        m = smtp_compare_module()
        rates = {"mail2sms": {1: 100.0}}
        self.assertNotIn("latency run", self.report(
            m.print_round, ["mail2sms"], [1], rates, {"mail2sms": latency(5.0, [], late_p99=0.4)}))
        text = self.report(m.print_round, ["mail2sms"], [1], rates,
                           {"mail2sms": latency(5.0, [], late_p99=2.5)})
        self.assertIn("mail2sms's latency run: 0 failed; p99 2.50 ms, at most 2.50 ms between", text)
        text = self.report(m.print_round, ["mail2sms"], [1], rates,
                           {"mail2sms": latency(5.0, [], failed=3)})
        self.assertIn("mail2sms's latency run: 3 failed", text)

    def test_a_short_run_of_two_rounds_reports_every_reply(self):
        # The script itself, end to end, small: its own bridge and smtp-sink, one session, two
        # rounds. Each latency run sends at least 1,000 mails, so the pooled figures count 2,000.
        # The build under test: its smtp_bench and serve, wherever ctest's build directory is.
        env = dict(os.environ, MAIL2SMS_BENCH_BUILD=os.path.dirname(os.path.dirname(SMTP_BENCH)))
        r = subprocess.run([sys.executable, os.path.join(BENCH, "smtp_compare.py"), "--only", "mail2sms",
                            "--only", "smtp-sink", "--sessions", "1", "--rounds", "2", "--scale", "0.05",
                            "--no-idle", "--wal-reserve", "0"],
                           capture_output=True, text=True, timeout=400, env=env)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertEqual(r.stdout.count("| mail2sms | "), 2, r.stdout)
        self.assertIn("## Medians over 2 rounds", r.stdout)
        self.assertNotRegex(r.stdout, r"latency run: [1-9]\d* failed")  # no run lost a mail
        pooled = re.search(r"mail2sms: 1 sessions \d+/s; .*all (\d+) replies of the 2 latency runs", r.stdout)
        self.assertIsNotNone(pooled, r.stdout)
        self.assertGreaterEqual(int(pooled.group(1)), 2000)  # at least 1,000 mails a run
        self.assertRegex(r.stdout, r"over all 2 rounds' replies together \d+\.\d\d ms")


class BenchScripts(unittest.TestCase):
    def test_every_script_compiles_and_answers_help(self):
        scripts = sorted(glob.glob(os.path.join(BENCH, "*.py")))
        self.assertGreater(len(scripts), 3)
        for script in scripts:
            with self.subTest(script=os.path.basename(script)):
                with open(script) as f:
                    compile(f.read(), script, "exec")
                r = subprocess.run([sys.executable, script, "--help"], capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("usage", r.stdout.lower())


if __name__ == "__main__":
    unittest.main()
