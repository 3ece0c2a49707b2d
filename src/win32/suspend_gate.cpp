#include "win32/suspend_gate.hpp"

#include <utility>

namespace conduit::win32 {

suspend_gate::suspend_gate(std::function<void()> on_open) : on_open_(std::move(on_open)) {}

DWORD suspend_gate::resume() {
  std::function<void()> open;
  DWORD before;
  {
    std::lock_guard lock(mutex_);
    before = count_;
    if (count_ == 0) return 0;
    if (--count_ == 0) open = std::move(on_open_);
  }
  if (before == 1) {
    opened_.notify_all();
    if (open) open();
  }
  return before;
}

DWORD suspend_gate::suspend() {
  std::lock_guard lock(mutex_);
  if (count_ == 0) {
    SetLastError(ERROR_NOT_SUPPORTED);
    return static_cast<DWORD>(-1);
  }
  return count_++;
}

void suspend_gate::wait() {
  std::unique_lock lock(mutex_);
  opened_.wait(lock, [&] { return count_ == 0; });
}

}  // namespace conduit::win32
