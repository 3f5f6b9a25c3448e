#!/usr/bin/env bash
# The web page in a real browser (issue 12): Debian's Chromium driven by playwright-core from npm (no browser
# download). Installs both when missing; when either cannot be had (no package mirror, no npm registry) it says
# SKIPPED and exits 0, so the C++ suites decide CI. Usage: scripts/browser_test.sh [build dir]
set -uo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/release}/tokenmath"
if ! command -v chromium >/dev/null 2>&1; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
    { echo "browser test SKIPPED: Debian's chromium could not be installed"; exit 0; }
fi
if ! command -v node >/dev/null 2>&1; then echo "browser test SKIPPED: no Node.js"; exit 0; fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && timeout 300 npm install --no-audit --no-fund >/dev/null 2>&1) ||
    { echo "browser test SKIPPED: playwright-core could not be installed from npm"; exit 0; }
fi
log=$(mktemp)
"$bin" serve --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "http://" "$log" && break; sleep 0.1; done
base=$(grep -o 'http://[^ ]*' "$log" | head -1); base="${base%/}"
[ -n "$base" ] || { echo "browser test FAILED: the server did not start"; cat "$log"; exit 1; }
SCREENSHOT="${SCREENSHOT:-$(dirname "$bin")/page.png}" node tests/browser/page_test.mjs "$base" "$bin"
