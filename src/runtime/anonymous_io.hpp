// Reads and writes on Linux pipe descriptors with Windows results: the end of
// the stream is ERROR_BROKEN_PIPE, a write with no reader ERROR_NO_DATA and
// never SIGPIPE. Shared by the C++ ends and the Win32 handles. A wait that
// another thread interrupts (runtime/interruption.hpp) ends with
// ERROR_OPERATION_ABORTED.
#pragma once

#include <cstddef>
#include <span>
#include <system_error>

#include "runtime/deadline.hpp"

namespace conduit::detail {

/// Reads what is there, waiting for at least one byte. An empty buffer waits
/// until a read would not block and reads nothing (ERROR_BROKEN_PIPE if that
/// is the end of the stream).
std::size_t pipe_read(int fd, std::span<std::byte> buffer, std::error_code& ec) noexcept;

/// Writes all of `data`. SIGPIPE is blocked in the calling thread for the
/// call and, if this write raised it, taken back before unblocking, so a
/// write to a pipe without readers is only ERROR_NO_DATA. Returns what was
/// written before an error.
std::size_t pipe_write(int fd, std::span<const std::byte> data, std::error_code& ec) noexcept;

/// Waits until a read would not block; false when `until` passed first.
bool pipe_wait_readable(int fd, const deadline& until, std::error_code& ec) noexcept;

}  // namespace conduit::detail
