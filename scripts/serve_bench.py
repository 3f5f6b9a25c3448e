#!/usr/bin/env python3
"""Latency of `tokenmath serve` over loopback (issue 12 targets: the default plan <= 0.5 s, one deployment's
frontier <= 50 ms on the 2-core development machine). A benchmark, not a test: it prints median and p90 of N
sequential requests per endpoint after one warm-up request. Usage: scripts/serve_bench.py [BIN] [N]"""
import json
import statistics
import subprocess
import sys
import time
import urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/release/tokenmath"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20

proc = subprocess.Popen([BIN, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    base = proc.stdout.readline().split()[2].rstrip("/")

    def post(path, body):
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()
            assert r.status == 200

    cases = [
        ("POST /api/plan (default plan)", "/api/plan", {}, 0.5),
        ("POST /api/perf (one deployment's frontier)", "/api/perf",
         {"model": "llama-3.1-70b", "gpu": "h100-sxm", "tp": 4}, 0.05),
        ("POST /api/perf (deployment search, gpt-oss-120b on H200)", "/api/perf",
         {"model": "gpt-oss-120b", "gpu": "h200-sxm"}, None),
    ]
    for name, path, body, target in cases:
        post(path, body)
        times = []
        for _ in range(N):
            t0 = time.perf_counter()
            post(path, body)
            times.append(time.perf_counter() - t0)
        times.sort()
        p50, p90 = statistics.median(times), times[int(0.9 * (len(times) - 1))]
        verdict = "" if target is None else (" (target <= {:.0f} ms: {})".format(target * 1000, "met" if p50 <= target else "MISSED"))
        print(f"{name}: median {p50 * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms over {N}{verdict}")
finally:
    proc.terminate()
    proc.wait(timeout=30)
