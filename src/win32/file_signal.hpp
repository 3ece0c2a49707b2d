// The signal of a file handle: what WaitForSingleObject on the file, and
// GetOverlappedResult given no hEvent, wait for. Set at creation, reset when
// an operation starts, set when one without an event completes.
//
// An overlapped server starts and completes operations all the time and
// almost never waits on the handle itself, so the state lives in an atomic
// flag and the eventfd that pollers watch is kept lazily: made readable when
// the signal is set and it was not readable, drained only when a waiter
// finds it readable while the signal is reset (claim). Busy handles then
// cost no system call per operation.
#pragma once

#include <atomic>

#include "core/unique_fd.hpp"

namespace conduit::win32 {

class file_signal {
 public:
  file_signal();

  /// Readable while set (and perhaps a while after a reset, see claim).
  [[nodiscard]] int wait_fd() const { return fd_.get(); }
  void set();
  void reset() { set_.store(false); }
  /// After wait_fd() polled readable: whether the signal is set. If not,
  /// drains the descriptor so that the waiter blocks again.
  bool claim();

 private:
  void make_readable();

  detail::unique_fd fd_;  // eventfd
  std::atomic<bool> set_{true};
  std::atomic<bool> readable_{true};
};

}  // namespace conduit::win32
