#!/usr/bin/env bash
# Build tokenmath and run the whole test suite. `./test.sh` uses the release preset; `./test.sh dev` runs it under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")"
preset="${1:-release}"
./scripts/deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j "$(nproc)"
