/* conduit/win32/heapapi.h: heaps (HeapCreate, HeapAlloc, ...) and the
 * Global and Local memory functions, as heapapi.h and winbase.h declare them.
 *
 * Included by <windows.h>; not meant to be included alone.
 *
 *   HANDLE heap = GetProcessHeap();
 *   char* text = (char*)HeapAlloc(heap, HEAP_ZERO_MEMORY, 512);
 *   ...
 *   HeapFree(heap, 0, text);
 *
 *   HGLOBAL block = GlobalAlloc(GHND, 64);    // moveable, zeroed
 *   char* p = (char*)GlobalLock(block);       // the memory behind the handle
 *   ...
 *   GlobalUnlock(block);
 *   GlobalFree(block);
 *
 * Every block is 16-byte aligned and knows its exact requested size
 * (HeapSize, GlobalSize, LocalSize). Fixed Global and Local memory comes
 * from the process heap, as on Windows, so HeapSize(GetProcessHeap(), p)
 * answers for it too. Moveable memory is a handle to a block; GlobalLock
 * (LocalLock) gives its address, which here never changes while locked.
 * Global and Local calls are one implementation (they are on Windows).
 *
 * Differences from Windows (docs/win32-system.md):
 * - HEAP_GENERATE_EXCEPTIONS: Linux has no structured exceptions; a failed
 *   allocation returns NULL as without the flag (last error
 *   ERROR_NOT_ENOUGH_MEMORY).
 * - GMEM_DISCARDABLE and GMEM_MODIFY are not supported (ERROR_INVALID_PARAMETER). */
#ifndef CONDUIT_WIN32_HEAPAPI_H
#define CONDUIT_WIN32_HEAPAPI_H

#ifdef __cplusplus
extern "C" {
#endif

#define ERROR_NOT_LOCKED 158L

/* ---- Heaps ---- */
#define HEAP_NO_SERIALIZE 0x00000001
#define HEAP_GROWABLE 0x00000002
#define HEAP_GENERATE_EXCEPTIONS 0x00000004
#define HEAP_ZERO_MEMORY 0x00000008
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010
#define HEAP_CREATE_ENABLE_EXECUTE 0x00040000

/* The process's own heap: never destroyed. */
HANDLE WINAPI GetProcessHeap(void);
/* A private heap. dwMaximumSize 0: it grows as needed; otherwise the
 * bytes allocated from it at once never exceed dwMaximumSize (HeapAlloc
 * then fails). Unknown flags: ERROR_INVALID_PARAMETER. */
HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize);
/* Frees every block of a private heap, and the heap. FALSE
 * (ERROR_INVALID_HANDLE) for the process heap or a handle that is not a heap. */
BOOL WINAPI HeapDestroy(HANDLE hHeap);
/* A block of dwBytes (0 is a valid size), zeroed with HEAP_ZERO_MEMORY;
 * NULL when out of memory. As on Windows, a failure does not set the last
 * error, except ERROR_INVALID_HANDLE for a handle that is not a heap. */
LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes);
/* Resizes a block, moving it unless HEAP_REALLOC_IN_PLACE_ONLY (which fails
 * with NULL when it cannot grow where it is). Bytes added are zeroed with
 * HEAP_ZERO_MEMORY. NULL lpMem: ERROR_INVALID_PARAMETER. */
LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes);
/* Frees a block; NULL lpMem is a no-op that succeeds. FALSE
 * (ERROR_INVALID_PARAMETER) for a block of another heap. */
BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem);
/* The size the block was asked with; (SIZE_T)-1 on error. */
SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
/* TRUE for a heap (and, given one, a block of it). */
BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);

