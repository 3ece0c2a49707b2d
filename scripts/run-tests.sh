#!/usr/bin/env bash
# Builds conduit with warnings as errors and runs every test: unit and
# multi-process tests under CTest (each against its own broker), the
# installed-package consumer check, and a short fuzzing run of the broker's
# protocol decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
./scripts/fuzz.sh 20
