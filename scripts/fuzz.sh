#!/usr/bin/env bash
# Fuzzes the broker's protocol handling and the security descriptor readers
# with libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   scripts/fuzz.sh [SECONDS]     (default 30)
#
# Five targets, built into build-fuzz/ and each run for a fifth of SECONDS
# (and the configuration reader, below):
#   wire_fuzz         the decoders (requests, replies with their pipe
#                     listings, connect records) and
#                     their round trip through the encoder (fuzz/wire_fuzz.cpp)
#   broker_fuzz       scripts of requests from several fake peers against the
#                     broker's pipe and event tables (listings included:
#                     counts, order, details only to who may see them),
#                     checked against a model
#                     (fuzz/broker_fuzz.cpp)
#   broker_loop_fuzz  scripts of requests, hang-ups and unread replies from
#                     several peers, with descriptors, against the real
#                     broker loop run in process (fuzz/broker_loop_fuzz.cpp)
#   sddl_fuzz         SDDL text and self-relative descriptors: parse, write,
#                     parse again is a fixed point both ways (fuzz/sddl_fuzz.cpp)
#   mailslot_datagram_fuzz  NetBIOS datagrams as conduitd reads them off UDP
#                     138: decode, and a round trip through the encoder
#                     (fuzz/mailslot_datagram_fuzz.cpp)
#   named_pipe_auth_fuzz  Samba's named-pipe-auth requests, as the SMB bridge
#                     reads them: decode, encode, decode is a fixed point
#                     (fuzz/named_pipe_auth_fuzz.cpp); like config_fuzz, run
#                     after the five, for a fifth of SECONDS too
#   smb2_reply_fuzz   the SMB2 answers and NTLMSSP challenge a server sends
#                     conduit's SMB2 client: whatever parses points inside
#                     the input (fuzz/smb2_reply_fuzz.cpp); run last, as long
# Seeds are made by fuzz/make_corpus.cpp with the real encoder; what the
# fuzzer finds is kept in build-fuzz/corpus/ for the next run. A crash, leak
# or broken invariant stops the run with a non-zero exit and leaves the input
# in build-fuzz/artifacts/; replay it with `build-fuzz/<target> <file>`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [SECONDS]" >&2
  exit 2
fi
per_target=$(((seconds + 4) / 5))

out=build-fuzz
cxx=${FUZZ_CXX:-clang++}
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -Iinclude -Isrc)
mkdir -p "$out/artifacts"
for target in wire_fuzz broker_fuzz broker_loop_fuzz sddl_fuzz mailslot_datagram_fuzz; do
  mkdir -p "$out/seed/$target" "$out/corpus/$target"
done

echo "fuzz.sh: building into $out/"
"$cxx" -std=c++20 -O1 -Iinclude -Isrc -o "$out/make_corpus" fuzz/make_corpus.cpp src/core/wire.cpp
"$out/make_corpus" "$out/seed/wire_fuzz" "$out/seed/broker_fuzz" "$out/seed/broker_loop_fuzz"
"$cxx" "${flags[@]}" -o "$out/wire_fuzz" fuzz/wire_fuzz.cpp src/core/wire.cpp
"$cxx" "${flags[@]}" -o "$out/broker_fuzz" fuzz/broker_fuzz.cpp src/broker/pipe_namespace.cpp \
  src/broker/event_namespace.cpp src/broker/object_security.cpp src/core/event_name.cpp \
  src/core/client_computer.cpp src/core/error.cpp src/core/instance_page.cpp \
  src/core/object_name.cpp src/core/wire.cpp src/security/access_check.cpp src/security/security_descriptor.cpp src/security/sid.cpp
"$cxx" "${flags[@]}" -o "$out/broker_loop_fuzz" fuzz/broker_loop_fuzz.cpp src/broker/broker.cpp \
  src/broker/broker_lanes.cpp \
  src/broker/broker_limits.cpp src/broker/event_namespace.cpp src/broker/mailslot_namespace.cpp \
  src/broker/datagram_listener.cpp src/netbios/mailslot_datagram.cpp src/netbios/netbios_name.cpp \
  src/netbios/netbios_settings.cpp src/broker/object_security.cpp src/broker/pipe_namespace.cpp src/broker/waiter_table.cpp \
  src/core/client_computer.cpp src/core/error.cpp src/core/event_name.cpp src/core/fd_passing.cpp \
  src/core/instance_page.cpp src/core/object_name.cpp src/core/runtime_dir.cpp src/core/wire.cpp \
  src/security/access_check.cpp src/security/security_descriptor.cpp src/security/sid.cpp
