#!/usr/bin/env bash
# Builds conduit with warnings as errors and runs every test: a short
# fuzzing run of the broker's protocol decoder and request handling, then
# under CTest the unit and multi-process tests (each against its own
# broker), the installed-package checks and the Win32 differential test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
./scripts/fuzz.sh 20
ctest --preset ci
