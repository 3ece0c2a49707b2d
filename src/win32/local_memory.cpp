// Win32: Global and Local memory (GlobalAlloc, LocalAlloc and their Lock,
// Unlock, Size, ReAlloc, Free, Handle and Flags calls): one
// implementation for both families, as on Windows, over the process heap.
//
// Fixed memory is a heap block whose address is the handle. Moveable
// memory is a handle record (a heap block of its own) whose handle value
// is the record's address + 8, so that it is never 16-byte aligned and is
// told apart from fixed memory by its value; its data block starts with a
// pointer back to the record (for GlobalHandle).
#include <cstdint>
#include <cstring>

#include "conduit/win32/windows.h"

namespace {

constexpr std::uint64_t record_magic = 0x4D564F4D'5444434EULL;  // "CNDTMOVM"
constexpr std::uintptr_t handle_offset = 8;
constexpr std::size_t back_pointer = 16;  // bytes before a moveable block's data
constexpr std::uint64_t data_magic = 0x41544144'5444434EULL;  // "CNDTDATA"

struct alignas(16) moveable_record {
  std::uint64_t magic;
  char* data;  // null: a block of 0 bytes
  std::size_t size;
  UINT locks;
};

constexpr UINT known_flags =
    GMEM_MOVEABLE | GMEM_NOCOMPACT | GMEM_NODISCARD | GMEM_ZEROINIT | GMEM_SHARE;

HANDLE heap() {
  return GetProcessHeap();
}

bool is_moveable_handle(HGLOBAL h) {
  return (reinterpret_cast<std::uintptr_t>(h) & 15) == handle_offset;
}

// The record behind a moveable handle, or null (ERROR_INVALID_HANDLE set).
moveable_record* record_of(HGLOBAL h) {
  auto* r = reinterpret_cast<moveable_record*>(reinterpret_cast<char*>(h) - handle_offset);
  if (r->magic != record_magic) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  return r;
}

HGLOBAL handle_of(moveable_record* r) {
  return reinterpret_cast<char*>(r) + handle_offset;
}

// A moveable block's data, with the pointer back to its record in front.
char* new_data(moveable_record* r, std::size_t bytes, bool zero) {
  auto* raw =
      static_cast<char*>(HeapAlloc(heap(), zero ? HEAP_ZERO_MEMORY : 0, back_pointer + bytes));
  if (!raw) return nullptr;
  std::memcpy(raw, &r, sizeof(r));
  std::memcpy(raw + sizeof(r), &data_magic, sizeof(data_magic));
  return raw + back_pointer;
}

HGLOBAL allocate(UINT flags, SIZE_T bytes) {
  if (flags & ~known_flags) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  bool zero = flags & GMEM_ZEROINIT;
  if (!(flags & GMEM_MOVEABLE)) {
    void* p = HeapAlloc(heap(), zero ? HEAP_ZERO_MEMORY : 0, bytes);
    if (!p) SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return p;
  }
  auto* r = static_cast<moveable_record*>(HeapAlloc(heap(), 0, sizeof(moveable_record)));
  if (!r) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return nullptr;
  }
  *r = moveable_record{record_magic, nullptr, 0, 0};
  // A moveable block of 0 bytes has no memory (GlobalLock gives NULL).
  if (bytes && !(r->data = new_data(r, bytes, zero))) {
    HeapFree(heap(), 0, r);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return nullptr;
  }
  r->size = bytes;
  return handle_of(r);
}

HGLOBAL release(HGLOBAL h) {
  if (!h) return nullptr;
  if (!is_moveable_handle(h)) {
    if (!HeapFree(heap(), 0, h)) {
      SetLastError(ERROR_INVALID_HANDLE);
      return h;
    }
    return nullptr;
  }
  moveable_record* r = record_of(h);
  if (!r) return h;
  if (r->data) HeapFree(heap(), 0, r->data - back_pointer);
  r->magic = 0;
  HeapFree(heap(), 0, r);
  return nullptr;
}

LPVOID lock(HGLOBAL h) {
  if (!is_moveable_handle(h)) {
    if (!h || HeapSize(heap(), 0, h) == static_cast<SIZE_T>(-1)) {
      SetLastError(ERROR_INVALID_HANDLE);
      return nullptr;
    }
    return h;
  }
  moveable_record* r = record_of(h);
  if (!r || !r->data) return nullptr;
  if (r->locks < GMEM_LOCKCOUNT) ++r->locks;
  return r->data;
}

BOOL unlock(HGLOBAL h) {
  // Fixed memory is never locked: Windows answers TRUE and leaves the error.
  if (!is_moveable_handle(h)) return TRUE;
  moveable_record* r = record_of(h);
  if (!r) return FALSE;
  if (r->locks == 0) {
    SetLastError(ERROR_NOT_LOCKED);
    return FALSE;
  }
  if (--r->locks > 0) return TRUE;
  SetLastError(ERROR_SUCCESS);
  return FALSE;
}

SIZE_T size_of(HGLOBAL h) {
  if (!is_moveable_handle(h)) {
    SIZE_T n = h ? HeapSize(heap(), 0, h) : static_cast<SIZE_T>(-1);
    if (n == static_cast<SIZE_T>(-1)) {
      SetLastError(ERROR_INVALID_HANDLE);
      return 0;
    }
    return n;
  }
  moveable_record* r = record_of(h);
  return r ? r->size : 0;
}

