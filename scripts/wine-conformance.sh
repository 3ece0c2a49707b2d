#!/usr/bin/env bash
# Runs Wine 8's own kernel32 conformance tests for named pipes, anonymous
# pipes and mailslots (dlls/kernel32/tests/pipe.c and mailslot.c, from
# Debian 12's wine 8.0~repack-4 source) against conduit's Win32 layer, and
# prints, for each test function, the checks it ran, its failures, todo
# (checks Wine also fails), skipped parts, and whether it finished, hung or
# crashed. docs/wine-conformance.md explains the table.
#
# Wine's source is not part of conduit: this script downloads it from
# Debian's archive into a temporary folder, checks it against the pinned
# hash, extracts only those two files, builds them with conduit's stand-in
# for Wine's test framework (tests/wine/) against the built library, runs
# each test function in a process of its own (under a timeout, with a broker
# of its own), and removes the folder on every path out.
#
# Usage: scripts/wine-conformance.sh [options]
#   --build-dir DIR   the built tree (default: build-ci); needs
#                     lib/libconduit-win32.so and bin/conduitd
#   --timeout SECS    per test function (default 60)
#   --only CALL       run only this call (as listed, e.g. "test_ReadFile()")
#   --tarball FILE    use this wine_8.0~repack.orig.tar.xz instead of
#                     downloading it (it is checked against the same hash)
#   --logs DIR        keep each run's output in DIR (created if missing)
#   --verbose         print each failing check under its function
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), CC.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-ci"
timeout_seconds=60
only=""
tarball=""
logs=""
verbose=0
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# Debian 12's wine source: the orig tarball Debian ships (Debian's own
# patches do not touch the two test files).
wine_version="8.0~repack-4"
wine_orig="wine_8.0~repack.orig.tar.xz"
wine_orig_sha256="537c6889647a528ee9092b109e65b0fde288ba55d535044907cf168ca6f6e745"
test_files=(pipe mailslot)


usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build="$(cd "$2" && pwd)"; shift 2 ;;
    --timeout) timeout_seconds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --tarball) tarball="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --logs) mkdir -p "$2"; logs="$(cd "$2" && pwd)"; shift 2 ;;
    --verbose) verbose=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "wine-conformance: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

