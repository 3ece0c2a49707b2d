// The futex calls behind the user-mode locks of the Win32 layer
// (CRITICAL_SECTION, SRWLOCK, CONDITION_VARIABLE, INIT_ONCE): each lock is
// a 32-bit word in the program's own structure, so it needs no setup and
// no handle, as on Windows.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <ctime>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

/// Waits while *word == expected, for at most `timeout_ms` (INFINITE: no
/// limit). False only when the time ran out; a wake, a changed word or a
/// signal return true (callers look at the word again).
inline bool futex_wait(void* word, std::uint32_t expected, DWORD timeout_ms = INFINITE) {
  timespec relative{};
  timespec* limit = nullptr;
  if (timeout_ms != INFINITE) {
    relative.tv_sec = timeout_ms / 1000;
    relative.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1'000'000;
    limit = &relative;
  }
  long r = ::syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, limit, nullptr, 0);
  return !(r < 0 && errno == ETIMEDOUT);
}

/// Wakes up to `count` threads waiting on `word`.
inline void futex_wake(void* word, int count) {
  ::syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

/// A 32-bit word inside a Win32 structure of another declared type: the
/// futex word at the start of a pointer-sized lock (SRWLOCK,
/// CONDITION_VARIABLE), its low half on this little-endian platform. Used
/// only through __atomic builtins.
using aliased_word = std::uint32_t __attribute__((__may_alias__));
inline aliased_word* futex_word(void* field) {
  return static_cast<aliased_word*>(field);
}

}  // namespace conduit::win32
