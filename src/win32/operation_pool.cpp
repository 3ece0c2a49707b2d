#include "win32/operation_pool.hpp"

#include <pthread.h>

#include <array>
#include <new>

// Under AddressSanitizer every block comes from and goes back to the heap:
// a use after release is reported, and LeakSanitizer sees no block kept.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool pool_blocks = false;
#else
constexpr bool pool_blocks = true;
#endif

namespace conduit::win32::pool_detail {
namespace {

// Sizes are rounded up to a multiple of `granule`; larger blocks than
// max_pooled always come from the heap. Few classes: the lists are static
// TLS (initial-exec), of which a library loaded with dlopen gets little.
constexpr std::size_t granule = 64;
constexpr std::size_t max_pooled = 512;
constexpr std::size_t free_list_limit = 64;  // blocks kept per size and thread

struct free_block {
  free_block* next;
};

struct free_list {
  free_block* head = nullptr;
  std::size_t count = 0;
};

// Constant-initialized and trivially destructible, so that reaching it
// costs no guard of its own (which would be a general-dynamic thread-local):
// the blocks go back to the heap at thread exit through a pthread key
// instead, set on the thread's first pooled block.
struct thread_pool {
  std::array<free_list, max_pooled / granule> lists;
  bool cleanup_registered = false;
};

// Initial-exec, as the other thread-locals of the hot path: no
// __tls_get_addr call per block.
[[gnu::tls_model("initial-exec")]] constinit thread_local thread_pool pool;

void release_all(void* arg) {
  auto* mine = static_cast<thread_pool*>(arg);
  for (std::size_t i = 0; i < mine->lists.size(); ++i) {
    while (free_block* block = mine->lists[i].head) {
      mine->lists[i].head = block->next;
      ::operator delete(block);
    }
    mine->lists[i].count = 0;
  }
  mine->cleanup_registered = false;
}

pthread_key_t cleanup_key() {
  static const pthread_key_t key = [] {
    pthread_key_t k;
    pthread_key_create(&k, &release_all);
    return k;
  }();
  return key;
}

std::size_t class_of(std::size_t size) {
  return (size + granule - 1) / granule - 1;
}

}  // namespace

void* take_block(std::size_t size) {
  if (!pool_blocks || size == 0 || size > max_pooled) return ::operator new(size);
  std::size_t c = class_of(size);
  free_list& list = pool.lists[c];
  if (!list.head) return ::operator new((c + 1) * granule);
  free_block* block = list.head;
  list.head = block->next;
  --list.count;
  return block;
}

void give_block(void* block, std::size_t size) {
  if (!pool_blocks || size == 0 || size > max_pooled) {
    ::operator delete(block);
    return;
  }
  std::size_t c = class_of(size);
  free_list& list = pool.lists[c];
  if (list.count >= free_list_limit) {
    ::operator delete(block);
    return;
  }
  if (!pool.cleanup_registered) {
    pool.cleanup_registered = true;
    pthread_setspecific(cleanup_key(), &pool);
  }
  list.head = ::new (block) free_block{list.head};
  ++list.count;
}

}  // namespace conduit::win32::pool_detail
