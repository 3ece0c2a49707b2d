// What every Win32 handle refers to: a kernel object, and how to wait on it.
#pragma once

#include <atomic>
#include <memory>

namespace conduit::win32 {

class file_object;

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
  /// Signalled for the calling thread whatever wait_fd() says: a mutex the
  /// thread owns already (its wait_fd() is unsignalled for everyone).
  [[nodiscard]] virtual bool signalled_for_caller() const { return false; }
  /// Gives back what a try_acquire() took, when a wait for all objects
  /// could not take the others: the objects then stay as they were.
  virtual void undo_acquire() {}
  /// After a try_acquire() that succeeded: whether what it took was an
  /// abandoned mutex (WAIT_ABANDONED). Asked once, by the taking thread.
  [[nodiscard]] virtual bool acquired_abandoned() { return false; }

  /// The object as a file (pipe end, mailslot, ...), or null: what every
  /// ReadFile and WriteFile asks, answered without a dynamic_cast's cost.
  [[nodiscard]] virtual file_object* as_file() { return nullptr; }

  /// Handle bookkeeping, for the handle table: when the last handle to the
  /// object closes, last_handle_closed() runs.
  void handle_opened() { handles_.fetch_add(1, std::memory_order_relaxed); }
  void handle_closed() {
    if (handles_.fetch_sub(1, std::memory_order_acq_rel) == 1) last_handle_closed();
  }
  /// Handles open now: lets last_handle_closed() see that one was opened again.
  [[nodiscard]] int handle_count() const { return handles_.load(std::memory_order_acquire); }

 protected:
  /// The last handle has closed: Windows's cleanup, which is not the
  /// object's end (calls in other threads may still be using it). A pipe
  /// ends its pending I/O and closes here, waking threads blocked on it.
  virtual void last_handle_closed() {}

 private:
  std::atomic<int> handles_{0};
};

}  // namespace conduit::win32
