#!/bin/sh
# Longer soak rounds than CI runs (tests/soak/soak.hpp): client processes
# through a pipe server's instances while the server and the broker are
# killed, every acknowledged request checked against the server's log.
# Rounds alternate between a session broker the library starts again and a
# system broker started again from outside, until SECONDS have passed.
#
#   scripts/soak.sh [SECONDS] [CLIENTS] [REQUESTS] [INSTANCES]
#
# Defaults: 300 s, 40 clients, 1000 requests each, 8 instances. Builds
# build-ci first. Exit 0 if every round passed; each failed round keeps its
# work folder (named in its output) for a look at the logs.
set -eu
seconds=${1:-300}
clients=${2:-40}
requests=${3:-1000}
instances=${4:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
cmake --build "$root/build-ci" --target conduit_soak conduitd >/dev/null
soak="$root/build-ci/bin/conduit_soak"
# A round may take a while with many requests; each is bounded all the same.
timeout=$(( requests / 2 + 60 ))
end=$(( $(date +%s) + seconds ))
rounds=0
failed=0
mode=""
while [ "$(date +%s)" -lt "$end" ]; do
  rounds=$((rounds + 1))
  if "$soak" run --clients "$clients" --requests "$requests" --instances "$instances" \
      --server-kill-ms 50:400 --broker-kill-ms 100:1000 --timeout "$timeout" $mode; then
    :
  else
    failed=$((failed + 1))
  fi
  if [ -z "$mode" ]; then mode=--system-broker; else mode=""; fi
done
echo "soak.sh: $rounds rounds, $failed failed"
[ "$failed" -eq 0 ]
