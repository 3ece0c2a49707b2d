#!/usr/bin/env bash
# The book's Win32 pipe programs (examples/win32) build unchanged against the
# INSTALLED conduit-win32 package and behave as the book says: each server
# runs as its own process, clients in others, all against a broker started
# from the installed conduitd in a fresh runtime folder. Then the programs
# written as Microsoft's documentation writes them, each built ANSI and
# UNICODE (conduit-win32-unicode.pc), the .c ones as C, run against each
# other (docs/win32-programs.md).
#
#   examples_test.sh <build dir> <examples/win32 dir>
#
# Exits 77 (skipped) while the installed library still lacks a function the
# programs call. Every wait is bounded; nothing sleeps to synchronise: the
# script reads the server's own output lines (with a timeout) to know where
# it is.
set -euo pipefail
build_dir=$1
examples=$(cd "$2" && pwd)
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  local broker
  broker=$(cat "$work/run/conduitd.pid" 2>/dev/null || true)
  [ -n "$broker" ] && kill "$broker" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
pcdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n 1)
libdir=$(dirname "$pcdir")
export PKG_CONFIG_PATH=$pcdir
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CONDUIT_BROKER=$work/prefix/bin/conduitd CONDUIT_RUNTIME_DIR=$work/run
mkdir -m 700 "$work/run"

# What the programs call; skip until the library has all of it.
needed="CreateNamedPipeA ConnectNamedPipe DisconnectNamedPipe CreateFileA ReadFile WriteFile
  WaitNamedPipeA GetOverlappedResult CreateIoCompletionPort GetQueuedCompletionStatus
  PostQueuedCompletionStatus CreateEventA ResetEvent WaitForMultipleObjects CreateThread"
exported=$(nm -D --defined-only "$libdir/libconduit-win32.so")
missing=$(for f in $needed; do grep -qw "$f" <<<"$exported" || echo "$f"; done | xargs)
if [ -n "$missing" ]; then
  echo "SKIP: libconduit-win32 does not have yet: $missing"
  exit 77
fi

# Build each program against the installed headers, unchanged; and with
# mingw too when it is here, to show the same source is Windows code.
programs="Server Client Threads Overlap IocpServer EchoClient"
for p in $programs; do
  g++ "$examples/$p.cpp" -o "$work/$p" $(pkg-config --cflags --libs conduit-win32) ||
    fail "$p.cpp does not build against the installed windows.h"
  if command -v x86_64-w64-mingw32-g++ >/dev/null; then
    x86_64-w64-mingw32-g++ -static "$examples/$p.cpp" -o "$work/$p.exe" ||
      fail "$p.cpp does not build with mingw"
  fi
done

# start_server NAME: runs it with stdin from a fifo we hold (a byte there is
# its key press) and stdout line-buffered into a fifo we read (server_fd).
start_server() {
  rm -f "$work/in" "$work/out"
  mkfifo "$work/in" "$work/out"
  stdbuf -oL "$work/$1" <"$work/in" >"$work/out" 2>&1 &
  server_pid=$!
  exec {key_fd}>"$work/in" {server_fd}<"$work/out"
  seen=()
}

# expect_server COUNT TEXT: reads server lines, 10 s each at most, until
# TEXT has been seen COUNT times since the server started.
declare -A seen
expect_server() {
  local count=$1 text=$2 line
  while ((${seen[$text]:-0} < count)); do
    IFS= read -r -t 10 -u "$server_fd" line || fail "server: no \"$text\" (seen ${seen[$text]:-0} of $count)"
    echo "  server: $line"
    [ -z "$line" ] || seen[$line]=$((${seen[$line]:-0} + 1))
  done
  return 0
}

# run_client NAME EXPECTED: runs a client (10 s at most) and compares its
# whole output. A server thread may not have created its instance yet when
# the client starts (Threads.cpp prints before its threads run): the client
# then reports ERROR_FILE_NOT_FOUND and is run again, 1000 times at most.
run_client() {
  local out tries=0
  while :; do
    out=$(timeout 10 "$work/$1") && break
    [ "$out" = "WaitNamedPipe failed with error 2" ] || fail "$1 failed: $out"
    tries=$((tries + 1))
    ((tries < 1000)) || fail "$1: the pipe never appeared"
  done
  echo "  $1: ${out//$'\n'/ | }"
  [ "$out" = "$2" ] || fail "$1 printed \"$out\", expected \"$2\""
}

