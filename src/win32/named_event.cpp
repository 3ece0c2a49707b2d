#include "win32/named_event.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/event_name.hpp"
#include "runtime/broker_link.hpp"
#include "win32/event_object.hpp"
#include "win32/handle_table.hpp"
#include "win32/status.hpp"

namespace conduit::win32 {
namespace {

namespace wire = detail::wire;
using detail::broker_link;
using detail::event_registration;
using detail::unique_fd;

// A name this process holds at the broker, and its event. An entry exists
// exactly while the process holds the name: it goes when the event's last
// handle closes, before the event can go, so `event` never expires here.
struct held_name {
  std::weak_ptr<event_object> event;
  std::shared_ptr<event_registration> registration;
};

// Held across broker calls, so that a name is taken and let go in order.
std::mutex names_mutex;

std::map<std::string, held_name>& names() {
  static auto* held = new std::map<std::string, held_name>();  // handles may close at exit
  return *held;
}

HANDLE fail(DWORD error) {
  SetLastError(error);
  return nullptr;
}

// A handle to the event of a name this process holds already.
std::shared_ptr<event_object> held_event(const std::string& key) {
  auto it = names().find(key);
  return it == names().end() ? nullptr : it->second.event.lock();
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
  names()[key] = held_name{event, registration};
  return event;
}

// The first handle to an event this process now holds the name of.
HANDLE first_handle(const std::string& key, const std::shared_ptr<event_object>& event,
                    DWORD handle_flags) {
  if (!event) return nullptr;
  HANDLE handle = insert_handle(event, handle_flags, EVENT_ALL_ACCESS);
  if (!handle) {
    auto it = names().find(key);
    broker_link::get().release_event(it->second.registration);
    names().erase(it);
  }
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
    return fail(static_cast<DWORD>(e));
  // More than one broker message carries: the broker would hang up on us.
  if (sddl.size() > wire::max_string_bytes) return fail(ERROR_INVALID_PARAMETER);
  std::lock_guard lock(names_mutex);
  if (auto existing = held_event(key)) {
    HANDLE handle = insert_handle(existing, handle_flags, EVENT_ALL_ACCESS);
    if (handle) SetLastError(ERROR_ALREADY_EXISTS);  // its state untouched
    return handle;
  }
  unique_fd own(::eventfd(initially_set ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!own) return fail(ERROR_TOO_MANY_OPEN_FILES);
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
    return fail(static_cast<DWORD>(e));
  std::lock_guard lock(names_mutex);
  if (auto existing = held_event(key))
    return insert_handle(existing, handle_flags, EVENT_ALL_ACCESS);
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
  std::lock_guard lock(names_mutex);
  if (auto existing = held_event(key)) return existing;
  unique_fd spare(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  bool existed = false;
  if (auto event = hold_created(key, name_key, manual_reset, std::move(fd), existed)) return event;
  // No broker to hold the name with: the event is shared all the same.
  if (!spare) return nullptr;
  return std::make_shared<event_object>(std::move(spare), manual_reset);
}

void release_named_event(event_object& event) {
  std::lock_guard lock(names_mutex);
  auto it = names().find(event.name_key());
  // Another event has the name now, or a handle was opened again meanwhile.
  if (it == names().end() || it->second.event.lock().get() != &event) return;
  if (event.handle_count() > 0) return;
  auto registration = std::move(it->second.registration);
  names().erase(it);
  broker_link::get().release_event(registration);
}

}  // namespace conduit::win32
