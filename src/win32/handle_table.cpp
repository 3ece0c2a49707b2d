#include "win32/handle_table.hpp"

#include <array>
#include <atomic>
#include <mutex>
#include <thread>

#include "win32/process_object.hpp"
#include "win32/thread_object.hpp"

namespace conduit::win32 {
namespace {

// Handle values start above the ones a C program might take for real
// descriptors, and are multiples of 4: index i is (i + first_index) * 4.
constexpr std::uintptr_t first_index = 1;
constexpr std::size_t max_handles = 1 << 20;

// Every ReadFile, WriteFile and GetQueuedCompletionStatus looks a handle up,
// so a lookup takes no lock of the table: the entries live in chunks that
// are made as the table grows and never move or go away, and each entry
// has a flag held only while it is copied or changed. Changes (insert,
// remove, flags) and visits hold the table's mutex, under which entries
// may be read without their flag.
constexpr std::size_t chunk_bits = 10;
constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
constexpr std::size_t max_chunks = max_handles / chunk_size;

struct slot {
  std::atomic<bool> busy{false};
  handle_entry entry;
};

class slot_guard {
 public:
  explicit slot_guard(slot& s) : slot_(s) {
    // Held for a reference count's increment: a wait here is rare and short.
    while (slot_.busy.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
  }
  ~slot_guard() { slot_.busy.store(false, std::memory_order_release); }
  slot_guard(const slot_guard&) = delete;
  slot_guard& operator=(const slot_guard&) = delete;

 private:
  slot& slot_;
};

struct table {
  std::mutex mutex;
  std::array<std::atomic<slot*>, max_chunks> chunks{};
  std::size_t size = 0;         // slots in the chunks made so far
  std::size_t lowest_free = 0;  // hint

  /// The slot of index i, or null if its chunk was never made.
  slot* find(std::size_t i) const {
    if (i >= max_handles) return nullptr;
    slot* chunk = chunks[i >> chunk_bits].load(std::memory_order_acquire);
    return chunk ? &chunk[i & (chunk_size - 1)] : nullptr;
  }

  /// Makes the chunks up to the one of index i (the mutex held).
  slot& make(std::size_t i) {
    while (size <= i) {
      chunks[size >> chunk_bits].store(new slot[chunk_size], std::memory_order_release);
      size += chunk_size;
    }
    return *find(i);
  }
};

table& the_table() {
  static table* t = new table();  // never destroyed: handles may be used at exit
  return *t;
}

std::size_t index_of(HANDLE handle) {
  auto value = reinterpret_cast<std::uintptr_t>(handle);
  if (value == 0 || value % 4 != 0) return SIZE_MAX;
  return value / 4 - first_index;
}

HANDLE handle_of(std::size_t index) {
  return reinterpret_cast<HANDLE>((index + first_index) * 4);
}

void fill(slot& s, std::shared_ptr<kernel_object> object, DWORD flags, DWORD access) {
  object->handle_opened();
  slot_guard guard(s);
  s.entry = handle_entry{std::move(object), flags, access};
}

}  // namespace

HANDLE insert_handle(std::shared_ptr<kernel_object> object, DWORD flags, DWORD access) {
  table& t = the_table();
  std::lock_guard lock(t.mutex);
  std::size_t i = t.lowest_free;
  while (i < t.size && t.find(i)->entry.object) ++i;
  if (i >= max_handles) {
    SetLastError(ERROR_TOO_MANY_OPEN_FILES);
    return nullptr;
  }
  fill(t.make(i), std::move(object), flags, access);
  t.lowest_free = i + 1;
  return handle_of(i);
}

bool insert_handle_at(HANDLE handle, std::shared_ptr<kernel_object> object, DWORD flags,
                      DWORD access) {
  std::size_t i = index_of(handle);
  if (i >= max_handles) return false;
  table& t = the_table();
  std::lock_guard lock(t.mutex);
  slot& s = t.make(i);
  if (s.entry.object) return false;
  fill(s, std::move(object), flags, access);
  return true;
}

handle_entry lookup_handle(HANDLE handle) {
  if (handle == current_thread_pseudo_handle)
    return {current_thread_object(), 0, THREAD_ALL_ACCESS};
  if (handle == current_process_pseudo_handle)
    return {current_process_object(), 0, PROCESS_ALL_ACCESS};
  slot* s = the_table().find(index_of(handle));
  if (!s) return {};
  slot_guard guard(*s);
  return s->entry;
}

std::shared_ptr<kernel_object> remove_handle(HANDLE handle) {
  table& t = the_table();
  std::size_t i = index_of(handle);
  std::lock_guard lock(t.mutex);
  slot* s = t.find(i);
  if (!s || !s->entry.object || (s->entry.flags & HANDLE_FLAG_PROTECT_FROM_CLOSE)) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  std::shared_ptr<kernel_object> removed;
  {
    slot_guard guard(*s);
    removed = std::move(s->entry.object);
    s->entry = {};
  }
  if (i < t.lowest_free) t.lowest_free = i;
  return removed;
}

bool close_handle(HANDLE handle) {
  auto doomed = remove_handle(handle);
  if (!doomed) return false;
  doomed->handle_closed();  // outside the lock: a pipe's cleanup may take time
  return true;
}

bool set_handle_flags(HANDLE handle, DWORD mask, DWORD flags) {
  table& t = the_table();
  std::lock_guard lock(t.mutex);
  slot* s = t.find(index_of(handle));
  if (!s || !s->entry.object) {
    SetLastError(ERROR_INVALID_HANDLE);
    return false;
  }
  slot_guard guard(*s);
  s->entry.flags = (s->entry.flags & ~mask) | (flags & mask);
  return true;
}

void visit_handles(void (*f)(HANDLE, const handle_entry&, void*), void* context) {
  table& t = the_table();
  std::lock_guard lock(t.mutex);
  for (std::size_t i = 0; i < t.size; ++i) {
    const slot* s = t.find(i);
    if (s->entry.object) f(handle_of(i), s->entry, context);
  }
}

}  // namespace conduit::win32
