/* conduit/win32/interlockedapi.h: the Interlocked functions, as winnt.h and
 * interlockedapi.h declare them, inline over the compiler's atomics. Every
 * one is a full barrier, as on Windows.
 *
 * Included by <windows.h>; not meant to be included alone.
 *
 *   static volatile LONG clients = 0;
 *   LONG now = InterlockedIncrement(&clients);   // the new value
 *   LONG was = InterlockedCompareExchange(&flag, 1, 0);  // the old value */
#ifndef CONDUIT_WIN32_INTERLOCKEDAPI_H
#define CONDUIT_WIN32_INTERLOCKEDAPI_H

#ifdef __cplusplus
extern "C" {
#endif

typedef LONG volatile* PLONG_VOLATILE;

#define CONDUIT_ATOMIC_ORDER __ATOMIC_SEQ_CST

/* ---- 32 bits: Increment, Decrement, Add return the new value; the rest the old ---- */
static inline LONG InterlockedIncrement(LONG volatile* Addend) {
  return __atomic_add_fetch(Addend, 1, CONDUIT_ATOMIC_ORDER);
}
static inline LONG InterlockedDecrement(LONG volatile* Addend) {
  return __atomic_sub_fetch(Addend, 1, CONDUIT_ATOMIC_ORDER);
}
static inline LONG InterlockedAdd(LONG volatile* Addend, LONG Value) {
  return __atomic_add_fetch(Addend, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONG InterlockedExchange(LONG volatile* Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONG InterlockedExchangeAdd(LONG volatile* Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONG InterlockedCompareExchange(LONG volatile* Destination, LONG Exchange,
                                              LONG Comparand) {
  __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, CONDUIT_ATOMIC_ORDER,
                              CONDUIT_ATOMIC_ORDER);
  return Comparand; /* the value found: Comparand itself when it matched */
}
static inline LONG InterlockedAnd(LONG volatile* Destination, LONG Value) {
  return __atomic_fetch_and(Destination, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONG InterlockedOr(LONG volatile* Destination, LONG Value) {
  return __atomic_fetch_or(Destination, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONG InterlockedXor(LONG volatile* Destination, LONG Value) {
  return __atomic_fetch_xor(Destination, Value, CONDUIT_ATOMIC_ORDER);
}

/* ---- 16 bits ---- */
static inline SHORT InterlockedIncrement16(SHORT volatile* Addend) {
  return __atomic_add_fetch(Addend, 1, CONDUIT_ATOMIC_ORDER);
}
static inline SHORT InterlockedDecrement16(SHORT volatile* Addend) {
  return __atomic_sub_fetch(Addend, 1, CONDUIT_ATOMIC_ORDER);
}
static inline SHORT InterlockedCompareExchange16(SHORT volatile* Destination, SHORT Exchange,
                                                 SHORT Comparand) {
  __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, CONDUIT_ATOMIC_ORDER,
                              CONDUIT_ATOMIC_ORDER);
  return Comparand;
}

/* ---- 64 bits ---- */
static inline LONGLONG InterlockedIncrement64(LONGLONG volatile* Addend) {
  return __atomic_add_fetch(Addend, 1, CONDUIT_ATOMIC_ORDER);
}
static inline LONGLONG InterlockedDecrement64(LONGLONG volatile* Addend) {
  return __atomic_sub_fetch(Addend, 1, CONDUIT_ATOMIC_ORDER);
}
static inline LONGLONG InterlockedAdd64(LONGLONG volatile* Addend, LONGLONG Value) {
  return __atomic_add_fetch(Addend, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONGLONG InterlockedExchange64(LONGLONG volatile* Target, LONGLONG Value) {
  return __atomic_exchange_n(Target, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONGLONG InterlockedExchangeAdd64(LONGLONG volatile* Addend, LONGLONG Value) {
  return __atomic_fetch_add(Addend, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONGLONG InterlockedCompareExchange64(LONGLONG volatile* Destination,
                                                    LONGLONG Exchange, LONGLONG Comparand) {
  __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, CONDUIT_ATOMIC_ORDER,
                              CONDUIT_ATOMIC_ORDER);
  return Comparand;
}
static inline LONGLONG InterlockedAnd64(LONGLONG volatile* Destination, LONGLONG Value) {
  return __atomic_fetch_and(Destination, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONGLONG InterlockedOr64(LONGLONG volatile* Destination, LONGLONG Value) {
  return __atomic_fetch_or(Destination, Value, CONDUIT_ATOMIC_ORDER);
}
static inline LONGLONG InterlockedXor64(LONGLONG volatile* Destination, LONGLONG Value) {
  return __atomic_fetch_xor(Destination, Value, CONDUIT_ATOMIC_ORDER);
}

/* ---- Pointers ---- */
static inline PVOID InterlockedExchangePointer(PVOID volatile* Target, PVOID Value) {
  return __atomic_exchange_n(Target, Value, CONDUIT_ATOMIC_ORDER);
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile* Destination, PVOID Exchange,
                                                      PVOID Comparand) {
  __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, CONDUIT_ATOMIC_ORDER,
                              CONDUIT_ATOMIC_ORDER);
  return Comparand;
}

/* The acquire, release and no-fence forms are the full-barrier ones. */
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedExchangeAcquire InterlockedExchange
#define InterlockedCompareExchangeAcquire64 InterlockedCompareExchange64
#define InterlockedCompareExchangeRelease64 InterlockedCompareExchange64
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define InterlockedExchangePointerAcquire InterlockedExchangePointer

/* A full memory barrier. */
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define YieldProcessor() __builtin_ia32_pause()

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_INTERLOCKEDAPI_H */
