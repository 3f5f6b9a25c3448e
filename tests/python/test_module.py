"""`import tokenmath` (issue 12's Python module): results are the CLI's --format json documents as dicts."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import tokenmath

BIN = os.environ["TOKENMATH_BIN"]


def cli_json(*args):
    return json.loads(subprocess.run([BIN, *args, "--format", "json"], check=True, capture_output=True, text=True).stdout)


class ModuleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ctx = tokenmath.Context()

    def test_records_match_the_cli(self):
        self.assertEqual(self.ctx.models(), cli_json("models"))
        self.assertEqual(self.ctx.gpus(), cli_json("gpus"))

    def test_default_plan_matches_the_cli(self):
        self.assertEqual(self.ctx.plan(), cli_json("plan"))

    def test_perf_and_plan_overlay(self):
        p = self.ctx.perf(model="gpt-oss-120b", gpu="h200", min_tok_s_user=50)
        self.assertEqual(p, cli_json("perf", "--model", "gpt-oss-120b", "--gpu", "h200", "--min-tok-s-user", "50"))
        small = self.ctx.plan({"demand": {"engineers": 10}})
        self.assertAlmostEqual(small["demand"]["budget_usd_per_year"], 10 * 250000.0)

    def test_simulate_from_a_dict(self):
        r = self.ctx.simulate({"model": "llama-3.1-8b", "deployment": {"gpu": "h100"},
                               "workload": {"arrival": {"kind": "poisson", "rate_per_s": 2},
                                            "input_tokens": {"kind": "fixed", "value": 200},
                                            "output_tokens": {"kind": "fixed", "value": 20}, "requests": 50}})
        self.assertEqual(r["summary"]["requests_finished"], 50)

    def test_bad_input_raises_value_error_naming_the_option(self):
        with self.assertRaisesRegex(ValueError, "isl"):
            self.ctx.perf(model="gpt-oss-120b", gpu="h200", isl=-1)
        # The same declaration as the CLI flags and the HTTP body: whole numbers, ranges, unknown keywords.
        with self.assertRaisesRegex(ValueError, r"<arguments>: tp: value '0\.5': must be a whole number in \[1, 4096\]"):
            self.ctx.perf(model="gpt-oss-120b", gpu="h200", tp=0.5)
        with self.assertRaisesRegex(ValueError, "unknown perf option; did you mean 'tp'"):
            self.ctx.perf(model="gpt-oss-120b", gpu="h200", tpo=2)
        with self.assertRaisesRegex(ValueError, "unknown model"):
            self.ctx.model("no-such-model")
        # Scenario text gets the same nesting cap as a scenario file (checked where text is parsed).
        with self.assertRaisesRegex(ValueError, "nested deeper than"):
            self.ctx.plan("demand: " + "[" * 100000 + "]" * 100000)

    def test_two_contexts_with_different_data_coexist(self):
        src = os.environ["TOKENMATH_DATA"]
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "data")
            shutil.copytree(src, data)
            path = os.path.join(data, "gpus.yaml")
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("mem_tb_s: 3.35", "mem_tb_s: 6.7", 1))
            other = tokenmath.Context(data)
            mine = {g["id"]: g for g in self.ctx.gpus()}["h100-sxm"]["mem_tb_s"]
            theirs = {g["id"]: g for g in other.gpus()}["h100-sxm"]["mem_tb_s"]
            self.assertEqual((mine, theirs), (3.35, 6.7))


if __name__ == "__main__":
    unittest.main()
