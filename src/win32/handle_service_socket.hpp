// The handle service's socket and packets (handle_service.hpp), apart from
// any handle table: what both the library's service and conduit-gate (which
// serves a suspended child) need to listen, check a caller and exchange one
// request and one reply.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <span>
#include <vector>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/handle_message.hpp"

namespace conduit::win32 {

/// A close-on-exec socket listening at a fresh abstract address of this
/// process, "\0conduit/handles/<pid>/<random token>", or none. The token
/// keeps anyone from taking the address before the process does: a name
/// that can be computed in advance (by pid alone) can be bound by another
/// user first, and then nobody can reach the process.
detail::unique_fd listen_for_handle_requests();

/// What looking for a process's service found.
enum class service_lookup { found, not_listening, access_denied };

/// An abstract socket address.
struct service_address {
  sockaddr_un where{};
  socklen_t length = 0;
};

/// The addresses process `pid` may listen at: among the sockets the
/// process holds (/proc/<pid>/fd, readable only by its own user and root,
/// as the service serves only them), the listening ones bound to a name of
/// the service's form. More than one when another user printed lines of
/// its own into /proc/net/unix (a name may hold a newline): the caller
/// keeps the one whose listener is the process (SO_PEERCRED).
/// `access_denied` if this process may not look.
service_lookup find_handle_service(int pid, std::vector<service_address>& found);

/// Bounds one exchange on `fd`, either way, to a few seconds.
void set_exchange_timeouts(int fd);

/// Sends one message with `fds` attached; false if it could not.
bool send_handle_message(int fd, const handle_message& m, std::span<const int> fds = {});

/// Receives one message; false (descriptors closed) if it is not a valid one.
bool receive_handle_message(int fd, handle_message& m, std::vector<detail::unique_fd>& fds);

/// A reply saying `error`.
handle_message handle_failure(DWORD error);

/// Whether the peer of an accepted `connection` may be served: this user or
/// root (SO_PEERCRED). Asked before anything is read, so that a stranger's
/// connection costs nothing: refuse_stranger() answers and it is closed.
bool may_serve(int connection);

/// Tells a caller that may not be served ERROR_ACCESS_DENIED without
/// waiting: the reply is sent only if the socket takes it at once, and a
/// request sent after it was accepted resets the connection instead.
void refuse_stranger(int connection);

/// Reads the request on an accepted `connection` that may_serve(), with its
/// descriptors, and checks the packet is valid. Otherwise replies with
/// ERROR_INVALID_PARAMETER, closes what came, and returns nullopt.
std::optional<handle_message> receive_handle_request(int connection,
                                                     std::vector<detail::unique_fd>& fds);

}  // namespace conduit::win32
