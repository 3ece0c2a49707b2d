// Win32: heaps (GetProcessHeap, HeapCreate, HeapAlloc, HeapReAlloc,
// HeapFree, HeapSize, HeapDestroy) over the C library's allocator.
//
// Each block carries a 32-byte header: its links in its heap's list (so
// that HeapDestroy frees every block), the size it was asked with, and its
// heap. The data after the header is 16-byte aligned, as Windows's is.
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "conduit/win32/windows.h"

namespace {

struct heap_object;

struct alignas(16) block_header {
  block_header* prev;
  block_header* next;
  std::size_t size;
  heap_object* owner;
};
static_assert(sizeof(block_header) == 32);

constexpr std::uint64_t heap_magic = 0x50414548'5444434EULL;  // "CNDTHEAP"

struct heap_object {
  std::uint64_t magic = heap_magic;
  std::mutex mutex;
  block_header* first = nullptr;
  std::size_t limit = 0;  // 0: growable
  std::size_t used = 0;
};

constexpr DWORD create_flags =
    HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS | HEAP_CREATE_ENABLE_EXECUTE | HEAP_GROWABLE;

heap_object& process_heap() {
  static auto* heap = new heap_object();  // never destroyed: blocks may be freed at exit
  return *heap;
}

heap_object* as_heap(HANDLE handle) {
  auto* heap = static_cast<heap_object*>(handle);
  if (!heap || heap->magic != heap_magic) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  return heap;
}

block_header* header_of(LPCVOID memory) {
  return reinterpret_cast<block_header*>(const_cast<char*>(static_cast<const char*>(memory))) - 1;
}

void link(heap_object& heap, block_header* b) {
  b->prev = nullptr;
  b->next = heap.first;
  if (heap.first) heap.first->prev = b;
  heap.first = b;
}

void unlink(heap_object& heap, block_header* b) {
  if (b->prev) b->prev->next = b->next;
  if (b->next) b->next->prev = b->prev;
  if (heap.first == b) heap.first = b->next;
}

// Whether `bytes` more fit under a fixed-size heap's limit (under its lock).
bool fits(const heap_object& heap, std::size_t bytes) {
  return heap.limit == 0 || (bytes <= heap.limit && heap.used <= heap.limit - bytes);
}

// The failure of an allocation: Windows leaves the last error alone, but
// with HEAP_GENERATE_EXCEPTIONS it would raise STATUS_NO_MEMORY, which a
// Linux program cannot catch; the error says what happened instead.
LPVOID out_of_memory(DWORD flags) {
  if (flags & HEAP_GENERATE_EXCEPTIONS) SetLastError(ERROR_NOT_ENOUGH_MEMORY);
  return nullptr;
}

}  // namespace

extern "C" {

HANDLE WINAPI GetProcessHeap(void) {
  return &process_heap();
}

HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T, SIZE_T dwMaximumSize) {
  if (flOptions & ~create_flags) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  auto* heap = new (std::nothrow) heap_object();
  if (!heap) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return nullptr;
  }
  heap->limit = dwMaximumSize;
  return heap;
}

BOOL WINAPI HeapDestroy(HANDLE hHeap) {
  heap_object* heap = as_heap(hHeap);
  if (!heap) return FALSE;
  if (heap == &process_heap()) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  for (block_header* b = heap->first; b;) {
    block_header* next = b->next;
    std::free(b);
    b = next;
  }
  heap->magic = 0;
  delete heap;
  return TRUE;
}

LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes) {
  heap_object* heap = as_heap(hHeap);
  if (!heap) return nullptr;
  if (dwBytes > SIZE_MAX / 2) return out_of_memory(dwFlags);
  std::lock_guard lock(heap->mutex);
  if (!fits(*heap, dwBytes)) return out_of_memory(dwFlags);
  void* raw = (dwFlags & HEAP_ZERO_MEMORY) ? std::calloc(1, sizeof(block_header) + dwBytes)
                                           : std::malloc(sizeof(block_header) + dwBytes);
  if (!raw) return out_of_memory(dwFlags);
  auto* b = static_cast<block_header*>(raw);
  b->size = dwBytes;
  b->owner = heap;
  link(*heap, b);
  heap->used += dwBytes;
  return b + 1;
}

LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes) {
  heap_object* heap = as_heap(hHeap);
  if (!heap) return nullptr;
  if (!lpMem) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  if (dwBytes > SIZE_MAX / 2) return out_of_memory(dwFlags);
  block_header* b = header_of(lpMem);
  std::lock_guard lock(heap->mutex);
  if (b->owner != heap) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  std::size_t old_size = b->size;
  if (dwBytes > old_size && !fits(*heap, dwBytes - old_size)) return out_of_memory(dwFlags);
  std::size_t room = ::malloc_usable_size(b) - sizeof(block_header);
  if (dwBytes > room) {
    if (dwFlags & HEAP_REALLOC_IN_PLACE_ONLY) return out_of_memory(dwFlags);
    unlink(*heap, b);
    void* moved = std::realloc(b, sizeof(block_header) + dwBytes);
    if (!moved) {
      link(*heap, b);
      return out_of_memory(dwFlags);
    }
    b = static_cast<block_header*>(moved);
    link(*heap, b);
  }
  if ((dwFlags & HEAP_ZERO_MEMORY) && dwBytes > old_size)
    std::memset(reinterpret_cast<char*>(b + 1) + old_size, 0, dwBytes - old_size);
  b->size = dwBytes;
  heap->used = heap->used - old_size + dwBytes;
  return b + 1;
}

BOOL WINAPI HeapFree(HANDLE hHeap, DWORD, LPVOID lpMem) {
  heap_object* heap = as_heap(hHeap);
  if (!heap) return FALSE;
  if (!lpMem) return TRUE;
  block_header* b = header_of(lpMem);
  {
    std::lock_guard lock(heap->mutex);
    if (b->owner != heap) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return FALSE;
    }
    unlink(*heap, b);
    heap->used -= b->size;
    b->owner = nullptr;  // a stale pointer to it is less likely to pass for a block
  }
  std::free(b);
  return TRUE;
}

SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD, LPCVOID lpMem) {
  heap_object* heap = as_heap(hHeap);
  if (!heap || !lpMem) {
    if (heap) SetLastError(ERROR_INVALID_PARAMETER);
    return static_cast<SIZE_T>(-1);
  }
  block_header* b = header_of(lpMem);
  std::lock_guard lock(heap->mutex);
  if (b->owner != heap) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return static_cast<SIZE_T>(-1);
  }
  return b->size;
}

BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD, LPCVOID lpMem) {
  heap_object* heap = as_heap(hHeap);
  if (!heap) return FALSE;
  if (!lpMem) return TRUE;
  std::lock_guard lock(heap->mutex);
  return header_of(lpMem)->owner == heap;
}

}  // extern "C"
