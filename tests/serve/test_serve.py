"""`tokenmath serve` over loopback (issue 12): the JSON API is the CLI's --format json, bad input is HTTP 400 with a
one-line message, bodies are capped, concurrent requests are all answered (run under ASan by `./test.sh dev`)."""
import concurrent.futures
import json
import os
import subprocess
import time
import unittest
import urllib.error
import urllib.request

BIN = os.environ["TOKENMATH_BIN"]


def cli_json(*args):
    return json.loads(subprocess.run([BIN, *args, "--format", "json"], check=True, capture_output=True, text=True).stdout)


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen([BIN, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()  # "tokenmath serve: http://127.0.0.1:PORT/ (API: /api)"
        cls.base = line.split()[2].rstrip("/")

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=30)

    def call(self, path, body=None, method=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        # A typed body: Debian's cpp-httplib (a compiled library) caps form-encoded bodies, urllib's default, at 8 KiB.
        req = urllib.request.Request(self.base + path, data=data, method=method or ("GET" if body is None else "POST"),
                                     headers={} if body is None else {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_api_lists_endpoints_with_schemas(self):
        status, body = self.call("/api")
        self.assertEqual(status, 200)
        j = json.loads(body)
        paths = {e["path"] for e in j["endpoints"]}
        self.assertTrue({"/api/models", "/api/gpus", "/api/perf", "/api/simulate", "/api/plan", "/"} <= paths)
        self.assertIn("plan", j["schemas"])

    def test_json_is_the_cli_json(self):
        self.assertEqual(json.loads(self.call("/api/models")[1]), cli_json("models"))
        self.assertEqual(json.loads(self.call("/api/gpus")[1]), cli_json("gpus"))
        status, body = self.call("/api/plan", b"")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), cli_json("plan"))
        status, body = self.call("/api/perf", {"model": "gpt-oss-120b", "gpu": "h200", "min_tok_s_user": 50})
        self.assertEqual(json.loads(body), cli_json("perf", "--model", "gpt-oss-120b", "--gpu", "h200",
                                                    "--min-tok-s-user", "50"))

    def test_bad_input_is_400_with_one_line(self):
        status, body = self.call("/api/perf", {"model": "gpt-oss-120b", "gpu": "h200", "isl": -1})
        self.assertEqual(status, 400)
        self.assertIn("isl", json.loads(body)["error"])
        status, body = self.call("/api/plan", b"demand:\n  engineers: many\n")
        self.assertEqual(status, 400)
        self.assertIn("demand.engineers", json.loads(body)["error"])
        status, body = self.call("/api/simulate", b"model: llama-3.1-8b\n")
        self.assertEqual(status, 400)
        # Perf options are checked against the one declaration the CLI's flags come from (schema `perf`).
        status, body = self.call("/api/perf", {"model": "gpt-oss-120b", "gpu": "h200", "tp": 1.5})
        self.assertEqual(status, 400)
        self.assertIn("tp: value '1.5': must be a whole number in [1, 4096]", json.loads(body)["error"])
        status, body = self.call("/api/perf", {"model": "gpt-oss-120b", "gpu": "h200", "islx": 5})
        self.assertEqual(status, 400)
        self.assertIn("did you mean 'isl'", json.loads(body)["error"])
        status, _ = self.call("/api/perf", b"x" * (2 << 20))
        self.assertEqual(status, 413)

    def test_simulation_in_the_body(self):
        scenario = {"model": "llama-3.1-8b", "deployment": {"gpu": "h100"},
                    "workload": {"arrival": {"kind": "poisson", "rate_per_s": 2},
                                 "input_tokens": {"kind": "fixed", "value": 200},
                                 "output_tokens": {"kind": "fixed", "value": 20}, "requests": 50}}
        status, body = self.call("/api/simulate", scenario)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["summary"]["requests_finished"], 50)

    def test_simulation_job_reports_progress_and_can_be_cancelled(self):
        small = {"model": "llama-3.1-8b", "deployment": {"gpu": "h100"},
                 "workload": {"arrival": {"kind": "poisson", "rate_per_s": 2},
                              "input_tokens": {"kind": "fixed", "value": 200},
                              "output_tokens": {"kind": "fixed", "value": 20}, "requests": 50}}
        status, body = self.call("/api/simulate/jobs", small)
        self.assertEqual(status, 202)
        job = json.loads(body)
        for _ in range(600):
            job = json.loads(self.call(job["url"])[1])
            if job["state"] != "running":
                break
            time.sleep(0.05)
        self.assertEqual(job["state"], "done")
        self.assertEqual(job["progress"], 1.0)
        self.assertEqual(job["result"]["summary"]["requests_finished"], 50)
        # A long run (the serve bound, 200,000 requests at saturation) is cancelled: its partial result is kept.
        long = json.loads(json.dumps(small))
        long["workload"]["requests"] = 200000
        long["workload"]["arrival"] = {"kind": "poisson", "rate_per_s": 400}
        status, body = self.call("/api/simulate/jobs", long)
        self.assertEqual(status, 202)
        url = json.loads(body)["url"]
        status, body = self.call(url, method="DELETE")
        self.assertEqual(status, 200)
        for _ in range(600):
            job = json.loads(self.call(url)[1])
            if job["state"] != "running":
                break
            time.sleep(0.05)
        self.assertEqual(job["state"], "cancelled")
        self.assertLess(job["result"]["summary"]["requests_finished"], 200000)
        self.assertEqual(self.call("/api/simulate/jobs/999999")[0], 404)
        status, body = self.call("/api/simulate/jobs", b"model: llama-3.1-8b\n")
        self.assertEqual(status, 202)  # accepted; the scenario error is the job's
        url = json.loads(body)["url"]
        for _ in range(600):
            job = json.loads(self.call(url)[1])
            if job["state"] != "running":
                break
            time.sleep(0.05)
        self.assertEqual(job["state"], "failed")
        self.assertIn("deployment", job["error"])

    def test_plan_downloads_as_html_yaml_and_md(self):
        body = {"demand": {"engineers": 500}}
        status, html = self.call("/api/plan?format=html", body)
        self.assertEqual(status, 200)
        self.assertIn("<svg", html.decode())
        status, yaml_text = self.call("/api/plan?format=yaml", body)
        self.assertEqual(status, 200)
        self.assertIn("engineers: {value: 500,", yaml_text.decode())
        # The YAML is the scenario as run: planning it again gives the same answer.
        again = json.loads(self.call("/api/plan", yaml_text)[1])
        first = json.loads(self.call("/api/plan", body)[1])
        self.assertEqual(again["answer"], first["answer"])
        self.assertEqual(self.call("/api/plan?format=pdf", body)[0], 400)

    def test_page_is_served_offline(self):
        status, body = self.call("/")
        self.assertEqual(status, 200)
        html = body.decode()
        self.assertIn("<svg", html)
        self.assertNotIn("http://", html.split("<body>")[1])  # no CDN, no external resource

    def test_hundreds_of_concurrent_requests(self):
        def one(i):
            if i % 10:
                return self.call("/api/models")[0]
            return self.call("/api/perf", {"model": "llama-3.1-8b", "gpu": "h100", "tp": 1})[0]
        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as ex:
            statuses = list(ex.map(one, range(200)))
        self.assertEqual(statuses, [200] * 200)


if __name__ == "__main__":
    unittest.main()
