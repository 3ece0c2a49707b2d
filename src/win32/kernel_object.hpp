// What every Win32 handle refers to: a kernel object, and how to wait on it.
#pragma once

#include <memory>

namespace conduit::win32 {

/// The base of events, threads, processes, pipe ends, ports, mailslots.
///
/// Waiting: an object is waitable when it has a descriptor that polls
/// readable while the object is signalled. After poll says so, the waiter
/// claims the signal with try_acquire(): an auto-reset event gives it to one
/// waiter only; everything else always says yes.
class kernel_object : public std::enable_shared_from_this<kernel_object> {
 public:
  virtual ~kernel_object() = default;

  /// A descriptor readable while signalled, or -1 if the object cannot be waited on.
  [[nodiscard]] virtual int wait_fd() const { return -1; }
  /// Claims the signal after wait_fd() polled readable; false if another
  /// waiter took it first (the wait then goes on).
  [[nodiscard]] virtual bool try_acquire() { return true; }
};

}  // namespace conduit::win32
