// A lock for a channel's data path. Taking and releasing it when nobody
// else wants it costs one atomic instruction each, inline: a std::mutex
// goes through pthread's general code for the same, which is a tenth of
// what a small message costs above its system call (docs/benchmarks.md).
// A thread that finds it held sleeps on a futex until it is released, as
// with a std::mutex (a reader may hold it while blocked in recv).
#pragma once

#include <atomic>
#include <cstdint>

namespace conduit::detail {

class io_lock {
 public:
  void lock() {
    if (!try_lock()) lock_contended();
  }
  bool try_lock() {
    std::uint32_t expected = unlocked;
    return state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock() {
    if (state_.exchange(unlocked, std::memory_order_release) == contended) state_.notify_one();
  }

 private:
  static constexpr std::uint32_t unlocked = 0;
  static constexpr std::uint32_t locked = 1;     // held, nobody waits
  static constexpr std::uint32_t contended = 2;  // held, someone may wait

  void lock_contended() {
    // Whoever takes it from here on marks it contended: a waiter it may
    // have displaced still needs the release's wake-up.
    while (state_.exchange(contended, std::memory_order_acquire) != unlocked)
      state_.wait(contended, std::memory_order_relaxed);
  }

  std::atomic<std::uint32_t> state_{unlocked};
};

}  // namespace conduit::detail
