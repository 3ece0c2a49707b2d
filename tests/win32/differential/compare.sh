#!/usr/bin/env bash
# Runs the differential programs natively against conduit and compares what
# they print, line by line (lines are matched by label, the text before the
# first ": "), with what Windows prints (expected/<program>.txt).
#
#   compare.sh <dir of the win32diff_* programs> <this folder> [--update-pending]
#
# Fails on any line that differs unless pending.txt lists it ("program |
# label | reason"): pending.txt holds what conduit does not match yet.
# Prints each unexpected difference, the pending lines that match now (to be
# taken out of pending.txt), and "N of M lines match".
#
# --update-pending rewrites pending.txt from this run: entries that match now
# go, new differences come in with a reason made from what conduit printed
# (edit it to say why), and existing reasons are kept.
#
# VERBOSE=1 prints the pending differences too. Each program runs against a
# broker of its own (a fresh CONDUIT_RUNTIME_DIR), 60 s at most.
set -uo pipefail
bin=$1
here=$(cd "$2" && pwd)
mode=${3:-}
work=$(mktemp -d)
cleanup() {
  local pidfile
  for pidfile in "$work"/run-*/conduitd.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

programs=$(cd "$here/expected" && ls ./*.txt | sed 's|^\./||; s|\.txt$||')

# All programs at once, each against its own broker.
declare -A pids
for p in $programs; do
  mkdir -m 700 "$work/run-$p"
  CONDUIT_RUNTIME_DIR=$work/run-$p timeout 60 "$bin/win32diff_$p" >"$work/$p.out" 2>"$work/$p.err" &
  pids[$p]=$!
done
declare -A status
for p in $programs; do
  wait "${pids[$p]}"
  status[$p]=$?
done

total=0
matching=0
unexpected=0
: >"$work/pending.new"
for p in $programs; do
  awk -v program="$p" -v pending="$here/pending.txt" -v verbose="${VERBOSE:-0}" \
      -v newpending="$work/pending.new" -v counts="$work/$p.counts" '
    # (awk: names after the parameters are locals)
    function label(line, k) { k = index(line, ": "); return k ? substr(line, 1, k - 1) : line }
    function value(line, k) { k = index(line, ": "); return k ? substr(line, k + 2) : "" }
    function reason(l, got) {
      if ((program "|" l) in why) return why[program "|" l]
      if (got == "") return "not printed (the call it reports on failed, or the program ended early)"
      if (got ~ /ERROR_CALL_NOT_IMPLEMENTED/) return "not implemented yet (prints: " value(got) ")"
      return "prints: " value(got)
    }
    function differ(l, want, got, key) {
      key = program "|" l
      print program " | " l " | " reason(l, got) >> newpending
      if (key in why) {
        pend++
        if (verbose) printf "  pending  %s\n    expected: %s\n    actual:   %s\n", l, want, got
      } else {
        bad++
        printf "  DIFFERS  %s\n    expected: %s\n    actual:   %s\n", l, want, (got == "" ? "(no such line)" : got)
      }
    }
    BEGIN {
      while ((getline line < pending) > 0) {
        if (line ~ /^#/ || line !~ / \| /) continue
        n = split(line, f, " \\| ")
        if (f[1] != program) continue
        why[f[1] "|" f[2]] = f[3]
      }
    }
    FNR == NR { order[++expected] = label($0); want[label($0)] = $0; next }
    { got[label($0)] = $0; got_order[++actual] = label($0) }
    END {
      for (i = 1; i <= expected; i++) {
        l = order[i]
        if ((l in got) && got[l] == want[l]) {
          match_count++
          if ((program "|" l) in why) printf "  now matches, take it out of pending.txt: %s\n", l
        } else differ(l, want[l], (l in got) ? got[l] : "")
      }
      for (i = 1; i <= actual; i++) {
        l = got_order[i]
        if (!(l in want)) differ(l, "(no such line)", got[l])
      }
      for (k in why) {
        l = substr(k, length(program) + 2)
        if (!(l in want) && !(l in got)) printf "  stale in pending.txt (no such line): %s\n", l
      }
      printf "%d %d %d %d\n", match_count, expected, bad, pend > counts
    }' "$here/expected/$p.txt" "$work/$p.out" >"$work/$p.report"
  read -r m e b d <"$work/$p.counts"
  note=""
  [ "${status[$p]}" = 124 ] && note=" (timed out)"
  [ "${status[$p]}" != 0 ] && [ "${status[$p]}" != 124 ] && note=" (exit status ${status[$p]})"
  echo "$p: $m of $e lines match, $d pending, $b unexpected$note"
  cat "$work/$p.report"
  if [ "$b" != 0 ] && [ -s "$work/$p.err" ]; then
    echo "  its standard error:"
    sed 's/^/    /' "$work/$p.err" | head -n 20
  fi
  total=$((total + e))
  matching=$((matching + m))
  unexpected=$((unexpected + b))
done

echo "$matching of $total lines match"
if [ "$mode" = --update-pending ]; then
  { sed -n '/^#/p' "$here/pending.txt" 2>/dev/null; cat "$work/pending.new"; } >"$work/pending.txt"
  mv "$work/pending.txt" "$here/pending.txt"
  echo "pending.txt rewritten: $(grep -vc '^#' "$here/pending.txt") lines"
  exit 0
fi
if [ "$unexpected" != 0 ]; then
  echo "FAIL: $unexpected lines differ from Windows and are not in pending.txt"
  exit 1
fi
