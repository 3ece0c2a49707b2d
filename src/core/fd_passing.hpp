// Sending and receiving whole packets with descriptors (SCM_RIGHTS).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

#include "core/unique_fd.hpp"

namespace conduit::detail {

/// Most descriptors one packet may carry, in either direction.
inline constexpr std::size_t max_fds_per_packet = 4;

/// One sendmsg of `data` with `fds` attached (they stay open here), as many
/// as given: what send_packet is built on, and what a test or fuzzer uses to
/// send what a hostile peer could. Returns sendmsg's result (errno set).
ssize_t send_with_descriptors(int socket, std::span<const std::byte> data, std::span<const int> fds,
                              int flags);

/// Sends one packet with `fds` attached (they stay open here). Retries on
/// EINTR; never raises SIGPIPE. `flags` are added to sendmsg's (MSG_DONTWAIT:
/// never block, whatever the socket's own mode). Returns the errno-derived
/// error, if any.
std::error_code send_packet(int socket, std::span<const std::byte> data, std::span<const int> fds,
                            int flags = 0);

/// Takes the descriptors a received message carries (SCM_RIGHTS) into
/// `fds`, in order; they are closed when `fds` lets them go.
void descriptors_of(const msghdr& msg, std::vector<unique_fd>& fds);

/// Receives one packet into `buffer`, with its descriptors (close-on-exec).
/// Returns the packet's size: 0 means the peer closed. A packet larger than
/// `buffer` is an error (EMSGSIZE, size 0). A whole packet whose descriptors
/// did not all arrive (this process at its descriptor limit: MSG_CTRUNC), or
/// with more than max_fds_per_packet, returns its size with EMFILE and no
/// descriptors (any it carried are closed).
std::size_t receive_packet(int socket, std::span<std::byte> buffer, std::vector<unique_fd>& fds,
                           std::error_code& ec, int flags = 0);

}  // namespace conduit::detail
