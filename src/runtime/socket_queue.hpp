// What the kernel holds of a connected AF_UNIX socket's writes: the bytes
// its peer has not read yet, read off the peer's receive queue through
// sock_diag (NETLINK_SOCK_DIAG, UNIX_DIAG_RQLEN).
//
// The pipe write quota (docs/named-pipes.md) counts these bytes. They come
// from the kernel, not from the peer, so a peer cannot make a writer here
// believe anything but the truth about its own connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace conduit::detail {

/// Bytes written into connected AF_UNIX socket `fd` that its peer has not
/// read, data only (what FIONREAD on the peer gives). `peer_inode` caches
/// the peer's inode between calls: 0 the first time. nullopt when the
/// kernel does not answer (no sock_diag, another network namespace) or the
/// peer is gone.
std::optional<std::size_t> unread_by_peer(int fd, std::uint32_t& peer_inode);

}  // namespace conduit::detail
