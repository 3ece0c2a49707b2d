// conduit-smb-bridge: publishes conduit pipes to SMB clients through Samba.
//
// smbd passes every pipe an SMB client opens on its IPC$ share to the Unix
// socket `<ncalrpc dir>/np/<lowercased pipe name>`. The bridge listens on
// that socket for each pipe it is told to publish (and on no other: a pipe
// is remote-reachable only when its administrator lists it), and for each
// connection:
//   1. checks that the peer is root (SO_PEERCRED): only smbd may speak for
//      remote users;
//   2. reads the named-pipe-auth request (named_pipe_auth.hpp), bounded in
//      size and time;
//   3. asks the broker to open the pipe for the remote user
//      (wire::open_remote_request: the user's uid, gid and groups from
//      smbd's Unix token, as a NETWORK logon, anonymous when smbd had no
//      user). The broker runs the pipe's DACL, busy and max-instance
//      rules, and refuses PIPE_REJECT_REMOTE_CLIENTS; the server sees the
//      remote user as its client and can impersonate it. If the broker
//      refuses, the bridge closes the socket before answering (smbd then
//      fails the SMB open);
//   4. answers the handshake with the pipe's type, and relays
//      (smb_relay.hpp) until either side closes.
// Each connection has a thread of its own; nothing in one waits on another.
#pragma once

#include <string>
#include <vector>

namespace conduit::detail::remote {

struct bridge_options {
  std::string np_dir;              // smbd's `<ncalrpc dir>/np`
  std::vector<std::string> pipes;  // names after `\\.\pipe\`, as the pipes are made
  int ready_fd = -1;               // gets "R" once every socket listens
};

/// Serves until SIGTERM or SIGINT; returns the exit status (0, or 1 when
/// a socket could not be made; it says why on stderr).
int run_bridge(const bridge_options& options);

}  // namespace conduit::detail::remote
