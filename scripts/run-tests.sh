#!/usr/bin/env bash
# Builds conduit with warnings as errors and runs every test: a short
# fuzzing run of the broker's protocol decoder, request handling and loop,
# then under CTest the unit and multi-process tests (each against its own
# broker), the installed-package checks and the Win32 differential test;
# last, the broker's tests again with the broker and the tests built with
# AddressSanitizer and UndefinedBehaviorSanitizer (only those targets, to
# keep it to a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
./scripts/fuzz.sh 20
ctest --preset ci

broker_targets=(conduitd conduit_test_helper broker_test broker_limits_test broker_loop_test
                waiter_table_test fault_test pipe_wait_test)
cmake --preset asan >/dev/null
cmake --build --preset asan --target "${broker_targets[@]}"
# The other test binaries are not built here: CTest lists them as
# *_NOT_BUILT, which the pattern leaves out.
ctest --test-dir build-asan --output-on-failure -j 2 --timeout 300 \
  -R '^(Broker|BrokerQuota|BrokerCredentials|BrokerLimits|BrokerLoop|WaiterTable|Fault|PipeWait)\.'
