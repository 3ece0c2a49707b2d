#!/usr/bin/env bash
# Installs the Debian packages conduit's build, tests and benchmarks need.
# Idempotent: installs only what is missing. Run as root (or with sudo).
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libgtest-dev libgmock-dev   # unit and multi-process tests (GoogleTest)
  libbenchmark-dev            # benchmarks (Google Benchmark)
  clang libclang-rt-14-dev    # libFuzzer for the broker protocol fuzz target
  tcl                         # Tcl package tests
  samba                       # remote pipes: smbd serves them over SMB (tests start their own)
  smbclient                   # remote pipes: smbclient and rpcclient for checks by hand
  python3-samba               # remote pipes: a second SMB client in the tests
  libsmbclient-dev            # remote pipes: conduit clients open \\host\pipe\x through it
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
