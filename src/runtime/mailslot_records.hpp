// How a mailslot message travels: one datagram from the writer's own socket
// to the reader's receiving socket (AF_UNIX SOCK_DGRAM).
//
// A message up to inline_message_limit bytes is one record holding exactly
// its bytes (a zero-length message is a zero-length record). A larger one
// goes into a sealed memfd, sent as a record of 8 bytes (the message size,
// little-endian) with the memfd attached: a record is then bounded by the
// socket's send buffer no longer, and the memfd is the message's only copy.
// A record carrying a descriptor is always a memfd message, so the two never
// mix up. Records carry no sender: what one writer sends can only ever be
// its own message, whatever it looks like.
//
// The reader trusts none of it: a record too long, with more than one
// descriptor, with a descriptor that is not a sealed memfd whose size is the
// announced one and whose every page is there (a sparse file would make the
// reader allocate what the writer never paid for), or larger than the slot
// takes, is dropped, and the next record is read as usual.
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

/// The most a slot takes when its maximum is 0 ("any size") or larger: a
/// writer's larger message fails with ERROR_INVALID_PARAMETER and a record
/// announcing one is dropped, so a reader never holds more per message.
inline constexpr std::uint64_t mailslot_message_ceiling = 64ull << 20;

/// The largest message a slot with maximum `max_message_size` takes.
constexpr std::uint64_t mailslot_message_limit(std::uint32_t max_message_size) {
  return max_message_size == 0 || max_message_size > mailslot_message_ceiling
             ? mailslot_message_ceiling
             : max_message_size;
}

/// The seals a memfd message carries: nobody can change it once sent.
inline constexpr int memfd_message_seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

}  // namespace conduit::detail
