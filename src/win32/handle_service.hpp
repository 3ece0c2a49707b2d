// The handle service: how DuplicateHandle reaches another process's table.
//
// Every process that loads conduit_win32 listens, from library start, on an
// abstract AF_UNIX SOCK_SEQPACKET socket with a name nobody can take first
// ("\0conduit/handles/<pid>/<random token>"), served by one thread blocked
// in accept. A caller finds it among the target's own sockets
// (handle_service_socket.hpp). A peer asks it to insert an object (and
// learns the handle value it got) or to hand over the object behind a
// handle (handle_message.hpp).
//
// It is a security boundary, as PROCESS_DUP_HANDLE access is on Windows:
// the service serves only its own user and root, checked (SO_PEERCRED) as
// a connection is accepted, before anything is read, so another user's
// connections never hold its thread; it reads one bounded packet per
// connection with a deadline, validates every field and descriptor before
// use, and closes whatever it received on any error. The caller checks the
// other way: the socket's listener must be the pid it meant, and the
// target's pidfd must still be alive once connected (the pid was not
// reused).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"

namespace conduit::win32 {

/// Another process, as a process handle knows it.
struct remote_process {
  int pid = 0;
  int pidfd = -1;  // borrowed: readable once the process has ended
};

/// An object fetched from another process, ready to insert here or pass on.
struct fetched_object {
  char kind = 0;
  std::string state;
  std::vector<detail::unique_fd> fds;
  DWORD access = 0;
};

/// Starts this process's service; done once at library start, after the
/// inherited handles are back in the table (a later call does nothing). Without a service (the name
/// taken, no thread) this process simply cannot be a DuplicateHandle target or source.
void start_handle_service();

/// Inserts an object into `target`'s table; its handle value there, or
/// nullopt with the last error set: ERROR_ACCESS_DENIED if the process has
/// ended (or its user may not be served), ERROR_NOT_SUPPORTED if it has no
/// service within a few seconds (it does not use conduit_win32), or what the
/// target refused with. A CREATE_SUSPENDED child not resumed yet is served
/// by conduit-gate (src/gate/main.cpp), which keeps the object for it.
std::optional<std::uint64_t> push_object(const remote_process& target, char kind,
                                         std::string_view state, std::span<const int> fds,
                                         DWORD access, DWORD flags);

/// Takes the object behind `handle` in `source`'s table, closing the handle
/// there if `close_source` (whether or not the fetch worked, as Windows
/// does); nullopt with the last error set as for push_object, or
/// ERROR_INVALID_HANDLE if the handle is not open there.
std::optional<fetched_object> fetch_object(const remote_process& source, std::uint64_t handle,
                                           bool close_source);

}  // namespace conduit::win32
