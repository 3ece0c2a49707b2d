// One SMB client's connection through the bridge: smbd's socket on one side,
// the conduit pipe's client end on the other, relayed both ways.
//
// smbd reads its socket only while an SMB read is outstanding, so a relay
// that blocked on a send to smbd while smbd waits for it to read would
// freeze that client's smbd process. The relay never blocks: both sockets
// are non-blocking and one poll drives both directions, each holding at
// most one frame (npa_max_frame bytes and its length): a full side stops
// reading from the other until it drains.
//
// On a message pipe each message travels between smbd and the bridge as one
// frame behind a 2-byte little-endian length; a longer message from the
// server goes as several frames (what SMB's message reads carry at most).
// On a byte pipe the bytes go as they are.
#pragma once

#include <chrono>

#include "core/unique_fd.hpp"
#include "runtime/pipe_channel.hpp"

namespace conduit::detail::remote {

/// Relays until either side closes or fails, then returns (both sockets
/// are closed by their owners). `message` says the pipe is message type.
void relay(unique_fd smbd, pipe_channel& pipe, bool message);

}  // namespace conduit::detail::remote
