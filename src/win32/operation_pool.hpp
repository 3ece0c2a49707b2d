// Memory for the io_operations made on every overlapped ReadFile and
// WriteFile, kept for reuse instead of going back to the heap.
//
// make_pooled<T>(...) is std::make_shared with an allocator that takes the
// one block holding the object and its reference counts from a free list
// of the calling thread, and gives it back to the list of the thread that
// releases the last reference (up to free_list_limit blocks a thread; more
// go to the heap). An operation that ends at once is made and released by
// the same thread, so its block is taken again by the next call.
//
// Under AddressSanitizer a block in a free list is poisoned, so that a use
// after release is still reported.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define CONDUIT_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define CONDUIT_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define CONDUIT_POISON(p, n) ((void)(p), (void)(n))
#define CONDUIT_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace conduit::win32 {
namespace pool_detail {

/// The calling thread's free blocks of `Size` bytes.
template <std::size_t Size>
class block_pool {
 public:
  static constexpr std::size_t free_list_limit = 64;

  static void* take() {
    free_list& list = free_list::mine();
    if (!list.head) return ::operator new(Size);
    free_block* block = list.head;
    CONDUIT_UNPOISON(block, Size);
    list.head = block->next;
    --list.count;
    return block;
  }

  static void give(void* block) {
    free_list& list = free_list::mine();
    if (list.count >= free_list_limit) {
      ::operator delete(block);
      return;
    }
    list.head = ::new (block) free_block{list.head};
    ++list.count;
    CONDUIT_POISON(block, Size);
  }

 private:
  struct free_block {
    free_block* next;
  };
  static_assert(Size >= sizeof(free_block));

  struct free_list {
    free_block* head = nullptr;
    std::size_t count = 0;
    ~free_list() {
      while (head) {
        free_block* block = head;
        CONDUIT_UNPOISON(block, Size);
        head = block->next;
        ::operator delete(block);
      }
    }
    static free_list& mine() {
      // Initial-exec, as the other thread-locals of the hot path.
      [[gnu::tls_model("initial-exec")]] static thread_local free_list list;
      return list;
    }
  };
};

/// A standard allocator over block_pool, for std::allocate_shared.
template <class T>
struct pooled_allocator {
  using value_type = T;
  pooled_allocator() = default;
  template <class U>
  explicit(false) pooled_allocator(const pooled_allocator<U>& /*other*/) {}

  T* allocate(std::size_t n) {
    if (n != 1) return std::allocator<T>().allocate(n);
    return static_cast<T*>(block_pool<sizeof(T)>::take());
  }
  void deallocate(T* p, std::size_t n) {
    if (n != 1) return std::allocator<T>().deallocate(p, n);
    block_pool<sizeof(T)>::give(p);
  }
  friend bool operator==(const pooled_allocator&, const pooled_allocator&) { return true; }

  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
};

}  // namespace pool_detail

/// std::make_shared<T>(args...), its memory from the calling thread's pool.
template <class T, class... Args>
std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(pool_detail::pooled_allocator<T>(), std::forward<Args>(args)...);
}

}  // namespace conduit::win32

#undef CONDUIT_POISON
#undef CONDUIT_UNPOISON
