// How a mailslot message travels through the slot's SOCK_SEQPACKET socket.
//
// A message up to inline_message_limit bytes is one record holding exactly
// its bytes (a zero-length message is a zero-length record). A larger one
// goes into a sealed memfd, sent as a record of 8 bytes (the message size,
// little-endian) with the memfd attached: a record is then bounded by the
// socket's send buffer no longer, and the memfd is the message's only copy.
// A record carrying a descriptor is always a memfd message, so the two never
// mix up.
#pragma once

#include <fcntl.h>

#include <cstddef>
#include <cstdint>

namespace conduit::detail {

/// Largest message sent as a record of its own; larger ones go in a memfd.
/// It fits the smallest send buffer Linux gives by default (208 KiB).
inline constexpr std::size_t inline_message_limit = 64 * 1024;

/// Bytes of the record that announces a memfd message: its size.
inline constexpr std::size_t memfd_record_size = 8;

/// The seals a memfd message carries: nobody can change it once sent.
inline constexpr int memfd_message_seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

}  // namespace conduit::detail
