// Win32: one-time initialisation (InitOnceExecuteOnce and the two-call
// form). INIT_ONCE.Ptr holds a state in its two low bits (0 not done,
// 1 under way, 2 done) and, once done, the context in the others; threads
// that find it under way sleep on its low 32 bits until it changes.
#include <cstdint>

#include "conduit/win32/windows.h"
#include "win32/futex.hpp"

using namespace conduit::win32;

namespace {

constexpr std::uintptr_t not_done = 0, under_way = 1, done = 2, state_bits = 3;

// INIT_ONCE.Ptr as a number.
class word {
 public:
  explicit word(PINIT_ONCE once) : p_(&once->Ptr) {}
  std::uintptr_t load() const {
    return reinterpret_cast<std::uintptr_t>(__atomic_load_n(p_, __ATOMIC_ACQUIRE));
  }
  void store(std::uintptr_t v) {
    __atomic_store_n(p_, reinterpret_cast<PVOID>(v), __ATOMIC_RELEASE);
  }
  bool claim(std::uintptr_t& seen, std::uintptr_t v) {
    PVOID expected = reinterpret_cast<PVOID>(seen);
    bool ok = __atomic_compare_exchange_n(p_, &expected, reinterpret_cast<PVOID>(v), true,
                                          __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);
    seen = reinterpret_cast<std::uintptr_t>(expected);
    return ok;
  }

 private:
  PVOID* p_;
};

void set_and_wake(PINIT_ONCE once, std::uintptr_t value) {
  word(once).store(value);
  futex_wake(futex_word(&once->Ptr), INT32_MAX);
}

// Waits until `once` is done (true, context in *context) or until this
// caller may run the initialisation (false; the state is then under way).
bool done_or_claimed(PINIT_ONCE once, LPVOID* context) {
  word w(once);
  for (;;) {
    std::uintptr_t seen = w.load();
    switch (seen & state_bits) {
      case done:
        if (context) *context = reinterpret_cast<LPVOID>(seen & ~state_bits);
        return true;
      case not_done:
        if (w.claim(seen, under_way)) return false;
        break;
      default:
        futex_wait(futex_word(&once->Ptr), static_cast<std::uint32_t>(seen));
    }
  }
}

}  // namespace

extern "C" {

VOID WINAPI InitOnceInitialize(PINIT_ONCE InitOnce) {
  InitOnce->Ptr = nullptr;
}

BOOL WINAPI InitOnceExecuteOnce(PINIT_ONCE InitOnce, PINIT_ONCE_FN InitFn, PVOID Parameter,
                                LPVOID* Context) {
  if (!InitOnce || !InitFn) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (done_or_claimed(InitOnce, Context)) return TRUE;
  PVOID made = nullptr;
  if (!InitFn(InitOnce, Parameter, &made)) {
    set_and_wake(InitOnce, not_done);  // the next caller tries again
    return FALSE;
  }
  auto value = reinterpret_cast<std::uintptr_t>(made);
  if (value & state_bits) {
    set_and_wake(InitOnce, not_done);
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  set_and_wake(InitOnce, value | done);
  if (Context) *Context = made;
  return TRUE;
}

BOOL WINAPI InitOnceBeginInitialize(LPINIT_ONCE lpInitOnce, DWORD dwFlags, PBOOL fPending,
                                    LPVOID* lpContext) {
  if (!lpInitOnce || !fPending || (dwFlags & ~INIT_ONCE_CHECK_ONLY)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (dwFlags & INIT_ONCE_CHECK_ONLY) {
    std::uintptr_t seen = word(lpInitOnce).load();
    if ((seen & state_bits) != done) {
      SetLastError(ERROR_GEN_FAILURE);
      return FALSE;
    }
    *fPending = FALSE;
    if (lpContext) *lpContext = reinterpret_cast<LPVOID>(seen & ~state_bits);
    return TRUE;
  }
  *fPending = done_or_claimed(lpInitOnce, lpContext) ? FALSE : TRUE;
  return TRUE;
}

BOOL WINAPI InitOnceComplete(LPINIT_ONCE lpInitOnce, DWORD dwFlags, LPVOID lpContext) {
  auto value = reinterpret_cast<std::uintptr_t>(lpContext);
  if (!lpInitOnce || (dwFlags & ~INIT_ONCE_INIT_FAILED) || (value & state_bits) ||
      (word(lpInitOnce).load() & state_bits) != under_way) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  set_and_wake(lpInitOnce, (dwFlags & INIT_ONCE_INIT_FAILED) ? not_done : (value | done));
  return TRUE;
}

}  // extern "C"