HGLOBAL reallocate(HGLOBAL h, SIZE_T bytes, UINT flags) {
  if (flags & ~known_flags) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  bool zero = flags & GMEM_ZEROINIT;
  if (!is_moveable_handle(h)) {
    if (!h || HeapSize(heap(), 0, h) == static_cast<SIZE_T>(-1)) {
      SetLastError(ERROR_INVALID_HANDLE);
      return nullptr;
    }
    // Fixed memory moves only when the caller allows it.
    DWORD heap_flags =
        (zero ? HEAP_ZERO_MEMORY : 0) | ((flags & GMEM_MOVEABLE) ? 0 : HEAP_REALLOC_IN_PLACE_ONLY);
    void* p = HeapReAlloc(heap(), heap_flags, h, bytes);
    if (!p) SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return p;
  }
  moveable_record* r = record_of(h);
  if (!r) return nullptr;
  if (bytes == 0) {  // the block is emptied; its handle stays
    if (r->data) HeapFree(heap(), 0, r->data - back_pointer);
    r->data = nullptr;
    r->size = 0;
    return h;
  }
  if (!r->data) {
    if (!(r->data = new_data(r, bytes, zero))) {
      SetLastError(ERROR_NOT_ENOUGH_MEMORY);
      return nullptr;
    }
  } else {
    // A locked block stays where it is: its address is in use.
    DWORD heap_flags = (zero ? HEAP_ZERO_MEMORY : 0) | (r->locks ? HEAP_REALLOC_IN_PLACE_ONLY : 0);
    auto* raw = static_cast<char*>(
        HeapReAlloc(heap(), heap_flags, r->data - back_pointer, back_pointer + bytes));
    if (!raw) {
      SetLastError(ERROR_NOT_ENOUGH_MEMORY);
      return nullptr;
    }
    r->data = raw + back_pointer;
  }
  r->size = bytes;
  return h;
}

HGLOBAL handle_from_pointer(LPCVOID p) {
  if (!p) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  // A moveable block's data has its record's address in front of it; a
  // fixed block has its heap header there (16 bytes, readable either way).
  moveable_record* r = nullptr;
  std::uint64_t magic = 0;
  std::memcpy(&r, static_cast<const char*>(p) - back_pointer, sizeof(r));
  std::memcpy(&magic, static_cast<const char*>(p) - back_pointer + sizeof(r), sizeof(magic));
  if (magic == data_magic && r && r->magic == record_magic && r->data == p) return handle_of(r);
  return const_cast<LPVOID>(p);
}

UINT flags_of(HGLOBAL h) {
  if (!is_moveable_handle(h)) return h && HeapValidate(heap(), 0, h) ? 0 : GMEM_INVALID_HANDLE;
  moveable_record* r = record_of(h);
  return r ? r->locks : GMEM_INVALID_HANDLE;
}

}  // namespace

extern "C" {

HGLOBAL WINAPI GlobalAlloc(UINT uFlags, SIZE_T dwBytes) {
  return allocate(uFlags, dwBytes);
}
HGLOBAL WINAPI GlobalFree(HGLOBAL hMem) {
  return release(hMem);
}
LPVOID WINAPI GlobalLock(HGLOBAL hMem) {
  return lock(hMem);
}
BOOL WINAPI GlobalUnlock(HGLOBAL hMem) {
  return unlock(hMem);
}
SIZE_T WINAPI GlobalSize(HGLOBAL hMem) {
  return size_of(hMem);
}
HGLOBAL WINAPI GlobalReAlloc(HGLOBAL hMem, SIZE_T dwBytes, UINT uFlags) {
  return reallocate(hMem, dwBytes, uFlags);
}
HGLOBAL WINAPI GlobalHandle(LPCVOID pMem) {
  return handle_from_pointer(pMem);
}
UINT WINAPI GlobalFlags(HGLOBAL hMem) {
  return flags_of(hMem);
}

// What the security conversions hand out is LMEM_FIXED memory; FreeSid
// frees with LocalFree too, as a SID from AllocateAndInitializeSid may be
// given to either.
HLOCAL WINAPI LocalAlloc(UINT uFlags, SIZE_T uBytes) {
  return allocate(uFlags, uBytes);
}
HLOCAL WINAPI LocalFree(HLOCAL hMem) {
  return release(hMem);
}
LPVOID WINAPI LocalLock(HLOCAL hMem) {
  return lock(hMem);
}
BOOL WINAPI LocalUnlock(HLOCAL hMem) {
  return unlock(hMem);
}
SIZE_T WINAPI LocalSize(HLOCAL hMem) {
  return size_of(hMem);
}
HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, SIZE_T uBytes, UINT uFlags) {
  return reallocate(hMem, uBytes, uFlags);
}
HLOCAL WINAPI LocalHandle(LPCVOID pMem) {
  return handle_from_pointer(pMem);
}
UINT WINAPI LocalFlags(HLOCAL hMem) {
  return flags_of(hMem);
}

}  // extern "C"
