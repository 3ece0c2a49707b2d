#!/usr/bin/env bash
# Builds conduit and runs its demo: an echo server and three client
# processes on one named pipe, through an automatically started broker.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target conduit-demo conduitd
exec ./build/bin/conduit-demo
