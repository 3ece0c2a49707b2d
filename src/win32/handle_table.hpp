// The process's Win32 handle table.
//
// A HANDLE is a small multiple of 4 (as on Windows), an index into this
// table. Each entry holds a shared reference to its kernel object, so a
// duplicated handle and the original share one object, and an object lives
// until its last handle closes (and any I/O under way on it ends).
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <typeinfo>

#include "conduit/win32/windows.h"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

/// GetCurrentProcess() and GetCurrentThread().
inline const HANDLE current_process_pseudo_handle =
    reinterpret_cast<HANDLE>(static_cast<intptr_t>(-1));
inline const HANDLE current_thread_pseudo_handle =
    reinterpret_cast<HANDLE>(static_cast<intptr_t>(-2));

struct handle_entry {
  std::shared_ptr<kernel_object> object;
  DWORD flags = 0;   // HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE
  DWORD access = 0;  // as granted at creation
};

/// Adds an object; returns its new handle, or nullptr (ERROR_TOO_MANY_OPEN_FILES
/// set) when the table is full.
HANDLE insert_handle(std::shared_ptr<kernel_object> object, DWORD flags = 0, DWORD access = 0);

/// Adds an object at a given handle value (a handle inherited from a parent
/// keeps its number). False if that value is taken.
bool insert_handle_at(HANDLE handle, std::shared_ptr<kernel_object> object, DWORD flags,
                      DWORD access);

/// The entry behind a handle, resolving the two pseudo-handles; an empty
/// entry for a handle that is not open.
handle_entry lookup_handle(HANDLE handle);

/// The object behind a handle if it is of type T; otherwise nullptr, with
/// ERROR_INVALID_HANDLE set.
template <typename T>
std::shared_ptr<T> lookup_as(HANDLE handle) {
  std::shared_ptr<T> object;
  if constexpr (std::is_final_v<T>) {
    // A final type is its objects' exact type: comparing type_info is all a
    // dynamic_cast would find out, at a fraction of its cost (completion
    // ports are looked up on every packet).
    std::shared_ptr<kernel_object> any = lookup_handle(handle).object;
    if (any && typeid(*any) == typeid(T)) object = std::static_pointer_cast<T>(std::move(any));
  } else {
    object = std::dynamic_pointer_cast<T>(lookup_handle(handle).object);
  }
  if (!object) SetLastError(ERROR_INVALID_HANDLE);
  return object;
}

/// The object behind a handle if it is of type T and the handle grants
/// `needed`; otherwise nullptr, with ERROR_INVALID_HANDLE or (a handle that
/// grants less) ERROR_ACCESS_DENIED set.
template <typename T>
std::shared_ptr<T> lookup_granting(HANDLE handle, DWORD needed) {
  handle_entry entry = lookup_handle(handle);
  auto object = std::dynamic_pointer_cast<T>(std::move(entry.object));
  if (!object) {
    SetLastError(ERROR_INVALID_HANDLE);
  } else if ((entry.access & needed) != needed) {
    SetLastError(ERROR_ACCESS_DENIED);
    return nullptr;
  }
  return object;
}

/// The file behind a handle: the lookup on every ReadFile and WriteFile.
template <>
inline std::shared_ptr<file_object> lookup_as<file_object>(HANDLE handle) {
  std::shared_ptr<kernel_object> object = lookup_handle(handle).object;
  file_object* file = object ? object->as_file() : nullptr;
  if (!file) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  return {std::move(object), file};
}

/// Removes a handle. ERROR_INVALID_HANDLE if it is not open.
bool close_handle(HANDLE handle);

/// Removes a handle but leaves its closing to the caller, who must call
/// handle_closed() on the object returned: DuplicateHandle with
/// DUPLICATE_CLOSE_SOURCE takes the handle away at once, yet sends the
/// object to another process before its last-handle cleanup may close the
/// descriptors. Null, ERROR_INVALID_HANDLE set, if it is not open (or
/// protected from close).
std::shared_ptr<kernel_object> remove_handle(HANDLE handle);

/// Changes an entry's flags under `mask`.
bool set_handle_flags(HANDLE handle, DWORD mask, DWORD flags);

/// Calls f(handle, entry) for every open handle (under the table's lock:
/// f must not use the table).
void visit_handles(void (*f)(HANDLE, const handle_entry&, void*), void* context);

}  // namespace conduit::win32
