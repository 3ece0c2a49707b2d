// Mutexes (CreateMutex): owned by one thread at a time, recursively, on an
// eventfd whose counter is 1 while the mutex is free, 2 while it is free
// because its owner abandoned it, and 0 while a thread owns it. Taking the
// mutex is reading the counter, which only one waiter in any process can
// do; who owns it, and how often, is known only in the owner's process,
// which is all that ReleaseMutex needs.
//
// A thread that exits owning mutexes abandons them, and so does a process
// that exits (return from main, exit, ExitProcess): the counter becomes 2
// and the next thread to take the mutex hears WAIT_ABANDONED. A process
// killed outright cannot: for a named mutex the broker does it, told by
// a note each time a thread here takes the mutex or lets it go.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/kernel_object.hpp"

namespace conduit::detail {
struct event_registration;
}

namespace conduit::win32 {

class mutex_object final : public kernel_object {
 public:
  /// An unnamed mutex with an eventfd of its own, owned by the calling
  /// thread if `owned`.
  explicit mutex_object(bool owned = false);
  /// A mutex over an eventfd shared with other processes: a named one
  /// (`name_key` says which, so its last handle can let go of the name).
  mutex_object(detail::unique_fd fd, std::string name_key);
  ~mutex_object() override;

  int wait_fd() const override { return fd_.get(); }
  bool try_acquire() override;
  bool signalled_for_caller() const override;
  void undo_acquire() override;
  bool acquired_abandoned() override;

  /// bInitialOwner on a new named mutex, made taken (counter 0): the
  /// calling thread is its owner.
  void own_from_start();
  /// ReleaseMutex: ERROR_SUCCESS, or ERROR_NOT_OWNER.
  DWORD release();
  /// The owning thread is gone (or the process is exiting): let go of it
  /// as abandoned, however often it was taken.
  void abandon();

  /// The owning thread's id, 0 if no thread of this process owns it.
  [[nodiscard]] DWORD owner() const;
  [[nodiscard]] const std::string& name_key() const { return name_key_; }
  /// The name's hold at the broker, which hears who owns the mutex from now
  /// on (set once, before the mutex is shared).
  void note_owners_to(std::shared_ptr<detail::event_registration> registration) {
    registration_ = std::move(registration);
  }

 protected:
  void last_handle_closed() override;

 private:
  void became_owner(std::uint64_t counter);
  /// Leaves the mutex free with `counter` (1: free, 2: abandoned).
  void let_go(std::uint64_t counter);

  /// Tells the broker a thread here took it or let it go (named ones).
  void note_owner(bool owned) const;

  detail::unique_fd fd_;
  std::string name_key_;
  std::shared_ptr<detail::event_registration> registration_;
  std::atomic<DWORD> owner_{0};   // thread id; 0 if not owned here
  unsigned recursion_ = 0;        // the owner's to touch
  bool abandoned_claim_ = false;  // the owner's to touch
};

/// Abandons every mutex a thread of this process owns: the process is
/// exiting (ExitProcess calls it; so does exit, by atexit).
void abandon_owned_mutexes();

}  // namespace conduit::win32