for f in "$build/lib/libconduit-win32.so" "$build/bin/conduitd"; do
  if [[ ! -e "$f" ]]; then
    echo "wine-conformance: $f is missing; build first:" >&2
    echo "  cmake --preset ci && cmake --build --preset ci" >&2
    exit 2
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/conduit-wine.XXXXXX")"
broker_pid=""
run_pid=""
stop_run() {
  if [[ -n "$run_pid" ]]; then
    local group
    group="$(cat "$dir.pid" 2> /dev/null || true)"
    [[ -n "$group" ]] && kill -TERM -- "-$group" 2> /dev/null
    wait "$run_pid" 2> /dev/null || true
    run_pid=""
  fi
}
stop_broker() {
  if [[ -n "$broker_pid" ]]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
  fi
}
cleanup() {
  stop_run
  stop_broker
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the source -------------------------------------------------------------
fetch() { # url file
  if command -v curl > /dev/null; then
    curl -fsSL --retry 2 -o "$2" "$1"
  else
    wget -q -O "$2" "$1"
  fi
}

mkdir -p "$work/download" "$work/src" "$work/bin" "$work/runs"
if [[ -z "$tarball" ]]; then
  pool="$mirror/pool/main/w/wine"
  echo "wine-conformance: downloading wine $wine_version source from $pool" >&2
  fetch "$pool/wine_$wine_version.dsc" "$work/download/wine.dsc"
  if ! grep -q "$wine_orig_sha256 [0-9]* $wine_orig" "$work/download/wine.dsc"; then
    echo "wine-conformance: wine_$wine_version.dsc does not list the pinned $wine_orig" >&2
    exit 1
  fi
  tarball="$work/download/$wine_orig"
  fetch "$pool/$wine_orig" "$tarball"
fi
if ! echo "$wine_orig_sha256  $tarball" | sha256sum -c --quiet - > /dev/null 2>&1; then
  echo "wine-conformance: $tarball does not have the pinned SHA-256" >&2
  exit 1
fi
members=()
for name in "${test_files[@]}"; do members+=("wine-8.0/dlls/kernel32/tests/$name.c"); done
tar -xJf "$tarball" -C "$work/src" "${members[@]}"
rm -f "$work/download/$wine_orig"

# --- the build --------------------------------------------------------------
cc="${CC:-cc}"
flags=(-std=gnu11 -O1 -g -pthread -I"$root/tests/wine/include" -I"$root/include/conduit/win32"
  -I"$root/include")
"$cc" "${flags[@]}" -Wall -Wextra -c "$root/tests/wine/winetest.c" -o "$work/bin/winetest.o"
for name in "${test_files[@]}"; do
  awk -f "$root/tests/wine/select_tests.awk" "$work/src/wine-8.0/dlls/kernel32/tests/$name.c" \
    > "$work/src/$name.c"
  # Wine's code is built as it is: its warnings are not conduit's to fix.
  "$cc" "${flags[@]}" -w "$work/src/$name.c" "$work/bin/winetest.o" -o "$work/bin/$name" \
    -L"$build/lib" -lconduit-win32 -Wl,-rpath,"$build/lib"
done

# --- the runs ---------------------------------------------------------------
# Each call gets a broker of its own in a fresh runtime folder, so that what
# one run leaves behind (a name still held, a hung child) cannot reach the
# next. timeout signals the run's whole process group (the test and the
# children it started).
start_broker() { # dir
  mkdir -m 700 "$1"
  mkfifo "$1.ready"
  "$build/bin/conduitd" --runtime-dir "$1" --ready-fd 3 3> "$1.ready" > "$1.broker.log" 2>&1 &
  broker_pid=$!
  if [[ "$(timeout 10 head -c1 "$1.ready" || true)" != "R" ]]; then
    echo "wine-conformance: conduitd did not start (see its log)" >&2
    cat "$1.broker.log" >&2
    exit 1
  fi
}

rows=()
total_checks=0 total_failures=0 total_todo=0 total_skipped=0
run=0
for name in "${test_files[@]}"; do
  mapfile -t calls < <(WINETEST_SELECT=list "$work/bin/$name" "$name")
  for call in "${calls[@]}"; do
    [[ -n "$only" && "$call" != "$only" ]] && continue
    run=$((run + 1))
    dir="$work/runs/$run"
    start_broker "$dir"
    log="$dir.log"
    export CONDUIT_RUNTIME_DIR="$dir" CONDUIT_BROKER="$build/bin/conduitd" \
      WINETEST_SELECT="$call" WINETEST_COUNTS="$dir.counts"
    set +e
    # timeout leads a process group of its own (the test and its children);
    # its id goes to a file so that an interrupted script ends that group.
    # A child shell waits for it, so that bash's note of a crash
    # ("Segmentation fault") goes into the log, not into the table; the
    # script waits in the background, so that a signal to it is not held
    # back until the run ends.
    bash -c 'cd "$1" && { timeout -k 5 "$2" "./$3" "$3" & echo $! > "$4"; wait $!; }' run \
      "$work/bin" "$timeout_seconds" "$name" "$dir.pid" > "$log" 2>&1 < /dev/null &
    run_pid=$!
    wait "$run_pid"
    rc=$?
    run_pid=""
    unset CONDUIT_RUNTIME_DIR CONDUIT_BROKER WINETEST_SELECT WINETEST_COUNTS
    set -e
    stop_broker
    checks=0 failures=0 todo=0 skipped=0
    [[ -s "$dir.counts" ]] && read -r checks failures todo skipped < "$dir.counts"
    if grep -q "^$name: .*: [0-9]* checks," "$log"; then
      result="finished"
      [[ $rc -ne 0 && $rc -ne $((failures > 255 ? 255 : failures)) ]] && result="finished (exit $rc)"
    elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
      result="hung (killed after ${timeout_seconds} s)"
    elif [[ $rc -gt 128 ]]; then
      result="crashed (signal $((rc - 128)))"
    else
      result="ended early (exit $rc)"
    fi
    rows+=("$(printf '%s\t' "$name" "$call" "$checks" "$failures" "$todo" "$skipped")$result")
    total_checks=$((total_checks + checks))
    total_failures=$((total_failures + failures))
    total_todo=$((total_todo + todo))
    total_skipped=$((total_skipped + skipped))
    if [[ -n "$logs" ]]; then
      safe="$(printf '%s' "$call" | tr -c 'A-Za-z0-9_' '_')"
      cp "$log" "$logs/$name.$safe.log"
    fi
    if [[ $verbose -eq 1 ]]; then
      grep -E ': Test (failed|marked todo)' "$log" | sed "s/^/    [$call] /" >&2 || true
    fi
  done
done

printf '%-9s %-62s %7s %8s %5s %7s  %s\n' file function checks failures todo skipped result
for row in "${rows[@]}"; do
  IFS=$'\t' read -r file call checks failures todo skipped result <<< "$row"
  printf '%-9s %-62s %7s %8s %5s %7s  %s\n' "$file" "$call" "$checks" "$failures" "$todo" \
    "$skipped" "$result"
done
printf '%-9s %-62s %7s %8s %5s %7s\n' total "" "$total_checks" "$total_failures" "$total_todo" \
  "$total_skipped"