"$cxx" "${flags[@]}" -o "$out/sddl_fuzz" fuzz/sddl_fuzz.cpp src/security/access_check.cpp \
  src/security/security_descriptor.cpp src/security/sid.cpp src/core/error.cpp
# SDDL seeds: the shapes programs write.
for seed in "D:(A;;GA;;;WD)" "O:BAG:SYD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)(A;;FR;;;AN)" \
    "D:NO_ACCESS_CONTROL" "D:PAI(D;OICI;0x1;;;S-1-22-1-1000)(A;IO;GRGW;;;AU)S:(ML;;NW;;;LW)"; do
  printf '%s' "$seed" >"$out/seed/sddl_fuzz/$(printf '%s' "$seed" | sha1sum | cut -c1-16)"
done

"$cxx" "${flags[@]}" -o "$out/mailslot_datagram_fuzz" fuzz/mailslot_datagram_fuzz.cpp \
  src/netbios/mailslot_datagram.cpp src/netbios/netbios_name.cpp
# Datagram seeds: a direct unique and a direct group mailslot write (with a
# scope), as conduit and Windows send them.
for seed in \
  "\\x10\\x02\\x12\\x34\\x0a\\x00\\x01\\x02\\x00\\x8a\\x00\\x9c\\x00\\x00\\x20\\x45\\x49\\x45\\x50\\x46\\x44\\x46\\x45\\x43\\x4e\\x45\\x42\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x41\\x41\\x00\\x20\\x45\\x49\\x45\\x50\\x46\\x44\\x46\\x45\\x43\\x4e\\x45\\x43\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x41\\x41\\x00\\xff\\x53\\x4d\\x42\\x25\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x11\\x00\\x00\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xe8\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05\\x00\\x53\\x00\\x03\\x00\\x01\\x00\\x00\\x00\\x02\\x00\\x13\\x00\\x5c\\x4d\\x41\\x49\\x4c\\x53\\x4c\\x4f\\x54\\x5c\\x6e\\x65\\x74\\x00\\x68\\x65\\x6c\\x6c\\x6f" \
  "\\x11\\x02\\x12\\x34\\x0a\\x00\\x01\\x02\\x00\\x8a\\x00\\xab\\x00\\x00\\x20\\x45\\x49\\x45\\x50\\x46\\x44\\x46\\x45\\x43\\x4e\\x45\\x42\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x41\\x41\\x05\\x73\\x63\\x6f\\x70\\x65\\x00\\x20\\x46\\x48\\x45\\x50\\x46\\x43\\x45\\x4c\\x45\\x48\\x46\\x43\\x45\\x50\\x46\\x46\\x46\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x43\\x41\\x41\\x41\\x05\\x73\\x63\\x6f\\x70\\x65\\x00\\xff\\x53\\x4d\\x42\\x25\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x11\\x00\\x00\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xe8\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05\\x00\\x56\\x00\\x03\\x00\\x01\\x00\\x00\\x00\\x02\\x00\\x16\\x00\\x5c\\x4d\\x41\\x49\\x4c\\x53\\x4c\\x4f\\x54\\x5c\\x42\\x52\\x4f\\x57\\x53\\x45\\x00\\x64\\x61\\x74\\x61\\x0a"; do
  printf "$seed" >"$out/seed/mailslot_datagram_fuzz/$(printf '%s' "$seed" | sha1sum | cut -c1-16)"
done

