// I/O completion ports (CreateIoCompletionPort): a queue of completion
// packets that any thread may take.
//
// Files associated with a port hold it too. When the last handle of the
// port closes, the port closes: threads waiting on it return
// ERROR_ABANDONED_WAIT_0, and packets posted later are dropped, since no one
// can take them any more.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <span>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

/// One completion: what GetQueuedCompletionStatus hands back.
struct completion_packet {
  ULONG_PTR key = 0;
  OVERLAPPED* overlapped = nullptr;
  NTSTATUS status = STATUS_SUCCESS;
  DWORD bytes = 0;
};

/// Waitable: signalled while packets wait (WaitForSingleObject on a port
/// does not take one).
///
/// The eventfd behind wait_fd() is made readable when a packet comes to an
/// empty queue, but not drained when the queue empties: try_acquire()
/// drains it once a waiter finds nothing there. A thread that keeps taking
/// packets then costs no eventfd system call per packet.
class completion_port final : public kernel_object {
 public:
  completion_port();

  int wait_fd() const override { return ready_.get(); }
  bool try_acquire() override;

  /// Adds a packet (dropped if the queue is closed).
  void post(const completion_packet& packet);

  /// Takes up to out.size() packets, waiting up to `timeout_ms` for the
  /// first. Alertable: APCs run when no packet waits. Returns how many were
  /// taken; 0 with the reason in `why`: WAIT_TIMEOUT, WAIT_IO_COMPLETION,
  /// ERROR_ABANDONED_WAIT_0 (closed) or another error.
  std::size_t take(std::span<completion_packet> out, DWORD timeout_ms, bool alertable, DWORD& why);

  /// Wakes every waiter for good.
  void close();

 protected:
  void last_handle_closed() override { close(); }

 private:
  std::size_t take_locked(std::span<completion_packet> out);

  std::mutex mutex_;
  std::deque<completion_packet> packets_;
  bool closed_ = false;
  bool readable_ = false;    // ready_ is readable (a packet may wait)
  detail::unique_fd ready_;  // eventfd: readable while packets wait, or once closed
};

}  // namespace conduit::win32