# first_threads_client: the first client of Threads.cpp. The book's thread
# treats ConnectNamedPipe's ERROR_PIPE_CONNECTED (a client that opened the
# instance between CreateNamedPipe and ConnectNamedPipe, as Windows allows)
# as a failure and closes its instance, and nothing the server prints tells
# when its threads are past that point. So a client that meets this, as its
# write or read fails, is accepted only when the server owns up to it
# ("ConnectNamedPipe failed with error 535"), and another one is run.
first_threads_client() {
  local out races=0 tries=0
  while :; do
    out=$(timeout 10 "$work/EchoClient") && break
    case $out in
      "WaitNamedPipe failed with error 2") tries=$((tries + 1)) ;;
      $'Wrote 14 bytes\nReadFile failed with error 109' | "WriteFile failed with error 232")
        races=$((races + 1))
        echo "  EchoClient met the book's ERROR_PIPE_CONNECTED race: ${out//$'\n'/ | }"
        expect_server "$races" "ConnectNamedPipe failed with error 535"
        ;;
      *) fail "EchoClient failed: $out" ;;
    esac
    ((tries < 1000 && races < 5)) || fail "EchoClient: no instance served it"
  done
  echo "  EchoClient: ${out//$'\n'/ | }"
  [ "$out" = "$echo_out" ] || fail "EchoClient printed \"$out\""
}

# press_key: what stops Threads.cpp and IocpServer.cpp.
press_key() { echo x >&"$key_fd"; }

# finish_server [LAST]: the server must print the rest (ending with LAST if
# given) and exit by itself with 0.
finish_server() {
  local line last=
  exec {key_fd}>&-
  while IFS= read -r -t 10 -u "$server_fd" line; do
    echo "  server: $line"
    last=$line
  done
  exec {server_fd}<&-
  [ -z "${1:-}" ] || [ "$last" = "$1" ] || fail "the server's last line is \"$last\", not \"$1\""
  timeout 10 tail --pid="$server_pid" -f /dev/null || fail "the server did not stop"
  wait "$server_pid" || fail "the server exited with $?"
  server_pid=
}

# kill_server: for the servers that serve forever.
kill_server() {
  kill "$server_pid"
  wait "$server_pid" || true
  exec {key_fd}>&- {server_fd}<&-
  server_pid=
}

echo_out=$'Wrote 14 bytes\nRead 14 bytes: This is a test'

echo "Server.cpp + Client.cpp"
start_server Server
expect_server 1 "Server is now running"
run_client Client "Wrote 14 bytes"
expect_server 1 "This is a test"
finish_server

# echo_clients N: for the echo servers, N clients that read the echo back
# one after the other (the first through FIRST_CLIENT if set), three at
# once, then Client.cpp, which leaves without reading. (Overlap.cpp as the
# book has it loses an instance for good when a ReadFile fails at once, as
# it can after a client leaves: it serves five clients at least, not more.)
echo_clients() {
  local pids=() i
  for ((i = 0; i < $1; i++)); do
    if ((i == 0)) && [ -n "${FIRST_CLIENT:-}" ]; then
      $FIRST_CLIENT
    else
      run_client EchoClient "$echo_out"
    fi
  done
  for i in 1 2 3; do
    run_client EchoClient "$echo_out" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || fail "a concurrent EchoClient failed"; done
  run_client Client "Wrote 14 bytes"
}

echo "Threads.cpp + clients"
start_server Threads
expect_server 1 "Press a key to stop the server"
FIRST_CLIENT=first_threads_client echo_clients 2
expect_server 6 "Echo 14 bytes to client"
press_key
finish_server

echo "Overlap.cpp + clients"
start_server Overlap
expect_server 1 "Server is now running"
echo_clients 1
expect_server 5 "Received 14 bytes, echo bytes back"
kill_server

echo "IocpServer.cpp + clients"
start_server IocpServer
expect_server 1 "Server is now running"
echo_clients 2
expect_server 6 "Received 14 bytes, echo bytes back"
press_key
finish_server "Server stopped"


# ---- Programs as Microsoft's documentation writes them ----
# Each built twice from the same source: ANSI (conduit-win32) and UNICODE
# (conduit-win32-unicode: -fshort-wchar, _tmain is wmain), the .c ones as
# C; and with mingw when it is here. A and W name the two builds.
classic_cxx="NamedPipeClient TransactClient CallClient MultithreadedServer"
classic_c="MailslotWriter MailslotReader"
# The server and the reader also need the heap, Global memory and critical
# sections; until the installed library has them, they are left out.
heap_needed="GetProcessHeap HeapAlloc HeapFree GlobalAlloc GlobalFree InitializeCriticalSection
  EnterCriticalSection LeaveCriticalSection"
