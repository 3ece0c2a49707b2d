// Socket activation: the listening socket a service manager hands over.
//
// systemd (and any launcher that follows its protocol, sd_listen_fds(3))
// opens the socket itself, starts the broker at the first connection and
// passes the socket as descriptor 3, saying so in the environment:
// LISTEN_PID (the pid the descriptors are meant for), LISTEN_FDS (how
// many, from 3 on) and LISTEN_FDNAMES. The protocol is read here by hand
// rather than through libsystemd: it is three variables, the broker needs
// nothing else of libsystemd, and a security boundary is better off
// without a library it does not need.
#pragma once

#include <string>

namespace conduit::broker {

/// What the environment hands over.
struct activation {
  /// The listening socket, or -1 when nothing was handed over.
  int fd = -1;
  /// Why what was handed over cannot be used; empty when it can (or when
  /// there was nothing).
  std::string error;
};

/// Reads LISTEN_PID and LISTEN_FDS and removes them (with LISTEN_FDNAMES)
/// from the environment, so that no child takes them for its own. Nothing
/// is handed over when LISTEN_PID is unset or names another process (the
/// variables were inherited from further up). Exactly one descriptor is
/// expected: more is an error (each is closed but the first), as is a
/// count that is no number.
[[nodiscard]] activation take_activated_socket();

}  // namespace conduit::broker
