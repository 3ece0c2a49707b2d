#!/usr/bin/env bash
# Builds conduit's command and broker and runs `conduit demo`: a server with
# several instances, client processes exchanging byte and message traffic,
# and a mailslot with several writers, through an automatically started
# broker.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target conduit_cli conduitd
exec ./build/bin/conduit demo
