#include "win32/named_event.hpp"

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

// The first handle to an event the broker now counts this process in for.
HANDLE adopt(const std::string& key, std::shared_ptr<event_object> event,
             const std::shared_ptr<event_registration>& registration, DWORD handle_flags) {
  HANDLE handle = insert_handle(event, handle_flags, EVENT_ALL_ACCESS);
  if (!handle) {
    broker_link::get().release_event(registration);
    return nullptr;
  }
  names()[key] = held_name{event, registration};
  return handle;
}

// Asks the broker for the name (a create sends our new eventfd along). The
// event's descriptor is ours unless the broker hands the holders' one back.
HANDLE hold(const std::string& key, const wire::request& request,
            const std::shared_ptr<event_registration>& registration, unique_fd own,
            DWORD handle_flags, bool& existed) {
  wire::reply reply;
  unique_fd received;
  if (auto ec = broker_link::get().hold_event(registration, request, reply, received))
    return fail(error_from_code(ec));
  existed = (reply.open_mode & wire::event_existed) != 0;
  if (!own && !received) {
    broker_link::get().release_event(registration);
    return fail(ERROR_INVALID_HANDLE);
  }
  bool manual = (reply.open_mode & wire::event_manual_reset) != 0;
  auto event =
      std::make_shared<event_object>(received ? std::move(received) : std::move(own), manual, key);
  return adopt(key, std::move(event), registration, handle_flags);
}

}  // namespace

HANDLE create_named_event(std::string_view name, bool manual_reset, bool initially_set,
                          DWORD handle_flags) {
  std::string key;
  if (errc e = detail::parse_event_name(name, key); e != errc::success)
    return fail(static_cast<DWORD>(e));
  std::lock_guard lock(names_mutex);
  if (auto existing = held_event(key)) {
    HANDLE handle = insert_handle(existing, handle_flags, EVENT_ALL_ACCESS);
    if (handle) SetLastError(ERROR_ALREADY_EXISTS);  // its state untouched
    return handle;
  }
  unique_fd own(::eventfd(initially_set ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!own) return fail(ERROR_TOO_MANY_OPEN_FILES);
  auto registration = std::make_shared<event_registration>();
  registration->params.name = std::string(name);
  registration->params.flags = manual_reset ? wire::event_manual_reset : 0;
  registration->eventfd = own.get();
  bool existed = false;
  HANDLE handle =
      hold(key, registration->params, registration, std::move(own), handle_flags, existed);
  if (handle) SetLastError(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
  return handle;
}

HANDLE open_named_event(std::string_view name, DWORD handle_flags) {
  std::string key;
  if (errc e = detail::parse_event_name(name, key); e != errc::success)
    return fail(static_cast<DWORD>(e));
  std::lock_guard lock(names_mutex);
  if (auto existing = held_event(key))
    return insert_handle(existing, handle_flags, EVENT_ALL_ACCESS);
  auto registration = std::make_shared<event_registration>();
  registration->params.name = std::string(name);
  bool existed = false;
  return hold(key, wire::open_event_request{std::string(name)}, registration, unique_fd(),
              handle_flags, existed);
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