status=0
for target in wire_fuzz broker_fuzz broker_loop_fuzz sddl_fuzz mailslot_datagram_fuzz; do
  dict=fuzz/wire.dict
  [ "$target" = sddl_fuzz ] && dict=fuzz/sddl.dict
  [ "$target" = mailslot_datagram_fuzz ] && dict=fuzz/mailslot_datagram.dict
  echo "fuzz.sh: running $target for ${per_target}s"
  # The first folder receives new inputs; the seeds are only read.
  if ! "$out/$target" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 \
      -dict="$dict" -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
      "$out/corpus/$target" "$out/seed/$target"; then
    echo "fuzz.sh: $target failed; the input is in $out/artifacts/" >&2
    status=1
  fi
done
# conduitd.conf: the parser of the broker's configuration file
# (fuzz/config_fuzz.cpp), seeded with the example configuration.
"$cxx" "${flags[@]}" -o "$out/config_fuzz" fuzz/config_fuzz.cpp src/broker/broker_config.cpp
mkdir -p "$out/seed/config_fuzz" "$out/corpus/config_fuzz"
cp packaging/conduitd.conf "$out/seed/config_fuzz/example"
sed 's/^#//' packaging/conduitd.conf >"$out/seed/config_fuzz/example-set"
echo "fuzz.sh: running config_fuzz for ${per_target}s"
if ! "$out/config_fuzz" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/config_fuzz-" \
    "$out/corpus/config_fuzz" "$out/seed/config_fuzz"; then
  echo "fuzz.sh: config_fuzz failed; the input is in $out/artifacts/" >&2
  status=1
fi
# The SMB bridge's handshake decoder, seeded with a request smbd sent.
mkdir -p "$out/seed/named_pipe_auth_fuzz" "$out/corpus/named_pipe_auth_fuzz"
cp tests/unit/data/npa_request_*.bin "$out/seed/named_pipe_auth_fuzz/"
"$cxx" "${flags[@]}" -o "$out/named_pipe_auth_fuzz" fuzz/named_pipe_auth_fuzz.cpp \
  src/remote/named_pipe_auth.cpp src/security/sid.cpp src/core/error.cpp
echo "fuzz.sh: running named_pipe_auth_fuzz for ${per_target}s"
if ! "$out/named_pipe_auth_fuzz" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/named_pipe_auth_fuzz-" \
    "$out/corpus/named_pipe_auth_fuzz" "$out/seed/named_pipe_auth_fuzz"; then
  echo "fuzz.sh: named_pipe_auth_fuzz failed; the input is in $out/artifacts/" >&2
  status=1
fi
# conduit's SMB2 client: the answers and NTLMSSP challenge a server sends,
# seeded with a read answer and the challenge of [MS-NLMP] 4.2.4.
mkdir -p "$out/seed/smb2_reply_fuzz" "$out/corpus/smb2_reply_fuzz"
printf '\xfeSMB\x40\x00\x01\x00\x00\x00\x00\x00\x08\x00\x40\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x07\x00\x00\x00\x34\x12\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x11\x00\x50\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00hello' \
  >"$out/seed/smb2_reply_fuzz/read"
printf 'NTLMSSP\x00\x02\x00\x00\x00\x0c\x00\x0c\x00\x30\x00\x00\x00\x33\x82\x8a\xe2\x01\x23\x45\x67\x89\xab\xcd\xef\x00\x00\x00\x00\x00\x00\x00\x00\x24\x00\x24\x00\x3c\x00\x00\x00S\x00e\x00r\x00v\x00e\x00r\x00\x02\x00\x0c\x00D\x00o\x00m\x00a\x00i\x00n\x00\x01\x00\x0c\x00S\x00e\x00r\x00v\x00e\x00r\x00\x00\x00\x00\x00' \
  >"$out/seed/smb2_reply_fuzz/challenge"
"$cxx" "${flags[@]}" -o "$out/smb2_reply_fuzz" fuzz/smb2_reply_fuzz.cpp \
  src/remote/smb2_wire.cpp src/remote/ntlmssp.cpp src/core/error.cpp -lnettle
echo "fuzz.sh: running smb2_reply_fuzz for ${per_target}s"
if ! "$out/smb2_reply_fuzz" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/smb2_reply_fuzz-" \
    "$out/corpus/smb2_reply_fuzz" "$out/seed/smb2_reply_fuzz"; then
  echo "fuzz.sh: smb2_reply_fuzz failed; the input is in $out/artifacts/" >&2
  status=1
fi
exit $status
