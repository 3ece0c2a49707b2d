#!/usr/bin/env bash
# Records what Windows prints: builds each differential program with mingw,
# runs it under Wine (twice: the output must not vary), replaces the lines
# where Wine is known to differ from Windows by windows_overrides.txt, and
# writes expected/<program>.txt. For developers; CI compares against the
# committed files and needs neither Wine nor mingw.
#
#   record.sh [program...]      (default: every programs/*.cpp)
#
# Needs wine64 (Wine 8) and g++-mingw-w64-x86-64-posix.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=$PATH:/usr/lib/wine WINEDEBUG=${WINEDEBUG:--all}
command -v x86_64-w64-mingw32-g++ >/dev/null && command -v wine64 >/dev/null || {
  echo "record.sh: needs wine64 and x86_64-w64-mingw32-g++" >&2
  exit 2
}
programs=${*:-$(cd "$here/programs" && ls ./*.cpp | sed 's|^\./||; s|\.cpp$||')}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for p in $programs; do
  x86_64-w64-mingw32-g++ -static -O1 -std=c++17 "$here/programs/$p.cpp" -o "$work/$p.exe"
  for run in 1 2; do
    timeout 300 wine64 "$work/$p.exe" | tr -d '\r' >"$work/$p.$run"
  done
  if ! cmp -s "$work/$p.1" "$work/$p.2"; then
    echo "record.sh: $p prints different lines from run to run:" >&2
    diff "$work/$p.1" "$work/$p.2" >&2 || true
    exit 1
  fi
  dup=$(sed 's/: .*//' "$work/$p.1" | sort | uniq -d)
  if [ -n "$dup" ]; then
    echo "record.sh: $p repeats labels: $dup" >&2
    exit 1
  fi
  # Apply the overrides: "program | label: Windows line", or "program | -
  # label" to drop the line. Every override must find its line.
  awk -v program="$p" -v overrides="$here/windows_overrides.txt" '
    function label(line, k) { k = index(line, ": "); return k ? substr(line, 1, k - 1) : line }
    BEGIN {
      FS = "\n"
      while ((getline o < overrides) > 0) {
        if (o ~ /^#/ || o !~ /\|/) continue
        split(o, f, " \\| ")
        if (f[1] != program) continue
        text = substr(o, length(f[1]) + 4)
        if (substr(text, 1, 2) == "- ") { drop[substr(text, 3)] = 1; want[substr(text, 3)] = 1 }
        else { repl[label(text)] = text; want[label(text)] = 1 }
      }
    }
    {
      l = label($0)
      if (l in drop) { used[l] = 1; next }
      if (l in repl) {
        used[l] = 1
        if (repl[l] == $0) printf "record.sh: %s: Wine now prints what Windows does: %s\n", program, $0 > "/dev/stderr"
        print repl[l]
        next
      }
      print
    }
    END {
      for (l in want) if (!(l in used)) {
        printf "record.sh: %s: override for \"%s\" found no line\n", program, l > "/dev/stderr"
        bad = 1
      }
      exit bad
    }' "$work/$p.1" >"$work/$p.expected"
  mv "$work/$p.expected" "$here/expected/$p.txt"
  echo "$p: $(wc -l <"$here/expected/$p.txt") lines"
done
