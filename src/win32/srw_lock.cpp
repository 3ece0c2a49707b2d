// Win32: slim reader/writer locks, on the low 32 bits of SRWLOCK.Ptr:
// a writer bit, a sleepers bit and the count of readers. Writers come
// first: once one sleeps, new readers wait too; whoever lets the lock go
// free with sleepers wakes them all to try again.
#include <cstdint>

#include "conduit/win32/windows.h"
#include "win32/futex.hpp"

using namespace conduit::win32;

namespace {

constexpr std::uint32_t writer = 0x80000000u;
constexpr std::uint32_t sleepers = 0x40000000u;
constexpr std::uint32_t readers = 0x3FFFFFFFu;

// The lock word, used through __atomic builtins only (it aliases Ptr).
class state {
 public:
  explicit state(PSRWLOCK lock) : w_(futex_word(&lock->Ptr)) {}
  std::uint32_t load(int order = __ATOMIC_SEQ_CST) const { return __atomic_load_n(w_, order); }
  bool compare_exchange_strong(std::uint32_t& expected, std::uint32_t desired,
                               int order = __ATOMIC_SEQ_CST) {
    return __atomic_compare_exchange_n(w_, &expected, desired, false, order, __ATOMIC_RELAXED);
  }
  bool compare_exchange_weak(std::uint32_t& expected, std::uint32_t desired,
                             int order = __ATOMIC_SEQ_CST) {
    return __atomic_compare_exchange_n(w_, &expected, desired, true, order, __ATOMIC_RELAXED);
  }
  std::uint32_t fetch_and(std::uint32_t v, int order = __ATOMIC_SEQ_CST) {
    return __atomic_fetch_and(w_, v, order);
  }
  std::uint32_t fetch_sub(std::uint32_t v, int order = __ATOMIC_SEQ_CST) {
    return __atomic_fetch_sub(w_, v, order);
  }

 private:
  aliased_word* w_;
};

// Marks the lock as having sleepers and sleeps while `seen` (| sleepers)
// is its state.
void sleep_on(PSRWLOCK lock, std::uint32_t seen) {
  state s(lock);
  if (!(seen & sleepers) && !s.compare_exchange_strong(seen, seen | sleepers)) return;
  futex_wait(futex_word(&lock->Ptr), seen | sleepers);
}

void wake_sleepers(PSRWLOCK lock) {
  if (state(lock).fetch_and(~sleepers) & sleepers) futex_wake(futex_word(&lock->Ptr), INT32_MAX);
}

}  // namespace

extern "C" {

VOID WINAPI InitializeSRWLock(PSRWLOCK SRWLock) {
  SRWLock->Ptr = nullptr;
}

BOOLEAN WINAPI TryAcquireSRWLockExclusive(PSRWLOCK SRWLock) {
  state s(SRWLock);
  std::uint32_t seen = s.load(__ATOMIC_RELAXED);
  while (!(seen & ~sleepers))
    if (s.compare_exchange_weak(seen, seen | writer, __ATOMIC_ACQUIRE)) return TRUE;
  return FALSE;
}

BOOLEAN WINAPI TryAcquireSRWLockShared(PSRWLOCK SRWLock) {
  state s(SRWLock);
  std::uint32_t seen = s.load(__ATOMIC_RELAXED);
  while (!(seen & (writer | sleepers)))
    if (s.compare_exchange_weak(seen, seen + 1, __ATOMIC_ACQUIRE)) return TRUE;
  return FALSE;
}

VOID WINAPI AcquireSRWLockExclusive(PSRWLOCK SRWLock) {
  state s(SRWLock);
  for (;;) {
    std::uint32_t seen = s.load(__ATOMIC_RELAXED);
    if (!(seen & ~sleepers)) {
      if (s.compare_exchange_weak(seen, seen | writer, __ATOMIC_ACQUIRE)) return;
      continue;
    }
    sleep_on(SRWLock, seen);
  }
}

VOID WINAPI AcquireSRWLockShared(PSRWLOCK SRWLock) {
  state s(SRWLock);
  for (;;) {
    std::uint32_t seen = s.load(__ATOMIC_RELAXED);
    if (!(seen & (writer | sleepers))) {
      if (s.compare_exchange_weak(seen, seen + 1, __ATOMIC_ACQUIRE)) return;
      continue;
    }
    sleep_on(SRWLock, seen);
  }
}

VOID WINAPI ReleaseSRWLockExclusive(PSRWLOCK SRWLock) {
  state(SRWLock).fetch_and(~writer, __ATOMIC_RELEASE);
  wake_sleepers(SRWLock);
}

VOID WINAPI ReleaseSRWLockShared(PSRWLOCK SRWLock) {
  std::uint32_t before = state(SRWLock).fetch_sub(1, __ATOMIC_RELEASE);
  if ((before & readers) == 1) wake_sleepers(SRWLock);
}

}  // extern "C"
