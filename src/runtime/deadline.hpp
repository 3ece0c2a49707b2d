// A point in time a bounded wait must not pass, turned into poll timeouts.
#pragma once

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <limits>

#include "runtime/interruption.hpp"

namespace conduit::detail {

/// A deadline from a relative timeout; a negative timeout means none. Each
/// poll in a retry loop asks for what is left, so EINTR and spurious wakeups
/// never stretch the whole wait.
class deadline {
 public:
  explicit deadline(std::chrono::milliseconds timeout) noexcept
      : unlimited_(timeout.count() < 0),
        at_(std::chrono::steady_clock::now() +
            (unlimited_ ? std::chrono::milliseconds(0) : std::min(timeout, longest))) {}

  [[nodiscard]] bool unlimited() const noexcept { return unlimited_; }
  /// The point itself (meaningless when unlimited()).
  [[nodiscard]] std::chrono::steady_clock::time_point at() const noexcept { return at_; }
  [[nodiscard]] bool passed() const noexcept { return poll_timeout() == 0; }

  /// Milliseconds left for poll(): -1 without a deadline, 0 once passed,
  /// rounded up so a wait never ends just before the deadline.
  [[nodiscard]] int poll_timeout() const noexcept {
    if (unlimited_) return -1;
    auto left = at_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                : static_cast<int>(ms);
  }

 private:
  // Keeps now() + timeout inside steady_clock's range (about 292 years).
  static constexpr std::chrono::milliseconds longest = std::chrono::hours(24 * 365 * 100);
  bool unlimited_;
  std::chrono::steady_clock::time_point at_;
};

/// Polls one descriptor for `events` until it is ready or `until` passes.
/// Returns the revents (0 on timeout) or -1 with errno set. `interruptible`:
/// another thread may end the wait (interruption.hpp; -1 with EINTR), which
/// a wait in the middle of an exchange others share must never allow.
inline int poll_until(int fd, short events, const deadline& until,
                      bool interruptible = false) noexcept {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, until.poll_timeout());
    if (n > 0) return p.revents;
    // A timeout clamped to INT_MAX ms may end before the deadline.
    if (n == 0 && until.poll_timeout() == 0) return 0;
    if (n == 0) continue;
    if (errno != EINTR || (interruptible && interrupted())) return -1;
  }
}

}  // namespace conduit::detail
