// Memory for the io_operations made on every overlapped ReadFile and
// WriteFile, kept for reuse instead of going back to the heap.
//
// make_pooled<T>(...) is std::make_shared with an allocator that takes the
// one block holding the object and its reference counts from a free list
// of the calling thread, and gives it back to the list of the thread that
// releases the last reference (up to 64 blocks of a size a thread; more
// go to the heap). An operation that ends at once is made and released by
// the same thread, so its block is taken again by the next call.
//
// Under AddressSanitizer blocks go straight to the heap and back, so that
// a use after release is still reported.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace conduit::win32 {
namespace pool_detail {

/// A block of `size` bytes from the calling thread's free list for that
/// size, or from the heap.
void* take_block(std::size_t size);
/// Gives back a block take_block(size) returned.
void give_block(void* block, std::size_t size);

/// A standard allocator over take_block and give_block, for std::allocate_shared.
template <class T>
struct pooled_allocator {
  using value_type = T;
  pooled_allocator() = default;
  template <class U>
  explicit(false) pooled_allocator(const pooled_allocator<U>& /*other*/) {}

  T* allocate(std::size_t n) {
    if (n != 1) return std::allocator<T>().allocate(n);
    return static_cast<T*>(take_block(sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) {
    if (n != 1) return std::allocator<T>().deallocate(p, n);
    give_block(p, sizeof(T));
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
