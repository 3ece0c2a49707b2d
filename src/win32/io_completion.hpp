// Where the result of an I/O operation goes, as Windows reports it: the
// OVERLAPPED's Internal (status) and InternalHigh (bytes), the event, the
// file's own signal, the file's completion port, or an APC with the
// completion routine of ReadFileEx / WriteFileEx.
#pragma once

#include <cstddef>
#include <memory>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

class event_object;
class file_signal;
class completion_port;
class thread_object;

struct io_completion {
  /// Where Internal and InternalHigh go (the program's, or one of our own
  /// when the program passed none).
  OVERLAPPED* overlapped = nullptr;
  /// The event hEvent named when the call was made (closing the handle
  /// later does not change which event is set, as on Windows).
  std::shared_ptr<event_object> event;
  /// Set when there is no event: the file handle itself is signalled.
  std::shared_ptr<conduit::win32::file_signal> file_signal;
  /// Set for a call that waits for its own operation (no OVERLAPPED given).
  std::shared_ptr<event_object> private_signal;
  /// The file's completion port and key, when a packet is due.
  std::shared_ptr<completion_port> port;
  ULONG_PTR key = 0;
  /// The overlapped pointer a packet carries (null when the program gave none).
  OVERLAPPED* packet_overlapped = nullptr;
  /// ReadFileEx / WriteFileEx: the routine, queued as an APC to this thread.
  std::shared_ptr<thread_object> apc_thread;
  LPOVERLAPPED_COMPLETION_ROUTINE routine = nullptr;

  /// Reports the result everywhere the program asked for it. Internal is
  /// written last (with release ordering), so whoever sees it no longer
  /// STATUS_PENDING sees InternalHigh too.
  void deliver(DWORD error, std::size_t bytes) const;
};

/// Writes OVERLAPPED::Internal as other threads may read it (HasOverlappedIoCompleted).
void store_status(OVERLAPPED* overlapped, NTSTATUS status);
/// Reads it likewise.
NTSTATUS load_status(const OVERLAPPED* overlapped);

/// Whether an error is a failure in the NTSTATUS sense (severity "error"):
/// a call that fails with one at once reports nothing else. ERROR_MORE_DATA
/// is only a warning: its result is delivered like a success.
bool is_failure(DWORD error);

}  // namespace conduit::win32
