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
  scdoc                       # man pages (man/*.scd), rendered at build time
  tcl-dev                     # the Tcl package: tcl.h and the stub library it links
  libcli11-dev                # the conduit command's parser (CLI11, header-only)
  gnuplot-nox                 # conduit bench --plot draws its ratios with gnuplot
  util-linux                  # script(1): the command's terminal display is tested under a pty
  dpkg-dev                    # dpkg-shlibdeps: the Debian package's library dependencies (cpack)
  tshark                      # decodes the mailslot datagrams the network test captures
  iproute2                    # network namespaces and veth pairs for that test
  samba                       # remote pipes: smbd serves them over SMB (tests start their own)
  smbclient                   # remote pipes: smbclient and rpcclient for checks by hand
  python3-samba               # remote pipes: a second SMB client in the tests
  libsmbclient-dev            # remote pipes: conduit clients open \\host\pipe\x through it
  nettle-dev                  # remote pipes: NTLMv2 and SMB2 signing for conduit's SMB2 client
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
