// What kind of socket a descriptor someone handed over is: the check
// before a received descriptor is trusted to be what it claims.
#pragma once

#include <sys/socket.h>

#include <optional>

namespace conduit::detail {

struct socket_kind {
  int domain = -1;         // AF_UNIX, ...
  int type = -1;           // SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM
  bool listening = false;  // SO_ACCEPTCONN
};

/// What `fd` is as a socket; nothing if it is no socket.
inline std::optional<socket_kind> socket_kind_of(int fd) {
  socket_kind kind;
  int listening = 0;
  socklen_t len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &kind.domain, &len) != 0) return std::nullopt;
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &kind.type, &len) != 0) return std::nullopt;
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0) return std::nullopt;
  kind.listening = listening != 0;
  return kind;
}

/// Whether `fd` is an AF_UNIX socket of `type` that does not listen.
inline bool is_unix_socket(int fd, int type) {
  auto kind = socket_kind_of(fd);
  return kind && kind->domain == AF_UNIX && kind->type == type && !kind->listening;
}

}  // namespace conduit::detail