heap_missing=$(for f in $heap_needed; do grep -qw "$f" <<<"$exported" || echo "$f"; done | xargs)
for p in $classic_cxx $classic_c; do
  if [ -n "$heap_missing" ] && { [ "$p" = MultithreadedServer ] || [ "$p" = MailslotReader ]; }; then
    continue
  fi
  case $p in MultithreadedServer | NamedPipeClient | TransactClient | CallClient) src=$p.cpp cc=g++ ;;
  *) src=$p.c cc=gcc ;; esac
  $cc "$examples/$src" -o "$work/${p}A" $(pkg-config --cflags --libs conduit-win32) 2>"$work/warnings" ||
    { cat "$work/warnings"; fail "$src does not build (ANSI)"; }
  $cc "$examples/$src" -o "$work/${p}W" $(pkg-config --cflags --libs conduit-win32-unicode) 2>"$work/warnings" ||
    { cat "$work/warnings"; fail "$src does not build (UNICODE)"; }
  if command -v x86_64-w64-mingw32-g++ >/dev/null; then
    x86_64-w64-mingw32-$cc -static "$examples/$src" -o "$work/${p}A.exe" 2>/dev/null ||
      fail "$src does not build with mingw (ANSI)"
    # (-municode: mingw's way to a wmain entry point, for the _tmain ones)
    unicode_entry=
    grep -q _tmain "$examples/$src" && unicode_entry=-municode
    x86_64-w64-mingw32-$cc -static $unicode_entry -DUNICODE -D_UNICODE "$examples/$src" \
      -o "$work/${p}W.exe" 2>/dev/null ||
      fail "$src does not build with mingw (UNICODE)"
  fi
done

# run_classic NAME EXPECTED [ARGS...]: runs a client (10 s at most), ENTER
# on its standard input for its _getch, and compares its whole output. The
# server prints before it creates each instance: a client that finds no
# pipe yet says so (CallNamedPipe then prints nothing) and is run again.
run_classic() {
  local name=$1 expected=$2 out tries=0
  shift 2
  while :; do
    out=$(echo | timeout 10 "$work/$name" "$@") || true
    case $out in
      "Could not open pipe. GLE=2" | "Could not open pipe" | "") ;;
      *) break ;;
    esac
    tries=$((tries + 1))
    ((tries < 1000)) || fail "$name: the pipe never appeared"
  done
  echo "  $name: ${out//$'\n'/ | }"
  [ "$out" = "$expected" ] || fail "$name printed \"$out\", expected \"$expected\""
}

echo "Classic clients with no server"
out=$(echo | "$work/NamedPipeClientA") && fail "NamedPipeClient succeeded with no server"
[ "$out" = "Could not open pipe. GLE=2" ] || fail "NamedPipeClient with no server: \"$out\""
# (the program returns FALSE, 0, when it fails, and TRUE, 1, when it wrote)
out=$("$work/MailslotWriterW") || fail "MailslotWriter did not return FALSE with no mailslot"
[ "$out" = "CreateFile failed with 2." ] || fail "MailslotWriter with no mailslot: \"$out\""

if [ -n "$heap_missing" ]; then
  echo "SKIP: MultithreadedServer.cpp and MailslotReader.c: libconduit-win32 does not have yet: $heap_missing"
else
  end_prompt=$'\n<End of message, press ENTER to terminate connection and exit>'
  for charset in A W; do
    echo "MultithreadedServer.cpp + NamedPipeClient.cpp, TransactClient.cpp, CallClient.cpp ($charset)"
    start_server "MultithreadedServer$charset"
    expect_server 1 'Pipe Server: Main thread awaiting client connection on \\.\pipe\mynamedpipe'
    unit=1
    [ $charset = W ] && unit=2
    run_classic "NamedPipeClient$charset" "Sending $((29 * unit)) byte message: \"Default message from client.\"
$(printf '\nMessage sent to server, receiving reply as follows:')
\"default answer from server\"
$end_prompt"
    expect_server 1 'Client Request String:"Default message from client."'
    run_classic "TransactClient$charset" "default answer from server
$end_prompt"
    run_classic "CallClient$charset" "default answer from server"
    expect_server 2 'Client Request String:"Default message from client"'
    if [ $charset = W ]; then
      # Arguments reach wmain as UTF-16 and come out as UTF-8.
      run_classic NamedPipeClientW "Sending 24 byte message: \"héllo wörld\"
$(printf '\nMessage sent to server, receiving reply as follows:')
\"default answer from server\"
$end_prompt" "héllo wörld"
      expect_server 1 "Client Request String:\"héllo wörld\""
    fi
    expect_server 3 "InstanceThread: client disconnected."
    kill_server

    echo "MailslotReader.c + MailslotWriter.c ($charset)"
    start_server "MailslotReader$charset"
    expect_server 1 "Waiting for a message..."
    out=$("$work/MailslotWriter$charset") && fail "MailslotWriter returned FALSE"
    [ "$out" = $'Slot written to successfully.\nSlot written to successfully.\nSlot written to successfully.' ] ||
      fail "MailslotWriter printed \"$out\""
    for m in one two three; do expect_server 1 "Contents of the mailslot: Message $m for mailslot."; done
    kill_server
  done
fi

echo "PASS: the Win32 examples build against the installed package and run"
