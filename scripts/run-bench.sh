#!/usr/bin/env bash
# Builds conduit and runs its benchmarks: each conduit measurement against
# its raw Linux baseline in the same run, then a conduit/raw table
# (docs/benchmarks.md). The binary starts its own broker in a fresh temporary
# CONDUIT_RUNTIME_DIR and stops it at the end. Extra arguments go to the
# benchmark binary (Google Benchmark flags, and --pin=same|split|none for
# where the data-path benchmarks run), for example:
#   scripts/run-bench.sh --benchmark_filter=ping_pong --benchmark_repetitions=5
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
exec ./build/bin/conduit_bench "$@"
