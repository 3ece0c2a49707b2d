// Win32: condition variables, a sequence number on the low 32 bits of
// CONDITION_VARIABLE.Ptr. A sleeper notes the number, lets its lock go and
// sleeps while the number is unchanged; a wake bumps it first, so no wake
// between the two is lost.
#include <cstdint>

#include "conduit/win32/windows.h"
#include "win32/futex.hpp"

using namespace conduit::win32;

namespace {

// The sequence number, used through __atomic builtins only (it aliases Ptr).
std::uint32_t load_sequence(PCONDITION_VARIABLE cv) {
  return __atomic_load_n(futex_word(&cv->Ptr), __ATOMIC_ACQUIRE);
}

// Sleeps on `cv` (its number seen as `seen`); FALSE with ERROR_TIMEOUT
// when the time ran out.
BOOL sleep(PCONDITION_VARIABLE cv, std::uint32_t seen, DWORD ms) {
  if (futex_wait(futex_word(&cv->Ptr), seen, ms)) return TRUE;
  SetLastError(ERROR_TIMEOUT);
  return FALSE;
}

void wake(PCONDITION_VARIABLE cv, int count) {
  __atomic_fetch_add(futex_word(&cv->Ptr), 1, __ATOMIC_RELEASE);
  futex_wake(futex_word(&cv->Ptr), count);
}

}  // namespace

extern "C" {

VOID WINAPI InitializeConditionVariable(PCONDITION_VARIABLE ConditionVariable) {
  ConditionVariable->Ptr = nullptr;
}

BOOL WINAPI SleepConditionVariableCS(PCONDITION_VARIABLE ConditionVariable,
                                     PCRITICAL_SECTION CriticalSection, DWORD dwMilliseconds) {
  std::uint32_t seen = load_sequence(ConditionVariable);
  // Let go of every entry this thread made, and make them all again after.
  LONG entries = CriticalSection->RecursionCount;
  CriticalSection->RecursionCount = 1;
  LeaveCriticalSection(CriticalSection);
  BOOL woken = sleep(ConditionVariable, seen, dwMilliseconds);
  DWORD error = GetLastError();
  EnterCriticalSection(CriticalSection);
  CriticalSection->RecursionCount = entries;
  SetLastError(error);
  return woken;
}

BOOL WINAPI SleepConditionVariableSRW(PCONDITION_VARIABLE ConditionVariable, PSRWLOCK SRWLock,
                                      DWORD dwMilliseconds, ULONG Flags) {
  if (Flags & ~static_cast<ULONG>(CONDITION_VARIABLE_LOCKMODE_SHARED)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  bool shared = Flags & CONDITION_VARIABLE_LOCKMODE_SHARED;
  std::uint32_t seen = load_sequence(ConditionVariable);
  shared ? ReleaseSRWLockShared(SRWLock) : ReleaseSRWLockExclusive(SRWLock);
  BOOL woken = sleep(ConditionVariable, seen, dwMilliseconds);
  DWORD error = GetLastError();
  shared ? AcquireSRWLockShared(SRWLock) : AcquireSRWLockExclusive(SRWLock);
  SetLastError(error);
  return woken;
}

VOID WINAPI WakeConditionVariable(PCONDITION_VARIABLE ConditionVariable) {
  wake(ConditionVariable, 1);
}

VOID WINAPI WakeAllConditionVariable(PCONDITION_VARIABLE ConditionVariable) {
  wake(ConditionVariable, INT32_MAX);
}

}  // extern "C"
