// Blocking reads and writes on a pipe end's socket, with Win32 errors.
#pragma once

#include <cstddef>
#include <span>
#include <system_error>

namespace conduit::detail {

/// Reads what is there, waiting for at least one byte. An empty buffer waits
/// until data is there and reads nothing, as ReadFile does. End of stream is
/// ERROR_BROKEN_PIPE; the caller may refine it. A wait that another thread
/// interrupts (runtime/interruption.hpp) ends with ERROR_OPERATION_ABORTED,
/// here and in the calls below.
std::size_t stream_read(int fd, std::span<std::byte> buffer, std::error_code& ec);

/// Writes all of `data`, waiting while the peer's buffer is full. A closed
/// peer is ERROR_NO_DATA; returns what was written before an error (an
/// interrupted write leaves that part in the pipe).
std::size_t stream_write(int fd, std::span<const std::byte> data, std::error_code& ec);

/// Waits until `fd` is readable or hung up: true if so, false on timeout
/// (timeout_ms < 0: no limit).
bool wait_readable(int fd, int timeout_ms, std::error_code& ec);

}  // namespace conduit::detail
