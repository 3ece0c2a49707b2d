// The names of events, mutexes and semaphores this process holds at the
// broker: one table, as the three share one namespace there. An entry
// exists exactly while the process holds the name: it goes when the
// object's last handle closes, before the object can go. The process asks
// the broker only for its first handle to a name; later ones find the
// object here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "conduit/win32/windows.h"
#include "runtime/broker_link.hpp"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

/// The kind of an event's name (mutexes and semaphores use the broker's
/// wire::sync_kind_mutex and wire::sync_kind_semaphore).
inline constexpr std::uint32_t held_event_kind = 0;

struct held_name {
  std::weak_ptr<kernel_object> object;
  std::uint32_t kind = held_event_kind;
  std::shared_ptr<detail::event_registration> registration;
};

/// Held across broker calls, so that a name is taken and let go in order.
std::mutex& held_names_mutex();

/// The names held, by name key (core/event_name.hpp); the caller holds
/// held_names_mutex().
std::map<std::string, held_name>& held_names();

/// Lets go of a held name at the broker and forgets it (its first handle
/// could not be made, or its last one closed); the caller holds
/// held_names_mutex().
void drop_held_name(std::map<std::string, held_name>::iterator name);

/// Sets the last error to `error` and returns a null handle.
HANDLE fail_with_null(DWORD error);

}  // namespace conduit::win32
