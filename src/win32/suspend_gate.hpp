// What CREATE_SUSPENDED holds back: a thread's routine, or a child's
// program. The gate starts closed with a suspend count of 1; ResumeThread
// counts down and the gate opens at 0, once; SuspendThread counts up while
// it is still closed.
//
// Linux has no safe way to stop one thread of a running process where it
// stands (a signal handler that waits could hold any lock the thread took),
// so once open a gate cannot close again: SuspendThread then fails with
// ERROR_NOT_SUPPORTED.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

class suspend_gate {
 public:
  /// A closed gate; `on_open` runs (once, under no lock of the gate's) when
  /// it opens. It may be empty: wait() then tells whoever waits.
  explicit suspend_gate(std::function<void()> on_open = {});

  /// ResumeThread: the suspend count before the call (0 once open).
  DWORD resume();
  /// SuspendThread: the count before the call while still closed; once
  /// open, (DWORD)-1 with ERROR_NOT_SUPPORTED.
  DWORD suspend();
  /// Blocks until the gate opens.
  void wait();

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  DWORD count_ = 1;
  std::function<void()> on_open_;
};

}  // namespace conduit::win32
