// Named events (CreateEvent, OpenEvent with a name), shared with every
// process of this broker.
//
// The broker keeps each name with the eventfd that is the event; every
// process that opens the name gets a duplicate of it, so they all share one
// counter. This process asks the broker only for the first handle it opens
// to a name: later ones find the event in the process's own table, and the
// process lets go of the name at the broker when its last handle closes.
#pragma once

#include <memory>
#include <string_view>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"

namespace conduit::win32 {

class event_object;

/// CreateEvent with a name: a new handle to the event of that name if there
/// is one (last error ERROR_ALREADY_EXISTS; the reset kind and initial state
/// asked for are ignored), else to a new event (last error 0). nullptr with
/// the last error set on failure: the name's error (event_name.hpp),
/// ERROR_NOT_ENOUGH_MEMORY past the broker's quota, ERROR_SERVICE_NOT_ACTIVE
/// without a broker, ERROR_ACCESS_DENIED when the existing event's security
/// descriptor refuses `desired`. `sddl` secures a new event (empty: the
/// creator's default).
HANDLE create_named_event(std::string_view name, bool manual_reset, bool initially_set,
                          DWORD handle_flags, DWORD desired, std::string_view sddl);

/// OpenEvent: a new handle to the event of that name; ERROR_FILE_NOT_FOUND
/// if there is none, ERROR_ACCESS_DENIED if its descriptor refuses `desired`.
HANDLE open_named_event(std::string_view name, DWORD handle_flags, DWORD desired);

/// An event another process handed over (inherited or duplicated) with its
/// name: this process holds the name too, so the name lives while any
/// handle to the event does. The event of that name if this process has it
/// already; an unnamed event over `fd` if the name cannot be held (no
/// broker); null for a name key that is not one.
std::shared_ptr<event_object> adopt_named_event(std::string_view name_key, detail::unique_fd fd,
                                                bool manual_reset);

/// The last handle to a named event has closed: the process lets go of the
/// name, unless a handle to the event was opened again meanwhile.
void release_named_event(event_object& event);

}  // namespace conduit::win32
