// LocalAlloc and LocalFree: what the security conversions hand out.
#include <cstdlib>

#include "conduit/win32/windows.h"

extern "C" {

// Only LMEM_FIXED memory exists here: the HLOCAL is the pointer itself.
// FreeSid frees with the same allocator, as a SID from
// AllocateAndInitializeSid may be given to either.
HLOCAL WINAPI LocalAlloc(UINT uFlags, SIZE_T uBytes) {
  if (uFlags & ~static_cast<UINT>(LMEM_ZEROINIT)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  // malloc(0) may return NULL; Windows hands out a valid block for 0 bytes.
  void* memory = (uFlags & LMEM_ZEROINIT) ? std::calloc(1, uBytes ? uBytes : 1)
                                          : std::malloc(uBytes ? uBytes : 1);
  if (!memory) SetLastError(ERROR_NOT_ENOUGH_MEMORY);
  return memory;
}

HLOCAL WINAPI LocalFree(HLOCAL hMem) {
  std::free(hMem);
  return nullptr;
}

}  // extern "C"
