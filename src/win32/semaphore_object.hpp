// Semaphores (CreateSemaphore): an eventfd in semaphore mode whose counter
// is the semaphore's count, so that each wait takes exactly one and any
// number of processes can share it. The maximum is kept beside it.
#pragma once

#include <mutex>
#include <string>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

class semaphore_object final : public kernel_object {
 public:
  /// An unnamed semaphore; 0 <= initial <= maximum, checked by the caller.
  semaphore_object(LONG initial, LONG maximum);
  /// One over an eventfd shared with other processes (a named one).
  semaphore_object(detail::unique_fd fd, LONG maximum, std::string name_key);

  int wait_fd() const override { return fd_.get(); }
  bool try_acquire() override;
  void undo_acquire() override;

  /// ReleaseSemaphore: ERROR_SUCCESS with the count before in *previous,
  /// or ERROR_TOO_MANY_POSTS (nothing added) past the maximum.
  DWORD release(LONG count, LONG* previous);

  [[nodiscard]] LONG maximum() const { return maximum_; }
  [[nodiscard]] const std::string& name_key() const { return name_key_; }

 protected:
  void last_handle_closed() override;

 private:
  detail::unique_fd fd_;
  LONG maximum_;
  std::string name_key_;
  // Releases in this process one at a time, so that two never pass the
  // maximum together (waits only take from the count, which cannot).
  std::mutex release_mutex_;
};

}  // namespace conduit::win32
