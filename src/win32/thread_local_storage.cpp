// Win32: thread local storage slots over pthread keys. Which keys are
// allocated is kept here, so that a slot never allocated or already freed
// is refused (pthread_getspecific on one is undefined).
#include <pthread.h>

#include <atomic>
#include <mutex>

#include "conduit/win32/windows.h"

namespace {

constexpr DWORD max_slots = 4096;

std::atomic<bool>& allocated(DWORD slot) {
  static std::atomic<bool> table[max_slots];
  return table[slot];
}

bool valid(DWORD slot) {
  if (slot < max_slots && allocated(slot).load(std::memory_order_acquire)) return true;
  SetLastError(ERROR_INVALID_PARAMETER);
  return false;
}

}  // namespace

extern "C" {

DWORD WINAPI TlsAlloc(void) {
  pthread_key_t key;
  if (::pthread_key_create(&key, nullptr) != 0) {
    SetLastError(ERROR_NO_MORE_ITEMS);
    return TLS_OUT_OF_INDEXES;
  }
  if (key >= max_slots) {
    ::pthread_key_delete(key);
    SetLastError(ERROR_NO_MORE_ITEMS);
    return TLS_OUT_OF_INDEXES;
  }
  allocated(key).store(true, std::memory_order_release);
  return key;
}

LPVOID WINAPI TlsGetValue(DWORD dwTlsIndex) {
  if (!valid(dwTlsIndex)) return nullptr;
  SetLastError(ERROR_SUCCESS);
  return ::pthread_getspecific(dwTlsIndex);
}

BOOL WINAPI TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue) {
  if (!valid(dwTlsIndex)) return FALSE;
  if (::pthread_setspecific(dwTlsIndex, lpTlsValue) != 0) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  return TRUE;
}

BOOL WINAPI TlsFree(DWORD dwTlsIndex) {
  if (dwTlsIndex >= max_slots || !allocated(dwTlsIndex).exchange(false)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  ::pthread_key_delete(dwTlsIndex);
  return TRUE;
}

}  // extern "C"
