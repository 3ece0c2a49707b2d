#!/usr/bin/env bash
# Installs the build into a fresh prefix, then builds a consumer against it
# twice (CMake package and pkg-config) and runs both against a broker
# started from the installed conduitd.
set -euo pipefail
build_dir=$1
source_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'pkill -f "conduitd --runtime-dir $work/run" 2>/dev/null || true; rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
export CONDUIT_RUNTIME_DIR=$work/run CONDUIT_BROKER=$work/prefix/bin/conduitd
cmake -S "$source_dir" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH=$work/prefix/lib:${LD_LIBRARY_PATH:-} "$work/cmake-build/consumer"
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n 1)
export PKG_CONFIG_PATH=$libdir
g++ "$source_dir/consumer.cpp" -o "$work/pc-consumer" $(pkg-config --cflags --libs conduit)
LD_LIBRARY_PATH=$(dirname "$libdir"):${LD_LIBRARY_PATH:-} "$work/pc-consumer"
# The Tcl package, where tclsh finds packages under the prefix, loads
# libconduit from the prefix by itself (no LD_LIBRARY_PATH).
if tcl_index=$(ls "$work"/prefix/lib/tcltk/conduit*/pkgIndex.tcl 2>/dev/null); then
  TCLLIBPATH=$(dirname "$(dirname "$tcl_index")") tclsh <<'TCL'
package require twapi_namedpipe
set server [namedpipe_server {\\.\pipe\installed-tcl}]
set client [namedpipe_client {\\.\pipe\installed-tcl}]
puts $client hello
flush $client
if {[gets $server] ne "hello"} {exit 1}
TCL
fi
