// The signal of a file handle: what WaitForSingleObject on the file, and
// GetOverlappedResult given no hEvent, wait for. Set at creation, reset when
// an operation starts, set when one without an event completes.
//
// An overlapped server starts and completes operations all the time and
// almost never waits on the handle itself, so the state lives in an atomic
// flag and the eventfd that pollers watch is kept lazily: made only when
// something first waits on the handle (most handles never are, and a server
// with thousands of connections would otherwise spend a descriptor on each),
// made readable when the signal is set and it was not readable, drained only
// when a waiter finds it readable while the signal is reset (claim). Busy
// handles then cost no system call per operation.
#pragma once

#include <atomic>

namespace conduit::win32 {

class file_signal {
 public:
  file_signal() = default;
  ~file_signal();
  file_signal(const file_signal&) = delete;
  file_signal& operator=(const file_signal&) = delete;

  /// Readable while set (and perhaps a while after a reset, see claim);
  /// made on the first call. -1 (errno set) when no descriptor could be made.
  [[nodiscard]] int wait_fd() const;
  void set();
  void reset() { set_.store(false); }
  /// After wait_fd() polled readable: whether the signal is set. If not,
  /// drains the descriptor so that the waiter blocks again.
  bool claim();

 private:
  void make_readable();

  // The eventfd, -1 until someone waits. Until it exists nothing drains it,
  // so readable_ stays true and the descriptor is made readable.
  mutable std::atomic<int> fd_{-1};
  std::atomic<bool> set_{true};
  std::atomic<bool> readable_{true};
};

}  // namespace conduit::win32
