/* conduit/win32/processthreadsapi.h: thread local storage (TlsAlloc,
 * TlsGetValue, TlsSetValue, TlsFree), as processthreadsapi.h declares it.
 *
 * Included by <windows.h>; not meant to be included alone.
 *
 *   DWORD slot = TlsAlloc();              // TLS_OUT_OF_INDEXES when none left
 *   TlsSetValue(slot, my_state);          // this thread's value
 *   void* mine = TlsGetValue(slot);       // NULL until set, in every thread
 *   TlsFree(slot);
 *
 * Slots are the C library's thread-specific keys (at least 1024 of them,
 * more than Windows's 1088 only in theory). */
#ifndef CONDUIT_WIN32_PROCESSTHREADSAPI_H
#define CONDUIT_WIN32_PROCESSTHREADSAPI_H

#ifdef __cplusplus
extern "C" {
#endif

#define TLS_OUT_OF_INDEXES ((DWORD)0xFFFFFFFF)
#define TLS_MINIMUM_AVAILABLE 64

/* A new slot, NULL in every thread; TLS_OUT_OF_INDEXES
 * (ERROR_NO_MORE_ITEMS) when none is left. */
DWORD WINAPI TlsAlloc(void);
/* The calling thread's value; the last error is set to ERROR_SUCCESS so
 * that a NULL value can be told from a failure (ERROR_INVALID_PARAMETER
 * for a slot that is not allocated). */
LPVOID WINAPI TlsGetValue(DWORD dwTlsIndex);
/* ERROR_INVALID_PARAMETER for a slot that is not allocated. */
BOOL WINAPI TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue);
/* ERROR_INVALID_PARAMETER for a slot that is not allocated. */
BOOL WINAPI TlsFree(DWORD dwTlsIndex);

#define ERROR_NO_MORE_ITEMS 259L

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_PROCESSTHREADSAPI_H */