/* ---- Global and Local memory ---- */
typedef HANDLE HGLOBAL;
#define GMEM_FIXED 0x0000
#define GMEM_MOVEABLE 0x0002
#define GMEM_NOCOMPACT 0x0010
#define GMEM_NODISCARD 0x0020
#define GMEM_ZEROINIT 0x0040
#define GMEM_MODIFY 0x0080
#define GMEM_DISCARDABLE 0x0100
#define GMEM_SHARE 0x2000
#define GMEM_DDESHARE 0x2000
#define GPTR (GMEM_FIXED | GMEM_ZEROINIT)
#define GHND (GMEM_MOVEABLE | GMEM_ZEROINIT)
#define GMEM_INVALID_HANDLE 0x8000
#define GMEM_LOCKCOUNT 0x00FF
#define LMEM_MOVEABLE 0x0002
#define LMEM_NOCOMPACT 0x0010
#define LMEM_NODISCARD 0x0020
#define LMEM_MODIFY 0x0080
#define LMEM_DISCARDABLE 0x0F00
#define LMEM_INVALID_HANDLE 0x8000
#define LMEM_LOCKCOUNT 0x00FF
#define LHND (LMEM_MOVEABLE | LMEM_ZEROINIT)
#define NONZEROLHND (LMEM_MOVEABLE)
#define NONZEROLPTR (LMEM_FIXED)

/* A fixed block (the HGLOBAL is its address) or, with GMEM_MOVEABLE, a
 * handle to one that GlobalLock gives the address of. NULL with
 * ERROR_NOT_ENOUGH_MEMORY or ERROR_INVALID_PARAMETER (unsupported flags). */
HGLOBAL WINAPI GlobalAlloc(UINT uFlags, SIZE_T dwBytes);
/* NULL on success; the handle back (ERROR_INVALID_HANDLE) if it is not one. */
HGLOBAL WINAPI GlobalFree(HGLOBAL hMem);
/* The address of the block; counts a lock on moveable memory. NULL for a
 * moveable block of 0 bytes, or (ERROR_INVALID_HANDLE) for a bad handle. */
LPVOID WINAPI GlobalLock(HGLOBAL hMem);
/* TRUE while locks remain; FALSE with last error 0 when the last one went,
 * ERROR_NOT_LOCKED if it was not locked. Fixed memory: TRUE, as Windows. */
BOOL WINAPI GlobalUnlock(HGLOBAL hMem);
/* The block's size; 0 (ERROR_INVALID_HANDLE) for a bad handle. */
SIZE_T WINAPI GlobalSize(HGLOBAL hMem);
/* Resizes: a moveable block may move (its handle stays); a fixed one only
 * with GMEM_MOVEABLE in uFlags, else only in place. */
HGLOBAL WINAPI GlobalReAlloc(HGLOBAL hMem, SIZE_T dwBytes, UINT uFlags);
/* The handle of the block at pMem (for fixed memory, pMem itself). */
HGLOBAL WINAPI GlobalHandle(LPCVOID pMem);
/* The lock count in the low byte; GMEM_INVALID_HANDLE for a bad handle. */
UINT WINAPI GlobalFlags(HGLOBAL hMem);

/* The Local twins (LocalAlloc and LocalFree are in winnt_security.h). */
SIZE_T WINAPI LocalSize(HLOCAL hMem);
HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, SIZE_T uBytes, UINT uFlags);
LPVOID WINAPI LocalLock(HLOCAL hMem);
BOOL WINAPI LocalUnlock(HLOCAL hMem);
HLOCAL WINAPI LocalHandle(LPCVOID pMem);
UINT WINAPI LocalFlags(HLOCAL hMem);

#ifndef MoveMemory
#define MoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#endif
#ifndef RtlMoveMemory
#define RtlMoveMemory MoveMemory
#endif
#ifndef RtlCopyMemory
#define RtlCopyMemory CopyMemory
#endif
#ifndef RtlFillMemory
#define RtlFillMemory FillMemory
#endif
/* Zeroes memory in a way the compiler may not leave out. */
static inline PVOID RtlSecureZeroMemory(PVOID ptr, SIZE_T cnt) {
  volatile char* p = (volatile char*)ptr;
  while (cnt--) *p++ = 0;
  return ptr;
}
#define SecureZeroMemory RtlSecureZeroMemory

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_HEAPAPI_H */
