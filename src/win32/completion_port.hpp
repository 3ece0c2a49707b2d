// I/O completion ports (CreateIoCompletionPort): a queue of completion
// packets that any thread may take.
//
// Files associated with a port hold it too. When the last handle of the
// port closes, the port closes: threads waiting on it return
// ERROR_ABANDONED_WAIT_0, and packets posted later are dropped, since no one
// can take them any more.
//
// The concurrency limit works as on Windows, as far as a library can see
// threads: a thread that took packets counts as running on the port until
// it asks the port again, blocks in a Win32 wait or sleep (and counts again
// when that returns), takes from another port, or ends. While as many
// threads run as the limit allows, packets wait and no thread is woken.
#pragma once

#include <deque>
#include <map>
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
  /// `concurrency`: how many threads may run on the port's packets at
  /// once; 0 means as many as there are processors.
  explicit completion_port(DWORD concurrency = 0);

  int wait_fd() const override { return ready_.get(); }
  bool try_acquire() override;

  /// Adds a packet (dropped if the queue is closed). A forwarding port
  /// sends it on instead (see port_forwarding.hpp).
  void post(const completion_packet& packet);

  /// A port of this process that only forwards: every packet posted to it
  /// goes through `fd` to another process's port (port_forwarding.hpp).
  static std::shared_ptr<completion_port> forwarding_through(detail::unique_fd fd);
  /// The descriptor another process posts to this port through, for files
  /// associated under `key` (made on first use; -1 with errno when it
  /// cannot be). A forwarding port passes on its own.
  int forwarding_descriptor(ULONG_PTR key);

  /// Takes up to out.size() packets, waiting up to `timeout_ms` for the
  /// first. Alertable: APCs run when no packet waits. Returns how many were
  /// taken; 0 with the reason in `why`: WAIT_TIMEOUT, WAIT_IO_COMPLETION,
  /// ERROR_ABANDONED_WAIT_0 (closed) or another error.
  std::size_t take(std::span<completion_packet> out, DWORD timeout_ms, bool alertable, DWORD& why);

  /// Wakes every waiter for good.
  void close();

  /// The calling thread blocks (`true`) in a wait or sleep, or returns from
  /// it: if it runs on a port, that port lets another thread run meanwhile.
  static void note_blocking(bool blocking);

 protected:
  void last_handle_closed() override { close(); }

 private:
  std::size_t take_locked(std::span<completion_packet> out);
  /// Makes the eventfd readable if a waiter may now take a packet.
  void wake_locked();
  /// The calling thread stops running on its port, if it ran on one.
  static void leave_port();

  std::mutex mutex_;
  std::deque<completion_packet> packets_;
  // Sockets other processes post through, one per key
  // (port_forwarding.hpp): the end they get, and the end a thread reads.
  struct forwarding_link {
    detail::unique_fd sender;
    std::shared_ptr<detail::unique_fd> receiver;
  };
  std::map<ULONG_PTR, forwarding_link> forwarding_;
  detail::unique_fd forward_to_;  // set on a forwarding port
  bool closed_ = false;
  DWORD limit_;
  DWORD running_ = 0;        // threads that took packets and run on them
  bool readable_ = false;    // ready_ is readable (a packet may wait)
  detail::unique_fd ready_;  // eventfd: readable while packets wait, or once closed
};

}  // namespace conduit::win32
