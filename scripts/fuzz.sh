#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang + ASan/UBSan) and runs each for SECONDS (default 30) from its
# seed corpus (tests/fuzz/corpus/<target>/). A crash, sanitizer report, leak, timeout or out-of-memory stops with
# exit 1 and leaves the reproducer under build/fuzz/findings/<target>/: copy it into tests/fuzz/corpus/<target>/
# once fixed, so the release and dev suites replay it (ctest Fuzz.<target>).
# Each target runs FUZZ_RUNS inputs (default 10000) from a fixed mutation seed (FUZZ_SEED, default 1), capped at
# SECONDS: the same sequence on every machine, so CI replays what passed here (a slow machine stops at the cap,
# part-way through the same sequence).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: clang++ with libFuzzer (Debian clang, libclang-rt-dev) is not installed" >&2
  exit 0
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/fuzz_*.cpp; do t="${f##*/fuzz_}"; targets+=("${t%.cpp}"); done
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${targets[@]/#/tm_fuzz_}"
export TOKENMATH_DATA="$PWD/data"
status=0
for t in "${targets[@]}"; do
  work="build/fuzz/corpus/$t" findings="build/fuzz/findings/$t"
  rm -rf "$work" "$findings"; mkdir -p "$work" "$findings"
  echo "fuzz: $t for ${seconds}s" >&2
  # The first directory collects new inputs; the seeds are read from the second. One input may take at most 10 s
  # and 2 GB: a slower or bigger one is a hang/blow-up to fix, not a pass.
  if ! "build/fuzz/tm_fuzz_$t" "$work" "tests/fuzz/corpus/$t" -runs="${FUZZ_RUNS:-10000}" -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -timeout=10 \
       -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 >"build/fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; reproducer(s): $(ls "$findings" | tr '\n' ' ')" >&2
    grep -E "ERROR|SUMMARY|uncaught|terminate|what\(\)" "build/fuzz/$t.log" | head -5 >&2 || true
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "build/fuzz/$t.log" | tail -2 | sed "s/^/fuzz: $t: /" >&2 || true
  fi
done
exit $status
