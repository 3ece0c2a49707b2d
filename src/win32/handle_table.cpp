#include "win32/handle_table.hpp"

#include <mutex>
#include <shared_mutex>
#include <vector>

#include "win32/process_object.hpp"
#include "win32/thread_object.hpp"

namespace conduit::win32 {
namespace {

// Handle values start above the ones a C program might take for real
// descriptors, and are multiples of 4: index i is (i + first_index) * 4.
constexpr std::uintptr_t first_index = 1;
constexpr std::size_t max_handles = 1 << 20;

struct table {
  std::shared_mutex mutex;
  std::vector<handle_entry> entries;
  std::size_t lowest_free = 0;  // hint
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

}  // namespace

HANDLE insert_handle(std::shared_ptr<kernel_object> object, DWORD flags, DWORD access) {
  table& t = the_table();
  std::unique_lock lock(t.mutex);
  std::size_t i = t.lowest_free;
  while (i < t.entries.size() && t.entries[i].object) ++i;
  if (i == t.entries.size()) {
    if (i >= max_handles) {
      SetLastError(ERROR_TOO_MANY_OPEN_FILES);
      return nullptr;
    }
    t.entries.emplace_back();
  }
  object->handle_opened();
  t.entries[i] = handle_entry{std::move(object), flags, access};
  t.lowest_free = i + 1;
  return handle_of(i);
}

bool insert_handle_at(HANDLE handle, std::shared_ptr<kernel_object> object, DWORD flags,
                      DWORD access) {
  std::size_t i = index_of(handle);
  if (i >= max_handles) return false;
  table& t = the_table();
  std::unique_lock lock(t.mutex);
  if (i >= t.entries.size()) t.entries.resize(i + 1);
  if (t.entries[i].object) return false;
  object->handle_opened();
  t.entries[i] = handle_entry{std::move(object), flags, access};
  return true;
}

handle_entry lookup_handle(HANDLE handle) {
  if (handle == current_thread_pseudo_handle) return {current_thread_object(), 0, 0};
  if (handle == current_process_pseudo_handle)
    return {current_process_object(), 0, PROCESS_ALL_ACCESS};
  table& t = the_table();
  std::size_t i = index_of(handle);
  std::shared_lock lock(t.mutex);
  if (i >= t.entries.size()) return {};
  return t.entries[i];
}

std::shared_ptr<kernel_object> remove_handle(HANDLE handle) {
  table& t = the_table();
  std::size_t i = index_of(handle);
  std::unique_lock lock(t.mutex);
  if (i >= t.entries.size() || !t.entries[i].object ||
      (t.entries[i].flags & HANDLE_FLAG_PROTECT_FROM_CLOSE)) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  auto removed = std::move(t.entries[i].object);
  t.entries[i] = {};
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
  std::size_t i = index_of(handle);
  std::unique_lock lock(t.mutex);
  if (i >= t.entries.size() || !t.entries[i].object) {
    SetLastError(ERROR_INVALID_HANDLE);
    return false;
  }
  t.entries[i].flags = (t.entries[i].flags & ~mask) | (flags & mask);
  return true;
}

void visit_handles(void (*f)(HANDLE, const handle_entry&, void*), void* context) {
  table& t = the_table();
  std::shared_lock lock(t.mutex);
  for (std::size_t i = 0; i < t.entries.size(); ++i)
    if (t.entries[i].object) f(handle_of(i), t.entries[i], context);
}

}  // namespace conduit::win32
