// The Tcl channel type "namedpipe": a named pipe end as a real Tcl channel.
//
// A channel made here drives a conduit pipe_server or pipe_client through
// Tcl's generic I/O layer: puts, gets, read, flush, eof, close, chan
// pending, fconfigure (-blocking, -buffering, -encoding, -translation,
// -eofchar ...) and fileevent all work as on a socket. Events come from
// Tcl's notifier watching the pipe's socket (Tcl_CreateFileHandler), never
// from polling:
//
// - a server channel listens at once; until a client arrives it watches the
//   socket the client's connect record comes on, and `fileevent writable`
//   fires when one does (TWAPI's way to learn of a connection). Reading or
//   writing before then waits for the client in blocking mode, and fails
//   with EAGAIN in non-blocking mode;
// - reads end with eof when the other end has closed and everything it
//   wrote was read; writes to a closed pipe fail with EPIPE;
// - byte streams only (as TWAPI): no message mode, no half-close.
//
//   Tcl_Channel chan = conduit::tcl::make_channel(std::move(server), TCL_READABLE | TCL_WRITABLE);
//   Tcl_RegisterChannel(interp, chan);
#pragma once

#include <tcl.h>

#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"

namespace conduit::tcl {

/// A channel over a server instance; `mask` (TCL_READABLE, TCL_WRITABLE)
/// follows the pipe's direction. The channel is configured as TWAPI's
/// (system encoding, `-translation {auto crlf}`), not yet registered.
Tcl_Channel make_channel(pipe_server server, int mask);
/// A channel over a connected client end.
Tcl_Channel make_channel(pipe_client client, int mask);

/// The server instance behind `chan`, or null when `chan` is not a
/// namedpipe channel or is a client's.
pipe_server* server_of(Tcl_Channel chan);
/// Whether `chan` is a namedpipe channel (server or client).
bool is_namedpipe(Tcl_Channel chan);

}  // namespace conduit::tcl
