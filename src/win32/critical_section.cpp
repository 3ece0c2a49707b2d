// Win32: critical sections. A recursive lock on a futex word (LockCount:
// 0 free, 1 held, 2 held with sleepers), owned by a thread id.
#include <atomic>

#include "conduit/win32/windows.h"
#include "win32/futex.hpp"
#include "win32/thread_object.hpp"

using namespace conduit::win32;

namespace {

constexpr LONG free_state = 0, held = 1, contended = 2;
// Windows caps the spin count likewise (the high bits are flags).
constexpr DWORD max_spin = 0x00FFFFFF;

std::atomic_ref<LONG> word(LPCRITICAL_SECTION cs) {
  return std::atomic_ref<LONG>(cs->LockCount);
}

std::atomic_ref<HANDLE> owner(LPCRITICAL_SECTION cs) {
  return std::atomic_ref<HANDLE>(cs->OwningThread);
}

HANDLE self() {
  return reinterpret_cast<HANDLE>(static_cast<ULONG_PTR>(current_thread_id()));
}

void init(LPCRITICAL_SECTION cs, DWORD spin) {
  cs->DebugInfo = nullptr;
  cs->LockCount = 0;
  cs->RecursionCount = 0;
  cs->OwningThread = nullptr;
  cs->LockSemaphore = nullptr;
  cs->SpinCount = spin & max_spin;
}

void lock_word(LPCRITICAL_SECTION cs) {
  auto w = word(cs);
  LONG expected = free_state;
  if (w.compare_exchange_strong(expected, held, std::memory_order_acquire)) return;
  for (ULONG_PTR i = 0; i < cs->SpinCount; ++i) {
    expected = free_state;
    if (w.load(std::memory_order_relaxed) == free_state &&
        w.compare_exchange_weak(expected, held, std::memory_order_acquire))
      return;
    __builtin_ia32_pause();
  }
  // Sleep with the word marked contended, so that the holder wakes us.
  while (w.exchange(contended, std::memory_order_acquire) != free_state)
    futex_wait(&cs->LockCount, contended);
}

}  // namespace

extern "C" {

VOID WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
  init(lpCriticalSection, 0);
}

BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection,
                                                  DWORD dwSpinCount) {
  init(lpCriticalSection, dwSpinCount);
  return TRUE;
}

BOOL WINAPI InitializeCriticalSectionEx(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount,
                                        DWORD) {
  init(lpCriticalSection, dwSpinCount);
  return TRUE;
}

DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount) {
  auto previous = static_cast<DWORD>(lpCriticalSection->SpinCount);
  lpCriticalSection->SpinCount = dwSpinCount & max_spin;
  return previous;
}

VOID WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
  if (owner(lpCriticalSection).load(std::memory_order_relaxed) == self()) {
    ++lpCriticalSection->RecursionCount;
    return;
  }
  lock_word(lpCriticalSection);
  owner(lpCriticalSection).store(self(), std::memory_order_relaxed);
  lpCriticalSection->RecursionCount = 1;
}

BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
  if (owner(lpCriticalSection).load(std::memory_order_relaxed) == self()) {
    ++lpCriticalSection->RecursionCount;
    return TRUE;
  }
  LONG expected = free_state;
  if (!word(lpCriticalSection).compare_exchange_strong(expected, held, std::memory_order_acquire))
    return FALSE;
  owner(lpCriticalSection).store(self(), std::memory_order_relaxed);
  lpCriticalSection->RecursionCount = 1;
  return TRUE;
}

VOID WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
  if (owner(lpCriticalSection).load(std::memory_order_relaxed) != self()) return;
  if (--lpCriticalSection->RecursionCount > 0) return;
  owner(lpCriticalSection).store(nullptr, std::memory_order_relaxed);
  if (word(lpCriticalSection).exchange(free_state, std::memory_order_release) == contended)
    futex_wake(&lpCriticalSection->LockCount, 1);
}

VOID WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
  init(lpCriticalSection, 0);
}

}  // extern "C"
