// Named mutexes and semaphores (CreateMutex, CreateSemaphore, OpenMutex,
// OpenSemaphore with a name), shared with every process of this broker.
//
// They work as named events do (named_event.hpp): the broker keeps each
// name with the eventfd that is the object, in the namespace events share,
// and every process that opens the name gets a duplicate of it. This
// process asks the broker only for its first handle to a name; later ones
// find the object in the process's own table, and the process lets go of
// the name when its last handle closes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

/// CreateMutex with a name: a handle to the existing mutex of that name
/// (last error ERROR_ALREADY_EXISTS, `initial_owner` ignored) or to a new
/// one (last error 0), owned by the calling thread if `initial_owner`.
/// nullptr with the last error set on failure: the name's error
/// (event_name.hpp), ERROR_INVALID_HANDLE if an event or semaphore has the
/// name, ERROR_ACCESS_DENIED, ERROR_NOT_ENOUGH_MEMORY past the broker's
/// quota, ERROR_SERVICE_NOT_ACTIVE without a broker.
HANDLE create_named_mutex(std::string_view name, bool initial_owner, DWORD handle_flags,
                          DWORD desired, std::string_view sddl);
/// CreateSemaphore with a name; as create_named_mutex. The counts of an
/// existing semaphore are left as they are.
HANDLE create_named_semaphore(std::string_view name, LONG initial, LONG maximum, DWORD handle_flags,
                              DWORD desired, std::string_view sddl);
/// OpenMutex: ERROR_FILE_NOT_FOUND if no object has the name,
/// ERROR_INVALID_HANDLE if one of another type has it, ERROR_ACCESS_DENIED.
HANDLE open_named_mutex(std::string_view name, DWORD handle_flags, DWORD desired);
/// OpenSemaphore; as open_named_mutex.
HANDLE open_named_semaphore(std::string_view name, DWORD handle_flags, DWORD desired);

/// A mutex or semaphore (`kind`: wire::sync_kind_mutex or _semaphore)
/// another process handed over (inherited or duplicated) with its name: this
/// process holds the name too, so OpenMutex and CreateMutex with the name
/// find the same object here, and the name lives while any handle to it
/// does. The object of that name if this process has it already; an unnamed
/// one over `fd` if the name cannot be held (no broker); null for a name key
/// that is not one.
std::shared_ptr<kernel_object> adopt_named_sync_object(std::string_view name_key,
                                                       std::uint32_t kind, detail::unique_fd fd,
                                                       LONG maximum);

/// The last handle to the named object of `key` (`object` is it) has
/// closed: the process lets go of the name, unless a handle to it was
/// opened again meanwhile.
void release_named_sync_object(const std::string& key, const void* object);

}  // namespace conduit::win32
