#!/usr/bin/env bash
# Build tokenmath (installing Debian packages if missing) and run it. With no arguments: the main job, `tokenmath plan`.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target tokenmath tokenmath_python
if (($# == 0)); then set -- plan; fi
exec ./build/release/tokenmath "$@"
