// Blocking calls that another thread can end: what the Win32 layer's
// CancelSynchronousIo (and CancelIoEx on a read a thread waits for itself)
// is built on.
//
// The blocking system call itself is the wait — the recv, send, read, write
// or poll the C++ API makes — so a call that can be ended costs no more
// than one that cannot. The thread marks its call begun (no system call); to
// end it, another thread marks the call asked to end and sends the thread
// interrupt_signal(), whose handler does nothing and is installed without
// SA_RESTART, so the blocked call fails with EINTR. Every loop that retries
// EINTR on such a path asks interrupted() first: true (the call was asked
// to end) makes it give up with ERROR_OPERATION_ABORTED; false (any other
// signal) retries, and a timeout keeps counting from its deadline. Only
// the waits of the data path and of a broker exchange on a connection of
// its own (WaitNamedPipe) ask; a wait in an exchange on the shared broker
// connection never does, since its reply would be left for the next caller.
//
// A signal that lands after the thread marked its call but before it entered
// the system call interrupts nothing. The asker therefore sends it again,
// with a growing pause, until the thread shows that it has seen the request
// (or has left the call): interrupt() returns only then, or when the thread
// keeps the signal blocked, or after a bounded time.
//
//   // the thread that may be interrupted
//   interruption& self = ...;          // owned by the thread's object
//   self.begin();
//   std::size_t n = end.read(buffer, ec);  // ERROR_OPERATION_ABORTED if asked
//   self.end();
//
//   // another thread
//   if (!self.interrupt(tid)) { /* no call to end */ }
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

namespace conduit::detail {

/// The real-time signal that ends a blocked call: SIGRTMIN + 6 (glibc's
/// SIGRTMIN is already past the two signals its threads use). Installed on
/// the first interrupt() with a handler that does nothing, unless the
/// program has a handler of its own on it (docs/win32-named-pipes.md).
int interrupt_signal() noexcept;

/// One thread's interruptible calls; the thread's Win32 object owns it.
class interruption {
 public:
  /// The owning thread begins an interruptible call (not nested). From here
  /// on interrupted() in this thread answers for it. No system call.
  /// Returns the call's serial, for interrupt_call.
  std::uint32_t begin() noexcept;
  /// The call is over, ended or not; a request that came too late for it is
  /// forgotten. A system call only when a thread waits in interrupt().
  void end() noexcept;

  /// Another thread asks the call the owner (Linux thread `tid`) is in to
  /// end, and interrupts its system call. False when it is in none.
  bool interrupt(pid_t tid) noexcept { return interrupt(tid, 0, false); }
  /// The same for one call only, the one begin() gave `serial` for: false
  /// once it is over. For an asker that found the call in a list of its own
  /// and must not end the thread's next one.
  bool interrupt_call(pid_t tid, std::uint32_t serial) noexcept {
    return interrupt(tid, serial, true);
  }

  /// The owning thread: whether its current call has been asked to end
  /// (noting that it has seen the request, which lets the asker return).
  bool asked() noexcept;

 private:
  bool interrupt(pid_t tid, std::uint32_t serial, bool only_that) noexcept;

  // The state word: the call's serial above four flags.
  static constexpr std::uint32_t in_call = 1;  // the owner is in a call
  static constexpr std::uint32_t ask = 2;      // someone asked it to end
  static constexpr std::uint32_t seen = 4;     // the owner has seen the request
  static constexpr std::uint32_t waiter = 8;   // an asker waits for in_call or seen
  static constexpr std::uint32_t serial_unit = 16;

  std::atomic<std::uint32_t> state_{0};
};

/// After a system call failed with EINTR: true when the calling thread's
/// interruptible call has been asked to end (the caller then ends it with
/// ERROR_OPERATION_ABORTED); false for a thread in no such call or a signal
/// sent for another reason (the caller retries).
bool interrupted() noexcept;

}  // namespace conduit::detail
