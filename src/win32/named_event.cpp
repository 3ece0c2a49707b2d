#include "win32/named_event.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>

#include <memory>
#include <string>

#include "core/event_name.hpp"
#include "runtime/broker_link.hpp"
#include "win32/event_object.hpp"
#include "win32/handle_table.hpp"
#include "win32/held_names.hpp"
#include "win32/status.hpp"

namespace conduit::win32 {
namespace {

namespace wire = detail::wire;
using detail::broker_link;
using detail::event_registration;
using detail::unique_fd;

// The event of a name this process holds already, or null (none, or the
// name is a mutex's or a semaphore's: `wrong_kind`).
std::shared_ptr<event_object> held_event(const std::string& key, bool& wrong_kind) {
  auto it = held_names().find(key);
  wrong_kind = it != held_names().end() && it->second.kind != held_event_kind;
  if (it == held_names().end() || wrong_kind) return nullptr;
  return std::static_pointer_cast<event_object>(it->second.object.lock());
}

// Asks the broker for the name (a create sends our eventfd along) and
// records it as held: the event is the holders' one, or ours if we are
// the first. Null with the last error set on failure.
std::shared_ptr<event_object> hold(const std::string& key, const wire::request& request,
                                   const std::shared_ptr<event_registration>& registration,
                                   unique_fd own, bool& existed) {
  wire::reply reply;
  unique_fd received;
  if (auto ec = broker_link::get().hold_event(registration, request, reply, received)) {
    SetLastError(error_from_code(ec));
    return nullptr;
  }
  existed = (reply.open_mode & wire::event_existed) != 0;
  if (!own && !received) {
    broker_link::get().release_event(registration);
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  bool manual = (reply.open_mode & wire::event_manual_reset) != 0;
  auto event =
      std::make_shared<event_object>(received ? std::move(received) : std::move(own), manual, key);
  held_names()[key] = held_name{event, held_event_kind, registration};
  return event;
}

// The first handle to an event this process now holds the name of.
HANDLE first_handle(const std::string& key, const std::shared_ptr<event_object>& event,
                    DWORD handle_flags) {
  if (!event) return nullptr;
  HANDLE handle = insert_handle(event, handle_flags, EVENT_ALL_ACCESS);
  if (!handle) drop_held_name(held_names().find(key));
  return handle;
}

// Asks to create `name` with `own` as its event.
std::shared_ptr<event_object> hold_created(const std::string& key, std::string_view name,
                                           bool manual_reset, unique_fd own, bool& existed,
                                           DWORD desired = EVENT_ALL_ACCESS,
                                           std::string_view sddl = {}) {
  auto registration = std::make_shared<event_registration>();
  registration->params.name = std::string(name);
  registration->params.flags = manual_reset ? wire::event_manual_reset : 0;
  registration->params.desired_access = desired;
  registration->params.security_descriptor = std::string(sddl);
  registration->eventfd = own.get();
  return hold(key, registration->params, registration, std::move(own), existed);
}

}  // namespace

HANDLE create_named_event(std::string_view name, bool manual_reset, bool initially_set,
                          DWORD handle_flags, DWORD desired, std::string_view sddl) {
  std::string key;
  if (errc e = detail::parse_event_name(name, key); e != errc::success)
    return fail_with_null(static_cast<DWORD>(e));
  // More than one broker message carries: the broker would hang up on us.
  if (sddl.size() > wire::max_string_bytes) return fail_with_null(ERROR_INVALID_PARAMETER);
  std::lock_guard lock(held_names_mutex());
  bool wrong_kind = false;
  if (auto existing = held_event(key, wrong_kind)) {
    HANDLE handle = insert_handle(existing, handle_flags, EVENT_ALL_ACCESS);
    if (handle) SetLastError(ERROR_ALREADY_EXISTS);  // its state untouched
    return handle;
  }
  if (wrong_kind) return fail_with_null(ERROR_INVALID_HANDLE);
  unique_fd own(::eventfd(initially_set ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!own) return fail_with_null(ERROR_TOO_MANY_OPEN_FILES);
  bool existed = false;
  HANDLE handle = first_handle(
      key, hold_created(key, name, manual_reset, std::move(own), existed, desired, sddl),
      handle_flags);
  if (handle) SetLastError(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
  return handle;
}

HANDLE open_named_event(std::string_view name, DWORD handle_flags, DWORD desired) {
  std::string key;
  if (errc e = detail::parse_event_name(name, key); e != errc::success)
    return fail_with_null(static_cast<DWORD>(e));
  std::lock_guard lock(held_names_mutex());
  bool wrong_kind = false;
  if (auto existing = held_event(key, wrong_kind))
    return insert_handle(existing, handle_flags, EVENT_ALL_ACCESS);
  if (wrong_kind) return fail_with_null(ERROR_INVALID_HANDLE);
  auto registration = std::make_shared<event_registration>();
  registration->params.name = std::string(name);
  bool existed = false;
  return first_handle(key,
                      hold(key, wire::open_event_request{std::string(name), desired}, registration,
                           unique_fd(), existed),
                      handle_flags);
}

std::shared_ptr<event_object> adopt_named_event(std::string_view name_key, unique_fd fd,
                                                bool manual_reset) {
  std::string key;
  if (detail::parse_event_name(name_key, key) != errc::success || key != name_key) return nullptr;
  std::lock_guard lock(held_names_mutex());
  bool wrong_kind = false;
  if (auto existing = held_event(key, wrong_kind)) return existing;
  unique_fd spare(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  bool existed = false;
  if (auto event = hold_created(key, name_key, manual_reset, std::move(fd), existed)) return event;
  // No broker to hold the name with: the event is shared all the same.
  if (!spare) return nullptr;
  return std::make_shared<event_object>(std::move(spare), manual_reset);
}

void release_named_event(event_object& event) {
  std::lock_guard lock(held_names_mutex());
  auto it = held_names().find(event.name_key());
  // Another object has the name now, or a handle was opened again meanwhile.
  if (it == held_names().end() || it->second.object.lock().get() != &event) return;
  if (event.handle_count() > 0) return;
  drop_held_name(it);
}

}  // namespace conduit::win32
