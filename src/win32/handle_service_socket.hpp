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

/// The service's abstract address for `pid` ("\0conduit/handles/<pid>").
sockaddr_un handle_service_address(int pid, socklen_t& length);

/// A close-on-exec socket listening at this process's address, or none.
detail::unique_fd listen_for_handle_requests();

/// Bounds one exchange on `fd`, either way, to a few seconds.
void set_exchange_timeouts(int fd);

/// Sends one message with `fds` attached; false if it could not.
bool send_handle_message(int fd, const handle_message& m, std::span<const int> fds = {});

/// Receives one message; false (descriptors closed) if it is not a valid one.
bool receive_handle_message(int fd, handle_message& m, std::vector<detail::unique_fd>& fds);

/// A reply saying `error`.
handle_message handle_failure(DWORD error);

/// Reads the request on an accepted `connection`, with its descriptors, and
/// checks it may be served: the caller is this user or root (SO_PEERCRED)
/// and the packet is valid. Otherwise replies with the error
/// (ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER), closes what came, and
/// returns nullopt.
std::optional<handle_message> receive_handle_request(int connection,
                                                     std::vector<detail::unique_fd>& fds);

}  // namespace conduit::win32
