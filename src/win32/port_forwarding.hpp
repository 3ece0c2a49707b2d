// Completion ports across processes. On Windows a handle that goes to
// another process (DuplicateHandle, inheritance) shares its file object,
// and with it the object's completion port: what the other process's I/O on
// it completes, and what that process's exit cancels, reaches the port of
// the process that associated it. Here each process has its own ports, so
// the association travels as a socket: the receiving process associates
// the file with a forwarding port that sends every packet through it, and
// a thread of the sending process posts what arrives to the real port,
// with the key of the association (never one the other process chose).
#pragma once

#include <memory>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/completion_port.hpp"

namespace conduit::win32 {

class file_object;

/// Makes the socket pair behind `port`'s association under `key`: `sender`
/// gets the end other processes post through; the returned end is read by
/// a thread that posts to `port` while it lives. Null (errno set) if the
/// pair or the thread cannot be made.
std::shared_ptr<detail::unique_fd> start_forwarding(const std::shared_ptr<completion_port>& port,
                                                    ULONG_PTR key, detail::unique_fd& sender);

/// Sends `packet` through `fd` (a forwarding port's post). Never blocks: a
/// packet the socket has no room for is dropped.
void forward_packet(int fd, const completion_packet& packet);

/// Whether `fd` can be a forwarding socket (a SOCK_SEQPACKET socket).
[[nodiscard]] bool is_forwarding_socket(int fd);

/// Cancels, when this process exits (exit or ExitProcess), the I/O still
/// pending on `file`, whose completions go to another process's port: that
/// port hears of it (ERROR_OPERATION_ABORTED), as when a process exits on
/// Windows. A process killed outright sends nothing.
void cancel_at_exit(const std::shared_ptr<file_object>& file);

/// Cancels the pending I/O of every file cancel_at_exit was given.
void cancel_forwarded_io();

}  // namespace conduit::win32
