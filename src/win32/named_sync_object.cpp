#include "win32/named_sync_object.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>

#include <memory>
#include <mutex>

#include "core/event_name.hpp"
#include "runtime/broker_link.hpp"
#include "win32/handle_table.hpp"
#include "win32/held_names.hpp"
#include "win32/mutex_object.hpp"
#include "win32/semaphore_object.hpp"
#include "win32/status.hpp"

namespace conduit::win32 {
namespace {

namespace wire = detail::wire;
using detail::unique_fd;

// What a new object of `kind` is made of, once the broker said which eventfd.
struct made_object {
  std::shared_ptr<kernel_object> object;
  bool existed = false;
};

std::shared_ptr<kernel_object> build(std::uint32_t kind, unique_fd fd, std::uint32_t maximum,
                                     const std::string& key) {
  if (kind == wire::sync_kind_mutex) return std::make_shared<mutex_object>(std::move(fd), key);
  return std::make_shared<semaphore_object>(std::move(fd), static_cast<LONG>(maximum), key);
}

// Asks the broker for the name (a create sends `own` along) and records it
// as held. Null object with the last error set on failure.
made_object hold(const std::string& key, const wire::request& request, std::uint32_t kind,
                 const std::shared_ptr<detail::event_registration>& registration, unique_fd own) {
  wire::reply reply;
  unique_fd received;
  if (auto ec = detail::broker_link::get().hold_event(registration, request, reply, received)) {
    SetLastError(error_from_code(ec));
    return {};
  }
  made_object made;
  made.existed = (reply.open_mode & wire::event_existed) != 0;
  // The broker's word on the maximum: the object may be another's.
  std::uint32_t maximum = reply.max_instances;
  if ((!own && !received) ||
      (kind == wire::sync_kind_semaphore && (maximum < 1 || maximum > wire::max_semaphore_count))) {
    detail::broker_link::get().release_event(registration);
    SetLastError(ERROR_INVALID_HANDLE);
    return {};
  }
  registration->sync_params->maximum = kind == wire::sync_kind_semaphore ? maximum : 0;
  made.object = build(kind, received ? std::move(received) : std::move(own), maximum, key);
  if (auto mutex = std::dynamic_pointer_cast<mutex_object>(made.object))
    mutex->note_owners_to(registration);
  held_names()[key] = held_name{made.object, kind, registration};
  return made;
}

// A handle to an object this process now holds the name of.
HANDLE first_handle(const std::string& key, const std::shared_ptr<kernel_object>& object,
                    DWORD handle_flags, DWORD access) {
  if (!object) return nullptr;
  HANDLE handle = insert_handle(object, handle_flags, access);
  if (!handle) drop_held_name(held_names().find(key));
  return handle;
}

// A further handle to a name this process holds: the object, or null with
// the last error set (the name is another kind's), or null with the
// error untouched (not held here).
std::shared_ptr<kernel_object> held_object(const std::string& key, std::uint32_t kind,
                                           bool& wrong_kind) {
  wrong_kind = false;
  auto it = held_names().find(key);
  if (it == held_names().end()) return nullptr;
  if (it->second.kind != kind) {
    wrong_kind = true;
    return nullptr;
  }
  return it->second.object.lock();
}

std::shared_ptr<detail::event_registration> registration_for(std::string_view name,
                                                             std::uint32_t kind,
                                                             std::uint32_t maximum, DWORD desired,
                                                             std::string_view sddl) {
  auto registration = std::make_shared<detail::event_registration>();
  registration->params.name = std::string(name);
  registration->sync_params = wire::create_sync_object_request{std::string(name), kind, maximum,
                                                               desired, std::string(sddl)};
  return registration;
}

DWORD all_access(std::uint32_t kind) {
  return kind == wire::sync_kind_mutex ? MUTEX_ALL_ACCESS : SEMAPHORE_ALL_ACCESS;
}

// CreateMutex, CreateSemaphore: `own` is a new object's eventfd, made
// already in the state it is created in; `initially_owned` (a mutex)
// makes the calling thread its owner if it is new.
HANDLE create_named(std::string_view name, std::uint32_t kind, std::uint32_t maximum, unique_fd own,
                    bool initially_owned, DWORD handle_flags, DWORD desired,
                    std::string_view sddl) {
  std::string key;
  if (errc e = detail::parse_event_name(name, key); e != errc::success)
    return fail_with_null(static_cast<DWORD>(e));
  // More than one broker message carries: the broker would hang up on us.
  if (sddl.size() > wire::max_string_bytes) return fail_with_null(ERROR_INVALID_PARAMETER);
  if (!own) return fail_with_null(ERROR_TOO_MANY_OPEN_FILES);
  std::lock_guard lock(held_names_mutex());
  bool wrong_kind = false;
  if (auto existing = held_object(key, kind, wrong_kind)) {
    HANDLE handle = insert_handle(existing, handle_flags, all_access(kind));
    if (handle) SetLastError(ERROR_ALREADY_EXISTS);  // its state untouched
    return handle;
  }
  if (wrong_kind) return fail_with_null(ERROR_INVALID_HANDLE);
  auto registration = registration_for(name, kind, maximum, desired, sddl);
  registration->eventfd = own.get();
  made_object made = hold(key, *registration->sync_params, kind, registration, std::move(own));
  HANDLE handle = first_handle(key, made.object, handle_flags, all_access(kind));
  if (!handle) return nullptr;
  if (initially_owned && !made.existed)
    std::static_pointer_cast<mutex_object>(made.object)->own_from_start();
  SetLastError(made.existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
  return handle;
}

HANDLE open_named(std::string_view name, std::uint32_t kind, DWORD handle_flags, DWORD desired) {
  std::string key;
  if (errc e = detail::parse_event_name(name, key); e != errc::success)
    return fail_with_null(static_cast<DWORD>(e));
  std::lock_guard lock(held_names_mutex());
  bool wrong_kind = false;
  if (auto existing = held_object(key, kind, wrong_kind))
    return insert_handle(existing, handle_flags, desired);
  if (wrong_kind) return fail_with_null(ERROR_INVALID_HANDLE);
  // Held again at a new broker as a create, with the maximum it answers.
  auto registration =
      registration_for(name, kind, kind == wire::sync_kind_semaphore ? 1 : 0, all_access(kind), {});
  made_object made = hold(key, wire::open_sync_object_request{std::string(name), kind, desired},
                          kind, registration, unique_fd());
  return first_handle(key, made.object, handle_flags, desired);
}

}  // namespace

HANDLE create_named_mutex(std::string_view name, bool initial_owner, DWORD handle_flags,
                          DWORD desired, std::string_view sddl) {
  // A mutex created owned starts taken (counter 0), so no other process
  // can take it between its creation and its first owner's claim.
  unique_fd own(::eventfd(initial_owner ? 0 : 1, EFD_CLOEXEC | EFD_NONBLOCK));
  return create_named(name, wire::sync_kind_mutex, 0, std::move(own), initial_owner, handle_flags,
                      desired, sddl);
}

HANDLE create_named_semaphore(std::string_view name, LONG initial, LONG maximum, DWORD handle_flags,
                              DWORD desired, std::string_view sddl) {
  unique_fd own(
      ::eventfd(static_cast<unsigned>(initial), EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE));
  return create_named(name, wire::sync_kind_semaphore, static_cast<std::uint32_t>(maximum),
                      std::move(own), false, handle_flags, desired, sddl);
}

HANDLE open_named_mutex(std::string_view name, DWORD handle_flags, DWORD desired) {
  return open_named(name, wire::sync_kind_mutex, handle_flags, desired);
}

HANDLE open_named_semaphore(std::string_view name, DWORD handle_flags, DWORD desired) {
  return open_named(name, wire::sync_kind_semaphore, handle_flags, desired);
}

std::shared_ptr<kernel_object> adopt_named_sync_object(std::string_view name_key,
                                                       std::uint32_t kind, unique_fd fd,
                                                       LONG maximum) {
  std::string key;
  if (detail::parse_event_name(name_key, key) != errc::success || key != name_key) return nullptr;
  std::lock_guard lock(held_names_mutex());
  bool wrong_kind = false;
  if (auto existing = held_object(key, kind, wrong_kind)) return existing;
  unique_fd spare(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!wrong_kind) {
    auto registration =
        registration_for(name_key, kind, static_cast<std::uint32_t>(maximum), all_access(kind), {});
    registration->eventfd = fd.get();
    made_object made = hold(key, *registration->sync_params, kind, registration, std::move(fd));
    if (made.object) return made.object;
  }
  // No broker to hold the name with: the object is shared all the same.
  if (!spare) return nullptr;
  return build(kind, std::move(spare), static_cast<std::uint32_t>(maximum), std::string());
}

void release_named_sync_object(const std::string& key, const void* object) {
  std::lock_guard lock(held_names_mutex());
  auto it = held_names().find(key);
  if (it == held_names().end()) return;
  auto held = it->second.object.lock();
  // Another object has the name now, or a handle was opened again meanwhile.
  if (held ? (held.get() != object || held->handle_count() > 0) : false) return;
  drop_held_name(it);
}

}  // namespace conduit::win32
