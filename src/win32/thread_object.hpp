// Threads as kernel objects: waitable until they exit, with an exit code and
// a queue of APCs (QueueUserAPC, completion routines) that run when the
// thread waits alertably.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "runtime/interruption.hpp"
#include "win32/kernel_object.hpp"
#include "win32/suspend_gate.hpp"

namespace conduit::win32 {

class thread_object final : public kernel_object {
 public:
  thread_object();

  int wait_fd() const override { return exited_.get(); }

  /// Marks the thread as ended with `code`: waits on it complete.
  void finish(DWORD code);
  [[nodiscard]] bool finished() const { return finished_.load(); }
  [[nodiscard]] DWORD exit_code() const { return exit_code_.load(); }
  [[nodiscard]] DWORD id() const { return id_; }
  void set_id(DWORD id) { id_ = id; }

  /// CREATE_SUSPENDED: the routine waits behind a gate until ResumeThread.
  void hold_back() { gate_ = std::make_shared<suspend_gate>(); }
  /// The gate, or null for a thread that was not created suspended.
  [[nodiscard]] const std::shared_ptr<suspend_gate>& gate() const { return gate_; }

  /// Queues a call to run in this thread at its next alertable wait.
  void queue_apc(std::function<void()> apc);
  /// A descriptor readable while APCs wait (for alertable waits).
  [[nodiscard]] int apc_fd() const { return apc_ready_.get(); }
  /// Runs the queued APCs in the calling thread (which must be this one);
  /// true if any ran.
  bool run_apcs();

  /// A synchronous call of this thread that CancelSynchronousIo (or
  /// CancelIoEx, for a read the thread waits for itself) may end begins, in
  /// the calling thread, which must be this one: its blocking system calls
  /// end with ERROR_OPERATION_ABORTED once asked to
  /// (runtime/interruption.hpp). Returns the call's serial. No system call.
  std::uint32_t begin_synchronous_io() { return interruption_.begin(); }
  /// It is over: a cancel that came too late for it is forgotten.
  void end_synchronous_io() { interruption_.end(); }
  /// CancelSynchronousIo: asks the synchronous call this thread is in to
  /// end, and interrupts its system call; false if it is in none.
  bool cancel_synchronous_io() { return interruption_.interrupt(static_cast<pid_t>(id_)); }
  /// The same for the call begin_synchronous_io gave `serial` for only.
  bool cancel_synchronous_io(std::uint32_t serial) {
    return interruption_.interrupt_call(static_cast<pid_t>(id_), serial);
  }

 private:
  detail::unique_fd exited_;     // eventfd, written once at exit
  detail::unique_fd apc_ready_;  // eventfd, readable while APCs wait
  std::atomic<bool> finished_{false};
  std::atomic<DWORD> exit_code_{STILL_ACTIVE};
  DWORD id_ = 0;
  std::shared_ptr<suspend_gate> gate_;
  detail::interruption interruption_;
  std::mutex apc_mutex_;
  std::deque<std::function<void()>> apcs_;
};

/// The calling thread's object (made on first use for threads that
/// CreateThread did not start, such as main).
const std::shared_ptr<thread_object>& current_thread_object();

/// Makes `object` the calling thread's object (CreateThread's new thread).
void adopt_thread_object(std::shared_ptr<thread_object> object);

/// The Linux thread id of the caller, which is what GetCurrentThreadId gives.
DWORD current_thread_id();

/// One synchronous call of the calling thread that CancelSynchronousIo can
/// end, from construction to destruction.
class synchronous_io_scope {
 public:
  synchronous_io_scope() : thread_(*current_thread_object()) { thread_.begin_synchronous_io(); }
  ~synchronous_io_scope() { thread_.end_synchronous_io(); }
  synchronous_io_scope(const synchronous_io_scope&) = delete;
  synchronous_io_scope& operator=(const synchronous_io_scope&) = delete;

 private:
  thread_object& thread_;
};

}  // namespace conduit::win32
